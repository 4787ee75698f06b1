"""The PostgreSQL backend (``postgresql://...``): the same request-id index and read model as
on SQLite, in PostgreSQL, for several servers sharing one database.

The library's recorder serialises writes with a table lock, the request-id rows commit with
their events, and every server follows the log into the shared read model, the first to
project an event writing it (its tracking row refuses a second). A listener thread hears the
NOTIFY the library's recorder sends with every insert, so that a server follows writes made
through other servers at once.

The factory opens only a ledger's schema (``ledger.storage.identity``): it reads what the
schema holds, and makes a new ledger's tables and marker holding an advisory lock, so that
servers started together on an empty schema make them once (PostgreSQL's ``CREATE TABLE IF
NOT EXISTS`` is not safe against a concurrent one). The decision log is ``ledger_decisions``
(``PostgresDecisionStore``), appended to under the same advisory lock, for the transaction.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from typing import Any, cast
from uuid import UUID

import psycopg
from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent
from eventsourcing.postgres import (
    PostgresApplicationRecorder,
    PostgresDatastore,
    PostgresFactory,
    PostgresTrackingRecorder,
)
from eventsourcing.utils import retry
from psycopg import Cursor
from psycopg.rows import DictRow, dict_row
from psycopg.sql import SQL, Composed, Identifier

from ledger.application.ports import ExportRow, LedgerStore, RequestRecord, RequestRow
from ledger.domain.errors import StorageUnavailable
from ledger.readmodel.follower import DataVersion
from ledger.storage.decision_sql import DECISION_STATEMENTS, SEQUENCES, SQLDecisionStore
from ledger.storage.factory import (
    LedgerFactory,
    Listener,
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
    POSTGRES_V1,
    SCHEMA_VERSION,
    UPDATE_VERSION,
    Found,
    NotALedger,
    State,
    judge,
    migrations,
    not_a_ledger,
    version_of,
)
from ledger.storage.postgres_listen import NotifiedVersion, PostgresListener
from ledger.storage.signed_sql import SIGNED_STATEMENTS, SQLSignedStore
from ledger.storage.sql import (
    REQUEST_ROWS,
    STATEMENTS,
    SQLRuleView,
    request_from_row,
    request_row,
)

__all__ = [
    "PostgresLedgerRecorder",
    "PostgresRuleView",
    "PostgresDecisionStore",
    "PostgresListener",
    "PostgresLedgerFactory",
    "new_ledger",
]

log = logging.getLogger("ledger.storage.postgres")


class PostgresLedgerRecorder(PostgresApplicationRecorder, LedgerStore):
    """The library's PostgreSQL recorder with a request-id table written in the same
    transaction as the events (after them: PostgreSQL numbers the events on insert)."""

    gapless = False  # a write that loses a race uses a number up

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

    @retry((InterfaceError, OperationalError), max_attempts=10, wait=0.2)
    def insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        """The library's insert (lock, notify, the events, their request ids, in one
        transaction), without its pipeline: psycopg 3.3 in pipeline mode hangs for good on a
        batch of some 10 MB (an import of ~8,000 changes), in both its Python and its binary
        implementation, and pipelining three statements saves nothing here."""
        with (
            self.datastore.get_connection() as connection,
            connection.transaction(),
            connection.cursor() as cursor,
        ):
            self._insert_events(cursor, stored_events, **kwargs)
            if not stored_events:
                return []
            self._insert_stored_events(cursor, stored_events, **kwargs)
            return self._fetch_ids_after_insert_events(cursor, stored_events, **kwargs)

    def _fetch_ids_after_insert_events(
        self, curs: Cursor[DictRow], stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        ids = super()._fetch_ids_after_insert_events(curs, stored_events, **kwargs)
        requests = bind_positions(kwargs.get("requests", ()), stored_events, ids)
        if requests:
            curs.executemany(
                SQL("INSERT INTO {} VALUES (%s,%s,%s,%s,%s,%s,%s,%s,%s)").format(
                    self.requests_table
                ),
                [request_row(r) for r in requests],
            )
        return ids

    def get_requests(self, request_ids: Sequence[str]) -> dict[str, RequestRecord]:
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(
                SQL("SELECT * FROM {} WHERE request_id = ANY(%s)").format(self.requests_table),
                (list(request_ids),),
            )
            return {row["request_id"]: request_from_row(row) for row in curs.fetchall()}

    def request_rows(self) -> list[RequestRow]:
        sql = SQL(REQUEST_ROWS + " FROM {} ORDER BY position").format(self.requests_table)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(sql)
            return [RequestRow(*row.values()) for row in curs.fetchall()]

    def position_of_event(self, event_id: UUID) -> int | None:
        sql = SQL("SELECT position FROM {} WHERE change_id=%s").format(self.requests_table)
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(sql, (str(event_id),))
            rows = curs.fetchall()
            return rows[0]["position"] if rows else None

    def positions_of(self, originator_id: UUID) -> list[int]:
        sql = SQL(
            "SELECT notification_id FROM {} WHERE originator_id=%s ORDER BY originator_version"
        ).format(Identifier(self.datastore.schema, self.events_table_name))
        with self.datastore.transaction(commit=False) as curs:
            curs.execute(sql, (originator_id,))
            return [row["notification_id"] for row in curs.fetchall()]

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


class PostgresRuleView(PostgresTrackingRecorder, SQLRuleView):
    """The read model in PostgreSQL, beside the events: tables named after the tracking
    table's prefix (``ledger_tracking``: ``ledger_offices``, ``ledger_rule_revisions``, ...)."""

    def __init__(
        self, datastore: PostgresDatastore, *, tracking_table_name: str = "ledger_tracking"
    ) -> None:
        super().__init__(datastore, tracking_table_name=tracking_table_name)
        prefix = tracking_table_name.removesuffix("_tracking")
        schema = datastore.schema
        offices = Identifier(schema, f"{prefix}_offices")
        revisions = Identifier(schema, f"{prefix}_rule_revisions")
        digests = Identifier(schema, f"{prefix}_digests")
        tables = {
            "offices": offices,
            "revisions": revisions,
            "digests": digests,
            "merkle": Identifier(schema, f"{prefix}_merkle_nodes"),
            "signed": Identifier(schema, f"{prefix}_signed_checkpoints"),
            "tracking": Identifier(schema, tracking_table_name),
            "p": SQL("%s"),
        }
        self._statements = {
            name: SQL(template).format(**tables) for name, template in STATEMENTS.items()
        }
        self.sql_create_statements += [
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (code text PRIMARY KEY, name text NOT NULL, "
                "crossings text NOT NULL, version bigint NOT NULL, registered_at text NOT NULL, "
                "changes bigint NOT NULL)"
            ).format(offices),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (change_id text NOT NULL, rev int NOT NULL, "
                "office text NOT NULL, seq bigint NOT NULL, kind text NOT NULL, "
                "scope text NOT NULL, measure text NOT NULL, effective text NOT NULL, "
                "recorded_from text NOT NULL, recorded_until text, reported_from text NOT NULL, "
                "reported_until text, event_ids text NOT NULL, sources text NOT NULL, "
                "position_from bigint NOT NULL DEFAULT 0, position_until bigint, "
                "PRIMARY KEY (change_id, rev))"
            ).format(revisions),
            SQL("CREATE INDEX IF NOT EXISTS {} ON {} (office)").format(
                Identifier(f"{prefix}_rule_revisions_office"), revisions
            ),
            SQL("CREATE INDEX IF NOT EXISTS {} ON {} (office, scope)").format(
                Identifier(f"{prefix}_rule_revisions_scope"), revisions
            ),
            SQL(
                "CREATE TABLE IF NOT EXISTS {} (position bigint PRIMARY KEY, root text NOT NULL)"
            ).format(digests),
        ]

    def _statement(self, name: str) -> Composed:
        return self._statements[name]


