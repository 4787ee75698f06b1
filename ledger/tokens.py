"""Bearer tokens and the roles they carry: what the server checks and the CLI makes.

A token is a random secret (``new_token``); a server knows it only by its SHA-256
(``hash_token``), configured one line a token (``token_line``: ``ROLE sha256:HEX [NAME]``).
Roles form a lattice, not a ladder: a recorder is no auditor, an auditor no recorder; both are
readers, and admin is everything. This module imports nothing of the server, so the CLI's
``ledger token new`` stays a client.
"""

from __future__ import annotations

import hashlib
import secrets
from enum import StrEnum

__all__ = ["Role", "new_token", "hash_token", "token_line"]

_TOKEN_BYTES = 32


class Role(StrEnum):
    """What a token may do."""

    READER = "reader"
    RECORDER = "recorder"
    AUDITOR = "auditor"
    ADMIN = "admin"

    def includes(self, needed: Role) -> bool:
        return needed in _INCLUDES[self]


_INCLUDES: dict[Role, frozenset[Role]] = {
    Role.READER: frozenset({Role.READER}),
    Role.RECORDER: frozenset({Role.READER, Role.RECORDER}),
    Role.AUDITOR: frozenset({Role.READER, Role.AUDITOR}),
    Role.ADMIN: frozenset(Role),
}


def new_token() -> str:
    """A fresh random token (256 bits, URL-safe)."""
    return secrets.token_urlsafe(_TOKEN_BYTES)


def hash_token(token: str) -> str:
    """How a token is stored: ``sha256:`` and the hex SHA-256 of its UTF-8 bytes."""
    return "sha256:" + hashlib.sha256(token.encode()).hexdigest()


def token_line(role: Role, token: str, name: str = "") -> str:
    """The tokens-file line for ``token``: it holds the hash, never the token."""
    return f"{role} {hash_token(token)} {name}".rstrip()
