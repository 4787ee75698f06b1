"""The server's TLS credentials: a certificate and its key, and for mutual TLS the CAs whose
client certificates it accepts (``LEDGER_TLS_CERT``, ``LEDGER_TLS_KEY``, ``LEDGER_TLS_CLIENT_CA``).

Everything is checked before the server starts, so a bad file stops it with a message naming
the setting, rather than failing every handshake later.
"""

from __future__ import annotations

import ssl
from pathlib import Path

import grpc

from ledger.settings import ConfigError, Settings

__all__ = ["server_credentials", "describe"]


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """TLS credentials from the settings, or None for a plaintext server."""
    cert, key, client_ca = settings.tls_cert, settings.tls_key, settings.tls_client_ca
    if cert is None and key is None:
        if client_ca is not None:
            raise ConfigError(
                "LEDGER_TLS_CLIENT_CA is set but LEDGER_TLS_CERT and LEDGER_TLS_KEY are not: "
                "mutual TLS needs the server's own certificate and key too"
            )
        return None
    if cert is None or key is None:
        have, lack = ("KEY", "CERT") if cert is None else ("CERT", "KEY")
        raise ConfigError(
            f"LEDGER_TLS_{have} is set but LEDGER_TLS_{lack} is not: TLS needs the certificate "
            "and its key"
        )
    chain, private_key = _read(cert, "LEDGER_TLS_CERT"), _read(key, "LEDGER_TLS_KEY")
    # The standard library's TLS checks the pair as grpc would, and says what is wrong.
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    try:
        context.load_cert_chain(cert, key, password=_no_password)
    except ssl.SSLError as error:
        raise ConfigError(
            f"LEDGER_TLS_CERT {cert} and LEDGER_TLS_KEY {key} are not a PEM certificate and its "
            f"unencrypted private key ({error.reason or error})"
        ) from None
    roots = None
    if client_ca is not None:
        roots = _read(client_ca, "LEDGER_TLS_CLIENT_CA")
        try:
            context.load_verify_locations(cafile=client_ca)
        except ssl.SSLError as error:
            raise ConfigError(
                f"LEDGER_TLS_CLIENT_CA {client_ca} holds no PEM CA certificate "
                f"({error.reason or error})"
            ) from None
    return grpc.ssl_server_credentials(
        [(private_key, chain)], root_certificates=roots, require_client_auth=roots is not None
    )


def describe(settings: Settings) -> str:
    """How the server's connections are secured, for its log."""
    if settings.tls_client_ca is not None:
        return "mutual TLS"
    return "TLS" if settings.tls_cert is not None else "plaintext"


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise ConfigError(f"{setting} {path}: cannot read it ({error.strerror})") from None


def _no_password() -> bytes:
    """An encrypted key is refused, rather than prompting on the terminal for its password."""
    return b""
