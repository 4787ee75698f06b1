"""Timelines: for each scope and dimension of an office, the intervals of the rule in force.

A timeline is the rule index read along valid time instead of at one date: between two days
on which a change's window starts or ends, the index chooses the same revisions, so the state
is asked once per such day (``DimensionTimeline.latest``, the check's own choice) and runs of
equal answers are joined. An interval is *uncertain* where a change's window holds its days:
the rule before it (``level``) may or may not have given way to the change (``pending``).

Beside the bands, the changes themselves: when each took effect, was recorded and first
reported, and its amendments and retraction as known then (the markers of a drawing).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from datetime import date, datetime
from typing import cast
from uuid import UUID

from pydantic import Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from ledger.domain.dates import Day, EffectiveDate
from ledger.domain.goods import hs_prefixes
from ledger.domain.values import (
    DIMENSIONS,
    Admissibility,
    AdmissibilityKind,
    ChangeKind,
    Channel,
    Dimension,
    Direction,
    Enforcement,
    Goods,
    Inspection,
    Measure,
    OfficeCode,
    Scope,
    Source,
    Traveller,
    Value,
)
from ledger.readmodel.answers import AsKnown
from ledger.readmodel.index import DimensionTimeline, OfficeRules, ScopeKey
from ledger.readmodel.model import OPEN, Basis, Knowledge, Revision, micros

__all__ = [
    "TimelineRequest",
    "Level",
    "Interval",
    "Band",
    "Amendment",
    "TimelineChange",
    "OfficeTimeline",
    "office_timeline",
    "MAX_OFFICES",
]

_UNSEEN = object()
# Offices in one request at most: each is read whole, and a report asks for the ledger's
# offices in requests of this many.
MAX_OFFICES = 100


class TimelineRequest(AsKnown):
    """Offices, a range of valid time, scope filters, and what was known."""

    offices: tuple[OfficeCode, ...] = Field(min_length=1, max_length=MAX_OFFICES)
    valid_from: Day | None = None
    valid_to: Day | None = None
    direction: Direction | None = None
    channel: Channel | None = None
    traveller: Traveller | None = None
    goods: Goods | None = None

    @field_validator("valid_to")
    @classmethod
    def _range_in_order(cls, valid_to: date | None, info: ValidationInfo) -> date | None:
        valid_from = info.data.get("valid_from")
        if valid_from and valid_to and valid_from > valid_to:
            raise PydanticCustomError(
                "range_order",
                "valid_from {valid_from} is after valid_to {valid_to}: give the earlier day "
                "first, e.g. valid_from 2024-01-01 and valid_to 2025-12-31",
                {"valid_from": str(valid_from), "valid_to": str(valid_to)},
            )
        return valid_to

    def covers(self, key: ScopeKey) -> bool:
        """Whether a scope is one the filters ask about: the same direction and channel, the
        traveller or ``any`` (which applies to every traveller), goods within or around."""
        direction, channel, traveller, goods = key
        return (
            self.direction in (None, direction)
            and self.channel in (None, channel)
            and (self.traveller is None or traveller in (self.traveller, Traveller.ANY))
            and (self.goods is None or _related(self.goods, goods))
        )


class Level(Value):
    """A dimension's rule over an interval, and the change (in its form ``revision``) behind
    it. ``strictness`` orders levels from 0, the loosest, to ``strictest``."""

    value: str
    strictness: int
    strictest: int
    change_id: UUID
    revision: int
    kind: ChangeKind


class Interval(Value):
    """Days ``valid_from``..``valid_to`` (inclusive; no end: onwards) with the same rule."""

    valid_from: date
    valid_to: date | None
    level: Level | None  # in force for certain (uncertain: before the change); None: no rule
    uncertain: bool = False
    pending: Level | None = None  # uncertain: the rule once the change has taken effect


class Band(Value):
    """One scope's and one dimension's intervals, in order of valid time."""

    scope: Scope
    dimension: Dimension
    intervals: tuple[Interval, ...]


class Amendment(Value):
    """A correction of a change: its new form, and when it was recorded and reported."""

    revision: int
    measure: Measure
    effective: EffectiveDate
    recorded_at: datetime
    reported_on: date


class TimelineChange(Value):
    """A change as known then: its form then, and when it was first recorded and reported."""

    change_id: UUID
    kind: ChangeKind
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    window_start: date
    window_end: date
    recorded_at: datetime
    reported_on: date
    sources: tuple[Source, ...]
    amendments: tuple[Amendment, ...] = ()
    retracted_at: datetime | None = None
    retracted_on: date | None = None  # the retraction as reported (recorded day if unsourced)


class OfficeTimeline(Value):
    office: str
    bands: tuple[Band, ...]
    changes: tuple[TimelineChange, ...]


def office_timeline(
    office: str, revisions: list[Revision], request: TimelineRequest, knowledge: Knowledge
) -> OfficeTimeline:
    """The timeline of one office from all its revisions (every form ever recorded)."""
    wanted = [r for r in revisions if request.covers(_key(r.scope))]
    rules = OfficeRules.of(wanted)
    held = {(r.change_id, r.rev): r for r in wanted}
    low, high = request.valid_from, request.valid_to
    bands = []
    for key in sorted(rules.scopes, key=lambda key: tuple(map(str, key))):
        for dimension in DIMENSIONS:
            timeline = rules.scopes[key].get(dimension)
            if timeline is None:
                continue
            intervals = tuple(_intervals(timeline, knowledge, dimension, held, low, high))
            if intervals:
                bands.append(Band(scope=_scope(key), dimension=dimension, intervals=intervals))
    return OfficeTimeline(
        office=office, bands=tuple(bands), changes=tuple(_changes(wanted, knowledge, low, high))
    )


def _intervals(
    timeline: DimensionTimeline,
    knowledge: Knowledge,
    dimension: Dimension,
    held: dict[tuple[UUID, int], Revision],
    low: date | None,
    high: date | None,
) -> Iterator[Interval]:
    """The state changes only on a day a window starts (a change may be in force from then)
    or ends (it is in force for certain from its last day): asked on each, runs joined."""
    edges = timeline.edges()
    first = low.toordinal() if low else min(edges)
    last = high.toordinal() if high else None
    if last is not None and first > last:  # the band's first rule starts after the range
        return
    days = sorted({first, *(day for day in edges if first < day and (last is None or day <= last))})
    levels: dict[tuple[UUID, int] | None, Level | None] = {None: None}

    def level(chosen: tuple[UUID, int] | None) -> Level | None:
        found = levels.get(chosen, _UNSEEN)
        if found is _UNSEEN:
            found = levels[chosen] = _level(dimension, held, chosen)
        return cast("Level | None", found)

    runs: list[tuple[int, tuple[UUID, int] | None, tuple[UUID, int] | None]] = []
    for day in days:
        at = date.fromordinal(day)
        certain = timeline.latest(at, knowledge, certain=True)
        in_force = timeline.latest(at, knowledge, certain=False)
        if runs and runs[-1][1:] == (certain, in_force):
            continue
        runs.append((day, certain, in_force))
    for number, (day, certain, in_force) in enumerate(runs):
        if certain is None and in_force is None:
            continue
        following = runs[number + 1][0] - 1 if number + 1 < len(runs) else last
        uncertain = certain != in_force
        # Built from values the ledger validated when it recorded them: not validated again.
        yield Interval.model_construct(
            valid_from=date.fromordinal(day),
            valid_to=None if following is None else date.fromordinal(following),
            level=level(certain),
            uncertain=uncertain,
            pending=level(in_force) if uncertain else None,
        )


def _level(
    dimension: Dimension, held: dict[tuple[UUID, int], Revision], chosen: tuple[UUID, int] | None
) -> Level | None:
    if chosen is None:
        return None
    revision = held[chosen]
    value: Admissibility | Inspection | Enforcement = getattr(revision.measure, dimension)
    strictness, strictest = _strictness(value)
    return Level.model_construct(
        value=str(value) if isinstance(value, Admissibility) else value.value,
        strictness=strictness,
        strictest=strictest,
        change_id=revision.change_id,
        revision=revision.rev,
        kind=revision.kind,
    )


def _strictness(value: Admissibility | Inspection | Enforcement) -> tuple[int, int]:
    """A level's place from the loosest (0), and the strictest place of its dimension."""
    if isinstance(value, Admissibility):  # declared strictest first
        strictest = len(AdmissibilityKind) - 1
        return strictest - value.kind.rank, strictest
    return value.rank, len(type(value)) - 1


