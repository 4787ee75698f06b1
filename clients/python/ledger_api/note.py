"""Signed checkpoints, verified: C2SP's ``signed-note`` and ``tlog-checkpoint`` formats, read
with code of the client's own (the server signs with ``ledger.application.signing``).

A **verifier key** is ``NAME+HASH+BASE64(0x01 || ED25519_PUBLIC_KEY)``, HASH the hex of the
first four bytes of ``SHA-256(NAME || "\\n" || 0x01 || PUBLIC_KEY)`` (Go's ``sumdb/note``).
A **signed note** is its text (ending in a newline), a blank line, and signature lines
``— NAME BASE64(HASH || SIGNATURE)``. A **checkpoint** note's text is the origin, the tree
size and the Merkle root (base64) on three lines, then the ledger's extension lines:
``chain HEX`` (the linear digest at that size) and ``from N`` (the first position of the
write it closes).

``open_checkpoint`` accepts a note only when a trusted key signed it, and says which keys did
when none is trusted.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

__all__ = [
    "Checkpoint",
    "NoteError",
    "Untrusted",
    "VerifierKey",
    "open_checkpoint",
    "open_note",
    "trusted_keys",
]

_ED25519 = b"\x01"
_SIGNATURE = "— "  # an em dash and a space begin each signature line
_EXAMPLE = "e.g. customs-policy-ledger+1a2b3c4d+AfJ...= (the .pub file `ledger key new` writes)"


class NoteError(ValueError):
    """A note, a key or a checkpoint that is not what it claims to be."""


class Untrusted(NoteError):
    """A well-formed note that no trusted key signed."""


@dataclass(frozen=True)
class VerifierKey:
    """A public key that checkpoints may be signed with, and its name."""

    name: str
    key_hash: bytes
    public: bytes

    @classmethod
    def parse(cls, text: str) -> VerifierKey:
        parts = text.strip().split("+", 2)
        if len(parts) != 3 or not parts[0] or any(c.isspace() for c in parts[0]):
            raise NoteError(f"{text.strip()[:40]!r} is not a verifier key: {_EXAMPLE}")
        try:
            raw = base64.b64decode(parts[2], validate=True)
            key_hash = bytes.fromhex(parts[1])
        except (binascii.Error, ValueError):
            raise NoteError(
                f"verifier key {parts[0]}: its hash or key is not hex and base64: {_EXAMPLE}"
            ) from None
        if len(raw) != 33 or raw[:1] != _ED25519 or len(key_hash) != 4:
            raise NoteError(f"verifier key {parts[0]} is not an Ed25519 key: {_EXAMPLE}")
        key = cls(parts[0], key_hash, raw[1:])
        if key.key_hash != _hash(key.name, key.public):
            raise NoteError(
                f"verifier key {parts[0]}: its hash {parts[1]} does not match its name and key; "
                "copy the key again from its .pub file"
            )
        return key

    @property
    def id(self) -> str:
        """``NAME+HASH``: how a message names the key."""
        return f"{self.name}+{self.key_hash.hex()}"

    def __str__(self) -> str:
        return f"{self.id}+{base64.b64encode(_ED25519 + self.public).decode()}"

    def verifies(self, text: bytes, signature: bytes) -> bool:
        try:
            Ed25519PublicKey.from_public_bytes(self.public).verify(signature, text)
        except InvalidSignature:
            return False
        return True


def trusted_keys(values: Iterable[str]) -> list[VerifierKey]:
    """Verifier keys from values that are each a key or the path of a file holding one."""
    keys = []
    for value in values:
        path = Path(value)
        if "+" not in value or path.is_file():
            try:
                value = path.read_text()
            except (OSError, UnicodeDecodeError) as error:
                why = error.strerror if isinstance(error, OSError) else "it is not UTF-8 text"
                raise NoteError(
                    f"{value}: not a verifier key, nor a file holding one ({why}): {_EXAMPLE}"
                ) from None
        keys.append(VerifierKey.parse(value))
    return keys


@dataclass(frozen=True)
class Checkpoint:
    """A checkpoint a trusted key signed: the tree of ``size`` leaves and its roots."""

    origin: str
    size: int
    merkle_root: bytes
    chain_root: str
    first: int  # the first position of the write the checkpoint closes
    signed_by: VerifierKey
    note: str


def open_checkpoint(note: str, trusted: Iterable[VerifierKey]) -> Checkpoint:
    """The checkpoint in ``note``, if a key of ``trusted`` signed it; else ``NoteError``
    (``Untrusted`` when it is well formed but no trusted key's signature is on it)."""
    text, key = open_note(note, trusted)
    return _checkpoint(text, key, note)


def open_note(note: str, trusted: Iterable[VerifierKey]) -> tuple[str, VerifierKey]:
    """The text of a signed note and the trusted key whose signature on it verifies; else
    ``NoteError`` (``Untrusted`` when no trusted key signed it)."""
    text, signatures = _split(note)
    keys = {(key.name, key.key_hash): key for key in trusted}
    signers = []
    for name, key_hash, signature in signatures:
        key = keys.get((name, key_hash))
        signers.append(f"{name}+{key_hash.hex()}")
        if key is None:
            continue
        if not key.verifies(text.encode(), signature):
            raise NoteError(
                f"the checkpoint's signature by {key.id} does not verify: the checkpoint was "
                "changed after it was signed"
            )
        return text, key
    raise Untrusted(
        f"the checkpoint is signed by {', '.join(signers)}, not by a key you trust "
        f"({', '.join(key.id for key in keys.values()) or 'none given'})"
    )


def _split(note: str) -> tuple[str, list[tuple[str, bytes, bytes]]]:
    cut = note.rfind("\n\n")
    if cut < 0 or not note.endswith("\n"):
        raise NoteError("not a signed note: its text, a blank line, and a line per signature")
    text, lines = note[: cut + 1], note[cut + 2 :].splitlines()
    signatures = []
    for line in lines:
        name, _, blob = line.removeprefix(_SIGNATURE).partition(" ")
        try:
            raw = base64.b64decode(blob, validate=True)
        except ValueError:  # not base64, or not ASCII
            raw = b""
        # Canonical base64 only: the spare bits of the last character are not ignored.
        canonical = base64.b64encode(raw).decode() == blob
        if not line.startswith(_SIGNATURE) or not name or len(raw) != 68 or not canonical:
            raise NoteError(f"not a signature line: {line[:60]!r} (— NAME BASE64)")
        signatures.append((name, raw[:4], raw[4:]))
    if not signatures:
        raise NoteError("the note has no signature")
    return text, signatures


def _checkpoint(text: str, key: VerifierKey, note: str) -> Checkpoint:
    lines = text.splitlines()
    extensions = dict(line.partition(" ")[::2] for line in lines[3:])
    try:
        origin, size, root = lines[0], int(lines[1]), base64.b64decode(lines[2], validate=True)
        chain, first = extensions["chain"], int(extensions["from"])
    except (IndexError, KeyError, ValueError, binascii.Error):
        raise NoteError(
            "the signed note is not a ledger checkpoint: origin, size, base64 root, "
            "'chain HEX' and 'from N' lines"
        ) from None
    if origin != key.name:
        raise NoteError(f"the checkpoint's origin {origin!r} is not its key's name {key.name!r}")
    if len(root) != 32 or not 1 <= first <= size:
        raise NoteError(
            f"the checkpoint of size {size} has a root or a first position out of shape"
        )
    return Checkpoint(origin, size, root, chain, first, key, note)


def _hash(name: str, public: bytes) -> bytes:
    return hashlib.sha256(name.encode() + b"\n" + _ED25519 + public).digest()[:4]
