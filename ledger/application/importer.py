"""Import a command file (JSON lines, ``ledger_api.commands``), all or nothing.

Every line is read and validated first, and the file is refused naming every bad line; then
the commands are stored in one transaction, or the file is refused naming every command the
ledger refused. Request ids are derived from the lines, so importing a file twice stores
nothing new.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from ledger.application.app import BatchRefused
from ledger.application.commands import BY_VERB, Command, Receipt
from ledger.domain.errors import LedgerError, plain
from ledger_api.commands import read_lines, read_object

if TYPE_CHECKING:
    from ledger.application.app import LedgerApplication

__all__ = ["import_file", "parse_lines", "command_from", "ImportRefused"]


def import_file(app: LedgerApplication, path: Path) -> list[Receipt]:
    """Validate every line, then store them all in one transaction, or refuse the file."""
    with path.open(encoding="utf-8") as lines:
        numbered = parse_lines(lines)
    try:
        return app.execute_batch([command for _, command in numbered]).receipts
    except BatchRefused as refused:
        raise ImportRefused(
            [(numbered[index][0], str(error)) for index, error in refused.errors]
        ) from None


def parse_lines(lines: Iterable[str]) -> list[tuple[int, Command]]:
    """Commands with their line numbers; raises ``ImportRefused`` naming every bad line."""
    read, errors = read_lines(lines)
    commands: list[tuple[int, Command]] = []
    for line in read:
        try:
            commands.append((line.line, _command(line.verb, line.data)))
        except ValidationError as invalid:
            errors.extend((line.line, _describe(error)) for error in invalid.errors())
        except ValueError as error:
            errors.append((line.line, str(error)))
    if errors:
        raise ImportRefused(sorted(errors, key=lambda error: error[0]))
    return commands


def command_from(line: Mapping[str, Any]) -> Command:
    """The command of one line of a file, already parsed from JSON (``ValidationError`` or
    ``ValueError`` if it is not a valid command)."""
    read = read_object(line)
    return _command(read.verb, read.data)


def _command(verb: str, data: Mapping[str, Any]) -> Command:
    found = BY_VERB.get(verb)
    if found is None:
        raise ValueError(f"command: expected one of {', '.join(sorted(BY_VERB))}, got {verb!r}")
    return found.model.model_validate({**data, **found.fixed})


def _describe(error: Any) -> str:
    location = ".".join(str(part) for part in error["loc"]) or "line"
    return f"{location}: {plain(error)}"


class ImportRefused(LedgerError):
    """The file was refused and nothing was stored; ``errors`` holds (line, reason) pairs."""

    def __init__(self, errors: list[tuple[int, str]]) -> None:
        super().__init__("\n".join(f"line {line}: {reason}" for line, reason in errors))
        self.errors = errors