def _changes(
    revisions: Iterable[Revision], knowledge: Knowledge, low: date | None, high: date | None
) -> Iterator[TimelineChange]:
    """Each change known at ``knowledge`` whose window, in its form then, meets the range."""
    forms: dict[UUID, list[Revision]] = {}
    final: dict[UUID, Revision] = {}  # each change's last form ever: a retraction ends it
    for revision in revisions:
        if _made(revision, knowledge):
            forms.setdefault(revision.change_id, []).append(revision)
        last = final.get(revision.change_id)
        if last is None or last.rev < revision.rev:
            final[revision.change_id] = revision
    for known in sorted(
        forms.values(), key=lambda known: (min(r.start for r in known), min(r.seq for r in known))
    ):
        known.sort(key=lambda revision: revision.rev)
        first, latest = known[0], known[-1]
        if (low and latest.end < low) or (high and latest.start > high):
            continue
        retracted = _ended(latest, knowledge)
        yield TimelineChange(
            change_id=first.change_id,
            kind=first.kind,
            scope=first.scope,
            measure=latest.measure,
            effective=latest.effective,
            window_start=latest.start,
            window_end=latest.end,
            recorded_at=first.recorded_from,
            reported_on=first.reported_from,
            sources=latest.sources,
            amendments=tuple(
                Amendment(
                    revision=r.rev,
                    measure=r.measure,
                    effective=r.effective,
                    recorded_at=r.recorded_from,
                    reported_on=r.reported_from,
                )
                for r in known[1:]
            ),
            retracted_at=final[first.change_id].recorded_until if retracted else None,
            retracted_on=latest.reported_until if retracted else None,
        )


