"""The ``Office`` aggregate: one customs office and every policy change recorded for it.

Its verbs (``register``, ``observe``, ``tighten``, ``loosen``, ``amend``, ``retract``) check
the invariants and trigger the events of ``ledger.domain.events``; ``when`` says what each
event does to the office. It keeps just enough state to enforce its invariants: the current
form of each change, so that a tightening can be compared with the state it replaces.
"""

from __future__ import annotations

from bisect import bisect_left
from datetime import date
from typing import Any
from uuid import NAMESPACE_URL, UUID, uuid5

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.domain import BaseAggregate
from pydantic import BaseModel, ConfigDict

from ledger.domain.chain import GENESIS
from ledger.domain.dates import EffectiveDate
from ledger.domain.errors import (
    AmendmentContradicts,
    ChangeAlreadyRetracted,
    ChangeNotFound,
    DirectionViolation,
    NothingToAmend,
)
from ledger.domain.events import (
    CHANGES,
    ChangeAmended,
    ChangeRetracted,
    OfficeEvent,
    OfficeRegistered,
    PolicyChanged,
)
from ledger.domain.values import (
    ChangeKind,
    Crossing,
    Dimension,
    Measure,
    Scope,
    Source,
    compare_strictness,
)

__all__ = ["Office", "Change", "office_id"]

_OFFICE_NAMESPACE = uuid5(NAMESPACE_URL, "https://customs-policy-ledger/offices")
Sources = tuple[Source, ...]
# A scope's changes in rule order: (window start, order recorded, change id).
Order = tuple[date, int, UUID]


def office_id(code: str) -> UUID:
    """Offices are addressed by code; the aggregate id is derived from it, so a code is unique."""
    return uuid5(_OFFICE_NAMESPACE, code)


class Change(BaseModel):
    """The current form of a recorded change, as the office needs it for its invariants."""

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


