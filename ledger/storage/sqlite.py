"""The SQLite backend (``sqlite:///PATH``, the default): one file holds the events, the
request-id index and the read model.

The library's SQLite recorders with a ``request_ids`` table written in the events'
transaction, the read model's tables beside them, and ``PRAGMA data_version`` on a connection
of its own to tell in microseconds whether any other connection has committed.

The factory opens only a ledger's file (``ledger.storage.identity``): it reads what a file
holds before anything writes to it, makes a new ledger in one ``BEGIN IMMEDIATE`` transaction
(servers started together wait for each other's), and every write commits only while the
path still names the file that was opened (``SQLiteFileDatastore``). The decision log is the
``decisions`` table (``SQLiteDecisionStore``).
"""

from __future__ import annotations

import json
import os
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any, ClassVar
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLITE3_DEFAULT_LOCK_TIMEOUT,
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTrackingRecorder,
)

from ledger.application.ports import ExportRow, LedgerStore, RequestRecord, RequestRow
from ledger.domain.errors import StorageUnavailable
from ledger.readmodel.follower import DataVersion
from ledger.storage.decision_sql import DECISION_STATEMENTS, SEQUENCES, SQLDecisionStore
from ledger.storage.factory import (
    LedgerFactory,
    bind_positions,
    event_type,
    office_id_text,
)
from ledger.storage.identity import (
    CREATE_DECISIONS,
    CREATE_EVENT_INDEX,
    CREATE_MERKLE,
    CREATE_META,
    CREATE_SIGNED,
    INSERT_META,
    MARKER_ROWS,
    META_TABLE,
    SCHEMA_VERSION,
    SKIPPING,
    SQLITE_V1,
    UPDATE_VERSION,
    Found,
    NotALedger,
    State,
    judge,
    migrations,
    not_a_ledger,
    version_of,
)
from ledger.storage.signed_sql import SIGNED_STATEMENTS, SQLSignedStore
from ledger.storage.sql import (
    REQUEST_ROWS,
    STATEMENTS,
    SQLRuleView,
    request_from_row,
    request_row,
)
from ledger.storage.sqlite_version import native_data_version

__all__ = [
    "SQLiteLedgerRecorder",
    "SQLiteRuleView",
    "SQLiteDecisionStore",
    "SQLiteDataVersion",
    "SQLiteFileDatastore",
    "SQLiteLedgerFactory",
    "SQLiteSignedStore",
    "SQLITE_HEADER",
    "open_read_only",
    "found_in",
]

_TABLES = {
    "offices": "offices",
    "revisions": "rule_revisions",
    "digests": "digests",
    "tracking": "tracking",
    "decisions": "decisions",
    "merkle": "merkle_nodes",
    "signed": "signed_checkpoints",
    "requests": "request_ids",
    "requests_by_event": "request_ids_by_event",
}
_CHUNK = 500  # request ids per query: SQLite limits the parameters of one statement
SQLITE_HEADER = b"SQLite format 3\x00"  # the first bytes of every SQLite database file
_FRESH = "a new file"  # where a new ledger may be made


