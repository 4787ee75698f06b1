"""``ledger.v1.PolicyLedger`` as connectrpc's ASGI application, on the servicer's own threads.

connectrpc decodes the request (Connect JSON or binary, gRPC-Web) and encodes the answer and
errors; each method here hands the decoded request to ``ServicerCore`` on the gRPC server's
thread pool, so a call over HTTP takes a worker as a gRPC call does, and the two ports share
``LEDGER_WORKERS``. When the caller goes away or its deadline passes, the call's task is
cancelled: the servicer sees ``is_active()`` turn false and stops (a watch ends, its place is
given back). Client streaming (``ImportCommands``) is not offered over HTTP: browsers cannot
send it, and the gRPC port and ``ledger import`` serve it.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Iterator
from concurrent.futures import Executor, Future
from typing import Any

from connectrpc.code import Code
from connectrpc.compat import google_protobuf_binary_codec
from connectrpc.errors import ConnectError
from connectrpc.request import RequestContext

from ledger.server.auth import TokenAuth
from ledger.server.servicer import SERVICE
from ledger.server.web.context import Aborted, HttpServicerContext, ServicerCore, connect_error
from ledger.server.web.json_request import StrictJson
from ledger.server.web.ledger_connect import PolicyLedgerASGIApplication

__all__ = ["connect_application"]

_END = object()


def _python_name(method: str) -> str:
    """``GetHistory`` → ``get_history``: the generated application's attribute names."""
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in method).lstrip("_")


class _Service:
    """Every method of the service, each a call into the core on ``pool``."""

    def __init__(self, core: ServicerCore, pool: Executor) -> None:
        self._core, self._pool = core, pool
        for method in SERVICE.methods:
            path = f"/{SERVICE.full_name}/{method.name}"
            if method.client_streaming:
                call = self._gRPC_only(method.name)
            elif method.server_streaming:
                call = self._stream(path)
            else:
                call = self._unary(path)
            setattr(self, _python_name(method.name), call)

    @staticmethod
    def _gRPC_only(name: str) -> Callable[..., Any]:
        async def refuse(*_: Any) -> Any:
            raise ConnectError(
                Code.UNIMPLEMENTED,
                f"{name} streams requests from the caller, which HTTP/1.1 and browsers cannot "
                f"do: call it over gRPC (the server's gRPC port), e.g. `ledger import FILE`",
            )

        return refuse

    def _unary(self, path: str) -> Callable[..., Any]:
        async def call(request: Any, request_context: RequestContext[Any, Any]) -> Any:
            context = HttpServicerContext(request_context)
            answer = self._pool.submit(self._core.unary, path, request, context)
            try:
                return await asyncio.shield(asyncio.wrap_future(answer))
            except asyncio.CancelledError:
                context.cancel()  # the caller went away: a waiting call stops waiting
                raise

        return call

    def _stream(self, path: str) -> Callable[..., Any]:
        async def call(
            request: Any, request_context: RequestContext[Any, Any]
        ) -> AsyncIterator[Any]:
            context = HttpServicerContext(request_context)
            answers = self._core.stream(path, request, context)
            step: Future[Any] | None = None
            try:
                while True:
                    step = self._pool.submit(next, answers, _END)
                    answer = await asyncio.shield(asyncio.wrap_future(step))
                    if answer is _END:
                        return
                    yield answer
            finally:
                context.cancel()
                # The generator is closed on a worker once its step in progress has ended:
                # closing it while another thread runs it would raise.
                with contextlib.suppress(RuntimeError):  # the pool is gone: the server stopped
                    self._pool.submit(_close_after, step, answers)

        return call


def _close_after(step: Future[Any] | None, answers: Iterator[Any]) -> None:
    if step is not None:
        step.exception()  # waits for it; what it raised was already reported
    answers.close()  # type: ignore[attr-defined]


class _TokenGate:
    """The token check, before the request is read: as on the gRPC port, a refused caller's
    request is not even decoded (connectrpc runs leading metadata interceptors first)."""

    def __init__(self, auth: TokenAuth) -> None:
        self._auth = auth

    async def on_start(self, request_context: RequestContext[Any, Any]) -> None:
        method = f"/{request_context.method.service_name}/{request_context.method.name}"
        headers = request_context.request_headers.allitems()
        refusal = self._auth.decide(method, headers)
        if refusal is None:
            return
        self._auth.refusals.refused(refusal.kind, "refused %s: %s", method, refusal.message)
        raise connect_error(Aborted(refusal.code, refusal.message))

    async def on_end(
        self, _token: None, _context: RequestContext[Any, Any], _error: Exception | None, /
    ) -> None:
        return


def connect_application(
    core: ServicerCore, pool: Executor, max_message_bytes: int, auth: TokenAuth | None
) -> PolicyLedgerASGIApplication:
    """The service over the Connect protocol (JSON and binary) and gRPC-Web, as ASGI.

    Its JSON is strict (``StrictJson``)."""
    return PolicyLedgerASGIApplication(
        _Service(core, pool),  # type: ignore[arg-type]
        interceptors=[] if auth is None else [_TokenGate(auth)],
        read_max_bytes=max_message_bytes,
        codecs=[google_protobuf_binary_codec(), StrictJson()],
    )
