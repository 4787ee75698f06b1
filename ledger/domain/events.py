"""The office's events: immutable facts, each linked by hash to the one before it.

Events are frozen pydantic models and are never edited: a correction is a ``ChangeAmended``, a
withdrawal a ``ChangeRetracted``. What an event does to its office is the office's business
(``Office.when``); an event only carries what happened, and its place in the hash chain.

``EVENTS`` names every event type; the storage, the history and the audit learn them there.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar, Self
from uuid import UUID

from eventsourcing.domain import CanInitAggregate, CanMutateAggregate
from eventsourcing.utils import register_topic
from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.chain import canonical_json, event_hash
from ledger.domain.dates import EffectiveDate
from ledger.domain.errors import ChainBroken
from ledger.domain.values import (
    DIMENSIONS,
    ChangeKind,
    Crossing,
    Dimension,
    Measure,
    OfficeCode,
    Scope,
    Source,
)

__all__ = [
    "OfficeEvent",
    "OfficeRegistered",
    "PolicyChanged",
    "PolicyObserved",
    "PolicyTightened",
    "PolicyLoosened",
    "ChangeAmended",
    "ChangeRetracted",
    "EVENTS",
    "CHANGES",
]

Sources = tuple[Source, ...]
_SOURCES = Field(min_length=1, description="At least one source per change")
_STORED, _HASH = "_stored_json", "_hash"


class OfficeEvent(BaseModel, CanMutateAggregate[UUID]):
    """Base of the office's events. ``timestamp`` is the ledger's recorded time; ``prev_hash``
    links each event to the previous one of its office (see ``ledger.domain.chain``)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    originator_id: UUID
    originator_version: int
    timestamp: datetime
    event_id: UUID
    prev_hash: str = Field(pattern=r"^[0-9a-f]{64}$")

    @property
    def recorded_at(self) -> datetime:
        return self.timestamp

    def windows(self) -> tuple[tuple[date, date], ...]:
        """The valid-time windows this event states for its change (none if it states none)."""
        return ()

    # The stored bytes and the hash are worked out once and kept in the instance's ``__dict__``
    # beside the fields (pydantic's private attributes cost a lookup through ``__getattr__``
    # on every access). Events are frozen, so neither can go stale; serialisation, equality and
    # hashing look at the fields only.

    # The version of the event's shape and meaning; a stored event of an earlier version is
    # upcast on reading (``upcast_vN_vN+1`` on the class), as the library's mapper does.
    class_version: ClassVar[int] = 1

    def stored_json(self) -> bytes:
        """The exact bytes the event is stored as: its canonical JSON (encoded once), with
        its ``class_version`` from version 2 on; for an event read from the store, the bytes
        it was read from."""
        stored: bytes | None = self.__dict__.get(_STORED)
        if stored is None:
            data = self.model_dump(mode="json")
            if self.class_version > 1:
                data["class_version"] = self.class_version
            stored = self.__dict__[_STORED] = canonical_json(data)
        return stored

    @classmethod
    def from_stored(cls, state: bytes) -> Self:
        """The event stored as ``state`` (upcast from the version it was stored in), keeping
        those bytes as its own."""
        if cls.class_version == 1:
            event = cls.model_validate_json(state)
        else:
            data = json.loads(state)
            version = data.pop("class_version", 1)
            while version < cls.class_version:
                getattr(cls, f"upcast_v{version}_v{version + 1}")(data)
                version += 1
            event = cls.model_validate(data)
        event.__dict__[_STORED] = state
        return event

    @property
    def hash(self) -> str:
        hash_: str | None = self.__dict__.get(_HASH)
        if hash_ is None:
            hash_ = self.__dict__[_HASH] = event_hash(type(self).__name__, self.stored_json())
        return hash_

    def seal(self, hash_: str) -> None:
        """Take the hash of the bytes this event was read from (cheaper than re-encoding)."""
        self.__dict__[_HASH] = hash_

    def model_copy(self, *, update: Mapping[str, Any] | None = None, deep: bool = False) -> Self:
        """A copy (with ``update``) has its own bytes and hash: the cached ones are left out."""
        copy = super().model_copy(update=update, deep=deep)
        copy.__dict__.pop(_STORED, None)
        copy.__dict__.pop(_HASH, None)
        return copy

    def mutate(self, aggregate: Any) -> Any:
        """Apply the event, refusing one that does not link to its office's last event."""
        if aggregate is not None and self.prev_hash != aggregate.last_hash:
            raise ChainBroken(
                self.originator_id, self.originator_version, self.prev_hash, aggregate.last_hash
            )
        aggregate = super().mutate(aggregate)
        aggregate.last_hash = self.hash
        return aggregate

    def apply(self, aggregate: Any) -> None:
        """What the event does to its office is the office's to say."""
        aggregate.when(self)


