"""Channels to a ledger server: plaintext or TLS (mutual, with a client certificate), with or
without a bearer token.

Over TLS the token rides on composite channel credentials, which gRPC sends only over a secure
channel. Over a plaintext channel (a server on loopback, or behind a TLS proxy) a client
interceptor adds it to every call's metadata.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import grpc

__all__ = ["Pem", "open_channel", "with_token"]

# PEM data: bytes are the PEM itself, a str or a path names a file holding it.
Pem = bytes | str | os.PathLike[str]


def open_channel(
    target: str,
    options: Sequence[tuple[str, Any]],
    *,
    token: str | None = None,
    tls: bool = False,
    root_certificates: Pem | None = None,
    client_cert: Pem | None = None,
    client_key: Pem | None = None,
) -> grpc.Channel:
    """A channel to ``target``; TLS when ``tls`` or any certificate is given (no
    ``root_certificates``: the system's trusted roots)."""
    if (client_cert is None) != (client_key is None):
        raise ValueError("a client certificate needs its key, and a key its certificate")
    if not (tls or root_certificates is not None or client_cert is not None):
        channel = grpc.insecure_channel(target, options=options)
        return channel if token is None else with_token(channel, token)
    credentials = grpc.ssl_channel_credentials(
        root_certificates=_pem(root_certificates),
        private_key=_pem(client_key),
        certificate_chain=_pem(client_cert),
    )
    if token is not None:
        credentials = grpc.composite_channel_credentials(
            credentials, grpc.metadata_call_credentials(_Bearer(token), name="ledger-token")
        )
    return grpc.secure_channel(target, credentials, options=options)


def with_token(channel: grpc.Channel, token: str) -> grpc.Channel:
    """``channel``, sending ``authorization: Bearer <token>`` with every call."""
    return grpc.intercept_channel(channel, _TokenInterceptor(token))


def _pem(value: Pem | None) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    with open(value, "rb") as file:
        return file.read()


def _metadata(token: str) -> tuple[tuple[str, str], ...]:
    if not token or any(character.isspace() for character in token):
        raise ValueError("a token is one word, without spaces")
    return (("authorization", f"Bearer {token}"),)


class _Bearer(grpc.AuthMetadataPlugin):  # type: ignore[misc]  # grpc is untyped
    def __init__(self, token: str) -> None:
        self.metadata = _metadata(token)

    def __call__(self, context: Any, callback: Callable[..., None]) -> None:
        callback(self.metadata, None)


class _Details(NamedTuple):
    method: str
    timeout: float | None
    metadata: Sequence[tuple[str, str | bytes]] | None
    credentials: Any
    wait_for_ready: bool | None
    compression: Any


class _TokenInterceptor(
    grpc.UnaryUnaryClientInterceptor,  # type: ignore[misc]  # grpc is untyped
    grpc.UnaryStreamClientInterceptor,  # type: ignore[misc]
    grpc.StreamUnaryClientInterceptor,  # type: ignore[misc]
    grpc.StreamStreamClientInterceptor,  # type: ignore[misc]
):
    def __init__(self, token: str) -> None:
        self.metadata = _metadata(token)

    def _add(self, details: Any) -> _Details:
        return _Details(
            details.method,
            details.timeout,
            [*(details.metadata or ()), *self.metadata],
            details.credentials,
            details.wait_for_ready,
            details.compression,
        )

    def intercept_unary_unary(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._add(details), request)

    def intercept_unary_stream(self, continuation: Any, details: Any, request: Any) -> Any:
        return continuation(self._add(details), request)

    def intercept_stream_unary(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._add(details), requests)

    def intercept_stream_stream(self, continuation: Any, details: Any, requests: Any) -> Any:
        return continuation(self._add(details), requests)