class PostgresDecisionStore(SQLDecisionStore):
    """The decision log in PostgreSQL (``ledger_decisions``), beside the events."""

    def __init__(self, datastore: PostgresDatastore, table: str, *, present: bool = True) -> None:
        decisions = Identifier(datastore.schema, table)
        statements = {
            name: SQL(template).format(
                decisions=decisions, p=SQL("%s"), sequences=SQL(SEQUENCES["postgres"])
            )
            for name, template in DECISION_STATEMENTS.items()
        }
        super().__init__(datastore, statements, present=present)

    def _exclude(self, cursor: Any) -> None:
        # The schema's advisory lock, until the transaction ends: one append at a time across
        # servers (and none while a server makes or migrates the ledger's tables).
        cursor.execute(
            "SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, self.datastore.schema)
        )

    def _many(self, sequences: list[int]) -> Any:
        return sequences


class PostgresSignedStore(SQLSignedStore):
    """The signed checkpoints in PostgreSQL (``ledger_signed_checkpoints``)."""

    def __init__(self, datastore: PostgresDatastore, table: str, *, present: bool = True) -> None:
        signed = Identifier(datastore.schema, table)
        statements = {
            name: SQL(template).format(signed=signed, p=SQL("%s"))
            for name, template in SIGNED_STATEMENTS.items()
        }
        super().__init__(datastore, statements, present=present)