class SQLiteLedgerRecorder(SQLiteApplicationRecorder, LedgerStore):
    """SQLite application recorder with a ``request_ids`` table beside ``stored_events``."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self.insert_request_statement = "INSERT INTO request_ids VALUES (?,?,?,?,?,?,?,?,?)"

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS request_ids ("
            "request_id TEXT PRIMARY KEY, "
            "fingerprint TEXT NOT NULL, "
            "office TEXT NOT NULL, "
            "originator_id TEXT NOT NULL, "
            "change_id TEXT NOT NULL, "
            "office_version INTEGER NOT NULL, "
            "recorded_at TEXT NOT NULL, "
            "hash TEXT NOT NULL, "
            "position INTEGER NOT NULL)",
        ]

    def _insert_events(
        self, c: SQLiteCursor, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._insert_events(c, stored_events, **kwargs)
        requests = bind_positions(kwargs.get("requests", ()), stored_events, ids)
        c.executemany(self.insert_request_statement, [request_row(r) for r in requests])
        return ids

    def get_requests(self, request_ids: Sequence[str]) -> dict[str, RequestRecord]:
        found: dict[str, RequestRecord] = {}
        with self.datastore.transaction(commit=False) as c:
            for start in range(0, len(request_ids), _CHUNK):
                chunk = request_ids[start : start + _CHUNK]
                marks = ",".join("?" * len(chunk))
                c.execute(f"SELECT * FROM request_ids WHERE request_id IN ({marks})", chunk)
                found.update((row["request_id"], request_from_row(row)) for row in c.fetchall())
        return found

    def request_rows(self) -> list[RequestRow]:
        with self.datastore.transaction(commit=False) as c:
            _as_tuples(c)
            c.execute(f"{REQUEST_ROWS} FROM request_ids ORDER BY position")
            return [RequestRow._make(row) for row in c.fetchall()]

    def iter_request_rows(self) -> Iterator[RequestRow]:
        with self.datastore.transaction(commit=False) as c:
            _as_tuples(c)
            c.execute(f"{REQUEST_ROWS} FROM request_ids ORDER BY position")
            while rows := c.sqlite_cursor.fetchmany(1000):
                yield from map(RequestRow._make, rows)

    def position_of_event(self, event_id: UUID) -> int | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT position FROM request_ids WHERE change_id=?", (str(event_id),))
            rows = c.fetchall()
            return rows[0]["position"] if rows else None

    def positions_of(self, originator_id: UUID) -> list[int]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                f"SELECT rowid FROM {self.events_table_name} WHERE originator_id=? "
                "ORDER BY originator_version",
                (originator_id.hex,),
            )
            return [row[0] for row in c.fetchall()]

    def export_rows(self, after: int, limit: int) -> list[ExportRow]:
        with self.datastore.transaction(commit=False) as c:
            _as_tuples(c)
            c.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} WHERE rowid>? ORDER BY rowid LIMIT ?",
                (after, limit),
            )
            return [
                ExportRow(row[0], office_id_text(row[1]), row[2], event_type(row[3]), row[4])
                for row in c.fetchall()
            ]


def _as_tuples(cursor: SQLiteCursor) -> None:
    """Rows as plain tuples, not the library's ``sqlite3.Row``: reading the whole log (export,
    audit) is a third faster for it."""
    cursor.sqlite_cursor.row_factory = None


class SQLiteRuleView(SQLiteTrackingRecorder, SQLRuleView):
    """The read model in the ledger's SQLite file, beside the events."""

    _statements: ClassVar[dict[str, str]] = {
        name: template.format(p="?", **_TABLES) for name, template in STATEMENTS.items()
    }

    def _statement(self, name: str) -> str:
        return self._statements[name]

    def construct_create_table_statements(self) -> list[str]:
        return [
            *super().construct_create_table_statements(),
            "CREATE TABLE IF NOT EXISTS offices ("
            "code TEXT PRIMARY KEY, name TEXT NOT NULL, crossings TEXT NOT NULL, "
            "version INTEGER NOT NULL, registered_at TEXT NOT NULL, changes INTEGER NOT NULL)",
            "CREATE TABLE IF NOT EXISTS rule_revisions ("
            "change_id TEXT NOT NULL, rev INTEGER NOT NULL, office TEXT NOT NULL, "
            "seq INTEGER NOT NULL, kind TEXT NOT NULL, scope TEXT NOT NULL, "
            "measure TEXT NOT NULL, effective TEXT NOT NULL, "
            "recorded_from TEXT NOT NULL, recorded_until TEXT, "
            "reported_from TEXT NOT NULL, reported_until TEXT, "
            "event_ids TEXT NOT NULL, sources TEXT NOT NULL, "
            "position_from INTEGER NOT NULL DEFAULT 0, position_until INTEGER, "
            "PRIMARY KEY (change_id, rev))",
            "CREATE INDEX IF NOT EXISTS rule_revisions_by_office ON rule_revisions (office)",
            "CREATE INDEX IF NOT EXISTS rule_revisions_by_scope ON rule_revisions (office, scope)",
            "CREATE TABLE IF NOT EXISTS digests (position INTEGER PRIMARY KEY, root TEXT NOT NULL)",
        ]


class SQLiteDecisionStore(SQLDecisionStore):
    """The decision log in the ledger's SQLite file."""

    _statements: ClassVar[dict[str, str]] = {
        name: template.format(p="?", sequences=SEQUENCES["sqlite"], **_TABLES)
        for name, template in DECISION_STATEMENTS.items()
    }

    def __init__(self, datastore: SQLiteDatastore, *, present: bool = True) -> None:
        super().__init__(datastore, self._statements, present=present)

    def _exclude(self, cursor: Any) -> None:
        # The library begins a deferred transaction: a write as its first statement takes the
        # file's write lock (waiting for it), before the last decision is read.
        cursor.execute("DELETE FROM decisions WHERE 0")

    def _many(self, sequences: list[int]) -> Any:
        return json.dumps(sequences)


