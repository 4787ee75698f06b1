"""What the SQL backends share: the read model's statements, and rows to values and back.

The statements are written once, with ``{p}`` for a parameter and ``{offices}``,
``{revisions}``, ``{digests}``, ``{merkle}``, ``{tracking}`` for the tables; each backend
formats them in its own dialect (SQLite's ``?`` and plain names, psycopg's ``%s`` and quoted
identifiers) and runs them through its library datastore. Values are stored as text (JSON, ISO
dates), but for the Merkle tree's hashes (32 bytes each).

The decision log's statements and store are shared the same way, in
``ledger.storage.decision_sql``.
"""

from __future__ import annotations

import json
from abc import abstractmethod
from collections import OrderedDict
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from functools import cached_property
from typing import Any
from uuid import UUID

from eventsourcing.persistence import Tracking
from pydantic import BaseModel, TypeAdapter

from ledger.application.ports import RequestRecord
from ledger.domain.dates import EffectiveDate
from ledger.domain.values import ChangeKind, Crossing, Dimension, Measure, Scope, Source
from ledger.readmodel.model import (
    OPEN,
    Checkpoint,
    Entry,
    MerkleNode,
    OfficeRow,
    Revision,
    micros,
)
from ledger.readmodel.view import RuleView

__all__ = [
    "STATEMENTS",
    "REQUEST_ROWS",
    "SQLRuleView",
    "Parsed",
    "request_row",
    "request_from_row",
]

# Statement name → template. Writes are upserts that SQLite (3.24+) and PostgreSQL both read.
STATEMENTS = {
    "add_digest": "INSERT INTO {digests} VALUES ({p},{p})",
    "add_merkle": "INSERT INTO {merkle} VALUES ({p},{p},{p})",
    "add_signed": "INSERT INTO {signed} (position, note) VALUES ({p},{p}) ON CONFLICT DO NOTHING",
    "merkle_node": "SELECT hash FROM {merkle} WHERE level={p} AND idx={p}",
    "merkle_nodes": "SELECT level, idx, hash FROM {merkle} ORDER BY level, idx",
    "put_office": "INSERT INTO {offices} VALUES ({p},{p},{p},{p},{p},{p}) ON CONFLICT (code) "
    "DO UPDATE SET name=excluded.name, crossings=excluded.crossings, version=excluded.version, "
    "registered_at=excluded.registered_at, changes=excluded.changes",
    "put_revision": "INSERT INTO {revisions} VALUES ("
    + ",".join(["{p}"] * 16)
    + ") ON CONFLICT (change_id, rev) "
    "DO UPDATE SET recorded_until=excluded.recorded_until, reported_until=excluded.reported_until, "
    "position_until=excluded.position_until",
    "office": "SELECT * FROM {offices} WHERE code={p}",
    "offices": "SELECT * FROM {offices} ORDER BY code",
    "revision_rows": "SELECT * FROM {revisions} ORDER BY office, change_id, rev",
    "revisions_of_office": "SELECT * FROM {revisions} WHERE office={p}",
    "entries_of_scope": "SELECT change_id, rev, seq, measure, effective, recorded_from, "
    "recorded_until, reported_from, reported_until, position_from, position_until "
    "FROM {revisions} WHERE office={p} AND scope={p}",
    "revision": "SELECT * FROM {revisions} WHERE change_id={p} AND rev={p}",
    "revisions_of_change": "SELECT * FROM {revisions} WHERE change_id={p} ORDER BY rev",
    "latest_checkpoint": "SELECT position, root FROM {digests} ORDER BY position DESC LIMIT 1",
    "checkpoint_at": "SELECT position, root FROM {digests} WHERE position={p}",
    "checkpoints": "SELECT position, root FROM {digests} WHERE position>{p} ORDER BY position "
    "LIMIT {p}",
    "clear_offices": "DELETE FROM {offices}",
    "clear_revisions": "DELETE FROM {revisions}",
    "clear_digests": "DELETE FROM {digests}",
    "clear_merkle": "DELETE FROM {merkle}",
    "clear_tracking": "DELETE FROM {tracking} WHERE application_name != {p}",
}


# The columns of a request-id row the audit reads (``RequestRow``), in order.
REQUEST_ROWS = "SELECT request_id, office, originator_id, office_version, hash, position"

_SOURCES = TypeAdapter(tuple[Source, ...])
_CROSSINGS = TypeAdapter(tuple[Crossing, ...])


