"""PostgreSQL storage: the same request-id index and read model as on SQLite, in PostgreSQL.

Several servers may share one database: the library's recorder serialises writes with a table
lock, the request-id rows commit with their events, and every server follows the log into the
shared read model, the first to project an event writing it (its tracking row refuses a
second).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent, Tracking
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresTrackingRecorder,
)
from psycopg import Cursor
from psycopg.rows import DictRow
from psycopg.sql import SQL, Composed, Identifier

from ledger.domain.values import Scope
from ledger.persistence import (
    ExportRow,
    RequestIndex,
    RequestRecord,
    _bind_positions,
    _request,
    _request_row,
    event_type,
    office_id_text,
)
from ledger.readmodel import (
    _ENTRIES,
    Checkpoint,
    Entry,
    OfficeRow,
    Revision,
    RuleView,
    _entry,
    _office,
    _office_row,
    _revision,
    _revision_row,
)

__all__ = ["PostgresLedgerRecorder", "PostgresRuleView", "LogListener"]

log = logging.getLogger("ledger.postgres")


class PostgresLedgerRecorder(PostgresApplicationRecorder, RequestIndex):
    """The library's PostgreSQL recorder with a request-id table written in the same
    transaction as the events (after them: PostgreSQL numbers the events on insert)."""

    def __init__(self, datastore: PostgresDatastore, *, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name=events_table_name)
        self.requests_table = Identifier(datastore.schema, f"{events_table_name}_requests")
        self.sql_create_statements.append(
            SQL(
                "CREATE TABLE IF NOT EXISTS {} ("
                "request_id text PRIMARY KEY, fingerprint text NOT NULL, office text NOT NULL, "
                "originator_id text NOT NULL, change_id text NOT NULL, "
                "office_version bigint NOT NULL, recorded_at text NOT NULL, hash text NOT NULL, "
                "position bigint NOT NULL)"
            ).format(self.requests_table)
        )

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        requests = _bind_positions(kwargs.get("requests", ()), stored_events, ids)
        if requests:
            curs.executemany(
                SQL("INSERT INTO {} VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)").format(
                    self.requests_table
                ),
                [_request_row(r) for r in requests],
            )
        return ids

    def get_request(self, request_id: str) -> RequestRecord | None:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT * FROM {} WHERE request_id=%s").format(self.requests_table),
                (request_id,),
            )
            row = curs.fetchone()
        return None if row is None else _request(row)

    def export_rows(self, after: int, limit: int) -> list[ExportRow]:
        sql = SQL(
            "SELECT notification_id, originator_id, originator_version, topic, state FROM {} "
            "WHERE notification_id>%s ORDER BY notification_id LIMIT %s"
        ).format(Identifier(self.datastore.schema, self.events_table_name))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(sql, (after, limit))
            return [
                ExportRow(
                    row["notification_id"],
                    office_id_text(row["originator_id"]),
                    row["originator_version"],
                    event_type(row["topic"]),
                    bytes(row["state"]),
                )
                for row in curs.fetchall()
            ]

    def get_requests(self, request_ids: Sequence[str]) -> dict[str, RequestRecord]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT * FROM {} WHERE request_id = ANY(%s)").format(self.requests_table),
                (list(request_ids),),
            )
            return {row["request_id"]: _request(row) for row in curs.fetchall()}


class PostgresRuleView(PostgresTrackingRecorder, RuleView):
    """The read model in PostgreSQL, beside the events, with the tracking position."""

    def __init__(self, datastore: PostgresDatastore, *, prefix: str = "ledger") -> None:
        super().__init__(datastore, tracking_table_name=f"{prefix}_tracking")
        schema = datastore.schema
        self.offices = Identifier(schema, f"{prefix}_offices")
        self.revisions = Identifier(schema, f"{prefix}_rule_revisions")
        self.digests = Identifier(schema, f"{prefix}_digests")
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (code text PRIMARY KEY, name text NOT NULL, "
                "crossings text NOT NULL, version bigint NOT NULL, registered_at text NOT NULL, "
                "changes bigint NOT NULL)"
            ).format(self.offices),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (change_id text NOT NULL, rev int NOT NULL, "
                "office text NOT NULL, seq bigint NOT NULL, kind text NOT NULL, "
                "scope text NOT NULL, measure text NOT NULL, effective text NOT NULL, "
                "recorded_from text NOT NULL, recorded_until text, reported_from text NOT NULL, "
                "reported_until text, event_ids text NOT NULL, sources text NOT NULL, "
                "PRIMARY KEY (change_id, rev))"
            ).format(self.revisions),
            SQL("CREATE INDEX IF NOT EXISTS {} ON {} (office)").format(
                Identifier(f"{prefix}_rule_revisions_office"), self.revisions
            ),
            SQL("CREATE INDEX IF NOT EXISTS {} ON {} (office, scope)").format(
                Identifier(f"{prefix}_rule_revisions_scope"), self.revisions
            ),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, root text NOT NULL)"
            ).format(self.digests),
        ]

    def save(
        self,
        offices: Sequence[OfficeRow],
        revisions: Sequence[Revision],
        checkpoints: Sequence[Checkpoint],
        tracking: Tracking,
    ) -> None:
        with self.datastore.transaction(commit=True) as curs:
            # The digests first: a position another process already projected fails here.
            curs.executemany(
                SQL("INSERT INTO {} VALUES (%s,%s)").format(self.digests),
                [(checkpoint.position, checkpoint.root) for checkpoint in checkpoints],
            )
            curs.executemany(
                SQL(
                    "INSERT INTO {} VALUES (%s,%s,%s,%s,%s,%s) ON CONFLICT (code) DO UPDATE SET "
                    "name=EXCLUDED.name, crossings=EXCLUDED.crossings, version=EXCLUDED.version, "
                    "registered_at=EXCLUDED.registered_at, changes=EXCLUDED.changes"
                ).format(self.offices),
                [_office_row(office) for office in offices],
            )
            if revisions:
                curs.executemany(
                    SQL(
                        "INSERT INTO {} VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s,%s) "
                        "ON CONFLICT (change_id, rev) DO UPDATE SET "
                        "recorded_until=EXCLUDED.recorded_until, "
                        "reported_until=EXCLUDED.reported_until"
                    ).format(self.revisions),
                    [_revision_row(revision) for revision in revisions],
                )
            self._insert_tracking(curs, tracking)

    def _query(self, sql: Composed, *params: Any) -> list[Any]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(sql, params)
            return list(curs.fetchall())

    def get_office(self, code: str) -> OfficeRow | None:
        rows = self._query(SQL("SELECT * FROM {} WHERE code=%s").format(self.offices), code)
        return _office(rows[0]) if rows else None

    def list_offices(self) -> list[OfficeRow]:
        return [
            _office(r)
            for r in self._query(SQL("SELECT * FROM {} ORDER BY code").format(self.offices))
        ]

    def revisions_of_office(self, code: str) -> list[Revision]:
        sql = SQL("SELECT * FROM {} WHERE office=%s").format(self.revisions)
        return [_revision(row) for row in self._query(sql, code)]

    def entries_of_scope(self, code: str, scope: Scope) -> list[Entry]:
        sql = SQL(_ENTRIES.replace("rule_revisions", "{}") + " WHERE office=%s AND scope=%s")
        rows = self._query(sql.format(self.revisions), code, scope.model_dump_json())
        return [_entry(row) for row in rows]

    def revision(self, change_id: UUID, rev: int) -> Revision | None:
        sql = SQL("SELECT * FROM {} WHERE change_id=%s AND rev=%s").format(self.revisions)
        rows = self._query(sql, str(change_id), rev)
        return _revision(rows[0]) if rows else None

    def revisions_of_change(self, change_id: UUID) -> list[Revision]:
        sql = SQL("SELECT * FROM {} WHERE change_id=%s ORDER BY rev").format(self.revisions)
        return [_revision(row) for row in self._query(sql, str(change_id))]

    def latest_checkpoint(self) -> Checkpoint | None:
        sql = SQL("SELECT position, root FROM {} ORDER BY position DESC LIMIT 1").format(
            self.digests
        )
        rows = self._query(sql)
        return Checkpoint(rows[0]["position"], rows[0]["root"]) if rows else None

    def checkpoint_at(self, position: int) -> Checkpoint | None:
        sql = SQL("SELECT position, root FROM {} WHERE position=%s").format(self.digests)
        rows = self._query(sql, position)
        return Checkpoint(rows[0]["position"], rows[0]["root"]) if rows else None

    def checkpoints(self, after: int, limit: int) -> list[Checkpoint]:
        sql = SQL("SELECT position, root FROM {} WHERE position>%s ORDER BY position LIMIT %s")
        rows = self._query(sql.format(self.digests), after, limit)
        return [Checkpoint(row["position"], row["root"]) for row in rows]

    def clear(self) -> None:
        with self.datastore.transaction(commit=True) as curs:
            for table in (self.offices, self.revisions, self.digests):
                curs.execute(SQL("DELETE FROM {}").format(table))
            curs.execute(
                SQL("DELETE FROM {} WHERE application_name != %s").format(
                    Identifier(self.datastore.schema, self.tracking_table_name)
                ),
                (self.table_migration_identifier,),
            )


class LogListener(threading.Thread):
    """Calls ``on_new_events`` whenever another process commits events (PostgreSQL NOTIFY, which
    the library's recorder sends with every insert), so that a server's read model and its
    watches follow writes made through other servers at once rather than at the next poll."""

    def __init__(self, recorder: PostgresApplicationRecorder, on_new_events: Callable[[], object]):
        super().__init__(name="ledger-listener", daemon=True)
        self.recorder = recorder
        self.on_new_events = on_new_events
        self.stopping = threading.Event()

    def run(self) -> None:
        channel = SQL("LISTEN {}").format(Identifier(self.recorder.channel_name))
        while not self.stopping.is_set():
            try:
                with self.recorder.datastore.get_connection() as connection:
                    connection.execute(channel)
                    connection.commit()
                    while not self.stopping.is_set():
                        for _ in connection.notifies(timeout=0.25, stop_after=1):
                            self.on_new_events()
            except Exception:  # the database went away: listen again, polls still cover
                log.warning("listening for new events failed; retrying", exc_info=True)
                self.stopping.wait(1.0)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