class SQLiteSignedStore(SQLSignedStore):
    """The signed checkpoints in the ledger's SQLite file."""

    _statements: ClassVar[dict[str, str]] = {
        name: template.format(p="?", **_TABLES) for name, template in SIGNED_STATEMENTS.items()
    }

    def __init__(self, datastore: SQLiteDatastore, *, present: bool = True) -> None:
        super().__init__(datastore, self._statements, present=present)


class SQLiteDataVersion:
    """Tells in microseconds whether anyone may have committed to a SQLite file since the last
    look: ``PRAGMA data_version`` on a connection of its own, which changes whenever any other
    connection (of this process or another) commits."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()

    def version(self) -> int:
        with self._lock:
            row = self._connection.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._connection.close()


class SQLiteFileDatastore(SQLiteDatastore):
    """The library's datastore, refusing to commit a write once its path no longer names the
    file it opened (deleted, moved away or replaced): SQLite would write to the file it holds
    open, which nobody will open again, and the write would be acknowledged and lost."""

    def __init__(self, datastore: SQLiteDatastore, where: str) -> None:
        pool = datastore.pool
        super().__init__(
            pool.db_name,
            lock_timeout=pool.lock_timeout,
            single_row_tracking=datastore.single_row_tracking,
            originator_id_type=datastore.originator_id_type,
        )
        datastore.close()
        self.where = where
        opened = os.stat(pool.db_name)
        self.file = (opened.st_dev, opened.st_ino)

    @contextmanager
    def transaction(self, *, commit: bool) -> Iterator[SQLiteCursor]:
        with super().transaction(commit=commit) as cursor:
            yield cursor
            if commit:  # last, just before the commit: raising rolls the transaction back
                self.check_file()

    def check_file(self) -> None:
        """``StorageUnavailable`` unless the path still names the file opened (a ``stat``)."""
        try:
            now = os.stat(self.pool.db_name)
        except FileNotFoundError:
            raise StorageUnavailable(
                f"the database file of {self.where} was deleted or moved away after the server "
                "opened it: nothing was stored; restart the server on the ledger's file"
            ) from None
        except OSError as error:
            raise StorageUnavailable(
                f"the database file of {self.where} cannot be checked ({error.strerror}): "
                "nothing was stored"
            ) from None
        if (now.st_dev, now.st_ino) != self.file:
            raise StorageUnavailable(
                f"{self.where} names another file than the one the server opened (it was "
                "replaced): nothing was stored; restart the server to open the file there now"
            )


class SQLiteLedgerFactory(LedgerFactory, SQLiteFactory):
    """``sqlite:///PATH``: the library's SQLite factory, with the ledger's recorders."""

    application_recorder_class = SQLiteLedgerRecorder
    rule_view_class = SQLiteRuleView

    def open_ledger(self, *, create: bool) -> State:
        pool = self.datastore.pool
        if pool.is_sqlite_memory_mode:
            return State.NEW
        where = f"sqlite:///{pool.db_name}"
        found = _look(pool.db_name, where)
        state = judge(found, SQLITE_V1, where, _FRESH)
        self.version = version_of(found) if state is not State.NEW else SCHEMA_VERSION
        self.positions_skip = (found.meta or {}).get(SKIPPING[0]) == SKIPPING[1]
        if not create:
            if state is State.NEW:
                raise NotALedger(f"{where} holds no ledger: the file is missing or empty")
        elif state is not State.MARKED:
            state = self._make(where)
        self.datastore = SQLiteFileDatastore(self.datastore, where)
        return state

    def _make(self, where: str) -> State:
        """Make the ledger's tables (where there are none) and its marker, in one transaction
        that holds the file's write lock: other servers wait for it, then find a ledger."""
        pool = self.datastore.pool
        timeout = pool.lock_timeout or SQLITE3_DEFAULT_LOCK_TIMEOUT
        # Servers started together wait here for the first one's tables and, on a loaded
        # machine, its example import: the file's lock is retried for a while, not only for
        # the busy timeout of one attempt (SQLite may also answer busy at once).
        deadline = time.monotonic() + max(timeout, 30)
        while True:
            try:
                return self._make_once(where, timeout)
            except StorageUnavailable as error:
                if "locked" not in str(error) or time.monotonic() > deadline:
                    raise
                time.sleep(0.05)

    def _make_once(self, where: str, timeout: float) -> State:
        pool = self.datastore.pool
        try:
            with closing(sqlite3.connect(pool.db_name, timeout, isolation_level=None)) as db:
                # WAL first (the library's connections then find it): it cannot change inside
                # a transaction, and SQLite waits for a busy file here as everywhere.
                db.execute("PRAGMA journal_mode=WAL")
                db.execute("BEGIN IMMEDIATE")
                try:
                    found = found_in(db)
                    state = judge(found, SQLITE_V1, where, _FRESH)
                    if state is State.NEW:
                        cursor = SQLiteCursor(db.cursor())
                        SQLiteLedgerRecorder(self.datastore)._create_table(cursor)
                        SQLiteRuleView(self.datastore)._create_table(cursor)
                        db.execute(CREATE_DECISIONS.format(integer="INTEGER", **_TABLES))
                        db.execute(CREATE_MERKLE.format(integer="INTEGER", bytes="BLOB", **_TABLES))
                        db.execute(CREATE_EVENT_INDEX.format(**_TABLES))
                        db.execute(CREATE_SIGNED.format(integer="INTEGER", **_TABLES))
                    if state in (State.UNMARKED, State.OLD):
                        for statement in migrations(version_of(found)):
                            db.execute(statement.format(integer="INTEGER", bytes="BLOB", **_TABLES))
                    if state is State.OLD:
                        version = str(SCHEMA_VERSION)
                        db.execute(UPDATE_VERSION.format(table=META_TABLE, p="?"), (version,))
                    elif state is not State.MARKED:
                        db.execute(CREATE_META.format(table=META_TABLE))
                        db.executemany(INSERT_META.format(table=META_TABLE, p="?"), MARKER_ROWS)
                    db.execute("COMMIT")
                except BaseException:
                    if db.in_transaction:
                        db.execute("ROLLBACK")
                    raise
        except sqlite3.OperationalError as error:
            raise StorageUnavailable(
                f"{where} cannot be written ({error}): check the path and its permissions, and "
                "that no other program holds the file locked"
            ) from None
        return state

    def decision_store(self) -> SQLDecisionStore:
        return SQLiteDecisionStore(self.datastore, present=self.decisions_present)

    def signed_store(self) -> SQLSignedStore:
        return SQLiteSignedStore(self.datastore, present=self.signed_present)

    def data_version(self) -> DataVersion:
        path = self.datastore.pool.db_name
        return native_data_version(path) or SQLiteDataVersion(path)


