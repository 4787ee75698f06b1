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

A file is written beside its name and renamed onto it at the end (``written``): a copy that
fails leaves nothing under the name. Tables are paired by their place in ``identity.LAYOUTS``
(both backends list them in the same order), their columns by name; a log position is the row
id on SQLite and ``notification_id`` on PostgreSQL, an office's id a UUID there and its bare
hex here.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Callable, Iterator, Sequence
from contextlib import closing, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, cast
from uuid import UUID

import psycopg
from eventsourcing.postgres import PostgresDatastore, PostgresFactory
from eventsourcing.utils import Environment
from psycopg.sql import SQL, Composed, Identifier

from ledger.application.app import LedgerApplication
from ledger.domain import merkle
from ledger.domain.chain import GENESIS
from ledger.domain.errors import LedgerError, StorageUnavailable
from ledger.settings import Settings
from ledger.storage import environment
from ledger.storage.identity import (
    APPLICATION,
    INSERT_META,
    LAYOUTS,
    META_TABLE,
    SCHEMA_VERSION,
    SKIPPING,
    SQLITE_V1,
    Found,
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
_HEADER = b"SQLite format 3\x00"
_NAME = LedgerApplication.name  # the read model's tracking row, PostgreSQL's table prefix
T = TypeVar("T")
_EMPTY = (
    "a missing or empty SQLite file (sqlite:///PATH), or a PostgreSQL schema with no tables "
    "(CREATE SCHEMA NAME, then postgresql://USER:PASSWORD@HOST:PORT/DATABASE?schema=NAME)"
)


class BackupRefused(LedgerError):
    """A backup or a restore that cannot be made as asked; nothing was written."""


class Head(NamedTuple):
    """A ledger's digest and Merkle root at the end of its log."""

    position: int
    root: str
    merkle_root: str

    def __str__(self) -> str:
        return f"{self.position}:{self.root}:{self.merkle_root}"


class Examined(NamedTuple):
    """A backup file: its schema version, and whether its read model has followed its log
    to the end (a file ``ledger backup`` wrote always has)."""

    version: int
    complete: bool

    @property
    def current(self) -> bool:
        return self.version == SCHEMA_VERSION and self.complete


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


@contextmanager
def written(path: Path, *, force: bool = False, empty: bool = False) -> Iterator[Path]:
    """A new file beside ``path`` to write in the block, renamed onto ``path`` when the block
    ends well and removed otherwise. ``path`` must not exist (``force``: it is replaced;
    ``empty``: it may be an empty file)."""
    _may_write(path, force=force, empty=empty)
    if not path.parent.is_dir():
        raise BackupRefused(f"{path}: there is no folder {path.parent}; make it first")
    partial = path.parent / f".{path.name}.{secrets.token_hex(4)}.partial"
    try:  # made new (never one that exists), with the mode a new file gets here (the umask)
        os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except OSError as error:
        raise BackupRefused(f"{path}: cannot write in {path.parent} ({error.strerror})") from None
    try:
        yield partial
        _may_write(path, force=force, empty=empty)  # again: something may have come meanwhile
        os.replace(partial, path)
    finally:
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)


def _may_write(path: Path, *, force: bool, empty: bool) -> None:
    if path.is_dir():
        raise BackupRefused(f"{path} is a folder: name a file, e.g. {path / 'ledger.sqlite'}")
    if force or not path.exists() or (empty and path.stat().st_size == 0):
        return
    if empty:
        raise BackupRefused(
            f"sqlite:///{path} holds {_holding_file(path)}: a restore writes only into an empty "
            f"database, {_EMPTY}; nothing was changed"
        )
    raise BackupRefused(f"{path} exists: name a new file, or give --force to replace it")


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
                _from_postgres(factory, partial)
        finally:
            app.close()
        return then(partial)


def copy_file(backup: Path, into: Path) -> None:
    """Copy the SQLite ledger file ``backup`` (read only) into ``into``, an empty file."""
    with _reading(backup) as db:
        _copy_pages(db, into)


def _copy_pages(db: sqlite3.Connection, into: Path) -> None:
    with closing(sqlite3.connect(into)) as copy:
        db.backup(copy)  # every page in one step: one read transaction, one snapshot