class PostgresLedgerFactory(LedgerFactory, PostgresFactory):
    """``postgresql://...``: the library's PostgreSQL factory, with the ledger's recorders."""

    application_recorder_class = PostgresLedgerRecorder
    rule_view_class = PostgresRuleView
    _notified: NotifiedVersion | None = None

    def data_version(self) -> DataVersion:
        # One per factory: the listener this factory makes tells it of commits.
        if self._notified is None:
            self._notified = NotifiedVersion()
        return self._notified

    def listener(self, recorder: Any, on_new_events: Callable[[], object]) -> Listener:
        return PostgresListener(recorder, on_new_events, self._notified)

    def decision_store(self) -> SQLDecisionStore:
        table = f"{self.env.name.lower()}_decisions"
        return PostgresDecisionStore(self.datastore, table, present=self.decisions_present)

    def signed_store(self) -> SQLSignedStore:
        table = f"{self.env.name.lower()}_signed_checkpoints"
        return PostgresSignedStore(self.datastore, table, present=self.signed_present)

    def open_ledger(self, *, create: bool) -> State:
        schema = self.datastore.schema
        with self._connect() as db:
            if create:
                _lock(db, schema)
            found = _found(db, schema, self._where)
            state = judge(found, POSTGRES_V1, self._where, _FRESH, others_allowed=True)
            self.version = version_of(found) if state is not State.NEW else SCHEMA_VERSION
            if not create:
                if state is State.NEW:
                    raise NotALedger(f"{self._where} holds no ledger: the schema is empty")
            elif state is not State.MARKED:
                if state is State.NEW:
                    prefix = self.env.name.lower()
                    PostgresLedgerRecorder(
                        self.datastore, events_table_name=f"{prefix}_events"
                    ).create_table()
                    PostgresRuleView(
                        self.datastore, tracking_table_name=f"{prefix}_tracking"
                    ).create_table()
                    _mark(db, schema, prefix)
                else:
                    _migrate(db, schema, self.env.name.lower(), state, self.version)
        return state  # closing the connection let go of the lock

    @property
    def _where(self) -> str:
        """The database, for messages: its URL without the password."""
        kwargs = self._connection_kwargs
        where = "postgresql://{user}@{host}:{port}/{dbname}".format(**kwargs)
        schema = self.env.get(self.POSTGRES_SCHEMA)
        return f"{where}?schema={schema}" if schema else where

    @property
    def _connection_kwargs(self) -> dict[str, Any]:
        kwargs = cast("dict[str, Any]", self.datastore.pool.kwargs)
        return {key: value for key, value in kwargs.items() if key != "row_factory"}

    def _connect(self) -> psycopg.Connection[Any]:
        """A connection of the factory's own, outside the pool: it holds the advisory lock
        while the recorders make their tables through the pool."""
        timeout = int(self.env.get(self.POSTGRES_CONNECT_TIMEOUT) or 5)
        try:
            return psycopg.connect(
                **self._connection_kwargs, autocommit=True, connect_timeout=timeout
            )
        except psycopg.OperationalError as error:
            # psycopg says "connection failed: connection to server at ... failed: REASON".
            reason = str(error).strip().splitlines()[0].rsplit(" failed: ", 1)[-1]
            reason = reason.removeprefix("FATAL:").strip()
            raise StorageUnavailable(f"{self._where} cannot be reached: {reason}") from None


# The ledger's class of advisory locks (the other key is the schema's hash).
_LOCK_CLASS = 0x1ED6E2
_FRESH = "an empty schema (?schema=NAME in the URL, made with CREATE SCHEMA NAME)"


def _lock(db: psycopg.Connection[Any], schema: str) -> None:
    """Hold the schema's advisory lock for the rest of the session: servers opening the same
    schema judge it and make its tables one at a time."""
    db.execute("SET lock_timeout = '60s'")
    try:
        db.execute("SELECT pg_advisory_lock(%s, hashtext(%s))", (_LOCK_CLASS, schema))
    except psycopg.errors.LockNotAvailable:
        raise StorageUnavailable(
            f"schema {schema}: another server has been making the ledger's tables for a "
            "minute; try again"
        ) from None


def _mark(db: psycopg.Connection[Any], schema: str, prefix: str) -> None:
    """Make the decision log's, the Merkle tree's and the signed checkpoints' tables and write
    the marker (``ledger.storage.identity``)."""
    meta = Identifier(schema, META_TABLE)
    decisions = Identifier(schema, f"{prefix}_decisions")
    merkle = Identifier(schema, f"{prefix}_merkle_nodes")
    signed = Identifier(schema, f"{prefix}_signed_checkpoints")
    with db.transaction(), db.cursor() as cursor:
        cursor.execute(SQL(CREATE_DECISIONS).format(decisions=decisions, integer=SQL("bigint")))
        cursor.execute(
            SQL(CREATE_MERKLE).format(merkle=merkle, integer=SQL("bigint"), bytes=SQL("bytea"))
        )
        cursor.execute(SQL(CREATE_EVENT_INDEX).format(**_event_index(schema, prefix)))
        cursor.execute(SQL(CREATE_SIGNED).format(signed=signed, integer=SQL("bigint")))
        cursor.execute(SQL(CREATE_META).format(table=meta))
        cursor.executemany(SQL(INSERT_META).format(table=meta, p=SQL("%s")), MARKER_ROWS)


