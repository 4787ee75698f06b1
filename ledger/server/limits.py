"""Calls that hold a worker for long, bounded: each kind has a few places, and all of them
together leave a quarter of the workers free for quick calls.

A watch, a wait for a position, an import stream, a reflection stream and a health watch each
hold one of the server's worker threads while they last. Each takes a place of its kind
(``Places``) and one of the server's shared places for long calls; with either full it is
refused at once with ``RESOURCE_EXHAUSTED``, so an authorised quick call (a check, a ping)
always finds a free worker. Reflection and health need no token: their small limits keep a
caller without one from taking more than a few workers (health watches hold none: grpcio
calls them back; their limit keeps them from filling ``LEDGER_MAX_CALLS``), and their streams
end when idle (reflection) or after ``LEDGER_MAX_WAIT_SECONDS`` (health watches).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator
from typing import Any

import grpc
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import reflection

from ledger.server.errors import abort
from ledger.settings import Settings
from ledger_api.ledger.v1 import ledger_pb2

__all__ = ["Places", "LongCalls", "StreamLimits", "end_call", "idle_limited"]

log = logging.getLogger("ledger.server.limits")

Release = Callable[[], None]


class Places:
    """``limit`` places for one kind of long call, taken from the server's shared ones."""

    def __init__(
        self, kind: str, limit: int, shared: threading.BoundedSemaphore | None = None
    ) -> None:
        self.kind = kind
        self.limit = limit
        self._own = threading.BoundedSemaphore(limit)
        self._shared = shared

    def take(self) -> Release | None:
        """A place (call the result to give it back, once), or None when none is free."""
        if not self._own.acquire(blocking=False):
            return None
        if self._shared is not None and not self._shared.acquire(blocking=False):
            self._own.release()
            return None
        lock, given = threading.Lock(), [False]

        def release() -> None:
            with lock:
                if given[0]:
                    return
                given[0] = True
            if self._shared is not None:
                self._shared.release()
            self._own.release()

        return release

    def take_or_refuse(self, context: grpc.ServicerContext) -> Release:
        """A place, given back when the call ends however it ends; or the call refused."""
        release = self.take()
        if release is None:
            abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"this server has no free place for {self.kind} (at most {self.limit} at once, "
                "and long calls of every kind together leave a quarter of its workers to quick "
                "calls): try again later, or another server",
            )
        # A cancelled call may leave a generator suspended until it is collected: the place is
        # given back when the call ends, as well as when its handler returns.
        if not context.add_callback(release):
            release()
        return release


class LongCalls:
    """The server's long-call places: one shared pool, and each kind's own limit within it."""

    def __init__(self, settings: Settings) -> None:
        self.shared = threading.BoundedSemaphore(settings.long_call_limit)
        self.settings = settings

    def places(self, kind: str, limit: int) -> Places:
        return Places(kind, min(limit, self.settings.long_call_limit), self.shared)


def end_call(context: grpc.ServicerContext, code: grpc.StatusCode, message: str) -> None:
    """End a call from another thread than its handler's, telling the caller why.

    grpcio's public ``cancel()`` ends it as CANCELLED with no message; the call object's own
    ``cancel`` takes a status, and is used where grpcio has it."""
    call = getattr(getattr(context, "_rpc_event", None), "call", None)
    try:
        call.cancel(code.value[0], message)  # type: ignore[union-attr]
    except Exception:  # grpcio without that (private) path: cancel plainly
        context.cancel()


def idle_limited(
    requests: Iterator[Any], context: grpc.ServicerContext, seconds: float, what: str
) -> Iterator[Any]:
    """``requests``, ending the call when the caller sends nothing for ``seconds``."""

    def expire() -> None:
        log.info("ended %s: nothing received for %g s", what, seconds)
        end_call(
            context,
            grpc.StatusCode.DEADLINE_EXCEEDED,
            f"{what}: nothing received for {seconds:g} s (LEDGER_STREAM_IDLE_SECONDS), so the "
            "server ended the stream; nothing of it was stored",
        )

    while True:
        timer = threading.Timer(seconds, expire)
        timer.daemon = True
        timer.start()
        try:
            request = next(requests)
        except StopIteration:
            return
        finally:
            timer.cancel()
        yield request


