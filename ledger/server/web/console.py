"""The web console's files, served at ``/`` beside the API on the HTTP port.

``make console`` builds them (``console/build.sh``: TypeScript types generated from ``protos/``
and the page bundled by esbuild) into ``ledger/server/web/console/``; they are read once, when
the server starts. The page talks to the API on the same origin, so the policy below allows
nothing but this server: no script or style from anywhere else, and none written inline.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

__all__ = ["ConsoleFiles", "BUILT"]

Scope = MutableMapping[str, Any]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

BUILT = Path(__file__).with_name("console")

_TYPES = {
    ".html": "text/html; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".svg": "image/svg+xml",
    ".png": "image/png",
    ".ico": "image/x-icon",
}
_HEADERS = [
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; "
        b"frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"cache-control", b"no-cache"),
]
_NOT_BUILT = """<!doctype html>
<html lang="en"><meta charset="utf-8"><title>Customs policy ledger</title>
<h1>The web console is not built in this installation</h1>
<p>Build it from the project's folder with <code>make console</code> (it needs Node.js and npm),
then start the server again.</p>
<p>The API answers here all the same: POST JSON to <code>/ledger.v1.PolicyLedger/METHOD</code>,
e.g. <code>curl -H 'Content-Type: application/json' -d '{}'
http://HOST:PORT/ledger.v1.PolicyLedger/ListOffices</code>.</p>
</html>
"""


class ConsoleFiles:
    """An ASGI application answering GET and HEAD for the console's files."""

    def __init__(self, folder: Path = BUILT) -> None:
        self.files: dict[str, tuple[bytes, str]] = {}
        if folder.is_dir():
            for path in folder.iterdir():
                kind = _TYPES.get(path.suffix)
                if path.is_file() and kind is not None:
                    self.files[f"/{path.name}"] = (path.read_bytes(), kind)
        self.built = "/index.html" in self.files
        index = self.files.get("/index.html", (_NOT_BUILT.encode(), _TYPES[".html"]))
        self.files["/"] = index

    async def __call__(self, scope: Scope, _receive: Any, send: Send) -> None:
        method, path = scope["method"], scope["path"]
        if method not in ("GET", "HEAD"):
            await _answer(
                send,
                405,
                b"Only GET and HEAD are served here; the API takes POST "
                b"at /ledger.v1.PolicyLedger/METHOD.\n",
                "text/plain; charset=utf-8",
                head=False,
                extra=[(b"allow", b"GET, HEAD")],
            )
            return
        found = self.files.get(path)
        if found is None:
            await _answer(
                send,
                404,
                f"There is no page {path} here: the console is at /, the "
                "API at /ledger.v1.PolicyLedger/METHOD.\n".encode(),
                "text/plain; charset=utf-8",
                head=method == "HEAD",
            )
            return
        body, kind = found
        await _answer(send, 200, body, kind, head=method == "HEAD")


async def _answer(
    send: Send,
    status: int,
    body: bytes,
    kind: str,
    *,
    head: bool,
    extra: list[tuple[bytes, bytes]] | None = None,
) -> None:
    headers = [
        (b"content-type", kind.encode()),
        (b"content-length", str(len(body)).encode()),
        *_HEADERS,
        *(extra or []),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": b"" if head else body})
