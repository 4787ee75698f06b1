"""``LedgerClientError``: a call the server refused, with its status code, message and the
request fields it named (from the status's ``google.rpc.BadRequest`` details)."""

from __future__ import annotations

import grpc

__all__ = ["LedgerClientError"]


class LedgerClientError(Exception):
    """A call the service refused: its status code, message and offending fields."""

    def __init__(self, code: grpc.StatusCode, message: str, fields: list[tuple[str, str]]) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.fields = fields

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
