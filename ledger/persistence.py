"""Storage adapters: a pydantic mapper, and recorders that keep the request-id index.

The request-id index is written in the same transaction as the events it belongs to, under a
unique key, so two racing retries of one command cannot both write (the pattern of the
library's ``searchabletimestamps`` example).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import TYPE_CHECKING, Any, NamedTuple, cast
from uuid import UUID

from eventsourcing.persistence import IntegrityError, Mapper, StoredEvent
from eventsourcing.popo import POPOApplicationRecorder
from eventsourcing.sqlite import SQLiteApplicationRecorder, SQLiteCursor, SQLiteDatastore
from eventsourcing.utils import get_topic, resolve_topic

from ledger.domain.chain import event_hash

if TYPE_CHECKING:
    from eventsourcing.domain import DomainEventProtocol

    from ledger.domain.events import OfficeEvent

__all__ = [
    "ExportRow",
    "PydanticMapper",
    "RequestRecord",
    "RequestIndex",
    "SQLiteLedgerRecorder",
    "POPOLedgerRecorder",
]


class PydanticMapper(Mapper[UUID]):
    """Stores events as the canonical JSON of their pydantic models, the bytes their hash is
    taken over (``ledger.domain.chain``)."""

    def to_stored_event(self, domain_event: DomainEventProtocol[UUID]) -> StoredEvent:
        state = cast("OfficeEvent", domain_event).stored_json()
        if self.compressor:
            state = self.compressor.compress(state)
        if self.cipher:
            state = self.cipher.encrypt(state)
        return StoredEvent(
            originator_id=domain_event.originator_id,
            originator_version=domain_event.originator_version,
            topic=get_topic(type(domain_event)),
            state=state,
        )

    def to_domain_event(self, stored_event: StoredEvent) -> DomainEventProtocol[UUID]:
        state = stored_event.state
        if self.cipher:
            state = self.cipher.decrypt(state)
        if self.compressor:
            state = self.compressor.decompress(state)
        event_class: type[OfficeEvent] = resolve_topic(stored_event.topic)
        event = event_class.model_validate_json(state)
        # The hash is over the stored bytes by definition: no need to serialise again.
        event.seal(event_hash(event_class.__name__, state))
        return cast("DomainEventProtocol[UUID]", event)


@dataclass(frozen=True)
class RequestRecord:
    """What a command's request id is bound to: its payload's fingerprint and its receipt."""

    request_id: str
    fingerprint: str
    office: str
    originator_id: UUID
    change_id: UUID
    office_version: int
    recorded_at: datetime
    hash: str
    position: int = 0  # the global position, filled in when the event is inserted


class ExportRow(NamedTuple):
    """One stored event, exactly as stored, at its global position."""

    position: int
    office_id: str  # the office aggregate's id, hyphenated
    office_version: int
    type: str  # the event class's name
    stored_json: bytes


@lru_cache(maxsize=100_000)
def office_id_text(stored: str | UUID) -> str:
    """The hyphenated form of a stored originator id (SQLite keeps the bare hex)."""
    return str(stored if isinstance(stored, UUID) else UUID(stored))


@lru_cache(maxsize=64)
def event_type(topic: str) -> str:
    """``ledger.domain.office:PolicyTightened`` is a ``PolicyTightened``."""
    return topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]


class RequestIndex:
    """The read side of the request-id index, shared by the recorders."""

    def get_request(self, request_id: str) -> RequestRecord | None:  # pragma: no cover
        raise NotImplementedError

    def export_rows(self, after: int, limit: int) -> list[ExportRow]:  # pragma: no cover
        """Up to ``limit`` events after position ``after``, as stored, without decoding."""
        raise NotImplementedError

    def get_requests(self, request_ids: Sequence[str]) -> dict[str, RequestRecord]:
        """The recorded requests among ``request_ids``, by id (one query per chunk)."""
        found = {}
        for request_id in request_ids:
            request = self.get_request(request_id)
            if request is not None:
                found[request_id] = request
        return found


def _bind_positions(
    requests: Sequence[RequestRecord],
    stored_events: Sequence[StoredEvent],
    ids: Sequence[int] | None,
) -> list[RequestRecord]:
    """Each request gets the global position of the event it wrote."""
    if not requests:
        return []
    assert ids is not None
    assert len(ids) == len(stored_events)
    positions = {
        (stored.originator_id, stored.originator_version): position
        for stored, position in zip(stored_events, ids, strict=True)
    }
    return [
        replace(request, position=positions[request.originator_id, request.office_version])
        for request in requests
    ]


class SQLiteLedgerRecorder(SQLiteApplicationRecorder, RequestIndex):
    """SQLite application recorder with a ``request_ids`` table beside ``stored_events``."""

    def __init__(self, datastore: SQLiteDatastore, events_table_name: str = "stored_events"):
        super().__init__(datastore, events_table_name)
        self.insert_request_statement = "INSERT INTO request_ids VALUES (?,?,?,?,?,?,?,?,?)"
        self.select_request_statement = "SELECT * FROM request_ids WHERE request_id=?"

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
        requests = _bind_positions(kwargs.get("requests", ()), stored_events, ids)
        c.executemany(self.insert_request_statement, [_request_row(r) for r in requests])
        return ids

    def get_request(self, request_id: str) -> RequestRecord | None:
        with self.datastore.transaction(commit=False) as c:
            c.execute(self.select_request_statement, (request_id,))
            row = c.fetchone()
        return None if row is None else _request(row)

    def export_rows(self, after: int, limit: int) -> list[ExportRow]:
        with self.datastore.transaction(commit=False) as c:
            c.execute(
                "SELECT rowid, originator_id, originator_version, topic, state "
                f"FROM {self.events_table_name} WHERE rowid>? ORDER BY rowid LIMIT ?",
                (after, limit),
            )
            return [
                ExportRow(row[0], office_id_text(row[1]), row[2], event_type(row[3]), row[4])
                for row in c.fetchall()
            ]

    def get_requests(self, request_ids: Sequence[str]) -> dict[str, RequestRecord]:
        found: dict[str, RequestRecord] = {}
        with self.datastore.transaction(commit=False) as c:
            for chunk in _chunks(request_ids):
                marks = ",".join("?" * len(chunk))
                c.execute(f"SELECT * FROM request_ids WHERE request_id IN ({marks})", chunk)
                found.update((row["request_id"], _request(row)) for row in c.fetchall())
        return found


def _chunks(items: Sequence[str], size: int = 500) -> list[Sequence[str]]:
    return [items[start : start + size] for start in range(0, len(items), size)]


def _request_row(request: RequestRecord) -> tuple[Any, ...]:
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


def _request(row: Any) -> RequestRecord:
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


class POPOLedgerRecorder(POPOApplicationRecorder, RequestIndex):
    """In-memory application recorder with the same request-id index, for tests."""

    def __init__(self) -> None:
        super().__init__()
        self._requests: dict[str, RequestRecord] = {}

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self._database_lock:
            requests: Sequence[RequestRecord] = kwargs.get("requests", ())
            request_ids = {request.request_id for request in requests}
            if len(request_ids) < len(requests) or request_ids & self._requests.keys():
                raise IntegrityError(f"request ids already recorded: {sorted(request_ids)}")
            ids = super()._insert_events(stored_events, **kwargs)
            for request in _bind_positions(requests, stored_events, ids):
                self._requests[request.request_id] = request
            return ids

    def get_request(self, request_id: str) -> RequestRecord | None:
        with self._database_lock:
            return self._requests.get(request_id)

    def export_rows(self, after: int, limit: int) -> list[ExportRow]:
        return [
            ExportRow(
                n.id,
                office_id_text(n.originator_id),
                n.originator_version,
                event_type(n.topic),
                n.state,
            )
            for n in self.select_notifications(after + 1, limit)
        ]
