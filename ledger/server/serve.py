"""Run the gRPC server: the ledger's service, health checking and reflection on one port.

Tokens and TLS come from the settings (``ledger.server.auth``, ``ledger.server.tls``); bad
security settings stop the server before it opens the database.

On SIGTERM or SIGINT the server reports NOT_SERVING, ends open watches, lets in-flight calls
finish within the grace period, and returns (the process exits 0).
"""

from __future__ import annotations

import logging
import signal
import threading
from concurrent import futures
from pathlib import Path

import grpc
from grpc_health.v1 import health, health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection

from ledger import collector
from ledger.application.importer import ImportRefused, import_file
from ledger.bootstrap import Ledger
from ledger.server.auth import TokenAuth, reflection_mode, server_interceptors
from ledger.server.errors import RefuseUndecodable
from ledger.server.health import ServingState
from ledger.server.limits import LongCalls, StreamLimits
from ledger.server.servicer import ROLES, SERVICE, PolicyLedgerServicer
from ledger.server.tls import describe, server_credentials
from ledger.server.web.context import ServicerCore
from ledger.server.web.face import WebFace
from ledger.settings import Settings
from ledger.storage.factory import Listener

__all__ = ["LedgerServer", "serve", "MAX_MESSAGE_BYTES"]

log = logging.getLogger("ledger.server")

# The largest message either way: a 1000-item check or a 10000-event history batch fits.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class LedgerServer:
    """A started gRPC server over one ledger; ``stop()`` shuts it down gracefully."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        credentials = server_credentials(settings)
        interceptors = server_interceptors(settings, ROLES)
        self.ledger = Ledger(settings)
        # Logged decisions are indexed before the first call, not by it (a million take
        # seconds); later ones as they are appended.
        self.ledger.decision_index.catch_up()
        self.stopping = threading.Event()
        self.listener: Listener | None = None
        self.health = health.HealthServicer()
        self.serving = ServingState(self.health)
        self.ledger.follower.on_stuck = self.serving.stuck
        long_calls = LongCalls(settings)
        # One pool of workers and one chain of interceptors for both ports (gRPC and HTTP).
        pool = futures.ThreadPoolExecutor(max_workers=settings.workers, thread_name_prefix="rpc")
        # Tokens first: a refused caller's request is not even decoded, nor takes a place.
        chain = [*interceptors, RefuseUndecodable(), StreamLimits(settings, long_calls)]
        self.server = grpc.server(
            pool,
            interceptors=chain,
            # Calls beyond this, in progress or queued, are refused at once (RESOURCE_EXHAUSTED).
            maximum_concurrent_rpcs=settings.call_limit,
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                # A second server on a taken port fails, loudly, unless every server on it
                # shares it (LEDGER_SHARE_PORT: the kernel spreads connections among them).
                ("grpc.so_reuseport", int(settings.share_port)),
            ],
        )
        servicer = PolicyLedgerServicer(
            self.ledger,
            settings,
            stopping=self.stopping,
            long_calls=long_calls,
            serving=self.serving,
            tokens=next((i.tokens for i in interceptors if isinstance(i, TokenAuth)), None),
        )
        handler = servicer.handler()
        self.server.add_generic_rpc_handlers((handler,))
        health_pb2_grpc.add_HealthServicer_to_server(self.health, self.server)
        self.reflection = reflection_mode(settings)
        if self.reflection != "off":
            reflection.enable_server_reflection(
                (
                    SERVICE.full_name,
                    health_pb2.DESCRIPTOR.services_by_name["Health"].full_name,
                    reflection.SERVICE_NAME,
                ),
                self.server,
            )
        try:
            if credentials is None:
                self.port = self.server.add_insecure_port(settings.listen)
            else:
                self.port = self.server.add_secure_port(settings.listen, credentials)
        except RuntimeError:  # grpc's "Failed to bind to address ...", nothing more
            raise RuntimeError(
                f"cannot serve on {settings.listen} (LEDGER_LISTEN, --listen): the port is "
                "taken (or closed to this user), or the host is not an address of this "
                "machine; give another, e.g. 127.0.0.1:50052 (servers meant to share a port "
                "each set LEDGER_SHARE_PORT=true)"
            ) from None
        self.security = describe(settings) + (", tokens" if interceptors else ", open")
        self.web: WebFace | None = None
        if settings.web_listen is not None:
            self.web = WebFace(
                settings,
                ServicerCore(handler, chain),
                pool,
                max_message_bytes=MAX_MESSAGE_BYTES,
                auth=next((i for i in interceptors if isinstance(i, TokenAuth)), None),
            )

    def start(self) -> None:
        self._load_example()
        self.listener = self.ledger.listener()
        if self.listener is not None:
            self.listener.start()
        self.ledger.reader.catch_up()  # an event the read model cannot apply is known now
        self.server.start()
        if self.web is not None:
            self.web.start()
            log.info("serving %s and the web console on %s", SERVICE.full_name, self.web.url)
        self.serving.start(self.ledger.follower.stuck)
        log.info(
            "serving %s on %s (%s, reflection %s; %s)",
            SERVICE.full_name,
            self.address,
            self.security,
            self.reflection,
            self.settings.safe_database_url,
        )

    @property
    def address(self) -> str:
        host = self.settings.listen.rsplit(":", 1)[0]
        return f"{host}:{self.port}"

    def _load_example(self) -> None:
        """The example ledger is imported on the first start only: when the log is empty.
        Servers started together on a new database may each find it empty: the first import
        stores it whole, and the others, refused, find the log no longer empty."""
        if not self.settings.example or self.ledger.app.recorder.max_notification_id():
            return
        try:
            receipts = import_file(self.ledger.app, Path(self.settings.example))
        except ImportRefused:
            if not self.ledger.app.recorder.max_notification_id():
                raise
            log.info("another server loaded the example ledger first")
            return
        log.info(
            "loaded the example ledger: %d events from %s", len(receipts), self.settings.example
        )

    def stop(self) -> None:
        self.serving.stopping()
        self.stopping.set()
        stopped = self.server.stop(self.settings.grace_seconds)
        if self.web is not None:
            self.web.stop()
        stopped.wait()
        if self.listener is not None:
            self.listener.stop()
        self.ledger.close()
        log.info("stopped")


_WAKE_SECONDS = 0.2


def serve(settings: Settings) -> None:
    """Serve until SIGTERM or SIGINT."""
    server = LedgerServer(settings)
    server.start()
    collector.settle()  # what start-up built is kept for good: not walked again
    done = threading.Event()

    def on_signal(number: int, _: object) -> None:
        log.info("received %s: shutting down", signal.Signals(number).name)
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if server.web is not None:
        print(f"ledger web on {server.web.url}", flush=True)
    print(f"ledger serving on {server.address}", flush=True)
    # Python runs a signal's handler in the main thread, between bytecodes. The kernel may
    # deliver SIGTERM to one of grpc's threads, which does not wake a main thread blocked
    # for good in a lock: it must wake now and then for the handler to run.
    while not done.wait(_WAKE_SECONDS):
        pass
    server.stop()