class OfficeRegistered(OfficeEvent, CanInitAggregate[UUID]):
    originator_topic: str
    code: OfficeCode
    name: str
    crossings: tuple[Crossing, ...] = ()


class PolicyChanged(OfficeEvent):
    """A change of policy claimed by its sources: observed, tightened or loosened."""

    kind: ClassVar[ChangeKind]
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    sources: Sources = _SOURCES
    note: str = ""

    @property
    def change_id(self) -> UUID:
        """A change is known by the id of the event that recorded it."""
        return self.event_id

    def windows(self) -> tuple[tuple[date, date], ...]:
        return (self.effective.window,)


class PolicyObserved(PolicyChanged):
    """A baseline: the rule as reported at a date, no change claimed."""

    kind = ChangeKind.OBSERVED


class PolicyTightened(PolicyChanged):
    kind = ChangeKind.TIGHTENED


class PolicyLoosened(PolicyChanged):
    kind = ChangeKind.LOOSENED


class ChangeAmended(OfficeEvent):
    """A later correction of an earlier change: its effective date, dimensions of its measure,
    or both.

    Version 2: ``measure`` states the dimensions corrected, and the others stay as they were;
    ``clear`` names dimensions the change no longer states. Version 1, stored before, replaced
    the whole measure: it is read as a version 2 that restates what it stated and clears the
    rest (``upcast_v1_v2``), so stored ledgers keep their meaning."""

    class_version: ClassVar[int] = 2

    change_id: UUID
    effective: EffectiveDate | None = None
    measure: Measure | None = None
    clear: tuple[Dimension, ...] = ()
    reason: str = Field(min_length=1)
    sources: Sources = _SOURCES

    @staticmethod
    def upcast_v1_v2(state: dict[str, Any]) -> None:
        measure = state.get("measure")
        state["clear"] = (
            [] if measure is None else [d for d in DIMENSIONS if measure.get(d) is None]
        )

    def windows(self) -> tuple[tuple[date, date], ...]:
        return () if self.effective is None else (self.effective.window,)


class ChangeRetracted(OfficeEvent):
    """An earlier change withdrawn: it never should have been recorded. A clerical retraction
    ("recorded against the wrong office") has a reason and no source."""

    change_id: UUID
    reason: str = Field(min_length=1)
    sources: Sources = ()


EVENTS: dict[str, type[OfficeEvent]] = {
    event.__name__: event
    for event in (
        OfficeRegistered,
        PolicyObserved,
        PolicyTightened,
        PolicyLoosened,
        ChangeAmended,
        ChangeRetracted,
    )
}
# The event recording each kind of change.
CHANGES: dict[ChangeKind, type[PolicyChanged]] = {
    event.kind: event for event in (PolicyObserved, PolicyTightened, PolicyLoosened)
}

# Events stored before the events had a module of their own name their class by its old topic.
for _name, _event in EVENTS.items():
    register_topic(f"ledger.domain.office:{_name}", _event)
