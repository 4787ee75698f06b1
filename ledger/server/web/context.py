"""One servicer for both ports: an HTTP call runs the gRPC port's own interceptors and handler.

grpcio's server looks a method up by asking each interceptor in turn (tokens and roles, the
refusal of undecodable requests, the limits on long calls) and then the servicer's generic
handler; ``ServicerCore`` asks the very same objects, with the HTTP request's headers as the
call's metadata. The handler then runs with ``HttpServicerContext``: the part of
``grpc.ServicerContext`` the ledger uses (``invocation_metadata``, ``is_active``,
``time_remaining``, ``add_callback``, ``cancel``, ``abort_with_status``). An abort becomes a
``ConnectError`` with the same code, message and ``google.rpc`` details, so a caller over HTTP
sees the refusal a gRPC caller sees, in the Connect protocol's words.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator, Sequence
from typing import Any, NamedTuple

import grpc
from connectrpc.code import Code
from connectrpc.errors import ConnectError, ErrorDetail
from connectrpc.request import RequestContext
from google.rpc import status_pb2
from protobuf.wkt import Any as DetailAny

__all__ = ["HttpServicerContext", "ServicerCore", "Aborted", "connect_error"]

# The status details travel in this trailer over gRPC (grpcio-status); over HTTP, in the
# Connect error's own details.
_DETAILS_KEY = "grpc-status-details-bin"


class _CallDetails(NamedTuple):
    """What ``grpc.HandlerCallDetails`` holds for an interceptor."""

    method: str
    invocation_metadata: tuple[tuple[str, str], ...]


class Aborted(Exception):
    """A call ended by the servicer or an interceptor with a status (``context.abort``)."""

    def __init__(self, code: grpc.StatusCode, details: str, trailers: Sequence[Any] = ()) -> None:
        super().__init__(details)
        self.code, self.details, self.trailers = code, details, tuple(trailers or ())


def connect_error(error: Aborted) -> ConnectError:
    """The gRPC status as a Connect error: its code, its message, and its details."""
    code = Code.CANCELED if error.code is grpc.StatusCode.CANCELLED else Code[error.code.name]
    details = [
        ErrorDetail(DetailAny(type_url=detail.type_url, value=detail.value))
        for key, value in error.trailers
        if key == _DETAILS_KEY
        for detail in status_pb2.Status.FromString(value).details
    ]
    return ConnectError(code, error.details or "", details)


class HttpServicerContext:
    """The servicer's view of an HTTP call, as ``grpc.ServicerContext`` gives it of a gRPC one.

    ``cancel()`` also marks the end of the call, however it ended: the callbacks registered
    with ``add_callback`` (which give back a watch's place, for instance) run once, then."""

    def __init__(self, request: RequestContext[Any, Any]) -> None:
        self._request = request
        self._active = True
        self._callbacks: list[Callable[[], None]] = []
        self._lock = threading.Lock()
        # Headers are lower case, as gRPC metadata keys are; binary ones are gRPC's own.
        self._metadata = tuple(
            (key, value)
            for key, value in request.request_headers.allitems()
            if not key.endswith("-bin")
        )

    def invocation_metadata(self) -> tuple[tuple[str, str], ...]:
        return self._metadata

    def time_remaining(self) -> float | None:
        left = self._request.timeout_ms
        return None if left is None else max(0.0, left / 1000)

    def is_active(self) -> bool:
        left = self._request.timeout_ms
        return self._active and (left is None or left > 0)

    def add_callback(self, callback: Callable[[], None]) -> bool:
        with self._lock:
            if not self._active:
                return False
            self._callbacks.append(callback)
            return True

    def cancel(self) -> None:
        with self._lock:
            self._active, callbacks, self._callbacks = False, self._callbacks, []
        for callback in callbacks:
            callback()

    def abort(self, code: grpc.StatusCode, details: str) -> None:
        raise Aborted(code, details)

    def abort_with_status(self, status: grpc.Status) -> None:
        raise Aborted(status.code, status.details, status.trailing_metadata)


class ServicerCore:
    """Looks a method up through the interceptors, as grpcio's server does, and calls it."""

    def __init__(self, handler: grpc.GenericRpcHandler, interceptors: Sequence[Any]) -> None:
        self._handler = handler
        self._interceptors = list(interceptors)

    def _lookup(self, path: str, context: HttpServicerContext) -> grpc.RpcMethodHandler:
        def at(index: int) -> Callable[[_CallDetails], Any]:
            if index == len(self._interceptors):
                service: Callable[[_CallDetails], Any] = self._handler.service
                return service
            interceptor = self._interceptors[index]
            return lambda details: interceptor.intercept_service(at(index + 1), details)

        found: grpc.RpcMethodHandler | None = at(0)(
            _CallDetails(path, context.invocation_metadata())
        )
        if found is None:
            raise ConnectError(Code.UNIMPLEMENTED, f"{path} is not a method of this service")
        return found

    def unary(self, path: str, request: Any, context: HttpServicerContext) -> Any:
        """A unary call's answer; an abort raised as a ``ConnectError``."""
        try:
            return self._lookup(path, context).unary_unary(request, context)
        except Aborted as error:
            raise connect_error(error) from None
        finally:
            context.cancel()  # the call has ended: its places are given back

    def stream(self, path: str, request: Any, context: HttpServicerContext) -> Iterator[Any]:
        """A server-streaming call's answers, one by one; an abort raised as a
        ``ConnectError``."""
        try:
            yield from self._lookup(path, context).unary_stream(request, context)
        except Aborted as error:
            raise connect_error(error) from None
        finally:
            context.cancel()
