"""What every backend adds to the library's infrastructure factory, and what they share.

A backend is one module (``memory``, ``sqlite``, ``postgres``) with its recorder, its view and
its ``Factory``: a subclass of the library's factory for that database and of ``LedgerFactory``.
The library constructs it from the ``PERSISTENCE_MODULE`` setting (``ledger.storage``
chooses the topic from the database URL), and the application, the read side and the audit
ask it for what they need.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol, cast
from uuid import UUID

from eventsourcing.persistence import InfrastructureFactory, Mapper, StoredEvent, Transcoder
from eventsourcing.utils import get_topic, resolve_topic, strtobool

from ledger.application.ports import DecisionStore, RequestRecord, SignedStore
from ledger.domain.chain import event_hash
from ledger.readmodel.follower import DataVersion
from ledger.readmodel.view import RuleView
from ledger.storage.identity import SCHEMA_VERSION, State

if TYPE_CHECKING:
    from eventsourcing.domain import DomainEventProtocol
    from eventsourcing.utils import Environment, EnvType

    from ledger.domain.events import OfficeEvent

__all__ = [
    "LedgerFactory",
    "PydanticMapper",
    "Listener",
    "bind_positions",
    "event_type",
    "office_id_text",
]


class Listener(Protocol):
    """Calls back whenever another process commits events (a thread, until stopped)."""

    def start(self) -> None: ...

    def stop(self) -> None: ...


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
        event = event_class.from_stored(state)
        # The hash is over the stored bytes by definition: no need to serialise again.
        event.seal(event_hash(event_class.__name__, state))
        return cast("DomainEventProtocol[UUID]", event)


class LedgerFactory(InfrastructureFactory[Any], ABC):
    """The ledger's part of a backend's factory: what the database is (``open_ledger``), its
    mapper, its read model, its decision log, and how it notices other processes' writes."""

    rule_view_class: type[RuleView]
    # The schema version ``open_ledger`` found (before migrating it, when it writes).
    version: int = SCHEMA_VERSION
    # Whether the log's positions may skip numbers on a backend whose own do not: a SQLite
    # ledger restored from PostgreSQL, marked so (``identity.SKIPPING``).
    positions_skip: bool = False

    def __init__(self, env: Environment | EnvType | None) -> None:
        super().__init__(env)
        # Without it, nothing is written: an older ledger is read as it is, not migrated.
        self.writes = strtobool(self.env.get("CREATE_TABLE") or "yes")
        try:
            self.state = self.open_ledger(create=self.writes)
        except BaseException:
            self.close()
            raise

    def open_ledger(self, *, create: bool) -> State:
        """What the database is (``ledger.storage.identity``), judged without writing to it; with
        ``create``, the ledger's tables and marker are made where there are none, under a lock.
        ``NotALedger`` refuses anything else. The in-memory store is always a new ledger."""
        return State.NEW

    def env_create_table(self) -> bool:
        """No recorder makes tables of its own: ``open_ledger`` made them, once, under a lock
        (the library's ``CREATE TABLE IF NOT EXISTS`` races between processes)."""
        return False

    def mapper(
        self,
        transcoder: Transcoder | None = None,
        mapper_class: type[Mapper[Any]] | None = None,
    ) -> Mapper[Any]:
        """Events are stored as their canonical JSON (``PydanticMapper``) unless told otherwise."""
        return super().mapper(transcoder, mapper_class or PydanticMapper)

    def rule_view(self) -> RuleView:
        """The read model's view (its tables are made when the database is opened)."""
        view = cast("RuleView", self.tracking_recorder(self.rule_view_class))
        if not self.writes and self.version < 2:
            view.positions = False  # read as it is, not migrated: no positions yet
        if not self.writes and self.version < 4:
            view.merkle = False  # read as it is, not migrated: no Merkle tree yet
        return view

    @abstractmethod
    def decision_store(self) -> DecisionStore:
        """The decision log (its table is made when the database is opened)."""

    @property
    def decisions_present(self) -> bool:
        """Whether the database has the decision log's table: a ledger from before schema
        version 3, read without migrating it, has none (and no decisions)."""
        return self.writes or self.version >= 3

    @abstractmethod
    def signed_store(self) -> SignedStore:
        """The signed checkpoints (their table is made when the database is opened)."""

    @property
    def signed_present(self) -> bool:
        """Whether the database has the signed checkpoints' table: a ledger from before
        schema version 5, read without migrating it, has none."""
        return self.writes or self.version >= 5

    def data_version(self) -> DataVersion | None:
        """A cheap test for commits by others, where the database has one (None: ask it)."""
        return None

    def listener(self, recorder: Any, on_new_events: Callable[[], object]) -> Listener | None:
        """A thread that calls ``on_new_events`` when another process writes, where the
        database can push (None: other processes' writes are polled)."""
        return None


def bind_positions(
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


@lru_cache(maxsize=100_000)
def office_id_text(stored: str | UUID) -> str:
    """The hyphenated form of a stored originator id (SQLite keeps the bare hex)."""
    return str(stored if isinstance(stored, UUID) else UUID(stored))


@lru_cache(maxsize=64)
def event_type(topic: str) -> str:
    """``ledger.domain.events:PolicyTightened`` is a ``PolicyTightened``."""
    return topic.rsplit(":", 1)[-1].rsplit(".", 1)[-1]
