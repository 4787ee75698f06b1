"""``LedgerClient``: typed calls to the ledger's gRPC service (``ledger.v1.PolicyLedger``).

Pass ``token=`` for a server that checks tokens, and ``tls=True`` or ``root_certificates=``
(with ``client_cert=`` and ``client_key=`` for mutual TLS) for one that speaks TLS.

Every command gets a request id (generated unless given) before its first attempt, so the
channel's automatic retries on ``UNAVAILABLE`` are safe: a retry of a command that was in
fact recorded returns the first receipt. Refusals raise ``LedgerClientError`` with the
status code and the fields the server named.
"""

from __future__ import annotations

from ledger_client.audit import Audit
from ledger_client.commands import Commands
from ledger_client.decisions import Decisions
from ledger_client.proofs import Proofs
from ledger_client.queries import Queries
from ledger_client.timelines import Timelines

__all__ = ["LedgerClient"]


class LedgerClient(Commands, Queries, Timelines, Decisions, Audit, Proofs):
    """A connection to a ledger server, with a typed method for each of its calls: the
    commands (``ledger_client.commands``), the questions (``queries``, ``timelines``), the
    decision log (``decisions``) and the audit trail (``audit``). ``call``, ``stream`` and
    ``send`` reach any method by name."""
