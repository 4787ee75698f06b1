"""Backups: a whole ledger copied into a SQLite ledger file, and such a file copied into an
empty database of either kind.

A backup is a SQLite ledger file of this schema version: ``ledger audit --store`` reads it, a
server serves it, and a restore reads one format whatever kept the ledger.

- From SQLite: SQLite's online backup API, every page in one step, so that the copy is one
  read transaction's snapshot while servers go on writing (in WAL mode a reader blocks no
  writer).
- From PostgreSQL: in one REPEATABLE READ READ ONLY transaction (one snapshot), every table of
  this schema version (``identity.LAYOUTS``) copied, ``BATCH`` rows at a time, into a new
  SQLite ledger made by the SQLite backend (its tables and marker). Positions no event took
  stay untaken, and the file's marker says its positions may skip (``identity.SKIPPING``).

A restore copies a backup into a missing or empty SQLite file (its pages, as a backup is
taken), or into an empty PostgreSQL schema: the tables made and every row copied in one
transaction, the positions as they are, and the events' sequence set past the last.

A file is written beside its name and renamed onto it at the end (``backup_file.written``):
a copy that fails leaves nothing under the name. Tables are paired by their place in
``identity.LAYOUTS`` (both backends list them in the same order), their columns by name; a log
position is the row id on SQLite and ``notification_id`` on PostgreSQL, an office's id a UUID
there and its bare hex here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar, cast
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment
from psycopg.sql import SQL, Composed, Identifier

from ledger.application.app import LedgerApplication
from ledger.domain.errors import StorageUnavailable
from ledger.settings import Settings
from ledger.storage import environment
from ledger.storage.backup_file import (
    EMPTY,
    BackupRefused,
    Examined,
    Head,
    examine,
    head_of,
    holding,
    reading,
    written,
)
from ledger.storage.identity import (
    INSERT_META,
    LAYOUTS,
    META_TABLE,
    SCHEMA_VERSION,
    SKIPPING,
)
from ledger.storage.postgres import PostgresLedgerFactory, new_ledger
from ledger.storage.sqlite import SQLiteLedgerFactory

__all__ = [
    "BATCH",
    "TABLES",
    "BackupRefused",
    "Head",
    "Examined",
    "Table",
    "written",
    "back_up",
    "copy_file",
    "examine",
    "head_of",
    "restore",
]

BATCH = 5_000  # rows read and written at a time: a long ledger is never held whole
_POSITION = "notification_id"  # PostgreSQL's column of the log's position; SQLite's row id
_NAME = LedgerApplication.name  # the read model's tracking row, PostgreSQL's table prefix
T = TypeVar("T")


@dataclass(frozen=True)
class Table:
    """One table of the ledger on both backends, its columns as (SQLite, PostgreSQL) names and
    which hold an office's id (a UUID on PostgreSQL, its bare hex on SQLite)."""

    sqlite: str
    postgres: str
    columns: tuple[tuple[str, str], ...]
    uuids: tuple[int, ...]

    @property
    def position(self) -> bool:
        """Whether it is the log: its rows' positions are SQLite's row ids."""
        return ("rowid", _POSITION) in self.columns


def _paired() -> tuple[Table, ...]:
    sqlite, postgres = LAYOUTS["sqlite"], LAYOUTS["postgres"]
    if len(sqlite) != len(postgres):
        raise RuntimeError("identity.LAYOUTS lists other tables for SQLite and PostgreSQL")
    tables = []
    for (lite, lite_columns), (pg, pg_columns) in zip(
        sqlite.items(), postgres.items(), strict=True
    ):
        lite_types = dict(column.split(" ", 1) for column in lite_columns)
        pg_types = dict(column.split(" ", 1) for column in pg_columns)
        if set(lite_types) - set(pg_types) or set(pg_types) - set(lite_types) - {_POSITION}:
            raise RuntimeError(f"identity.LAYOUTS: {lite} and {pg} have other columns")
        columns = [(name, name) for name in lite_types]
        if _POSITION in pg_types and _POSITION not in lite_types:
            columns.insert(0, ("rowid", _POSITION))
        uuids = tuple(i for i, (_, name) in enumerate(columns) if pg_types[name] == "uuid")
        tables.append(Table(lite, pg, tuple(columns), uuids))
    return tuple(tables)


# Every table of this schema version, SQLite's and PostgreSQL's side by side.
TABLES = _paired()