def _from_postgres(factory: PostgresLedgerFactory, into: Path) -> None:
    """Every table of the PostgreSQL ledger, read in one snapshot, into a new SQLite ledger."""
    SQLiteLedgerFactory(Environment(_NAME, {"SQLITE_DBNAME": str(into)})).close()
    schema = factory.datastore.schema
    with (
        _connect(factory.datastore, factory.env, "the ledger") as pg,
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
        raise BackupRefused(f"memory:// keeps nothing once the command ends: restore into {_EMPTY}")


def _into_postgres(backup: Path, keys: dict[str, str], where: str) -> None:
    """Make a ledger's tables in the empty schema and copy every row of the backup into them,
    positions included, in one transaction; then the events' sequence follows the last."""
    library = PostgresFactory(Environment(_NAME, keys))  # the library's settings; nothing opened
    datastore = library.datastore
    try:
        with (
            _connect(datastore, library.env, where) as pg,
            _reading(backup) as lite,
            pg.transaction(),
        ):
            schema = datastore.schema
            if pg.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone():
                found = new_ledger(pg, datastore, _NAME.lower(), where)
            else:
                raise BackupRefused(
                    f"{where}: there is no schema {schema}; make it first (CREATE SCHEMA "
                    f"{schema}): a restore writes only into an empty database, {_EMPTY}"
                )
            if found.tables or found.meta is not None:
                raise BackupRefused(
                    f"{where} holds {_holding(found)}: a restore writes only into an empty "
                    f"database, {_EMPTY}; nothing was changed"
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


def examine(path: Path) -> Examined:
    """What the backup file at ``path`` is, or ``BackupRefused`` saying what it is not."""
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise BackupRefused(f"{path} {what}: {_A_BACKUP}")
    with _reading(path) as db:
        tables, meta = _contents(db)
        if not meta and set(SQLITE_V1) <= set(tables):
            return Examined(1, complete=False)  # a ledger of the code before the marker
        if meta.get("application") != APPLICATION:
            raise BackupRefused(f"{path} is not a ledger: it holds {_tables(tables)}; {_A_BACKUP}")
        version = meta.get("schema_version", "")
        if not version.isdigit() or not 1 <= int(version) <= SCHEMA_VERSION:
            raise BackupRefused(
                f"{path} is a ledger of schema version {version or '(none)'}; this release "
                f"reads versions 1 to {SCHEMA_VERSION}: restore it with the release that wrote "
                "it, or a newer one"
            )
        if int(version) < 4:  # before version 4, no Merkle tree: migrating it makes one
            return Examined(int(version), complete=False)
        log, followed, digest = _positions(db)
        return Examined(int(version), complete=log == followed == digest)


_A_BACKUP = "name a backup file `ledger backup --out FILE` wrote, e.g. backups/ledger.sqlite"


def head_of(path: Path) -> Head:
    """The digest and Merkle root the backup file's read model holds at its last position."""
    with _reading(path) as db:
        row = db.execute("SELECT position, root FROM digests ORDER BY position DESC LIMIT 1")
        found = row.fetchone()
        if found is None:
            return Head(0, GENESIS, merkle.EMPTY_ROOT.hex())
        position, root = found

        def node(level: int, index: int) -> bytes:
            stored = db.execute(
                "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?", (level, index)
            ).fetchone()
            if stored is None:
                raise BackupRefused(f"{path}: its Merkle tree lacks a node ({level}, {index})")
            return bytes(stored[0])

        return Head(position, root, merkle.root(node, position).hex())


def _positions(db: sqlite3.Connection) -> tuple[int, int, int]:
    """The log's last position, the read model's, and its last digest's."""
    log = db.execute("SELECT coalesce(max(rowid), 0) FROM stored_events").fetchone()[0]
    followed = db.execute(
        "SELECT coalesce(max(notification_id), 0) FROM tracking WHERE application_name = ?",
        (_NAME,),
    ).fetchone()[0]
    digest = db.execute("SELECT coalesce(max(position), 0) FROM digests").fetchone()[0]
    return int(log), int(followed), int(digest)


@contextmanager
def _reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the SQLite file at ``path``: nothing written to it, nor left
    beside it."""
    try:
        with path.open("rb") as opened:
            header = opened.read(100)
    except OSError as error:
        raise BackupRefused(f"{path} cannot be read ({error.strerror}): {_A_BACKUP}") from None
    if not header.startswith(_HEADER):
        what = "it is empty" if not header else "it is not a SQLite database"
        raise BackupRefused(f"{path} is not a ledger: {what}; {_A_BACKUP}")
    # A WAL-mode file with no -wal beside it holds everything itself: read it as immutable
    # (a read-only connection would leave a -wal and a -shm file behind).
    wal = Path(f"{path}-wal").exists()
    mode = "immutable=1" if header[18:20] == b"\x02\x02" and not wal else "mode=ro"
    try:
        with closing(sqlite3.connect(f"{path.absolute().as_uri()}?{mode}", uri=True)) as db:
            yield db
    except sqlite3.DatabaseError as error:
        raise BackupRefused(
            f"{path} cannot be read as a ledger ({error}): the file is damaged, or not a "
            f"backup; {_A_BACKUP}"
        ) from None


def _contents(db: sqlite3.Connection) -> tuple[list[str], dict[str, str]]:
    """The tables of a SQLite database, and the rows of its marker (empty: none)."""
    tables = [
        str(name)
        for (name,) in db.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' "
            "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
    ]
    if META_TABLE not in tables:
        return tables, {}
    rows = db.execute(f"SELECT key, value FROM {META_TABLE}").fetchall()
    return tables, {str(key): str(value) for key, value in rows}


def _holding_file(path: Path) -> str:
    try:
        with _reading(path) as db:
            tables, meta = _contents(db)
    except BackupRefused:
        return f"{path.stat().st_size:,} bytes that are not a ledger"
    return _holding(Found(dict.fromkeys(tables, ()), meta or None))


def _holding(found: Found) -> str:
    """What a database that is not empty holds, in a few words."""
    meta = found.meta or {}
    if meta.get("application") == APPLICATION:
        return f"a ledger (schema version {meta.get('schema_version', '?')})"
    return _tables(sorted(found.tables))


def _tables(names: list[str]) -> str:
    if not names:
        return "no tables"
    shown = ", ".join(names[:8]) + (f" and {len(names) - 8} more" if len(names) > 8 else "")
    return f"the table {shown}" if len(names) == 1 else f"the tables {shown}"