class Parsed:
    """Values parsed from stored text, each distinct text once: scopes, measures, dates and
    sources repeat across thousands of revisions, and sharing their (immutable) values keeps a
    loaded office small. The least recently used are forgotten past ``size``."""

    def __init__(self, size: int = 200_000) -> None:
        self.size = size
        self._values: OrderedDict[tuple[object, str], Any] = OrderedDict()

    def __call__(self, kind: type[BaseModel] | TypeAdapter[Any], text: str) -> Any:
        key = (kind, text)
        value = self._values.get(key)
        if value is None:
            if isinstance(kind, TypeAdapter):
                value = kind.validate_json(text)
            else:
                value = kind.model_validate_json(text)
            self._values[key] = value
            if len(self._values) > self.size:
                self._values.popitem(last=False)
        else:
            self._values.move_to_end(key)
        return value

    def dimensions(self, measure: str) -> tuple[Dimension, ...]:
        return tuple(self(Measure, measure).stated())


class SQLRuleView(RuleView):
    """The read model in SQL tables beside the events, for a backend that says how to run a
    statement (``_statement``, and the library datastore's transactions)."""

    datastore: Any
    table_migration_identifier: str

    @abstractmethod
    def _insert_tracking(self, cursor: Any, tracking: Tracking) -> None:
        """Record the tracking position within the transaction (the library's recorder does)."""

    @cached_property
    def parsed(self) -> Parsed:
        return Parsed()

    @abstractmethod
    def _statement(self, name: str) -> Any:
        """The statement ``name`` of ``STATEMENTS``, in this backend's dialect."""

    def _rows(self, name: str, *params: Any) -> list[Any]:
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._statement(name), params)
            return list(cursor.fetchall())

    def save(
        self,
        offices: Sequence[OfficeRow],
        revisions: Sequence[Revision],
        checkpoints: Sequence[Checkpoint],
        tracking: Tracking,
        nodes: Sequence[MerkleNode] = (),
        signed: Sequence[tuple[int, str]] = (),
    ) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            # The digests first: a position another process already projected fails here.
            cursor.executemany(
                self._statement("add_digest"), [(c.position, c.root) for c in checkpoints]
            )
            if nodes and self.merkle:
                cursor.executemany(self._statement("add_merkle"), nodes)
            if offices:
                cursor.executemany(self._statement("put_office"), [_office_row(o) for o in offices])
            if revisions:
                cursor.executemany(
                    self._statement("put_revision"), [_revision_row(r) for r in revisions]
                )
            if signed:
                cursor.executemany(self._statement("add_signed"), signed)
            self._insert_tracking(cursor, tracking)

    def clear(self) -> None:
        with self.datastore.transaction(commit=True) as cursor:
            names = ["clear_offices", "clear_revisions", "clear_digests"]
            for name in [*names, "clear_merkle"] if self.merkle else names:
                cursor.execute(self._statement(name))
            cursor.execute(self._statement("clear_tracking"), (self.table_migration_identifier,))

    def latest_checkpoint(self) -> Checkpoint | None:
        rows = self._rows("latest_checkpoint")
        return Checkpoint(rows[0]["position"], rows[0]["root"]) if rows else None

    def checkpoint_at(self, position: int) -> Checkpoint | None:
        rows = self._rows("checkpoint_at", position)
        return Checkpoint(rows[0]["position"], rows[0]["root"]) if rows else None

    def checkpoints(self, after: int, limit: int) -> list[Checkpoint]:
        rows = self._rows("checkpoints", after, limit)
        return [Checkpoint(row["position"], row["root"]) for row in rows]

    def merkle_node(self, level: int, index: int) -> bytes:
        rows = self._rows("merkle_node", level, index)
        if not rows:
            raise KeyError((level, index))
        return bytes(rows[0]["hash"])

    def merkle_nodes_at(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        found = {}
        with self.datastore.transaction(commit=False) as cursor:  # one transaction, not one each
            for level, index in keys:
                cursor.execute(self._statement("merkle_node"), (level, index))
                rows = cursor.fetchall()
                if rows:
                    found[level, index] = bytes(rows[0]["hash"])
        return found

    def merkle_nodes(self) -> Iterator[MerkleNode]:
        for row in self._streamed("merkle_nodes"):
            yield row["level"], row["idx"], bytes(row["hash"])

    def get_office(self, code: str) -> OfficeRow | None:
        rows = self._rows("office", code)
        return _office(rows[0]) if rows else None

    def list_offices(self) -> list[OfficeRow]:
        return [_office(row) for row in self._rows("offices")]

    def revisions_of_office(self, code: str) -> list[Revision]:
        return [self._revision(row) for row in self._rows("revisions_of_office", code)]

    def entries_of_scope(self, code: str, scope: Scope) -> list[Entry]:
        rows = self._rows("entries_of_scope", code, scope.model_dump_json())
        return [self._entry(row) for row in rows]

    def revision(self, change_id: UUID, rev: int) -> Revision | None:
        rows = self._rows("revision", str(change_id), rev)
        return self._revision(rows[0]) if rows else None

    def revisions_of_change(self, change_id: UUID) -> list[Revision]:
        return [self._revision(row) for row in self._rows("revisions_of_change", str(change_id))]

    def revision_rows(self) -> Iterator[Any]:
        """Every revision's row as stored, by office, change id and revision number, read a
        page at a time (the store audit compares two read models in one pass)."""
        return self._streamed("revision_rows")

    def _streamed(self, name: str) -> Iterator[Any]:
        """The rows of statement ``name``, read a page at a time."""
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self._statement(name), ())
            fetchmany = getattr(cursor, "sqlite_cursor", cursor).fetchmany
            while rows := fetchmany(1000):
                yield from rows

    def revision_of(self, row: Any) -> Revision:
        """The revision a row of ``revision_rows`` holds."""
        return self._revision(row)

    def _revision(self, row: Any) -> Revision:
        parsed = self.parsed
        effective = parsed(EffectiveDate, row["effective"])
        start, end = effective.window
        return Revision(
            office=row["office"],
            change_id=UUID(row["change_id"]),
            rev=row["rev"],
            seq=row["seq"],
            kind=ChangeKind(row["kind"]),
            scope=parsed(Scope, row["scope"]),
            measure=parsed(Measure, row["measure"]),
            effective=effective,
            start=start,
            end=end,
            recorded_from=datetime.fromisoformat(row["recorded_from"]),
            recorded_until=_datetime_or_none(row["recorded_until"]),
            reported_from=date.fromisoformat(row["reported_from"]),
            reported_until=_date_or_none(row["reported_until"]),
            event_ids=tuple(UUID(event_id) for event_id in json.loads(row["event_ids"])),
            sources=parsed(_SOURCES, row["sources"]),
            position_from=row["position_from"] if self.positions else 0,
            position_until=row["position_until"] if self.positions else None,
        )

    def _entry(self, row: Any) -> Entry:
        """An index entry straight from a row: no model is built but the (shared) date window
        and measure, so that reading a scope of a long office stays cheap."""
        start, end = self.parsed(EffectiveDate, row["effective"]).window
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
            self.parsed.dimensions(row["measure"]),
            row["position_from"],
            OPEN if row["position_until"] is None else row["position_until"],
        )


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _datetime_or_none(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)


