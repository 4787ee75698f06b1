"""``LedgerClientError``: a call that failed, with its status code, message and the request
fields the server named (from the status's ``google.rpc.BadRequest`` details).

A failure is either a refusal the ledger decided (``refused``: the call did nothing) or one it
did not (the connection dropped, the deadline passed, the server failed): then a command may
or may not have been stored, and sending it again with the same request id settles it.
"""

from __future__ import annotations

import grpc

__all__ = ["LedgerClientError", "REFUSALS"]

# The codes by which the ledger refuses a call it decided on, having done nothing. Any other
# (UNAVAILABLE, DEADLINE_EXCEEDED, CANCELLED, UNKNOWN, INTERNAL, ...) may come from the
# transport or from a server that died after storing: the outcome of a write is then unknown.
REFUSALS = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.RESOURCE_EXHAUSTED,
    }
)


# What gRPC says when nothing listens at the address, or the name has none (not a server
# there that fails the handshake: "failed to connect" alone says no more than that).
_UNREACHED = (
    "connection refused",
    "dns resolution failed",
    "errors resolving",
    "name or service not known",
)


class LedgerClientError(Exception):
    """A call that failed: its status code, message and offending fields."""

    def __init__(self, code: grpc.StatusCode, message: str, fields: list[tuple[str, str]]) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.fields = fields

    @property
    def unreachable(self) -> bool:
        """Whether no server was reached at all (refused connection, unknown host): a command
        sent was then not stored."""
        if self.code is not grpc.StatusCode.UNAVAILABLE:
            return False
        text = self.message.lower()
        return any(marker in text for marker in _UNREACHED)

    @property
    def refused(self) -> bool:
        """Whether the ledger refused the call, doing nothing; if not, a command sent may have
        been stored (send it again with its request id to find out)."""
        return self.code in REFUSALS

    @classmethod
    def from_rpc(cls, error: grpc.RpcError) -> LedgerClientError:
        # Read only when a call fails: a successful call never pays for these imports.
        from google.rpc import error_details_pb2
        from grpc_status import rpc_status

        fields = []
        status = rpc_status.from_call(error)
        for detail in status.details if status else ():
            bad_request = error_details_pb2.BadRequest()
            if detail.Unpack(bad_request):
                fields += [(v.field, v.description) for v in bad_request.field_violations]
        return cls(error.code(), error.details() or "", fields)