_REFLECTION = f"/{reflection.SERVICE_NAME}/ServerReflectionInfo"
_HEALTH_WATCH = f"/{health_pb2.DESCRIPTOR.services_by_name['Health'].full_name}/Watch"
_IMPORT = f"/{ledger_pb2.DESCRIPTOR.services_by_name['PolicyLedger'].full_name}/ImportCommands"


class StreamLimits(grpc.ServerInterceptor):  # type: ignore[misc]  # grpc is untyped
    """Places and time limits for the streams the servicer does not write itself (reflection,
    health watches), and for import streams. Put after the token check: a refused call takes
    no place."""

    def __init__(self, settings: Settings, long_calls: LongCalls) -> None:
        idle, most = settings.stream_idle_seconds, settings.max_wait_seconds
        reflection_places = long_calls.places("reflection streams", settings.max_open_streams)
        # A health watch waits without a worker (grpcio calls it back): it has places of its
        # own, so that idle watches cannot fill the server's calls (LEDGER_MAX_CALLS) either.
        health_places = Places("health watches", settings.max_open_streams)
        import_places = long_calls.places("import streams", settings.max_imports)
        self._places = {
            _REFLECTION: (reflection_places, "a reflection stream", idle, None),
            _HEALTH_WATCH: (health_places, "a health watch", None, most),
            _IMPORT: (import_places, "an import stream", idle, None),
        }
        self._wrapped: dict[str, tuple[Any, Any]] = {}

    def intercept_service(
        self, continuation: Callable[[Any], Any], details: grpc.HandlerCallDetails
    ) -> Any:
        handler = continuation(details)
        rule = self._places.get(details.method)
        if handler is None or rule is None:
            return handler
        wrapped = self._wrapped.get(details.method)
        if wrapped is None or wrapped[0] is not handler:
            wrapped = self._wrapped[details.method] = (handler, _limit(handler, *rule))
        return wrapped[1]


def _limit(
    handler: Any, places: Places, what: str, idle: float | None, lifetime: float | None
) -> Any:
    """``handler`` taking a place for its call, with its requests' idle limit and its
    lifetime, where it has them."""
    kind = (
        ("stream" if handler.request_streaming else "unary")
        + "_"
        + ("stream" if handler.response_streaming else "unary")
    )
    behaviour = getattr(handler, kind)
    non_blocking = getattr(behaviour, "experimental_non_blocking", False)

    def prepare(requests: Any, context: grpc.ServicerContext) -> tuple[Any, Release]:
        release = places.take_or_refuse(context)
        if idle is not None and handler.request_streaming:
            requests = idle_limited(iter(requests), context, idle, what)
        if lifetime is not None:
            timer = threading.Timer(
                lifetime,
                end_call,
                (
                    context,
                    grpc.StatusCode.DEADLINE_EXCEEDED,
                    f"{what} lasts {lifetime:g} s at most on this server "
                    "(LEDGER_MAX_WAIT_SECONDS): start it again",
                ),
            )
            timer.daemon = True
            timer.start()
            context.add_callback(timer.cancel)
        return requests, release

    if non_blocking:  # answers through a callback, holding no worker: it must stay so

        def calling_back(
            request: Any, context: grpc.ServicerContext, send_response_callback: Any = None
        ) -> Any:
            request, _ = prepare(request, context)  # the place is given back when the call ends
            return behaviour(request, context, send_response_callback=send_response_callback)

        calling_back.experimental_non_blocking = True  # type: ignore[attr-defined]
        calling_back.experimental_thread_pool = getattr(  # type: ignore[attr-defined]
            behaviour, "experimental_thread_pool", None
        )
        return handler._replace(**{kind: calling_back})

    if handler.response_streaming:

        def streaming(requests: Any, context: grpc.ServicerContext) -> Iterator[Any]:
            requests, release = prepare(requests, context)
            try:
                yield from behaviour(requests, context)
            finally:
                release()

        return handler._replace(**{kind: streaming})

    def unary(requests: Any, context: grpc.ServicerContext) -> Any:
        requests, release = prepare(requests, context)
        try:
            return behaviour(requests, context)
        finally:
            release()

    return handler._replace(**{kind: unary})