def _look(path: str, where: str) -> Found:
    """What the file at ``path`` holds, read without writing (no WAL switch, no table)."""
    file = Path(path)
    if not file.exists():  # SQLite drops a -wal left beside it (by a deleted file)
        return Found()
    if file.is_dir():
        raise not_a_ledger(where, "it is a folder", _FRESH)
    try:
        with file.open("rb") as opened:
            header = opened.read(100)
    except OSError as error:
        raise NotALedger(f"{where} cannot be read: {error.strerror}") from None
    if not header:
        return Found()
    if not header.startswith(SQLITE_HEADER):
        what = "it is not a SQLite database (its first bytes are not SQLite's header)"
        raise not_a_ledger(where, what, _FRESH)
    try:
        with closing(open_read_only(file, header)) as db:
            return found_in(db)
    except sqlite3.DatabaseError:
        what = "SQLite cannot read its tables (the file is damaged, or encrypted)"
        raise not_a_ledger(where, what, _FRESH) from None


def open_read_only(path: Path, header: bytes) -> sqlite3.Connection:
    """A connection to the SQLite file at ``path`` (whose first bytes are ``header``) that
    writes nothing to it, nor leaves anything beside it."""
    # A WAL-mode file with no -wal beside it holds everything itself: read it as immutable
    # (a read-only connection would leave a -wal and a -shm file behind).
    wal = Path(f"{path}-wal").exists()
    mode = "immutable=1" if header[18:20] == b"\x02\x02" and not wal else "mode=ro"
    return sqlite3.connect(f"{path.absolute().as_uri()}?{mode}", uri=True)


def found_in(db: sqlite3.Connection) -> Found:
    """The tables (and views) of a SQLite database with their columns, and its marker."""
    names = db.execute(
        "SELECT name FROM sqlite_master WHERE type IN ('table', 'view') "
        "AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
    ).fetchall()
    tables = {
        name: tuple(
            f"{column} {kind}"
            for column, kind in db.execute("SELECT name, type FROM pragma_table_info(?)", (name,))
        )
        for (name,) in names
    }
    if tables.pop(META_TABLE, None) is None:
        return Found(tables)
    try:
        rows = db.execute(f"SELECT key, value FROM {META_TABLE}").fetchall()
    except sqlite3.Error:  # a table of that name, but not the marker's
        rows = []
    return Found(tables, {str(key): str(value) for key, value in rows})
