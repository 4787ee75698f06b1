"""The persisted read model: offices and rule revisions, each written with its tracking position.

A *revision* is one version of a change as known over an interval of knowledge time, on each
basis: the original change is revision 0, each amendment adds one, and a later amendment or a
retraction closes the interval of those before it. The views store revisions and offices; the
projection computes them; the rule index answers queries from them.
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID

from eventsourcing.persistence import Tracking, TrackingRecorder
from eventsourcing.popo import POPOTrackingRecorder
from eventsourcing.sqlite import SQLiteTrackingRecorder
from pydantic import BaseModel, TypeAdapter

from ledger.domain.dates import EffectiveDate
from ledger.domain.values import ChangeKind, Crossing, Dimension, Measure, Scope, Source

if TYPE_CHECKING:
    from collections.abc import Sequence

__all__ = [
    "Basis",
    "Knowledge",
    "Revision",
    "Entry",
    "OPEN",
    "micros",
    "Checkpoint",
    "OfficeRow",
    "RuleView",
    "SQLiteRuleView",
    "POPORuleView",
]


class Basis(StrEnum):
    """Which knowledge time a question is asked on."""

    RECORDED = "recorded"  # the ledger's own transaction time: what an auditor uses
    REPORTED = "reported"  # the earliest publication date of the cited sources


@dataclass(frozen=True, slots=True)
class Knowledge:
    """ "As known at": a basis and an instant, or ``None`` for everything known now."""

    basis: Basis = Basis.RECORDED
    at: datetime | None = None

    @property
    def instant(self) -> int:
        """``at`` as the index compares it: microseconds (RECORDED) or a day (REPORTED)."""
        if self.at is None:
            return OPEN
        if self.basis is Basis.RECORDED:
            return micros(self.at)
        return self.at.date().toordinal()

    @classmethod
    def of(cls, known_at: date | datetime | None, basis: Basis = Basis.RECORDED) -> Knowledge:
        """A date means the end of that day (UTC); naive datetimes are taken as UTC."""
        if known_at is None:
            return cls(basis)
        if not isinstance(known_at, datetime):
            known_at = datetime.combine(known_at, time.max, UTC)
        elif known_at.tzinfo is None:
            known_at = known_at.replace(tzinfo=UTC)
        return cls(basis, known_at)


@dataclass(frozen=True, slots=True)
class Revision:
    """One version of a change, and the knowledge intervals in which it is the current one."""

    office: str
    change_id: UUID
    rev: int
    seq: int
    kind: ChangeKind
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    start: date
    end: date
    recorded_from: datetime
    recorded_until: datetime | None
    reported_from: date
    reported_until: date | None
    event_ids: tuple[UUID, ...]
    sources: tuple[Source, ...]


# The rule index keeps each revision as numbers (an ``Entry``): times as microseconds since the
# epoch, days as ordinals, an interval still open as ``OPEN``.
OPEN = 2**62
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


class Entry(NamedTuple):
    """What the rule index needs of a revision to choose it; the rest is read when chosen."""

    start: int  # the window's first and last day, as ordinals
    end: int
    seq: int
    rev: int
    recorded_from: int  # microseconds since the epoch; until: OPEN if still current
    recorded_until: int
    reported_from: int  # days, as ordinals
    reported_until: int
    change: int  # the change id, as an integer
    dimensions: tuple[Dimension, ...]  # the dimensions the revision states

    @classmethod
    def of(cls, revision: Revision) -> Entry:
        return cls(
            revision.start.toordinal(),
            revision.end.toordinal(),
            revision.seq,
            revision.rev,
            micros(revision.recorded_from),
            OPEN if revision.recorded_until is None else micros(revision.recorded_until),
            revision.reported_from.toordinal(),
            OPEN if revision.reported_until is None else revision.reported_until.toordinal(),
            revision.change_id.int,
            tuple(revision.measure.stated()),
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The ledger digest after the event at ``position``: ``root`` chains every event so far."""

    position: int
    root: str


@dataclass(frozen=True, slots=True)
class OfficeRow:
    code: str
    name: str
    crossings: tuple[Crossing, ...]
    version: int
    registered_at: datetime
    changes: int = 0


