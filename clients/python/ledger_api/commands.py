"""The command file: JSON lines, one command each, and the ids derived from them.

Each line is a JSON object naming its ``command`` (``register``, ``observe``, ``tighten``,
``loosen``, ``amend``, ``retract``: the ``Command`` message's fields in the proto) with the
fields of that command, as in its request message but flat: an observation's, tightening's or
loosening's ``scope``, ``measure``, ``effective``, ``sources`` and ``note`` sit beside
``office``. Blank lines and lines starting with ``#`` are skipped.

- A line may carry a ``ref``: its request id is then ``import:REF``, and a later ``amend`` or
  ``retract`` line may name it as its ``change``, instead of a change id.
- A line without a ``ref`` gets a request id derived from its content, so that importing the
  same file twice stores nothing new.
- The id of the change (the event) a request records is derived from its request id
  (``change_id_for``), so a caller can name it before it is recorded.

This module reads the format; what each command means, and whether its fields are valid, is
the server's to say.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from ledger_api.ledger.v1 import ledger_pb2 as pb

__all__ = [
    "FileCommand",
    "read_lines",
    "read_object",
    "change_id_for",
    "REQUEST_NAMESPACE",
    "CHANGE_REFERENCES",
]

REQUEST_NAMESPACE = uuid5(NAMESPACE_URL, "https://customs-policy-ledger/requests")
# The commands that name an earlier change: ``change_id`` in their request (``change``, a ref
# or an id, in a file), read from the proto.
CHANGE_REFERENCES = frozenset(
    field.name
    for field in pb.Command.DESCRIPTOR.oneofs_by_name["command"].fields
    if field.message_type is not None and "change_id" in field.message_type.fields_by_name
)


def change_id_for(request_id: str) -> UUID:
    """The id of the change a request records: derived, so a caller can name it in advance."""
    return uuid5(REQUEST_NAMESPACE, request_id)


@dataclass(frozen=True)
class FileCommand:
    """One command of a file: its line number, its name, and its fields with ``request_id``
    set and a ``change`` reference resolved to ``change_id``."""

    line: int
    verb: str
    data: dict[str, Any]


def read_lines(lines: Iterable[str]) -> tuple[list[FileCommand], list[tuple[int, str]]]:
    """Every command of the file, and every line that is not one, with its reason."""
    commands: list[FileCommand] = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            commands.append(_command(number, line))
        except ValueError as error:
            errors.append((number, str(error)))
    if not commands and not errors:
        errors.append((0, "the file holds no commands"))
    return commands, errors


def _command(number: int, line: str) -> FileCommand:
    try:
        data = json.loads(line)
    except ValueError as error:
        raise ValueError(f"not JSON: {error}") from None
    return read_object(data, number)


def read_object(line: Any, number: int = 0) -> FileCommand:
    """One command from a line already parsed from JSON (``ValueError`` if it is none)."""
    if not isinstance(line, dict):
        raise ValueError("a line must be a JSON object")
    data = dict(line)
    verb = data.pop("command", None)
    if not isinstance(verb, str) or not verb:
        raise ValueError('command: expected the name of a command, e.g. "tighten"')
    ref = data.pop("ref", None)
    if ref is not None and (not isinstance(ref, str) or not ref):
        raise ValueError("ref: expected a non-empty string")
    data["request_id"] = f"import:{ref}" if ref else "import:" + _digest(verb, data)
    if verb in CHANGE_REFERENCES:
        data["change_id"] = str(_change_reference(data.pop("change", None)))
    return FileCommand(number, verb, data)


def _change_reference(change: Any) -> UUID:
    if not isinstance(change, str) or not change:
        raise ValueError("change: expected the ref of an earlier line, or a change id")
    try:
        return UUID(change)
    except ValueError:
        return change_id_for(f"import:{change}")


def _digest(verb: str, data: dict[str, Any]) -> str:
    canonical = json.dumps({"command": verb, **data}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]