def _made(revision: Revision, knowledge: Knowledge) -> bool:
    """Whether the event that made this form was known (as ``DimensionTimeline.latest``)."""
    if knowledge.position is not None and revision.position_from > knowledge.position:
        return False
    if knowledge.at is None:
        return True
    if knowledge.basis is Basis.RECORDED:
        return micros(revision.recorded_from) <= knowledge.instant
    return revision.reported_from.toordinal() <= knowledge.instant


def _ended(revision: Revision, knowledge: Knowledge) -> bool:
    """Whether the event that ended this form was known too."""
    position_until = OPEN if revision.position_until is None else revision.position_until
    if knowledge.position is not None and position_until > knowledge.position:
        return False
    if knowledge.at is None:
        return revision.recorded_until is not None
    if knowledge.basis is Basis.RECORDED:
        until = revision.recorded_until
        return until is not None and micros(until) <= knowledge.instant
    reported = revision.reported_until
    return reported is not None and reported.toordinal() <= knowledge.instant


def _related(wanted: str, goods: str) -> bool:
    """Goods a filter asks about: the same, or one's HS prefixes within the other's."""
    if wanted == goods:
        return True
    return any(
        a.startswith(b) or b.startswith(a) for a in hs_prefixes(wanted) for b in hs_prefixes(goods)
    )


def _key(scope: Scope) -> ScopeKey:
    return (scope.direction, scope.channel, scope.traveller, scope.goods)


def _scope(key: ScopeKey) -> Scope:
    direction, channel, traveller, goods = key
    return Scope(direction=direction, channel=channel, traveller=traveller, goods=goods)