def _date_or_none(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _office_row(office: OfficeRow) -> tuple[Any, ...]:
    return (
        office.code,
        office.name,
        _CROSSINGS.dump_json(office.crossings).decode(),
        office.version,
        office.registered_at.isoformat(),
        office.changes,
    )


def _office(row: Any) -> OfficeRow:
    return OfficeRow(
        code=row["code"],
        name=row["name"],
        crossings=_CROSSINGS.validate_json(row["crossings"]),
        version=row["version"],
        registered_at=datetime.fromisoformat(row["registered_at"]),
        changes=row["changes"],
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
        revision.position_from,
        revision.position_until,
    )


def request_row(request: RequestRecord) -> tuple[Any, ...]:
    """A request-id row, as both SQL backends store it."""
    return (
        request.request_id,
        request.fingerprint,
        request.office,
        str(request.originator_id),
        str(request.change_id),
        request.office_version,
        request.recorded_at.isoformat(),
        request.hash,
        request.position,
    )


def request_from_row(row: Any) -> RequestRecord:
    return RequestRecord(
        request_id=row["request_id"],
        fingerprint=row["fingerprint"],
        office=row["office"],
        originator_id=UUID(row["originator_id"]),
        change_id=UUID(row["change_id"]),
        office_version=row["office_version"],
        recorded_at=datetime.fromisoformat(row["recorded_at"]),
        hash=row["hash"],
        position=row["position"],
    )
