"""The HTTP port (``LEDGER_WEB_LISTEN``, ``ledger serve --web``): the API over the Connect
protocol and gRPC-Web at ``/ledger.v1.PolicyLedger/METHOD``, and the web console at ``/``.

uvicorn serves it on a thread of its own, in the gRPC server's process and on its servicer,
interceptors and thread pool (``ServicerCore``): the same tokens, roles, limits, errors and
ledger. The port is bound when the face is made, so a taken address stops the server before it
starts; it speaks TLS with the gRPC port's certificate when that is set. Connections are
capped at ``LEDGER_MAX_CALLS``: beyond it, uvicorn answers 503 at once (Connect's
``unavailable``) rather than queueing without bound.
"""

from __future__ import annotations

import asyncio
import logging
import math
import socket
import ssl
import threading
from collections.abc import MutableMapping
from concurrent.futures import Executor
from typing import Any

import uvicorn

from ledger.server.auth import TokenAuth
from ledger.server.servicer import SERVICE
from ledger.server.web.console import ConsoleFiles
from ledger.server.web.context import ServicerCore
from ledger.server.web.service import connect_application
from ledger.settings import Settings

__all__ = ["WebFace"]

log = logging.getLogger("ledger.server.web")

_API = f"/{SERVICE.full_name}/"
# Seconds an idle keep-alive connection is kept; a browser reconnects when it needs to.
_KEEP_ALIVE_SECONDS = 15


class WebFace:
    """The HTTP port, bound; ``start()`` serves it, ``stop(grace)`` ends it."""

    def __init__(
        self,
        settings: Settings,
        core: ServicerCore,
        pool: Executor,
        *,
        max_message_bytes: int,
        auth: TokenAuth | None,
    ) -> None:
        assert settings.web_listen is not None
        self.settings = settings
        self.console = ConsoleFiles()
        self.api = connect_application(core, pool, max_message_bytes, auth)
        self.socket = _bind(settings.web_listen, share=settings.share_port)
        tls = settings.tls_cert is not None
        self.url = f"{'https' if tls else 'http'}://{_host(settings.web_listen)}:{self.port}/"
        config = uvicorn.Config(
            self._route,
            interface="asgi3",
            lifespan="off",
            proxy_headers=False,  # no proxy is trusted to say who the caller is
            log_config=None,
            access_log=False,
            limit_concurrency=settings.call_limit,
            timeout_keep_alive=_KEEP_ALIVE_SECONDS,
            timeout_graceful_shutdown=math.ceil(settings.grace_seconds),
            ssl_certfile=settings.tls_cert,
            ssl_keyfile=settings.tls_key,
            ssl_ca_certs=settings.tls_client_ca,
            ssl_cert_reqs=ssl.CERT_REQUIRED if settings.tls_client_ca else ssl.CERT_NONE,
        )
        self.server = uvicorn.Server(config)
        self.thread = threading.Thread(target=self._run, name="web", daemon=True)

    @property
    def port(self) -> int:
        return int(self.socket.getsockname()[1])

    async def _route(self, scope: MutableMapping[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and not scope["path"].startswith(_API):
            await self.console(scope, receive, send)
        else:
            await self.api(scope, receive, send=_explained(send, scope["path"]))

    def _run(self) -> None:
        asyncio.run(self.server.serve(sockets=[self.socket]))

    def start(self) -> None:
        self.thread.start()
        if not self.console.built:
            log.warning("the web console is not built (make console): / says so")

    def stop(self) -> None:
        """Stop taking connections, let calls in flight end within the grace period."""
        self.server.should_exit = True
        self.thread.join(self.settings.grace_seconds + 5)
        self.socket.close()


def _why(status: int, path: str) -> str | None:
    """Words for connectrpc's bare 404 and 415, said before the protocol starts."""
    name = path.removeprefix(_API)
    method = SERVICE.methods_by_name.get(name)
    if status == 404 and method is None:
        names = ", ".join(sorted(SERVICE.methods_by_name))
        return f"{SERVICE.full_name} has no method {name!r}: its methods are {names}.\n"
    if status == 415 and method is not None and method.server_streaming:
        return (
            f"{name} streams its answers: send Content-Type application/connect+json (each "
            "message framed as the Connect protocol says) or application/grpc-web+proto; a "
            "Connect client (@connectrpc/connect-web, connectrpc) does it for you.\n"
        )
    if status == 415:
        return (
            f"{name} takes Content-Type application/json (or application/proto), e.g. curl -H "
            f"'Content-Type: application/json' -d '{{}}' URL{path}\n"
        )
    return None


def _explained(send: Any, path: str) -> Any:
    """``send``, giving connectrpc's bare 404 and 415 a body that says what to do."""
    held: dict[str, Any] = {}

    async def explaining(message: MutableMapping[str, Any]) -> None:
        if message["type"] == "http.response.start":
            why = _why(message["status"], path)
            if why is not None:
                held["start"], held["why"] = message, why.encode()
                return
        elif "start" in held and message["type"] == "http.response.body":
            start, body = held.pop("start"), held.pop("why")
            headers = [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ]
            await send({**start, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            return
        await send(message)

    return explaining


def _host(listen: str) -> str:
    return listen.rsplit(":", 1)[0]


def _bind(listen: str, *, share: bool = False) -> socket.socket:
    """A listening socket on ``HOST:PORT`` (port 0: any free one); with ``share``, other
    servers may listen on the same port (``SO_REUSEPORT``: the kernel spreads connections)."""
    host, port = _host(listen), int(listen.rsplit(":", 1)[1])
    bare = host.removeprefix("[").removesuffix("]")
    family = socket.AF_INET6 if ":" in bare else socket.AF_INET
    # Named IPPROTO_TCP (socket.create_server leaves it 0), so that asyncio sets TCP_NODELAY on
    # each connection it accepts: without it an answer's last small write waits for the
    # client's delayed acknowledgement, some 40 ms on every call of a kept-alive connection.
    listener = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if share:
            listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEPORT, 1)
        listener.bind((bare, port))
        listener.listen(128)
        return listener
    except OSError as error:
        listener.close()
        raise OSError(
            f"cannot serve the web console and HTTP API on {listen} (LEDGER_WEB_LISTEN, --web): "
            f"{error.strerror or error}"
        ) from None
