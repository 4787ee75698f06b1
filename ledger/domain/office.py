"""The ``Office`` aggregate: one customs office and every policy change recorded for it.

Events are frozen pydantic models and are never edited: a correction is a ``ChangeAmended``,
a withdrawal a ``ChangeRetracted``. The aggregate keeps just enough state to enforce its
invariants: the current form of each change, so that a tightening can be compared with the
state it replaces.
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Mapping
from datetime import date, datetime
from enum import StrEnum
from typing import Any, ClassVar, Self
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.domain import BaseAggregate, CanInitAggregate, CanMutateAggregate
from pydantic import BaseModel, ConfigDict, Field

from ledger.domain.chain import GENESIS, canonical_json, event_hash
from ledger.domain.values import (
    Admissibility,
    Crossing,
    Dimension,
    EffectiveDate,
    Enforcement,
    Inspection,
    Measure,
    OfficeCode,
    Scope,
    Source,
)

__all__ = [
    "Office",
    "ChangeKind",
    "Change",
    "OfficeEvent",
    "OfficeRegistered",
    "PolicyChanged",
    "PolicyObserved",
    "PolicyTightened",
    "PolicyLoosened",
    "ChangeAmended",
    "ChangeRetracted",
    "office_id",
    "LedgerError",
    "ChangeNotFound",
    "ChangeAlreadyRetracted",
    "DirectionViolation",
    "ChainBroken",
    "NothingToAmend",
]

_OFFICE_NAMESPACE = uuid5(NAMESPACE_URL, "https://customs-policy-ledger/offices")


def office_id(code: str) -> UUID:
    """Offices are addressed by code; the aggregate id is derived from it, so a code is unique."""
    return uuid5(_OFFICE_NAMESPACE, code)


class ChangeKind(StrEnum):
    OBSERVED = "observed"
    TIGHTENED = "tightened"
    LOOSENED = "loosened"


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

    # The stored bytes and the hash are worked out once and kept in the instance's ``__dict__``
    # beside the fields (pydantic's private attributes cost a lookup through ``__getattr__``
    # on every access). Events are frozen, so neither can go stale; serialisation, equality and
    # hashing look at the fields only.

    def stored_json(self) -> bytes:
        """The exact bytes the event is stored as: its canonical JSON (encoded once)."""
        stored: bytes | None = self.__dict__.get(_STORED)
        if stored is None:
            stored = self.__dict__[_STORED] = canonical_json(self.model_dump(mode="json"))
        return stored

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
            raise ChainBroken(self, aggregate.last_hash)
        aggregate = super().mutate(aggregate)
        aggregate.last_hash = self.hash
        return aggregate


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
        return self.event_id

    def apply(self, aggregate: Any) -> None:
        order = (self.effective.window[0], self.originator_version, self.event_id)
        aggregate.scopes[self.scope] = _inserted(aggregate.scopes.get(self.scope, ()), order)
        aggregate.changes[self.event_id] = Change.model_construct(
            change_id=self.event_id,
            kind=self.kind,
            seq=self.originator_version,
            scope=self.scope,
            measure=self.measure,
            effective=self.effective,
        )


class PolicyObserved(PolicyChanged):
    """A baseline: the rule as reported at a date, no change claimed."""

    kind = ChangeKind.OBSERVED


class PolicyTightened(PolicyChanged):
    kind = ChangeKind.TIGHTENED


class PolicyLoosened(PolicyChanged):
    kind = ChangeKind.LOOSENED


class ChangeAmended(OfficeEvent):
    """A later correction of an earlier change: its effective date, its measure, or both."""

    change_id: UUID
    effective: EffectiveDate | None = None
    measure: Measure | None = None
    reason: str = Field(min_length=1)
    sources: Sources = _SOURCES

    def apply(self, aggregate: Any) -> None:
        change: Change = aggregate.changes[self.change_id]
        amended = change.model_copy(
            update={
                "effective": self.effective or change.effective,
                "measure": self.measure or change.measure,
            }
        )
        aggregate.changes[self.change_id] = amended
        if amended.order != change.order:  # a new window start moves it in its scope's order
            kept = tuple(o for o in aggregate.scopes[change.scope] if o[2] != self.change_id)
            aggregate.scopes[change.scope] = _inserted(kept, (*amended.order, self.change_id))


class ChangeRetracted(OfficeEvent):
    """An earlier change withdrawn: it never should have been recorded."""

    change_id: UUID
    reason: str = Field(min_length=1)
    sources: Sources = _SOURCES

    def apply(self, aggregate: Any) -> None:
        change: Change = aggregate.changes[self.change_id]
        aggregate.changes[self.change_id] = change.model_copy(update={"retracted": True})


class Change(BaseModel):
    """The current form of a recorded change, as the aggregate needs it for its invariants."""

    model_config = ConfigDict(frozen=True)

    change_id: UUID
    kind: ChangeKind
    seq: int
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    retracted: bool = False

    @property
    def order(self) -> tuple[date, int]:
        """Changes are ordered by the start of their window, then by the order recorded."""
        return self.effective.window[0], self.seq


_CHANGE_EVENTS: dict[ChangeKind, type[PolicyChanged]] = {
    ChangeKind.OBSERVED: PolicyObserved,
    ChangeKind.TIGHTENED: PolicyTightened,
    ChangeKind.LOOSENED: PolicyLoosened,
}


class Office(BaseAggregate[UUID]):
    """One customs office (port of entry) and its history of policy changes."""

    def __init__(self, code: str, name: str, crossings: tuple[Crossing, ...]) -> None:
        self.code = code
        self.name = name
        self.crossings = crossings
        self.changes: dict[UUID, Change] = {}
        # Each scope's changes in rule order, as (window start, seq, change id); tuples, so that
        # a copy of the office can share them.
        self.scopes: dict[Scope, tuple[tuple[date, int, UUID], ...]] = {}
        self.last_hash = GENESIS

    @classmethod
    def register(
        cls, code: str, name: str, crossings: tuple[Crossing, ...] = (), *, event_id: UUID
    ) -> Office:
        return cls._create(
            OfficeRegistered,
            id=office_id(code),
            code=code,
            name=name,
            crossings=crossings,
            event_id=event_id,
            prev_hash=GENESIS,
        )

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        """Every new event links to the office's last one."""
        super().trigger_event(event_class, prev_hash=self.last_hash, **kwargs)

    def __deepcopy__(self, memo: dict[int, Any]) -> Office:
        """The library copies a cached office for every command. Its changes are frozen, so
        a copy shares them and copies only the containers that commands change."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.changes = dict(self.changes)
        clone.scopes = dict(self.scopes)
        clone._pending_events = list(self._pending_events)
        return clone

    def record(
        self,
        kind: ChangeKind,
        scope: Scope,
        measure: Measure,
        effective: EffectiveDate,
        sources: Sources,
        note: str = "",
        *,
        event_id: UUID,
    ) -> None:
        """Record an observation, a tightening or a loosening, as change ``event_id``."""
        self.check_direction(kind, scope, measure, (effective.window[0], self.version + 1))
        self.trigger_event(
            _CHANGE_EVENTS[kind],
            scope=scope,
            measure=measure,
            effective=effective,
            sources=sources,
            note=note,
            event_id=event_id,
        )

    def amend(
        self,
        change_id: UUID,
        reason: str,
        sources: Sources,
        effective: EffectiveDate | None = None,
        measure: Measure | None = None,
        *,
        event_id: UUID,
    ) -> None:
        change = self.check_change_is_live(change_id)
        if effective is None and measure is None:
            raise NothingToAmend(change_id)
        new_effective = effective or change.effective
        self.check_direction(
            change.kind,
            change.scope,
            measure or change.measure,
            (new_effective.window[0], change.seq),
            ignoring=change_id,
        )
        self.trigger_event(
            ChangeAmended,
            change_id=change_id,
            effective=effective,
            measure=measure,
            reason=reason,
            sources=sources,
            event_id=event_id,
        )

    def retract(self, change_id: UUID, reason: str, sources: Sources, *, event_id: UUID) -> None:
        self.check_change_is_live(change_id)
        self.trigger_event(
            ChangeRetracted, change_id=change_id, reason=reason, sources=sources, event_id=event_id
        )

    def check_change_is_live(self, change_id: UUID) -> Change:
        try:
            change = self.changes[change_id]
        except KeyError:
            raise ChangeNotFound(self.code, change_id) from None
        if change.retracted:
            raise ChangeAlreadyRetracted(self.code, change_id)
        return change

    def check_direction(
        self,
        kind: ChangeKind,
        scope: Scope,
        measure: Measure,
        order: tuple[date, int],
        ignoring: UUID | None = None,
    ) -> None:
        """A tightening may loosen no dimension of the state it replaces; a loosening may
        tighten none. The replaced state is the same scope's, just before ``order``."""
        if kind is ChangeKind.OBSERVED:
            return
        for dimension, new in measure.stated().items():
            prior = self.prior(scope, dimension, order, ignoring)
            if prior is None:
                continue
            old = getattr(prior.measure, dimension)
            direction = compare_strictness(new, old)
            if (
                direction is None
                or (kind is ChangeKind.TIGHTENED and direction > 0)
                or (kind is ChangeKind.LOOSENED and direction < 0)
            ):
                raise DirectionViolation(kind, dimension, new, old, prior)

    def prior(
        self,
        scope: Scope,
        dimension: Dimension,
        order: tuple[date, int],
        ignoring: UUID | None = None,
    ) -> Change | None:
        """The live change of ``scope`` that last stated ``dimension`` before ``order``."""
        ordered = self.scopes.get(scope, ())
        for i in range(bisect_left(ordered, order) - 1, -1, -1):  # back from ``order``
            change = self.changes[ordered[i][2]]
            if (
                not change.retracted
                and change.change_id != ignoring
                and getattr(change.measure, dimension) is not None
            ):
                return change
        return None