_SOURCES = TypeAdapter(tuple[Source, ...])
_CROSSINGS = TypeAdapter(tuple[Crossing, ...])


class RuleView(TrackingRecorder):
    """Where the projection keeps offices and revisions, with its tracking position."""

    def save(
        self,
        offices: Sequence[OfficeRow],
        revisions: Sequence[Revision],
        checkpoints: Sequence[Checkpoint],
        tracking: Tracking,
    ) -> None:  # pragma: no cover - interface
        """Upsert the offices and the revisions, add the checkpoints, record ``tracking`` (the
        last event they include): atomically."""
        raise NotImplementedError

    def latest_checkpoint(self) -> Checkpoint | None:  # pragma: no cover - interface
        raise NotImplementedError

    def checkpoint_at(self, position: int) -> Checkpoint | None:  # pragma: no cover - interface
        raise NotImplementedError

    def checkpoints(self, after: int, limit: int) -> list[Checkpoint]:  # pragma: no cover
        """Checkpoints in position order, after ``after``."""
        raise NotImplementedError

    def get_office(self, code: str) -> OfficeRow | None:  # pragma: no cover - interface
        raise NotImplementedError

    def list_offices(self) -> list[OfficeRow]:  # pragma: no cover - interface
        raise NotImplementedError

    def revisions_of_office(self, code: str) -> list[Revision]:  # pragma: no cover - interface
        raise NotImplementedError

    def entries_of_scope(self, code: str, scope: Scope) -> list[Entry]:  # pragma: no cover
        """The office's revisions of exactly ``scope``, as the rule index keeps them."""
        raise NotImplementedError

    def revision(self, change_id: UUID, rev: int) -> Revision | None:  # pragma: no cover
        raise NotImplementedError

    def revisions_of_change(self, change_id: UUID) -> list[Revision]:  # pragma: no cover
        raise NotImplementedError

    def clear(self) -> None:  # pragma: no cover - interface
        """Forget everything, tracking included, before a rebuild."""
        raise NotImplementedError

    def create_table(self) -> None:
        """Create the tables if they are missing (nothing to do in memory)."""


class POPORuleView(POPOTrackingRecorder, RuleView):
    """The read model in memory, for tests on the in-memory event store."""

    def __init__(self) -> None:
        super().__init__()
        self._offices: dict[str, OfficeRow] = {}
        self._revisions: dict[UUID, dict[int, Revision]] = defaultdict(dict)
        self._by_office: dict[str, set[UUID]] = defaultdict(set)
        self._checkpoints: dict[int, Checkpoint] = {}
        self._latest = 0

    def save(
        self,
        offices: Sequence[OfficeRow],
        revisions: Sequence[Revision],
        checkpoints: Sequence[Checkpoint],
        tracking: Tracking,
    ) -> None:
        with self._database_lock:
            self._assert_tracking_uniqueness(tracking)
            for office in offices:
                self._offices[office.code] = office
            for revision in revisions:
                self._revisions[revision.change_id][revision.rev] = revision
                self._by_office[revision.office].add(revision.change_id)
            for checkpoint in checkpoints:
                self._checkpoints[checkpoint.position] = checkpoint
                self._latest = max(self._latest, checkpoint.position)
            self._insert_tracking(tracking)

    def latest_checkpoint(self) -> Checkpoint | None:
        with self._database_lock:
            return self._checkpoints.get(self._latest)

    def checkpoint_at(self, position: int) -> Checkpoint | None:
        with self._database_lock:
            return self._checkpoints.get(position)

    def checkpoints(self, after: int, limit: int) -> list[Checkpoint]:
        with self._database_lock:
            positions = sorted(p for p in self._checkpoints if p > after)[:limit]
            return [self._checkpoints[p] for p in positions]

    def get_office(self, code: str) -> OfficeRow | None:
        with self._database_lock:
            return self._offices.get(code)

    def list_offices(self) -> list[OfficeRow]:
        with self._database_lock:
            return sorted(self._offices.values(), key=lambda row: row.code)

    def revisions_of_office(self, code: str) -> list[Revision]:
        with self._database_lock:
            return [
                revision
                for change_id in self._by_office[code]
                for revision in self._revisions[change_id].values()
            ]

    def entries_of_scope(self, code: str, scope: Scope) -> list[Entry]:
        return [Entry.of(r) for r in self.revisions_of_office(code) if r.scope == scope]

    def revision(self, change_id: UUID, rev: int) -> Revision | None:
        with self._database_lock:
            return self._revisions.get(change_id, {}).get(rev)

    def revisions_of_change(self, change_id: UUID) -> list[Revision]:
        with self._database_lock:
            return sorted(self._revisions.get(change_id, {}).values(), key=lambda r: r.rev)

    def clear(self) -> None:
        with self._database_lock:
            self._offices.clear()
            self._revisions.clear()
            self._by_office.clear()
            self._checkpoints.clear()
            self._latest = 0
            self._max_tracking_ids.clear()


