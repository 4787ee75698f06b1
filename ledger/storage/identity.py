"""What makes a database a ledger's: a marker with a schema version, judged before anything is
written to it.

A ledger's database holds a ``ledger_meta`` table of two rows, ``application`` =
``customs-policy-ledger`` and ``schema_version`` = ``5``, written in the transaction that makes
its tables. One table on both backends, read by one query, rather than SQLite's
``application_id``/``user_version`` pragmas plus a table for PostgreSQL: one mechanism to
read, test and migrate, and it says in words what the database is to anyone who lists its
tables.

Opening a database, a backend looks at what it holds without writing (``Found``) and
``judge`` says what it is: nothing yet (``NEW``: a ledger may be made there), a ledger of the
code before the marker (``UNMARKED``: recognised by its tables and columns exactly, as
``SQLITE_V1`` and ``POSTGRES_V1`` record them; it gets the marker), a marked ledger of this
schema version (``MARKED``), a marked ledger of an earlier schema version (``OLD``), or
something else, refused with ``NotALedger`` saying what was found. The backend then makes the
tables and the marker under a lock, looking again first, so that servers started together on
an empty database make one ledger between them.

Schema versions, each a layout and a migration from the one before:

1. the tables as first released (``SQLITE_V1``, ``POSTGRES_V1``);
2. the read model's ``rule_revisions`` gain ``position_from`` and ``position_until``: the log
   positions of the events that began and ended each form of a change, so that a question can
   be asked as of a log position. Migrating adds the columns and empties the read model,
   which the server then rebuilds from the log (``MIGRATE_TO_V2``); the log, the request ids
   and the digest are untouched;
3. the decision log's table, ``decisions`` (SQLite) or ``ledger_decisions`` (PostgreSQL):
   logged answers, numbered and hash-chained (``ledger.application.decisions``). Migrating
   makes the table, empty (``MIGRATE_TO_V3``);
4. the read model's Merkle tree over the log, ``merkle_nodes`` (SQLite) or
   ``ledger_merkle_nodes`` (PostgreSQL): the hash of every complete subtree
   (``ledger.domain.merkle``); and an index of the request ids by event id, so that an event
   named in an answer is found at its position. Migrating makes the table and the index and
   empties the read model, which the server then rebuilds from the log, the tree with it
   (``MIGRATE_TO_V4``); the log, the request ids, the digest and the decisions are untouched;
5. the signed checkpoints, ``signed_checkpoints`` (SQLite) or ``ledger_signed_checkpoints``
   (PostgreSQL): by tree size, the signed note a server with a signing key wrote after each
   of its writes (``ledger.readmodel.signed``). Not part of the read model: a rebuild keeps
   them. Migrating makes the table, empty (``MIGRATE_TO_V5``).

A ledger of version 1 migrates through 2, 3 and 4 to 5 in one transaction (``migrations``).
Reading an ``OLD`` ledger without writing (``ledger audit --store``) works on its tables as
they are (``version_of`` says which: before version 3 there are no decisions, before 5 no
signed checkpoints).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import Enum

from ledger.domain.errors import LedgerError

__all__ = [
    "APPLICATION",
    "SCHEMA_VERSION",
    "META_TABLE",
    "MARKER_ROWS",
    "SKIPPING",
    "CREATE_META",
    "INSERT_META",
    "SQLITE_V1",
    "POSTGRES_V1",
    "SQLITE_V2",
    "POSTGRES_V2",
    "MIGRATE_TO_V2",
    "CREATE_DECISIONS",
    "SQLITE_V3",
    "POSTGRES_V3",
    "MIGRATE_TO_V3",
    "CREATE_MERKLE",
    "CREATE_EVENT_INDEX",
    "SQLITE_V4",
    "POSTGRES_V4",
    "MIGRATE_TO_V4",
    "CREATE_SIGNED",
    "SQLITE_V5",
    "POSTGRES_V5",
    "MIGRATE_TO_V5",
    "LAYOUTS",
    "migrations",
    "version_of",
    "Layout",
    "Found",
    "State",
    "NotALedger",
    "judge",
    "not_a_ledger",
    "listed",
]

APPLICATION = "customs-policy-ledger"
SCHEMA_VERSION = 5
META_TABLE = "ledger_meta"
# The marker's rows: what the database is, and the layout of its tables; and its statements,
# with ``{table}`` and ``{p}`` (a parameter) in the backend's dialect.
MARKER_ROWS = (("application", APPLICATION), ("schema_version", str(SCHEMA_VERSION)))
CREATE_META = "CREATE TABLE IF NOT EXISTS {table} (key TEXT PRIMARY KEY, value TEXT NOT NULL)"
INSERT_META = "INSERT INTO {table} VALUES ({p}, {p})"
UPDATE_VERSION = "UPDATE {table} SET value = {p} WHERE key = 'schema_version'"
# A further row, in a SQLite ledger whose log came from PostgreSQL with positions no event took
# (``ledger.storage.backup``): its positions may skip numbers, as PostgreSQL's do.
SKIPPING = ("positions", "may skip")

# A table's name → its columns, as "name TYPE" in the database's own words.
Layout = Mapping[str, tuple[str, ...]]

_OFFICES = ("code", "name", "crossings", "version", "registered_at", "changes")
_REVISIONS = (
    "change_id",
    "rev",
    "office",
    "seq",
    "kind",
    "scope",
    "measure",
    "effective",
    "recorded_from",
    "recorded_until",
    "reported_from",
    "reported_until",
    "event_ids",
    "sources",
)
_REQUESTS = (
    "request_id",
    "fingerprint",
    "office",
    "originator_id",
    "change_id",
    "office_version",
    "recorded_at",
    "hash",
    "position",
)
_SQLITE_INTEGERS = dict.fromkeys(
    ("version", "changes", "rev", "seq", "office_version", "position"), "INTEGER"
)
_POSTGRES_INTEGERS = {"rev": "integer"} | dict.fromkeys(
    ("version", "changes", "seq", "office_version", "position"), "bigint"
)


def _typed(columns: Iterable[str], types: Mapping[str, str], other: str) -> tuple[str, ...]:
    return tuple(f"{column} {types.get(column, other)}" for column in columns)


# Schema version 1, as the code before the marker wrote it (and this code still writes it).
# Frozen: a change to the tables is a new schema version, with its migration.
SQLITE_V1: Layout = {
    "stored_events": (
        "originator_id TEXT",
        "originator_version INTEGER",
        "topic TEXT",
        "state BLOB",
    ),
    "request_ids": _typed(_REQUESTS, _SQLITE_INTEGERS, "TEXT"),
    "tracking": ("application_name TEXT", "notification_id INTEGER"),
    "offices": _typed(_OFFICES, _SQLITE_INTEGERS, "TEXT"),
    "rule_revisions": _typed(_REVISIONS, _SQLITE_INTEGERS, "TEXT"),
    "digests": ("position INTEGER", "root TEXT"),
}
POSTGRES_V1: Layout = {
    "ledger_events": (
        "originator_id uuid",
        "originator_version bigint",
        "topic text",
        "state bytea",
        "notification_id bigint",
    ),
    "ledger_events_requests": _typed(_REQUESTS, _POSTGRES_INTEGERS, "text"),
    "ledger_tracking": ("application_name text", "notification_id bigint"),
    "ledger_offices": _typed(_OFFICES, _POSTGRES_INTEGERS, "text"),
    "ledger_rule_revisions": _typed(_REVISIONS, _POSTGRES_INTEGERS, "text"),
    "ledger_digests": ("position bigint", "root text"),
}


def _with_positions(layout: Layout, revisions: str, integer: str) -> Layout:
    extra = (f"position_from {integer}", f"position_until {integer}")
    return {**layout, revisions: (*layout[revisions], *extra)}


SQLITE_V2: Layout = _with_positions(SQLITE_V1, "rule_revisions", "INTEGER")
POSTGRES_V2: Layout = _with_positions(POSTGRES_V1, "ledger_rule_revisions", "bigint")

# From version 1 to 2, in one transaction with ``{revisions}``, ``{offices}``, ``{digests}``
# and ``{tracking}`` the backend's tables and ``{integer}`` its integer type: the read model
# is emptied, to be rebuilt from the log with the positions.
# The read model emptied, to be rebuilt from the log (versions 2 and 4).
_EMPTY_READ_MODEL = (
    "DELETE FROM {revisions}",
    "DELETE FROM {offices}",
    "DELETE FROM {digests}",
    # The library's own row (``__migration__``) says its tracking table is migrated: it stays.
    "DELETE FROM {tracking} WHERE application_name != '__migration__'",
)
MIGRATE_TO_V2 = (
    "ALTER TABLE {revisions} ADD COLUMN position_from {integer} NOT NULL DEFAULT 0",
    "ALTER TABLE {revisions} ADD COLUMN position_until {integer}",
    *_EMPTY_READ_MODEL,
)

# The decision log (version 3), with ``{decisions}`` the backend's table and ``{integer}`` its
# integer type; the columns are ``ledger.application.decisions.Decision``'s. No IF NOT EXISTS:
# a table of that name that is not the ledger's stops the transaction.
CREATE_DECISIONS = (
    "CREATE TABLE {decisions} (sequence {integer} PRIMARY KEY, "
    "decision_id TEXT NOT NULL UNIQUE, asked_at TEXT NOT NULL, asked_by TEXT NOT NULL, "
    "label TEXT NOT NULL, rpc TEXT NOT NULL, request TEXT NOT NULL, answer TEXT NOT NULL, "
    "position {integer} NOT NULL, digest TEXT NOT NULL, event_ids TEXT NOT NULL, "
    "prev_hash TEXT NOT NULL, hash TEXT NOT NULL)"
)
_DECISIONS = (
    "sequence",
    "decision_id",
    "asked_at",
    "asked_by",
    "label",
    "rpc",
    "request",
    "answer",
    "position",
    "digest",
    "event_ids",
    "prev_hash",
    "hash",
)
SQLITE_V3: Layout = {
    **SQLITE_V2,
    "decisions": _typed(_DECISIONS, _SQLITE_INTEGERS | {"sequence": "INTEGER"}, "TEXT"),
}
POSTGRES_V3: Layout = {
    **POSTGRES_V2,
    "ledger_decisions": _typed(_DECISIONS, _POSTGRES_INTEGERS | {"sequence": "bigint"}, "text"),
}
MIGRATE_TO_V3 = (CREATE_DECISIONS,)

# The Merkle tree (version 4), with ``{merkle}`` the backend's table, ``{integer}`` its integer
# type and ``{bytes}`` its byte-string type: (level, index) → the hash of the complete subtree
# of the 2**level leaves from index * 2**level.
CREATE_MERKLE = (
    "CREATE TABLE {merkle} (level {integer} NOT NULL, idx {integer} NOT NULL, "
    "hash {bytes} NOT NULL, PRIMARY KEY (level, idx))"
)
# Request ids by event id (``change_id``): ``{requests}`` the table, ``{requests_by_event}``
# the index's name.
CREATE_EVENT_INDEX = "CREATE INDEX {requests_by_event} ON {requests} (change_id)"
_MERKLE = ("level", "idx", "hash")
SQLITE_V4: Layout = {
    **SQLITE_V3,
    "merkle_nodes": _typed(_MERKLE, {"hash": "BLOB"}, "INTEGER"),
}
POSTGRES_V4: Layout = {
    **POSTGRES_V3,
    "ledger_merkle_nodes": _typed(_MERKLE, {"hash": "bytea"}, "bigint"),
}
# From version 3 to 4: the table, and the read model emptied to be rebuilt with the tree.
MIGRATE_TO_V4 = (CREATE_MERKLE, CREATE_EVENT_INDEX, *_EMPTY_READ_MODEL)

# Signed checkpoints (version 5), with ``{signed}`` the backend's table and ``{integer}`` its
# integer type: a tree size → the signed note of the checkpoint at that size.
CREATE_SIGNED = "CREATE TABLE {signed} (position {integer} PRIMARY KEY, note TEXT NOT NULL)"
SQLITE_V5: Layout = {**SQLITE_V4, "signed_checkpoints": ("position INTEGER", "note TEXT")}
POSTGRES_V5: Layout = {**POSTGRES_V4, "ledger_signed_checkpoints": ("position bigint", "note text")}
MIGRATE_TO_V5 = (CREATE_SIGNED,)

# The tables of this schema version, by backend.
LAYOUTS: Mapping[str, Layout] = {"sqlite": SQLITE_V5, "postgres": POSTGRES_V5}

# Version N → the statements that bring it to N + 1.
_STEPS = {1: MIGRATE_TO_V2, 2: MIGRATE_TO_V3, 3: MIGRATE_TO_V4, 4: MIGRATE_TO_V5}
_EARLIER = {str(version) for version in _STEPS}


def migrations(version: int) -> tuple[str, ...]:
    """The statements that bring a ledger of schema ``version`` to this one, in order."""
    return tuple(s for step in range(version, SCHEMA_VERSION) for s in _STEPS[step])


def version_of(found: Found) -> int:
    """The schema version of a ledger ``judge`` accepted: its marker's, 1 before the marker,
    this one for a database that holds nothing yet."""
    if found.meta is not None:
        return int(found.meta.get("schema_version", SCHEMA_VERSION))
    return 1 if found.tables else SCHEMA_VERSION


class NotALedger(LedgerError):
    """The database named is not a ledger this code opens; nothing was written to it."""


class State(Enum):
    """What a database is, to the ledger."""

    NEW = "new"  # it holds nothing: a ledger may be made there
    UNMARKED = "unmarked"  # a ledger of the code before the marker: it gets one
    MARKED = "marked"  # a ledger of this schema version
    OLD = "old"  # a marked ledger of an earlier schema version: it is migrated


@dataclass(frozen=True)
class Found:
    """What a database holds: its tables with their columns (``Layout``), and the rows of its
    ``ledger_meta`` table (None when it has none; empty when they cannot be read)."""

    tables: Layout = field(default_factory=dict)
    meta: Mapping[str, str] | None = None


def not_a_ledger(where: str, what: str, fresh: str) -> NotALedger:
    """``where`` is not a ledger database: ``what`` it is instead, and what to do."""
    return NotALedger(
        f"{where} is not a ledger database: {what}; point LEDGER_DATABASE_URL at a ledger, "
        f"or at {fresh}"
    )


def judge(
    found: Found, layout: Layout, where: str, fresh: str, *, others_allowed: bool = False
) -> State:
    """What ``found`` is, or ``NotALedger`` saying what it holds. ``fresh`` names where a new
    ledger may be made (``a new file``); ``others_allowed``: tables that are not the ledger's
    may sit beside an unmarked ledger (a PostgreSQL schema is shared, a SQLite file is not)."""
    if found.meta is not None:
        return _marked(found.meta, where, fresh)
    tables = found.tables
    if not tables:
        return State.NEW
    ours = {name: columns for name, columns in tables.items() if name in layout}
    others = sorted(set(tables) - set(layout))
    if ours == layout and (others_allowed or not others):
        return State.UNMARKED
    if ours.keys() == layout.keys() and not others:
        name = next(name for name in sorted(layout) if ours[name] != layout[name])
        what = (
            f"it holds tables named as a ledger's, but {name} has the columns "
            f"{listed(ours[name])} where a ledger's has {listed(layout[name])}"
        )
    elif ours and others_allowed:
        missing = sorted(set(layout) - set(ours))
        what = (
            f"it holds some of a ledger's tables ({listed(sorted(ours))}) but not "
            f"{listed(missing)}, and no ledger marker"
        )
    else:
        what = f"it holds {_tables(sorted(tables))} and no ledger marker"
    raise not_a_ledger(where, what, fresh)


def _marked(meta: Mapping[str, str], where: str, fresh: str) -> State:
    application = meta.get("application")
    if application != APPLICATION:
        said = f"names the application {application!r}" if application else "is not a ledger's"
        raise not_a_ledger(where, f"its {META_TABLE} table {said}", fresh)
    version = meta.get("schema_version", "")
    if version in _EARLIER:
        return State.OLD
    if version != str(SCHEMA_VERSION):
        raise NotALedger(
            f"{where} is a ledger of schema version {version or '(none)'}; this code reads "
            f"versions 1 to {SCHEMA_VERSION}: open it with the release that wrote it, or a newer "
            "one"
        )
    return State.MARKED


def _tables(names: list[str]) -> str:
    """``the table a``; ``the tables a, b,`` (the comma before "and no ledger marker")."""
    return f"the table {names[0]}" if len(names) == 1 else f"the tables {listed(names)},"


def listed(names: Iterable[str], most: int = 8) -> str:
    """``a, b, c``; past ``most`` names, how many more."""
    names = list(names)
    shown = ", ".join(names[:most])
    return f"{shown} and {len(names) - most} more" if len(names) > most else shown