def new_ledger(
    db: psycopg.Connection[Any], datastore: PostgresDatastore, prefix: str, where: str
) -> Found:
    """In ``db``'s open transaction, holding the schema's advisory lock until it ends: what
    the schema holds, and where it holds nothing, a new ledger's tables and marker, made as
    ``open_ledger`` makes them but not committed (a restore fills them in the same
    transaction: all or nothing)."""
    schema = datastore.schema
    db.execute("SET LOCAL lock_timeout = '60s'")
    db.execute("SELECT pg_advisory_xact_lock(%s, hashtext(%s))", (_LOCK_CLASS, schema))
    found = _found(db, schema, where)
    if found.tables or found.meta is not None:
        return found
    recorders = (
        PostgresLedgerRecorder(datastore, events_table_name=f"{prefix}_events"),
        PostgresRuleView(datastore, tracking_table_name=f"{prefix}_tracking"),
    )
    with db.cursor(row_factory=dict_row) as cursor:
        for recorder in recorders:
            for statement in recorder.sql_create_statements:
                if "CREATE TYPE" in statement.as_string():
                    # A type the library made stays when its tables are dropped: kept, as the
                    # library keeps it (a savepoint, so the transaction goes on).
                    with contextlib.suppress(psycopg.errors.DuplicateObject), db.transaction():
                        cursor.execute(statement, prepare=False)
            recorder._create_table(cursor)
    _mark(db, schema, prefix)
    return found


def _migrate(
    db: psycopg.Connection[Any], schema: str, prefix: str, state: State, version: int
) -> None:
    """Bring a ledger of an earlier schema ``version`` (marked, ``OLD``, or from before the
    marker, ``UNMARKED``) to this version, marker included, in one transaction."""
    meta = Identifier(schema, META_TABLE)
    tables = {
        name: Identifier(schema, f"{prefix}_{table}")
        for name, table in (
            ("revisions", "rule_revisions"),
            ("offices", "offices"),
            ("digests", "digests"),
            ("tracking", "tracking"),
            ("decisions", "decisions"),
            ("merkle", "merkle_nodes"),
            ("signed", "signed_checkpoints"),
        )
    } | _event_index(schema, prefix)
    with db.transaction(), db.cursor() as cursor:
        for statement in migrations(version):
            cursor.execute(
                SQL(statement).format(integer=SQL("bigint"), bytes=SQL("bytea"), **tables)
            )
        if state is State.OLD:
            update = SQL(UPDATE_VERSION).format(table=meta, p=SQL("%s"))
            cursor.execute(update, (str(SCHEMA_VERSION),))
        else:
            cursor.execute(SQL(CREATE_META).format(table=meta))
            cursor.executemany(SQL(INSERT_META).format(table=meta, p=SQL("%s")), MARKER_ROWS)


def _event_index(schema: str, prefix: str) -> dict[str, Any]:
    """The request-id table and the name of its index by event id (an index is made in its
    table's schema: its name is not qualified)."""
    return {
        "requests": Identifier(schema, f"{prefix}_events_requests"),
        "requests_by_event": Identifier(f"{prefix}_events_requests_by_event"),
    }


def _found(db: psycopg.Connection[Any], schema: str, where: str) -> Found:
    """The tables (and views) of a schema with their columns, and its marker."""
    if db.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (schema,)).fetchone() is None:
        raise not_a_ledger(where, f"there is no schema {schema}", _FRESH)
    tables: dict[str, list[str]] = {}
    for table, column, kind in db.execute(
        "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_class c "
        "JOIN pg_namespace n ON n.oid = c.relnamespace "
        "LEFT JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p', 'v', 'm', 'f') "
        "ORDER BY c.relname, a.attnum",
        (schema,),
    ):
        columns = tables.setdefault(table, [])
        if column is not None:
            columns.append(f"{column} {kind}")
    found = {table: tuple(columns) for table, columns in tables.items()}
    if found.pop(META_TABLE, None) is None:
        return Found(found)
    try:
        with db.transaction():
            rows = db.execute(
                SQL("SELECT key, value FROM {}").format(Identifier(schema, META_TABLE))
            ).fetchall()
    except psycopg.Error:  # a table of that name, but not the marker's
        rows = []
    return Found(found, {str(key): str(value) for key, value in rows})