def _inserted(
    ordered: tuple[tuple[date, int, UUID], ...], entry: tuple[date, int, UUID]
) -> tuple[tuple[date, int, UUID], ...]:
    i = bisect_left(ordered, entry)
    return (*ordered[:i], entry, *ordered[i:])


def compare_strictness(
    new: Admissibility | Inspection | Enforcement, old: Admissibility | Inspection | Enforcement
) -> int | None:
    """-1 if ``new`` is stricter than ``old``, 0 if as strict, 1 if looser, None if unordered."""
    if isinstance(new, Admissibility):
        assert isinstance(old, Admissibility)
        return new.compare(old)
    assert isinstance(old, type(new))
    return (new.rank < old.rank) - (new.rank > old.rank)


class LedgerError(Exception):
    """Base of the domain's refusals; each names what was refused and why."""


class ChangeNotFound(LedgerError):
    def __init__(self, office: str, change_id: UUID) -> None:
        super().__init__(f"office {office} has no change {change_id}")
        self.change_id = change_id


class ChangeAlreadyRetracted(LedgerError):
    def __init__(self, office: str, change_id: UUID) -> None:
        super().__init__(f"change {change_id} of office {office} is retracted")
        self.change_id = change_id


class NothingToAmend(LedgerError):
    def __init__(self, change_id: UUID) -> None:
        super().__init__(
            f"an amendment of change {change_id} must give an effective date or a measure"
        )


class ChainBroken(LedgerError):
    """An event that does not link to the previous event of its office: the store was altered."""

    def __init__(self, event: OfficeEvent, last_hash: str) -> None:
        super().__init__(
            f"event {event.originator_version} of office {event.originator_id} links to "
            f"{event.prev_hash}, but the previous event's hash is {last_hash}"
        )


class DirectionViolation(LedgerError):
    """A tightening that loosens, or a loosening that tightens, some dimension."""

    def __init__(
        self,
        kind: ChangeKind,
        dimension: Dimension,
        new: Admissibility | Inspection | Enforcement,
        old: Admissibility | Inspection | Enforcement,
        prior: Change,
    ) -> None:
        verb = {ChangeKind.TIGHTENED: "tightening", ChangeKind.LOOSENED: "loosening"}[kind]
        relation = (
            "cannot be ordered against"
            if compare_strictness(new, old) is None
            else ("is looser than" if kind is ChangeKind.TIGHTENED else "is stricter than")
        )
        super().__init__(
            f"a {verb} cannot set {dimension} to {new}: it {relation} the prior measure "
            f"({prior.measure}, change {prior.change_id}, effective {prior.effective}); "
            "record a mixed change as two events"
        )
        self.dimension = dimension
        self.prior = prior
