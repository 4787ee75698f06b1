"""Python client of the customs policy ledger's gRPC service (``ledger.v1.PolicyLedger``).

    from ledger_client import LedgerClient

    with LedgerClient("127.0.0.1:50051") as ledger:
        result = ledger.check(
            "CN-DANDONG", "2025-03-20", direction="outbound", channel="personal-baggage",
            traveller="worker", items=[{"goods": "8516.60", "quantity": 1}],
        )
        print(result.items[0].verdict)   # Verdict.PROHIBITED

It depends on the generated stubs (``ledger.v1``) only, not on the server's internals.
"""

from ledger_client.client import LedgerClient, LedgerClientError, command_message
from ledger_client.models import *  # noqa: F403 - the models are the client's vocabulary
from ledger_client.models import __all__ as _models

__all__ = ["LedgerClient", "LedgerClientError", "command_message", *_models]
