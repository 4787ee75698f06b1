"""Backup and restore: ``backup`` copies the ledger's database into a SQLite ledger file (one
snapshot, while servers go on writing), ``restore`` copies such a file into an empty database
of either kind; both print the digest they saw, and ``restore`` fails unless the restored
ledger, opened as a server opens it, has the backup's.

They work on the database itself, so they load the storage code when run (never when another
command is); the copying is ``ledger.storage.backup``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli import render
from ledger.cli.failures import AuditFailed, Refused, Usage, errors_as_json, reset_errors
from ledger.cli.options import DatabaseOption, JsonOption

if TYPE_CHECKING:
    from ledger.settings import Settings
    from ledger.storage.backup import Head

__all__ = ["COMMANDS", "database_settings"]


def _json_errors(command: Callable[..., None]) -> Callable[..., None]:
    """Errors as one JSON object on standard error when the command is given --json."""

    @functools.wraps(command)
    def run(**options: Any) -> None:
        token = errors_as_json(bool(options.get("as_json", False)))
        try:
            command(**options)
        finally:
            reset_errors(token)

    return run


@_json_errors
def backup(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            help="The backup file to write (a SQLite ledger file), e.g. "
            "backups/ledger-2026-11-20.sqlite.",
            show_default=False,
        ),
    ],
    force: Annotated[bool, typer.Option("--force", help="Replace the file if it exists.")] = False,
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Copy the ledger (--database or LEDGER_DATABASE_URL) into a new SQLite ledger file: one
    consistent snapshot, even while servers write to it; prints the digest it holds."""
    from ledger.domain.errors import LedgerError
    from ledger.storage.backup import back_up

    settings = database_settings(database)
    try:
        head = back_up(settings, out, _opened_head, force=force)
    except LedgerError as error:
        raise _refused(error) from None
    if as_json:
        render.print_json(
            {"database": settings.safe_database_url, "file": str(out), "digest": head._asdict()}
        )
        return
    render.console.print(
        f"backed up {render.shown(settings.safe_database_url)} to {render.shown(str(out))}",
        highlight=False,
    )
    render.console.print(f"digest {head}", highlight=False)


@_json_errors
def restore(
    file: Annotated[
        Path,
        typer.Argument(
            metavar="FILE", help="A backup file `ledger backup` wrote.", show_default=False
        ),
    ],
    database: DatabaseOption = None,
    as_json: JsonOption = False,
) -> None:
    """Copy a backup into an empty database (--database or LEDGER_DATABASE_URL): a missing or
    empty SQLite file, or a PostgreSQL schema with no tables; all or nothing. Exit status 5 if
    the restored ledger's digest is not the backup's."""
    import tempfile

    from ledger.bootstrap import Ledger
    from ledger.domain.errors import LedgerError
    from ledger.settings import Settings
    from ledger.storage import backup as backups

    settings = database_settings(database)
    where = settings.safe_database_url
    migrated = False
    try:
        with ExitStack() as stack:
            source = file
            examined = backups.examine(file)
            if not examined.current:
                # An older backup (or one whose read model lags its log) is brought up to date
                # in a copy, as a server opens it: the file itself is left as it is.
                folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="ledger-"))
                source = Path(folder) / "backup.sqlite"
                backups.copy_file(file, source)
                Ledger(Settings(database_url=f"sqlite:///{source}", signing_key_file=None)).close()
                migrated = True
            expected = backups.head_of(source)
            backups.restore(source, settings)
        restored = _opened_head(settings)
    except LedgerError as error:
        raise _refused(error) from None
    if as_json:
        render.print_json(
            {
                "file": str(file),
                "database": where,
                "migrated": migrated,
                "backup": expected._asdict(),
                "restored": restored._asdict(),
            }
        )
    else:
        render.console.print(
            f"restored {render.shown(str(file))} into {render.shown(where)}"
            + (f" (schema version {examined.version} brought to this one)" if migrated else ""),
            highlight=False,
        )
        render.console.print(f"backup   {expected}", highlight=False)
        render.console.print(f"restored {restored}", highlight=False)
    if restored != expected:
        raise AuditFailed(
            f"the restored ledger's digest {restored} is not the backup's {expected}: the "
            f"copy is not faithful; do not use {where} (empty it before trying again)"
        )


def _opened_head(database: Settings | Path) -> Head:
    """The digest and Merkle root of a ledger opened as a server opens it (an older one
    migrated, the read model brought up to the log's end)."""
    from ledger.bootstrap import Ledger
    from ledger.readmodel.proofs import Proofs
    from ledger.settings import Settings
    from ledger.storage.backup import Head

    if isinstance(database, Path):
        database = Settings(database_url=f"sqlite:///{database}")
    # Read, not signed: a key in the environment would adopt the copy's log as its own.
    with Ledger(database.model_copy(update={"signing_key_file": None})) as ledger:
        head = Proofs(ledger.reader).head()
    return Head(head["position"], head["root"], head["merkle_root"])


def database_settings(database: str | None) -> Settings:
    """The settings (the database from --database, else LEDGER_DATABASE_URL), or a usage
    error naming each setting refused by its flag or variable."""
    from pydantic import ValidationError

    from ledger.domain.errors import plain
    from ledger.settings import Settings

    try:
        return Settings() if database is None else Settings(database_url=database)
    except ValidationError as error:
        lines = []
        for detail in error.errors():
            name = str(detail["loc"][0]) if detail["loc"] else ""
            variable = f"LEDGER_{name.upper()}"
            where = f"--database ({variable})" if name == "database_url" else variable
            lines.append(f"{where}: {plain(detail)}")
        raise Usage("\n".join(lines)) from None


def _refused(error: Exception) -> Refused:
    """Out of reach now (exit status 4), or not what was asked for (2, as a bad option is)."""
    from ledger.domain.errors import Unavailable

    return Refused(str(error), "UNAVAILABLE" if isinstance(error, Unavailable) else "USAGE")


COMMANDS = {"backup": backup, "restore": restore}