class SQLiteRuleView(SQLiteTrackingRecorder, RuleView):
    """The read model in the ledger's SQLite file, beside the events."""

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

    def save(
        self,
        offices: Sequence[OfficeRow],
        revisions: Sequence[Revision],
        checkpoints: Sequence[Checkpoint],
        tracking: Tracking,
    ) -> None:
        with self.datastore.transaction(commit=True) as c:
            # The digests first: a position another process already projected fails here.
            c.executemany(
                "INSERT INTO digests VALUES (?,?)",
                [(checkpoint.position, checkpoint.root) for checkpoint in checkpoints],
            )
            c.executemany(
                "INSERT OR REPLACE INTO offices VALUES (?,?,?,?,?,?)",
                [_office_row(office) for office in offices],
            )
            c.executemany(
                "INSERT OR REPLACE INTO rule_revisions VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)",
                [_revision_row(revision) for revision in revisions],
            )
            self._insert_tracking(c, tracking)

    def latest_checkpoint(self) -> Checkpoint | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT position, root FROM digests ORDER BY position DESC LIMIT 1")
            row = c.fetchone()
        return None if row is None else Checkpoint(row["position"], row["root"])

    def checkpoint_at(self, position: int) -> Checkpoint | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT position, root FROM digests WHERE position=?", (position,))
            row = c.fetchone()
        return None if row is None else Checkpoint(row["position"], row["root"])

    def checkpoints(self, after: int, limit: int) -> list[Checkpoint]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT position, root FROM digests WHERE position>? ORDER BY position LIMIT ?",
                (after, limit),
            )
            return [Checkpoint(row["position"], row["root"]) for row in c.fetchall()]

    def get_office(self, code: str) -> OfficeRow | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT * FROM offices WHERE code=?", (code,))
            row = c.fetchone()
        return None if row is None else _office(row)

    def list_offices(self) -> list[OfficeRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT * FROM offices ORDER BY code")
            return [_office(row) for row in c.fetchall()]

    def revisions_of_office(self, code: str) -> list[Revision]:
        with self.datastore.transaction(commit=False) as c:
            c.execute("SELECT * FROM rule_revisions WHERE office=?", (code,))
            return [_revision(row) for row in c.fetchall()]

    def entries_of_scope(self, code: str, scope: Scope) -> list[Entry]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(f"{_ENTRIES} WHERE office=? AND scope=?", (code, scope.model_dump_json()))
            return [_entry(row) for row in c.fetchall()]

    def revision(self, change_id: UUID, rev: int) -> Revision | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT * FROM rule_revisions WHERE change_id=? AND rev=?", (str(change_id), rev)
            )
            row = c.fetchone()
        return None if row is None else _revision(row)

    def revisions_of_change(self, change_id: UUID) -> list[Revision]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT * FROM rule_revisions WHERE change_id=? ORDER BY rev", (str(change_id),)
            )
            return [_revision(row) for row in c.fetchall()]

    def clear(self) -> None:
        with self.datastore.transaction(commit=True) as c:
            c.execute("DELETE FROM offices")
            c.execute("DELETE FROM rule_revisions")
            c.execute("DELETE FROM digests")
            c.execute(
                "DELETE FROM tracking WHERE application_name != ?",
                (self.table_migration_identifier,),
            )


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _office_row(office: OfficeRow) -> tuple[Any, ...]:
    return (
        office.code,
        office.name,
        _CROSSINGS.dump_json(office.crossings).decode(),
        office.version,
        office.registered_at.isoformat(),
        office.changes,
    )


