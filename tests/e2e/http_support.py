"""Calls to the HTTP port as any HTTP client makes them: the standard library's ``http.client``
and the Connect protocol's and gRPC-Web's documented framing, nothing of the server's.

Connect unary: a POST of one message (``application/json`` or ``application/proto``), the answer
or a JSON error ``{"code": ..., "message": ..., "details": [...]}`` with an HTTP status.
Connect streams and gRPC-Web: envelopes of one flag byte and a 4-byte big-endian length; the
last Connect envelope (flag 0x02) is the end of the stream, JSON, with the error if any; the
last gRPC-Web one (flag 0x80) holds the trailers (``grpc-status``).
"""

from __future__ import annotations

import http.client
import json
import ssl
import struct
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "Reply",
    "SERVICE",
    "call",
    "envelope",
    "envelopes",
    "json_call",
    "open_stream",
    "read_envelope",
]

SERVICE = "/ledger.v1.PolicyLedger/"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


def _connection(
    url: str, timeout: float, context: ssl.SSLContext | None
) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    assert parts.hostname is not None
    if parts.scheme == "https":
        return http.client.HTTPSConnection(
            parts.hostname, parts.port, timeout=timeout, context=context
        )
    return http.client.HTTPConnection(parts.hostname, parts.port, timeout=timeout)


def call(
    url: str,
    path: str,
    body: bytes = b"",
    *,
    content_type: str = "application/json",
    headers: dict[str, str] | None = None,
    http_method: str = "POST",
    timeout: float = 30.0,
    context: ssl.SSLContext | None = None,
) -> Reply:
    """One request to ``url`` (the server's web URL) at ``path``; the whole answer."""
    connection = _connection(url, timeout, context)
    try:
        sent = (
            {"Content-Type": content_type, **(headers or {})}
            if body or http_method == "POST"
            else dict(headers or {})
        )
        connection.request(http_method, path, body=body or None, headers=sent)
        answer = connection.getresponse()
        return Reply(answer.status, {k.lower(): v for k, v in answer.getheaders()}, answer.read())
    finally:
        connection.close()


def json_call(
    url: str, method: str, message: dict[str, Any], token: str | None = None, **options: Any
) -> Reply:
    """A Connect unary call with a JSON body, as ``curl -d`` makes it."""
    headers = {
        **options.pop("headers", {}),
        **({"Authorization": f"Bearer {token}"} if token else {}),
    }
    return call(url, SERVICE + method, json.dumps(message).encode(), headers=headers, **options)


def envelope(payload: bytes, flags: int = 0) -> bytes:
    return struct.pack(">BI", flags, len(payload)) + payload


def envelopes(body: bytes) -> list[tuple[int, bytes]]:
    """The (flags, payload) envelopes of a streamed body; refuses a body cut short."""
    found, at = [], 0
    while at < len(body):
        flags, size = struct.unpack_from(">BI", body, at)
        payload = body[at + 5 : at + 5 + size]
        assert len(payload) == size, f"an envelope cut short at byte {at}"
        found.append((flags, payload))
        at += 5 + size
    return found


def open_stream(
    url: str, method: str, message: dict[str, Any], token: str | None = None, timeout: float = 30
) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    """A Connect server stream (JSON) left open: the caller reads from the answer, and closing
    the connection is the caller going away."""
    connection = _connection(url, timeout, None)
    headers = {"Content-Type": "application/connect+json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    connection.request(
        "POST", SERVICE + method, body=envelope(json.dumps(message).encode()), headers=headers
    )
    return connection, connection.getresponse()


def read_envelope(answer: http.client.HTTPResponse) -> tuple[int, Any]:
    """The next envelope of an open JSON stream: (flags, its JSON)."""
    head = answer.read(5)
    assert len(head) == 5, "the stream ended"
    flags, size = struct.unpack(">BI", head)
    return flags, json.loads(answer.read(size))