class Office(BaseAggregate[UUID]):
    """One customs office (port of entry) and its history of policy changes."""

    def __init__(self, code: str, name: str, crossings: tuple[Crossing, ...]) -> None:
        self.code = code
        self.name = name
        self.crossings = crossings
        self.changes: dict[UUID, Change] = {}
        # Tuples, so that a copy of the office can share them.
        self.scopes: dict[Scope, tuple[Order, ...]] = {}
        self.last_hash = GENESIS

    def __deepcopy__(self, memo: dict[int, Any]) -> Office:
        """The library copies a cached office for every command. Its changes are frozen, so
        a copy shares them and copies only the containers that commands change."""
        clone = object.__new__(type(self))
        clone.__dict__.update(self.__dict__)
        clone.changes = dict(self.changes)
        clone.scopes = dict(self.scopes)
        clone._pending_events = list(self._pending_events)
        return clone

    def trigger_event(self, event_class: type[Any], **kwargs: Any) -> None:
        """Every new event links to the office's last one."""
        super().trigger_event(event_class, prev_hash=self.last_hash, **kwargs)

    # The verbs.

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

    def observe(
        self,
        scope: Scope,
        measure: Measure,
        effective: EffectiveDate,
        sources: Sources,
        note: str = "",
        *,
        event_id: UUID,
    ) -> None:
        """Record the rule as reported at a date: a baseline, no change claimed."""
        self._change(ChangeKind.OBSERVED, scope, measure, effective, sources, note, event_id)

    def tighten(
        self,
        scope: Scope,
        measure: Measure,
        effective: EffectiveDate,
        sources: Sources,
        note: str = "",
        *,
        event_id: UUID,
    ) -> None:
        """Record a tightening: no dimension may be looser than the state it replaces."""
        self._change(ChangeKind.TIGHTENED, scope, measure, effective, sources, note, event_id)

    def loosen(
        self,
        scope: Scope,
        measure: Measure,
        effective: EffectiveDate,
        sources: Sources,
        note: str = "",
        *,
        event_id: UUID,
    ) -> None:
        """Record a loosening: no dimension may be stricter than the state it replaces."""
        self._change(ChangeKind.LOOSENED, scope, measure, effective, sources, note, event_id)

    def amend(
        self,
        change_id: UUID,
        reason: str,
        sources: Sources,
        effective: EffectiveDate | None = None,
        measure: Measure | None = None,
        clear: tuple[Dimension, ...] = (),
        *,
        event_id: UUID,
    ) -> None:
        """Correct an earlier change: its effective date, the dimensions ``measure`` states
        (the others stay as they were), the dimensions in ``clear`` (no longer stated)."""
        change = self.check_change_is_live(change_id)
        if effective is None and measure is None and not clear:
            raise NothingToAmend(change_id)
        amended = self.check_amended_measure(change, measure, clear)
        new_effective = effective or change.effective
        self.check_direction(
            change.kind,
            change.scope,
            amended,
            (new_effective.window[0], change.seq),
            ignoring=change_id,
        )
        self.trigger_event(
            ChangeAmended,
            change_id=change_id,
            effective=effective,
            measure=measure,
            clear=tuple(dict.fromkeys(clear)),
            reason=reason,
            sources=sources,
            event_id=event_id,
        )

    @staticmethod
    def check_amended_measure(
        change: Change, measure: Measure | None, clear: tuple[Dimension, ...]
    ) -> Measure:
        """The change's measure as amended; refused if a dimension is both restated and
        cleared, or if none would be left."""
        both = [d for d in clear if measure is not None and d in measure.stated()]
        if both:
            raise AmendmentContradicts(
                change.change_id, f"both restates and clears {', '.join(both)}: do one"
            )
        try:
            return change.measure.amended(measure, clear)
        except ValueError:
            raise AmendmentContradicts(
                change.change_id,
                f"would leave it stating nothing (it states {change.measure}): retract the "
                "change instead",
            ) from None

    def retract(self, change_id: UUID, reason: str, sources: Sources, *, event_id: UUID) -> None:
        """Withdraw an earlier change: it never should have been recorded."""
        self.check_change_is_live(change_id)
        self.trigger_event(
            ChangeRetracted, change_id=change_id, reason=reason, sources=sources, event_id=event_id
        )

    def _change(
        self,
        kind: ChangeKind,
        scope: Scope,
        measure: Measure,
        effective: EffectiveDate,
        sources: Sources,
        note: str,
        event_id: UUID,
    ) -> None:
        self.check_direction(kind, scope, measure, (effective.window[0], self.version + 1))
        self.trigger_event(
            CHANGES[kind],
            scope=scope,
            measure=measure,
            effective=effective,
            sources=sources,
            note=note,
            event_id=event_id,
        )

    # What each event does to the office.

    @singledispatchmethod
    def when(self, event: OfficeEvent) -> None:
        """A registration sets the office up in ``__init__``: nothing more to do."""

    @when.register
    def _(self, event: PolicyChanged) -> None:
        order = (event.effective.window[0], event.originator_version, event.event_id)
        self.scopes[event.scope] = _inserted(self.scopes.get(event.scope, ()), order)
        self.changes[event.event_id] = Change.model_construct(
            change_id=event.event_id,
            kind=event.kind,
            seq=event.originator_version,
            scope=event.scope,
            measure=event.measure,
            effective=event.effective,
        )

    @when.register
    def _(self, event: ChangeAmended) -> None:
        change = self.changes[event.change_id]
        amended = change.model_copy(
            update={
                "effective": event.effective or change.effective,
                "measure": change.measure.amended(event.measure, event.clear),
            }
        )
        self.changes[event.change_id] = amended
        if amended.order != change.order:  # a new window start moves it in its scope's order
            kept = tuple(o for o in self.scopes[change.scope] if o[2] != event.change_id)
            self.scopes[change.scope] = _inserted(kept, (*amended.order, event.change_id))

    @when.register
    def _(self, event: ChangeRetracted) -> None:
        change = self.changes[event.change_id]
        self.changes[event.change_id] = change.model_copy(update={"retracted": True})

    # Invariants.

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
            direction = compare_strictness(new, getattr(prior.measure, dimension))
            if (
                direction is None
                or (kind is ChangeKind.TIGHTENED and direction > 0)
                or (kind is ChangeKind.LOOSENED and direction < 0)
            ):
                raise DirectionViolation(
                    kind, dimension, new, prior, comparable=direction is not None
                )

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


def _inserted(ordered: tuple[Order, ...], entry: Order) -> tuple[Order, ...]:
    i = bisect_left(ordered, entry)
    return (*ordered[:i], entry, *ordered[i:])