def _revision_row(revision: Revision) -> tuple[Any, ...]:
    return (
        str(revision.change_id),
        revision.rev,
        revision.office,
        revision.seq,
        revision.kind.value,
        revision.scope.model_dump_json(),
        revision.measure.model_dump_json(),
        revision.effective.model_dump_json(),
        _iso(revision.recorded_from),
        _iso(revision.recorded_until),
        _iso(revision.reported_from),
        _iso(revision.reported_until),
        json.dumps([str(event_id) for event_id in revision.event_ids]),
        _SOURCES.dump_json(revision.sources).decode(),
    )


def _revision(row: Any) -> Revision:
    effective = _parsed(EffectiveDate, row["effective"])
    start, end = effective.window
    return Revision(
        office=row["office"],
        change_id=UUID(row["change_id"]),
        rev=row["rev"],
        seq=row["seq"],
        kind=ChangeKind(row["kind"]),
        scope=_parsed(Scope, row["scope"]),
        measure=_parsed(Measure, row["measure"]),
        effective=effective,
        start=start,
        end=end,
        recorded_from=datetime.fromisoformat(row["recorded_from"]),
        recorded_until=_datetime_or_none(row["recorded_until"]),
        reported_from=date.fromisoformat(row["reported_from"]),
        reported_until=_date_or_none(row["reported_until"]),
        event_ids=tuple(UUID(event_id) for event_id in json.loads(row["event_ids"])),
        sources=_parsed(_SOURCES, row["sources"]),
    )


_ENTRIES = (
    "SELECT change_id, rev, seq, measure, effective, recorded_from, recorded_until, "
    "reported_from, reported_until FROM rule_revisions"
)


def _entry(row: Any) -> Entry:
    """An index entry straight from a row: no model is built but the (shared) date window and
    measure, so that reading a scope of a long office stays cheap."""
    start, end = _parsed(EffectiveDate, row["effective"]).window
    until, reported_until = row["recorded_until"], row["reported_until"]
    return Entry(
        start.toordinal(),
        end.toordinal(),
        row["seq"],
        row["rev"],
        micros(datetime.fromisoformat(row["recorded_from"])),
        OPEN if until is None else micros(datetime.fromisoformat(until)),
        date.fromisoformat(row["reported_from"]).toordinal(),
        OPEN if reported_until is None else date.fromisoformat(reported_until).toordinal(),
        int(row["change_id"].replace("-", ""), 16),
        _dimensions(row["measure"]),
    )


_DIMENSIONS: dict[str, tuple[Dimension, ...]] = {}


def _dimensions(measure: str) -> tuple[Dimension, ...]:
    found = _DIMENSIONS.get(measure)
    if found is None:
        found = _DIMENSIONS[measure] = tuple(_parsed(Measure, measure).stated())
    return found


# Scopes, measures, dates and sources repeat across thousands of revisions: each distinct text
# is parsed once and its (immutable) value shared, which keeps a loaded office small.
_PARSED: dict[tuple[object, str], Any] = {}
_PARSED_KEPT = 200_000


def _parsed(kind: type[BaseModel] | TypeAdapter[Any], text: str) -> Any:
    key = (kind, text)
    value = _PARSED.get(key)
    if value is None:
        if len(_PARSED) >= _PARSED_KEPT:
            _PARSED.clear()
        if isinstance(kind, TypeAdapter):
            value = kind.validate_json(text)
        else:
            value = kind.model_validate_json(text)
        _PARSED[key] = value
    return value


def _datetime_or_none(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _date_or_none(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _office(row: Any) -> OfficeRow:
    return OfficeRow(
        code=row["code"],
        name=row["name"],
        crossings=_CROSSINGS.validate_json(row["crossings"]),
        version=row["version"],
        registered_at=datetime.fromisoformat(row["registered_at"]),
        changes=row["changes"],
    )
