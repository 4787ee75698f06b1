"""Import a JSONL file of commands, all or nothing.

Each line is one JSON object with a ``command`` (``register``, ``observe``, ``tighten``,
``loosen``, ``amend``, ``retract``) and the fields of that command. A line may carry a ``ref``:
its request id is then ``import:REF``, and a later ``amend`` or ``retract`` line may name it as
its ``change``. Lines without a ``ref`` get a request id derived from their content, so
importing the same file twice stores nothing new.
"""

from __future__ import annotations

import hashlib
import json
from typing import TYPE_CHECKING, Any
from uuid import UUID

from pydantic import ValidationError

from ledger.application import BatchRefused, change_id_for
from ledger.commands import (
    AmendChange,
    Command,
    Receipt,
    RecordChange,
    RegisterOffice,
    RetractChange,
)
from ledger.domain.errors import LedgerError
from ledger.domain.values import ChangeKind

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

    from ledger.application import LedgerApplication

__all__ = ["import_file", "parse_lines", "command_from", "ImportRefused"]

_KINDS = {
    "observe": ChangeKind.OBSERVED,
    "tighten": ChangeKind.TIGHTENED,
    "loosen": ChangeKind.LOOSENED,
}
_COMMANDS = {"register", "amend", "retract", *_KINDS}


def import_file(app: LedgerApplication, path: Path) -> list[Receipt]:
    """Validate every line, then store them all in one transaction, or refuse the file."""
    with path.open(encoding="utf-8") as lines:
        numbered = parse_lines(lines)
    try:
        return app.execute_batch([command for _, command in numbered])
    except BatchRefused as refused:
        raise ImportRefused(
            [(numbered[index][0], str(error)) for index, error in refused.errors]
        ) from None


def parse_lines(lines: Iterable[str]) -> list[tuple[int, Command]]:
    """Commands with their line numbers; raises ``ImportRefused`` naming every bad line."""
    commands: list[tuple[int, Command]] = []
    errors: list[tuple[int, str]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        try:
            commands.append((number, _command(line)))
        except ValidationError as invalid:
            errors.extend((number, _describe(error)) for error in invalid.errors())
        except (ValueError, LedgerError) as error:
            errors.append((number, str(error)))
    if errors:
        raise ImportRefused(errors)
    if not commands:
        raise ImportRefused([(0, "the file holds no commands")])
    return commands


def _command(line: str) -> Command:
    data = json.loads(line)
    if not isinstance(data, dict):
        raise ValueError("a line must be a JSON object")
    return command_from(data)


def command_from(line: dict[str, Any]) -> Command:
    """The command of one parsed line (``ValidationError`` or ``ValueError`` if invalid)."""
    data = dict(line)
    name = data.pop("command", None)
    if name not in _COMMANDS:
        raise ValueError(f"command: expected one of {', '.join(sorted(_COMMANDS))}, got {name!r}")
    ref = data.pop("ref", None)
    if ref is not None and (not isinstance(ref, str) or not ref):
        raise ValueError("ref: expected a non-empty string")
    data["request_id"] = f"import:{ref}" if ref else "import:" + _digest(name, data)
    if name == "register":
        return RegisterOffice.model_validate(data)
    if name in _KINDS:
        return RecordChange.model_validate({**data, "kind": _KINDS[name]})
    data["change_id"] = _change_reference(data.pop("change", None))
    if name == "amend":
        return AmendChange.model_validate(data)
    return RetractChange.model_validate(data)


def _change_reference(change: Any) -> UUID:
    if not isinstance(change, str) or not change:
        raise ValueError("change: expected the ref of an earlier line, or a change id")
    try:
        return UUID(change)
    except ValueError:
        return change_id_for(f"import:{change}")


def _digest(name: str, data: dict[str, Any]) -> str:
    canonical = json.dumps({"command": name, **data}, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def _describe(error: Any) -> str:
    location = ".".join(str(part) for part in error["loc"]) or "line"
    return f"{location}: {error['msg']}"


class ImportRefused(LedgerError):
    """The file was refused and nothing was stored; ``errors`` holds (line, reason) pairs."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("\n".join(f"line {line}: {reason}" for line, reason in errors))
        self.errors = errors
