"""The SQLite backend (``sqlite:///PATH``, the default): one file holds the events, the
request-id index and the read model.

The library's SQLite recorders with a ``request_ids`` table written in the events'
transaction, the read model's tables beside them, and ``PRAGMA data_version`` on a connection
of its own to tell in microseconds whether any other connection has committed.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from typing import Any, ClassVar

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import (
    SQLiteApplicationRecorder,
    SQLiteCursor,
    SQLiteDatastore,
    SQLiteFactory,
    SQLiteTrackingRecorder,
)

from ledger.application.ports import ExportRow, LedgerStore, RequestRecord, RequestRow
from ledger.readmodel.follower import DataVersion
from ledger.storage.factory import (
    LedgerFactory,
    bind_positions,
    event_type,
    office_id_text,
)
from ledger.storage.sql import (
    REQUEST_ROWS,
    STATEMENTS,
    SQLRuleView,
    request_from_row,
    request_row,
)

__all__ = ["SQLiteLedgerRecorder", "SQLiteRuleView", "SQLiteDataVersion", "SQLiteLedgerFactory"]

_TABLES = {"offices": "offices", "revisions": "rule_revisions", "digests": "digests"}
_CHUNK = 500  # request ids per query: SQLite limits the parameters of one statement


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
        name: template.format(p="?", tracking="tracking", **_TABLES)
        for name, template in STATEMENTS.items()
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
            "PRIMARY KEY (change_id, rev))",
            "CREATE INDEX IF NOT EXISTS rule_revisions_by_office ON rule_revisions (office)",
            "CREATE INDEX IF NOT EXISTS rule_revisions_by_scope ON rule_revisions (office, scope)",
            "CREATE TABLE IF NOT EXISTS digests (position INTEGER PRIMARY KEY, root TEXT NOT NULL)",
        ]


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


class SQLiteLedgerFactory(LedgerFactory, SQLiteFactory):
    """``sqlite:///PATH``: the library's SQLite factory, with the ledger's recorders."""

    application_recorder_class = SQLiteLedgerRecorder
    rule_view_class = SQLiteRuleView

    def data_version(self) -> DataVersion:
        return SQLiteDataVersion(self.datastore.pool.db_name)