def back_up(settings: Settings, out: Path, then: Callable[[Path], T], *, force: bool = False) -> T:
    """Copy the ledger ``settings`` name (read, never written) into a new file, one snapshot
    of it even while servers write; ``then(file)`` before the file is renamed to ``out``
    (``force``: replacing a file there), and its answer."""
    if settings.database()[0] == "memory":
        raise BackupRefused(
            "memory:// holds a ledger only inside a server's process: back up a SQLite or "
            "PostgreSQL ledger (--database or LEDGER_DATABASE_URL)"
        )
    with written(out, force=force) as partial:
        app = LedgerApplication(env=environment(settings, CREATE_TABLE="no"))  # judged only
        try:
            factory = app.factory
            if isinstance(factory, SQLiteLedgerFactory):
                source = Path(factory.datastore.pool.db_name)
                if source.resolve() == out.resolve():
                    raise BackupRefused(f"{out} is the ledger's own file: name another file")
                # A plain connection: the library's takes the file's write lock to begin.
                with closing(sqlite3.connect(source, timeout=30)) as db:
                    _copy_pages(db, partial)
            elif isinstance(factory, PostgresLedgerFactory):
                if factory.version != SCHEMA_VERSION:
                    raise BackupRefused(
                        f"{settings.safe_database_url} is a ledger of schema version "
                        f"{factory.version}; this release backs up version {SCHEMA_VERSION}: "
                        "start a server of this release on it once (ledger serve), which "
                        "migrates it, then back it up"
                    )
                _from_postgres(factory, partial, settings.safe_database_url)
        finally:
            app.close()
        return then(partial)


def copy_file(backup: Path, into: Path) -> None:
    """Copy the SQLite ledger file ``backup`` (read only) into ``into``, an empty file."""
    with reading(backup) as db:
        _copy_pages(db, into)


def _copy_pages(db: sqlite3.Connection, into: Path) -> None:
    with closing(sqlite3.connect(into)) as copy:
        db.backup(copy)  # every page in one step: one read transaction, one snapshot


def _from_postgres(factory: PostgresLedgerFactory, into: Path, where: str) -> None:
    """Every table of the PostgreSQL ledger, read in one snapshot, into a new SQLite ledger."""
    SQLiteLedgerFactory(Environment(_NAME, {"SQLITE_DBNAME": str(into)})).close()
    schema = factory.datastore.schema
    with (
        _connect(factory.datastore, factory.env, where) as pg,
        closing(sqlite3.connect(into, isolation_level=None)) as lite,
    ):
        pg.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        pg.read_only = True
        with pg.transaction():
            lite.execute("BEGIN IMMEDIATE")
            for number, table in enumerate(TABLES):
                lite.execute(f"DELETE FROM {table.sqlite}")  # what a new ledger has: its own
                insert = (
                    f"INSERT INTO {table.sqlite} ({', '.join(c for c, _ in table.columns)}) "
                    f"VALUES ({', '.join('?' * len(table.columns))})"
                )
                with pg.cursor(name=f"backup_{number}") as rows:
                    rows.execute(_select_postgres(schema, table))
                    while batch := rows.fetchmany(BATCH):
                        lite.executemany(insert, _converted(batch, table.uuids, _hex))
                if table.position and _skips(pg, schema, table):
                    insert_meta = INSERT_META.format(table=META_TABLE, p="?")
                    lite.execute(insert_meta, SKIPPING)
            lite.execute("COMMIT")


def _select_postgres(schema: str, table: Table) -> Composed:
    names = SQL(", ").join(Identifier(pg) for _, pg in table.columns)
    return SQL("SELECT {} FROM {}").format(names, Identifier(schema, table.postgres))


def _skips(pg: psycopg.Connection[Any], schema: str, table: Table) -> bool:
    """Whether some position up to the log's last was taken by no event."""
    counted = SQL("SELECT count(*), coalesce(max({}), 0) FROM {}").format(
        Identifier(_POSITION), Identifier(schema, table.postgres)
    )
    row = pg.execute(counted).fetchone()
    return row is not None and row[1] > row[0]


