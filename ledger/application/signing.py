"""Signing keys and signed checkpoints, in the formats of C2SP (c2sp.org): the server's side.

- A **checkpoint** (C2SP ``tlog-checkpoint``) is a note of three lines — the log's origin (the
  key's name), the tree size (a log position) and the Merkle root there in standard base64 —
  and two extension lines of this ledger's: ``chain HEX``, the linear digest at that size, and
  ``from N``, the first position of the write the checkpoint closes (its signer wrote the
  events ``N`` to the size; 1 when a server adopted the log it found).
- A **signed note** (C2SP ``signed-note``) is the text, a blank line, and a line per
  signature: ``— NAME BASE64(KEY_HASH || SIGNATURE)``, with an Ed25519 signature over the text.
- **Keys**: the signer key ``PRIVATE+KEY+NAME+HASH+BASE64(0x01 || SEED)`` and the verifier key
  ``NAME+HASH+BASE64(0x01 || PUBLIC_KEY)``, where HASH is the hex of the first four bytes of
  ``SHA-256(NAME || "\\n" || 0x01 || PUBLIC_KEY)``: the keys of Go's ``sumdb/note``, so its
  tools read them too.

The client checks notes with its own code (``ledger_api.note``).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from ledger.settings import ConfigError

__all__ = ["SigningKey", "checkpoint_text", "DEFAULT_NAME"]

_ED25519 = b"\x01"  # the algorithm byte of an Ed25519 key
DEFAULT_NAME = "customs-policy-ledger"
# A key's name: printable, no spaces and no "+", as the note format requires.
_NAME = re.compile(r"[!-*,-~]+", re.ASCII)
_EXAMPLE = "PRIVATE+KEY+customs-policy-ledger+1a2b3c4d+AY..., as `ledger key new` writes"


@dataclass(frozen=True)
class SigningKey:
    """An Ed25519 key with its name: it signs checkpoints."""

    name: str
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls, name: str = DEFAULT_NAME) -> SigningKey:
        if not _NAME.fullmatch(name):
            raise ConfigError(
                f"key name {name!r}: use printable characters without spaces or '+', e.g. "
                "customs-ledger.example.org"
            )
        return cls(name, Ed25519PrivateKey.generate())

    @classmethod
    def parse(cls, text: str, where: str = "the signing key") -> SigningKey:
        """A signer key as written by ``encoded``; ``ConfigError`` naming ``where`` if not."""
        parts = text.strip().split("+", 4)
        if len(parts) != 5 or parts[:2] != ["PRIVATE", "KEY"] or not _NAME.fullmatch(parts[2]):
            raise ConfigError(f"{where} is not a signer key: expected {_EXAMPLE}")
        try:
            raw = base64.b64decode(parts[4], validate=True)
        except ValueError:
            raw = b""
        if len(raw) != 33 or raw[:1] != _ED25519:
            raise ConfigError(f"{where}: its key is not an Ed25519 key in base64: {_EXAMPLE}")
        key = cls(parts[2], Ed25519PrivateKey.from_private_bytes(raw[1:]))
        if parts[3] != key.key_hash.hex():
            raise ConfigError(
                f"{where}: its hash {parts[3]} does not match its name and key (expected "
                f"{key.key_hash.hex()}): the file was changed, make a new key"
            )
        return key

    @classmethod
    def read(cls, path: Path, setting: str | None = "LEDGER_SIGNING_KEY_FILE") -> SigningKey:
        """The signer key in the file ``path``; ``ConfigError`` naming ``setting`` (where the
        path came from) and the file if it is none."""
        where = f"{setting} ({path})" if setting else str(path)
        try:
            text = path.read_text()
        except (OSError, UnicodeDecodeError) as error:
            why = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
            raise ConfigError(f"{where} cannot be read ({why}): expected {_EXAMPLE}") from None
        return cls.parse(text, where)

    @property
    def public(self) -> bytes:
        return self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def key_hash(self) -> bytes:
        return hashlib.sha256(self.name.encode() + b"\n" + _ED25519 + self.public).digest()[:4]

    @property
    def encoded(self) -> str:
        """The signer key, for its file."""
        seed = self.private.private_bytes_raw()
        b64 = base64.b64encode(_ED25519 + seed).decode()
        return f"PRIVATE+KEY+{self.name}+{self.key_hash.hex()}+{b64}"

    @property
    def verifier(self) -> str:
        """The verifier key, for whoever audits (``ledger audit --remote --trust``)."""
        return (
            f"{self.name}+{self.key_hash.hex()}+{base64.b64encode(_ED25519 + self.public).decode()}"
        )

    def sign(self, text: str) -> str:
        """``text`` (which ends in a newline) as a note signed by this key."""
        if not text.endswith("\n"):
            raise ValueError("a note's text ends with a newline")
        signature = self.private.sign(text.encode())
        return f"{text}\n— {self.name} {base64.b64encode(self.key_hash + signature).decode()}\n"


def checkpoint_text(origin: str, size: int, merkle_root: bytes, chain_root: str, first: int) -> str:
    """The checkpoint of the tree of ``size``, closing the write of ``first``..``size``."""
    root = base64.b64encode(merkle_root).decode()
    return f"{origin}\n{size}\n{root}\nchain {chain_root}\nfrom {first}\n"
