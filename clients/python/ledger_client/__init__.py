"""Python client of the customs policy ledger's gRPC service (``ledger.v1.PolicyLedger``).

    from ledger_client import LedgerClient

    with LedgerClient("127.0.0.1:50051") as ledger:
        result = ledger.check(
            "CN-DANDONG", "2025-03-20", direction="outbound", channel="personal-baggage",
            traveller="worker", items=[{"goods": "8516.60", "quantity": 1}],
        )
        print(result.items[0].verdict)   # Verdict.PROHIBITED

It depends on the API (``ledger_api``: the generated stubs and the conversions) only, never on
the server. Names are loaded when first used: ``ledger_client.connection`` alone (plain data,
no models) is what a quick script or the CLI needs.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ledger_client.audit import Digest, ExportedEvent, RemoteAudit
    from ledger_client.checkpoints import Checkpoint, NoteError, VerifierKey, trusted_keys
    from ledger_client.client import LedgerClient
    from ledger_client.commands import ImportResult
    from ledger_client.connection import Connection, command_message
    from ledger_client.decisions import (
        Decision,
        DecisionAnswer,
        DecisionAudit,
        DecisionPage,
        Impact,
        ImpactReport,
        Replay,
        StoredDecision,
    )
    from ledger_client.errors import LedgerClientError
    from ledger_client.models import (
        Admissibility,
        CheckItem,
        Crossing,
        EffectiveDate,
        ItemResult,
        Measure,
        Outcome,
        Receipt,
        RuleState,
        Ruling,
        Scope,
        Source,
        Verdict,
    )
    from ledger_client.proofs import EventProof, ProofError
    from ledger_client.queries import (
        CheckResult,
        CompareResult,
        HistoryEvent,
        Office,
        OfficeRanking,
        RuleStateResult,
        ScopeState,
        WatchEvent,
    )

# Each public name, and the module it lives in.
_WHERE = {
    "LedgerClient": "client",
    "Connection": "connection",
    "command_message": "connection",
    "LedgerClientError": "errors",
    "ImportResult": "commands",
    "Digest": "audit",
    "ExportedEvent": "audit",
    "RemoteAudit": "audit",
    "EventProof": "proofs",
    "ProofError": "proofs",
    **dict.fromkeys(["Checkpoint", "NoteError", "VerifierKey", "trusted_keys"], "checkpoints"),
    **dict.fromkeys(
        [
            "Decision",
            "DecisionAnswer",
            "DecisionAudit",
            "DecisionPage",
            "Impact",
            "ImpactReport",
            "Replay",
            "StoredDecision",
        ],
        "decisions",
    ),
    **dict.fromkeys(
        [
            "Admissibility",
            "CheckItem",
            "Crossing",
            "EffectiveDate",
            "ItemResult",
            "Measure",
            "Outcome",
            "Receipt",
            "Amended",
            "ChangeForm",
            "Ruling",
            "RuleState",
            "Scope",
            "Source",
            "Verdict",
        ],
        "models",
    ),
    **dict.fromkeys(
        [
            "CheckResult",
            "CompareResult",
            "EffectiveEdge",
            "EffectiveNotice",
            "Upcoming",
            "HistoryEvent",
            "Office",
            "OfficeRanking",
            "RuleStateResult",
            "ScopeState",
            "WatchEvent",
        ],
        "queries",
    ),
}
__all__ = [
    "Admissibility",
    "Checkpoint",
    "NoteError",
    "VerifierKey",
    "trusted_keys",
    "EventProof",
    "ProofError",
    "Amended",
    "ChangeForm",
    "EffectiveEdge",
    "EffectiveNotice",
    "Upcoming",
    "CheckItem",
    "CheckResult",
    "CompareResult",
    "Connection",
    "Crossing",
    "Decision",
    "DecisionAnswer",
    "DecisionAudit",
    "DecisionPage",
    "Digest",
    "EffectiveDate",
    "ExportedEvent",
    "HistoryEvent",
    "Impact",
    "ImpactReport",
    "ImportResult",
    "ItemResult",
    "LedgerClient",
    "LedgerClientError",
    "Measure",
    "Office",
    "OfficeRanking",
    "Outcome",
    "Receipt",
    "RemoteAudit",
    "Replay",
    "RuleState",
    "RuleStateResult",
    "Ruling",
    "Scope",
    "ScopeState",
    "Source",
    "StoredDecision",
    "Verdict",
    "WatchEvent",
    "command_message",
]


def __getattr__(name: str) -> Any:
    module = _WHERE.get(name)
    if module is None:
        raise AttributeError(f"module 'ledger_client' has no attribute {name!r}")
    return getattr(import_module(f"ledger_client.{module}"), name)