def restore(backup: Path, settings: Settings) -> None:
    """Copy the backup file into the database ``settings`` name, which must be empty; all or
    nothing. ``BackupRefused`` names what that database holds otherwise (left as it was)."""
    examined = examine(backup)
    if not examined.current:
        raise BackupRefused(
            f"{backup} is a ledger of schema version {examined.version}, its read model "
            f"{'at' if examined.complete else 'behind'} its log's end: this restores version "
            f"{SCHEMA_VERSION} at the end; open a copy as a server does first (`ledger restore` "
            "does)"
        )
    backend, keys = settings.database()
    if backend == "sqlite":
        with written(Path(keys["SQLITE_DBNAME"]), empty=True) as partial:
            copy_file(backup, partial)
    elif backend == "postgres":
        _into_postgres(backup, keys, settings.safe_database_url)
    else:
        raise BackupRefused(f"memory:// keeps nothing once the command ends: restore into {EMPTY}")


def _into_postgres(backup: Path, keys: dict[str, str], where: str) -> None:
    """Make a ledger's tables in the empty schema and copy every row of the backup into them,
    positions included, in one transaction; then the events' sequence follows the last."""
    library = PostgresFactory(Environment(_NAME, keys))  # the library's settings; nothing opened
    datastore = library.datastore
    try:
        with (
            _connect(datastore, library.env, where) as pg,
            reading(backup) as lite,
            pg.transaction(),
        ):
            schema = datastore.schema
            if pg.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone():
                found = new_ledger(pg, datastore, _NAME.lower(), where)
            else:
                raise BackupRefused(
                    f"{where}: there is no schema {schema}; make it first (CREATE SCHEMA "
                    f"{schema}): a restore writes only into an empty database, {EMPTY}"
                )
            if found.tables or found.meta is not None:
                raise BackupRefused(
                    f"{where} holds {holding(found)}: a restore writes only into an empty "
                    f"database, {EMPTY}; nothing was changed"
                )
            for table in TABLES:
                _copy_into_postgres(lite, pg, datastore.schema, table)
    finally:
        library.close()


def _copy_into_postgres(
    lite: sqlite3.Connection, pg: psycopg.Connection[Any], schema: str, table: Table
) -> None:
    target = Identifier(schema, table.postgres)
    pg.execute(SQL("DELETE FROM {}").format(target))  # what a new ledger has: the backup's own
    names = SQL(", ").join(Identifier(pg_name) for _, pg_name in table.columns)
    rows = lite.execute(f"SELECT {', '.join(c for c, _ in table.columns)} FROM {table.sqlite}")
    with (
        pg.cursor() as cursor,
        cursor.copy(SQL("COPY {} ({}) FROM STDIN").format(target, names)) as copy,
    ):
        while batch := rows.fetchmany(BATCH):
            for row in _converted(batch, table.uuids, _uuid):
                copy.write_row(row)
    if table.position:
        qualified = target.as_string(pg)
        pg.execute(
            SQL(
                "SELECT setval(pg_get_serial_sequence(%s, %s), max({})) FROM {} HAVING count(*) > 0"
            ).format(Identifier(_POSITION), target),
            (qualified, _POSITION),
        )


def _converted(
    rows: Sequence[Any], uuids: tuple[int, ...], convert: Callable[[Any], Any]
) -> Sequence[Any]:
    """The rows, with an office's id in each of the ``uuids`` columns converted."""
    if not uuids:
        return rows
    converted = []
    for row in rows:
        values = list(row)
        for index in uuids:
            values[index] = convert(values[index])
        converted.append(values)
    return converted


def _hex(value: Any) -> str:
    return (value if isinstance(value, UUID) else UUID(str(value))).hex


def _uuid(value: Any) -> UUID:
    return UUID(str(value))


@contextmanager
def _connect(
    datastore: PostgresDatastore, env: Environment, where: str
) -> Iterator[psycopg.Connection[Any]]:
    """A connection of its own, outside the datastore's pool, for one transaction."""
    timeout = int(env.get(PostgresFactory.POSTGRES_CONNECT_TIMEOUT) or 5)
    kwargs = cast("dict[str, Any]", datastore.pool.kwargs)
    given = {key: value for key, value in kwargs.items() if key != "row_factory"}
    try:
        connection = psycopg.connect(**given, connect_timeout=timeout)
    except psycopg.OperationalError as error:
        reason = str(error).strip().splitlines()[0].rsplit(" failed: ", 1)[-1]
        raise StorageUnavailable(f"{where} cannot be reached: {reason}") from None
    try:
        with connection:
            yield connection
    except psycopg.OperationalError as error:
        raise StorageUnavailable(
            f"{where} cannot be used now ({error}): nothing was changed"
        ) from None
