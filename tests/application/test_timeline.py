"""Timelines (``Reader.timeline``): for each scope and dimension of an office, the intervals of
valid time with the same rule, as known at a time, on a basis, or up to a log position.

* A hypothesis property: for random histories of one office (changes of every kind in a few
  scopes, effective dates of every precision, amendments of measure and date, retractions,
  sources back-dated before earlier records), the timeline equals a plain fold written here:
  every day of the range, every scope and dimension, the rule in force for certain (a change
  counts from its window's last day) and the rule that may be in force (from its first day),
  consecutive equal days joined. The oracle knows nothing of the rule index or the projection:
  it replays the commands the test issued, with their receipts' times and positions.
* Agreement with ``state`` (and, for the seed story, ``check``) at every interval's first and
  last day, and on the days just outside it.
* The edges one by one: window edges, same-day changes, back-dated corrections, retractions,
  the two knowledge bases, clipping to a range, the filters, the changes listed, refusals.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st
from pydantic import ValidationError

from ledger.application.importer import import_file
from ledger.bootstrap import Ledger
from ledger.domain.errors import LedgerError, OfficeNotFound
from ledger.domain.goods import hs_prefixes, normalise_goods
from ledger.domain.values import DIMENSIONS, Scope
from ledger.readmodel.answers import RuleState, StateRequest, Verdict
from ledger.readmodel.reader import BeyondTheLog
from ledger.readmodel.timeline import Interval, Level, OfficeTimeline, TimelineRequest
from ledger.settings import Settings
from tests.support import (
    ALLOWED,
    DANDONG,
    PROHIBITED,
    WORKER_BAGGAGE,
    amend,
    check,
    limit,
    record,
    register,
    retract,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "dandong-2025.jsonl"
ONE_DAY = timedelta(days=1)
ONE_MICROSECOND = timedelta(microseconds=1)

# What the property compares of an interval: first and last day (None: onwards), the rule in
# force for certain and the one pending (each: value, change, revision, kind), and uncertain.
Chosen = tuple[UUID, int] | None
LevelKey = tuple[str, UUID, int, str] | None
IntervalKey = tuple[date, date | None, LevelKey, bool, LevelKey]
BandKey = tuple[str, str]  # scope as "direction/channel/traveller/goods", dimension


def timeline(ledger: Ledger, office: str = DANDONG, **fields: Any) -> OfficeTimeline:
    """The one office's timeline."""
    _, offices = ledger.reader.timeline(TimelineRequest(offices=(office,), **fields))
    (found,) = offices
    return found


def band(
    found: OfficeTimeline, dimension: str = "admissibility", scope: dict[str, str] | None = None
) -> list[tuple[str, str | None, str | None, str | None]]:
    """A band's intervals as (first day, last day, rule, pending rule), days and rules as text;
    [] if the timeline has no such band."""
    wanted = Scope.model_validate(scope or WORKER_BAGGAGE)
    for each in found.bands:
        if each.scope == wanted and each.dimension == dimension:
            for interval in each.intervals:
                assert interval.uncertain == (interval.pending is not None)
            return [
                (
                    str(interval.valid_from),
                    None if interval.valid_to is None else str(interval.valid_to),
                    None if interval.level is None else interval.level.value,
                    None if interval.pending is None else interval.pending.value,
                )
                for interval in each.intervals
            ]
    return []


def level_key(level: Level | None) -> LevelKey:
    if level is None:
        return None
    return (level.value, level.change_id, level.revision, level.kind.value)


def drawn(found: OfficeTimeline) -> dict[BandKey, list[IntervalKey]]:
    """The timeline as the property compares it."""
    return {
        (str(each.scope), each.dimension): [
            (
                interval.valid_from,
                interval.valid_to,
                level_key(interval.level),
                interval.uncertain,
                level_key(interval.pending),
            )
            for interval in each.intervals
        ]
        for each in found.bands
    }


# The oracle: what the test recorded, replayed day by day.


def window(on: date, precision: str) -> tuple[date, date]:
    """The days a change dated ``on`` at ``precision`` may have taken effect on."""
    last = calendar.monthrange(on.year, on.month)[1]
    match precision:
        case "day":
            return on, on
        case "early-month":
            return on.replace(day=1), on.replace(day=10)
        case "mid-month":
            return on.replace(day=11), on.replace(day=20)
        case "late-month":
            return on.replace(day=21), on.replace(day=last)
        case "month":
            return on.replace(day=1), on.replace(day=last)
        case "quarter":
            first = date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
            end = first.replace(month=first.month + 2)
            return first, end.replace(day=calendar.monthrange(end.year, end.month)[1])
        case "year":
            return date(on.year, 1, 1), date(on.year, 12, 31)
    raise AssertionError(precision)


def placed(on: date, precision: str) -> date:
    """``on`` moved into its precision's part of the month (mid-month: days 11-20)."""
    match precision:
        case "early-month":
            return on.replace(day=min(on.day, 10))
        case "mid-month":
            return on.replace(day=min(max(on.day, 11), 20))
        case "late-month":
            return on.replace(day=max(on.day, 21))
    return on


def stated(measure: dict[str, Any]) -> dict[str, str]:
    """The levels a measure states, as a timeline writes them."""
    levels = {name: value for name, value in measure.items() if name != "admissibility"}
    admissibility = measure.get("admissibility")
    if admissibility is not None:
        kind = admissibility["kind"]
        quantity = admissibility.get("quantity")
        levels["admissibility"] = kind if quantity is None else f"at most {quantity}"
    return levels


def scope_text(scope: dict[str, str]) -> str:
    goods = normalise_goods(scope["goods"])
    return f"{scope['direction']}/{scope['channel']}/{scope.get('traveller', 'any')}/{goods}"


def asked_about(scope: str, filters: dict[str, str]) -> bool:
    """Whether the request's filters keep a scope: the same direction and channel, the
    traveller or any, goods whose HS prefixes lie within one another's."""
    direction, channel, traveller, goods = scope.split("/")
    wanted = normalise_goods(filters["goods"]) if "goods" in filters else None
    return (
        filters.get("direction", direction) == direction
        and filters.get("channel", channel) == channel
        and traveller in (filters.get("traveller", traveller), "any")
        and (
            wanted is None
            or any(
                a.startswith(b) or b.startswith(a)
                for a in hs_prefixes(wanted)
                for b in hs_prefixes(goods)
            )
        )
    )


@dataclass(frozen=True)
class Event:
    """One event of a change as the test issued it: its record, an amendment, or its
    retraction (``levels`` None), with the change's window after it."""

    position: int
    recorded_at: datetime
    reported: date
    levels: dict[str, str] | None
    window: tuple[date, date]

    def known(self, asked: dict[str, Any]) -> bool:
        """Whether the event was known: everything now; up to a log position; recorded by an
        instant; or reported (its earliest source published) by the end of a day."""
        if "known_at_position" in asked:
            return bool(self.position <= asked["known_at_position"])
        if "known_at" not in asked:
            return True
        if asked.get("basis") == "reported":
            return bool(self.reported <= asked["known_at"])
        return bool(self.recorded_at <= asked["known_at"])


@dataclass
class Change:
    change_id: UUID
    seq: int  # the office's version when it was recorded: the order recorded
    kind: str
    scope: str
    events: list[Event]

    def made(self, asked: dict[str, Any]) -> list[int]:
        """The forms (0: as recorded, then one per amendment) known: a correction is known
        once it and the change are."""
        if not self.events[0].known(asked):
            return []
        return [n for n, event in enumerate(self.events) if event.levels and event.known(asked)]

    def current(self, asked: dict[str, Any]) -> tuple[int, Event] | None:
        """The form in force as known, if any: the latest event known, unless a retraction
        (a correction or retraction known ends the forms before it)."""
        if not self.events[0].known(asked):
            return None
        latest = max(n for n, event in enumerate(self.events) if event.known(asked))
        event = self.events[latest]
        return None if event.levels is None else (latest, event)


@dataclass(frozen=True)
class Form:
    """A change's current form, as one dimension's candidate rule."""

    start: date
    end: date
    seq: int
    level: LevelKey


@dataclass
class History:
    """An office's history, recorded through the application, and what the test knows of it."""

    ledger: Ledger
    changes: list[Change] = field(default_factory=list)
    receipts: list[Any] = field(default_factory=list)

    def apply(self, step: tuple[Any, ...]) -> None:
        """Record one step; one an invariant refuses records nothing."""
        live = [c for c in self.changes if c.events[-1].levels is not None]
        try:
            match step:
                case ("record", kind, scope, measure, on, precision, published):
                    self._record(
                        kind, SCOPES[scope], measure, placed(on, precision), precision, published
                    )
                case ("amend", which, (dated, measure), clear, published) if live:
                    self._amend(live[which % len(live)], dated, measure, clear, published)
                case ("retract", which, published) if live:
                    self._retract(live[which % len(live)], published)
        except LedgerError:
            pass

    def _record(
        self,
        kind: str,
        scope: dict[str, str],
        measure: dict[str, Any],
        on: date,
        precision: str,
        published: date,
    ) -> None:
        receipt = record(
            self.ledger,
            kind,
            measure,
            on.isoformat(),
            precision,
            scope=scope,
            published=published.isoformat(),
        )
        first = Event(
            receipt.position, receipt.recorded_at, published, stated(measure), window(on, precision)
        )
        self.receipts.append(receipt)
        self.changes.append(
            Change(receipt.change_id, receipt.office_version, kind, scope_text(scope), [first])
        )

    def _amend(
        self,
        change: Change,
        dated: tuple[date, str] | None,
        measure: dict[str, Any] | None,
        clear: tuple[str, ...],
        published: date,
    ) -> None:
        fields: dict[str, Any] = {"clear": clear}
        if dated is not None:
            on, precision = placed(dated[0], dated[1]), dated[1]
            fields["effective"] = {"on": on.isoformat(), "precision": precision}
        if measure is not None:
            fields["measure"] = measure
        receipt = amend(self.ledger, change.change_id, published=published.isoformat(), **fields)
        last = change.events[-1]
        assert last.levels is not None
        levels = {**last.levels, **stated(measure or {})}
        for dimension in clear:
            levels.pop(dimension, None)
        now = last.window if dated is None else window(placed(*dated), dated[1])
        self.receipts.append(receipt)
        change.events.append(Event(receipt.position, receipt.recorded_at, published, levels, now))

    def _retract(self, change: Change, published: date | None) -> None:
        receipt = retract(
            self.ledger, change.change_id, published=published.isoformat() if published else None
        )
        # A clerical retraction (no source) counts as reported on the day it was recorded.
        reported = published or receipt.recorded_at.date()
        self.receipts.append(receipt)
        change.events.append(
            Event(receipt.position, receipt.recorded_at, reported, None, change.events[-1].window)
        )

    # The oracle.

    def expected(
        self,
        asked: dict[str, Any],
        filters: dict[str, str],
        valid_from: date | None,
        valid_to: date | None,
    ) -> dict[BandKey, list[IntervalKey]]:
        """The timeline, folded day by day from the first window's start (less two days) to
        the last window's end (plus two), or over the range asked."""
        candidates: dict[BandKey, list[Form]] = {}
        for change in self.changes:
            current = change.current(asked)
            if current is None or not asked_about(change.scope, filters):
                continue
            revision, event = current
            assert event.levels is not None
            for dimension, value in event.levels.items():
                level = (value, change.change_id, revision, change.kind)
                form = Form(event.window[0], event.window[1], change.seq, level)
                candidates.setdefault((change.scope, dimension), []).append(form)
        first, last = self.span()
        first, last = valid_from or first - 2 * ONE_DAY, valid_to or last + 2 * ONE_DAY
        last = max(first, last) if valid_to is None else last
        found = {}
        for key, forms in candidates.items():
            intervals = fold(forms, first, last, onwards=valid_to is None)
            if intervals:
                found[key] = intervals
        return found

    def listed(
        self,
        asked: dict[str, Any],
        filters: dict[str, str],
        valid_from: date | None,
        valid_to: date | None,
    ) -> dict[UUID, tuple[tuple[date, date], list[int], date | None]]:
        """The changes a timeline lists: known, asked about, and in their latest form known,
        meeting the range; each with that form's window, its amendments known, and the
        retraction's report day if it is known."""
        found = {}
        for change in self.changes:
            made = change.made(asked)
            if not made or not asked_about(change.scope, filters):
                continue
            start, end = change.events[made[-1]].window
            if (valid_from and end < valid_from) or (valid_to and start > valid_to):
                continue
            ending = change.events[-1]
            retracted = ending.levels is None and ending.known(asked)
            found[change.change_id] = (
                (start, end),
                made[1:],
                ending.reported if retracted else None,
            )
        return found

    def span(self) -> tuple[date, date]:
        """The first and last day of every window ever recorded."""
        days = [day for change in self.changes for e in change.events for day in e.window]
        return (min(days), max(days)) if days else (date(2025, 3, 1), date(2025, 3, 1))

    def edges(self) -> list[date]:
        """Every window's first and last day, and the days either side."""
        days = {day for change in self.changes for e in change.events for day in e.window}
        return sorted({day + n * ONE_DAY for day in days or {date(2025, 3, 1)} for n in (-1, 0, 1)})

    def ranges(self) -> st.SearchStrategy[tuple[date | None, date | None]]:
        """Ranges of valid time with ends on or beside window edges, or none."""
        bound = st.none() | st.sampled_from(self.edges())

        def ordered(ends: tuple[date | None, date | None]) -> tuple[date | None, date | None]:
            low, high = ends
            return (high, low) if low and high and low > high else (low, high)

        return st.tuples(bound, bound).map(ordered)

    def knowledge(self) -> st.SearchStrategy[list[dict[str, Any]]]:
        """Now; as recorded at (or just before) some event; as reported by the end of some
        day beside a source's publication; as recorded up to some log position."""
        instants = [
            r.recorded_at - d for r in self.receipts for d in (ONE_MICROSECOND, timedelta(0))
        ]
        reported = sorted(
            {
                e.reported + n * ONE_DAY
                for change in self.changes
                for e in change.events
                for n in (-1, 0, 1)
            }
            or {date(2025, 3, 1)}
        )
        end = max((r.position for r in self.receipts), default=1)
        return st.tuples(
            st.just({}),
            st.sampled_from(instants or [datetime.now().astimezone()]).map(
                lambda at: {"known_at": at}
            ),
            st.sampled_from(reported).map(lambda day: {"known_at": day, "basis": "reported"}),
            st.integers(0, end).map(lambda position: {"known_at_position": position}),
        ).map(list)


def fold(forms: list[Form], first: date, last: date, *, onwards: bool) -> list[IntervalKey]:
    """Each day from ``first`` to ``last``: the rule chosen for certain and the rule possibly
    in force; equal consecutive days joined, days with neither left out. The run reaching
    ``last`` goes on for ever when ``onwards``."""

    def chosen(day: date, certain: bool) -> LevelKey:
        eligible = [f for f in forms if f.start <= day and (not certain or f.end <= day)]
        if not eligible:
            return None
        return max(eligible, key=lambda f: (f.start, f.seq)).level

    runs: list[list[Any]] = []  # [first day, last day, (certain, in force)]
    day = first
    while day <= last:
        pair = (chosen(day, True), chosen(day, False))
        if runs and runs[-1][2] == pair:
            runs[-1][1] = day
        else:
            runs.append([day, day, pair])
        day += ONE_DAY
    intervals: list[IntervalKey] = []
    for start, end, (certain, in_force) in runs:
        if certain is None and in_force is None:
            continue
        uncertain = certain != in_force
        to = None if onwards and end == last else end
        intervals.append((start, to, certain, uncertain, in_force if uncertain else None))
    return intervals


# Agreement with ``state`` at the edges of every interval.


def rulings(state: RuleState) -> dict[str, Chosen]:
    """Each dimension's change and revision (a revision's events: the change, then one per
    amendment)."""
    return {r.dimension: (r.change_id, len(r.event_ids) - 1) for r in state.rulings}


def chosen_pair(interval: Interval | None) -> tuple[Chosen, Chosen]:
    """The change and revision in force for certain, and possibly in force, over an interval."""
    if interval is None:
        return None, None
    certain = (
        None if interval.level is None else (interval.level.change_id, interval.level.revision)
    )
    if not interval.uncertain:
        return certain, certain
    assert interval.pending is not None
    return certain, (interval.pending.change_id, interval.pending.revision)


def assert_edges_agree_with_state(
    ledger: Ledger,
    found: OfficeTimeline,
    asked: dict[str, Any],
    valid_from: date | None = None,
    valid_to: date | None = None,
) -> int:
    """At each interval's first and last day ``state`` names the interval's changes; on the
    day before and after, the neighbouring interval's (or none, in a gap). How many days
    were asked."""
    states: dict[date, dict[str, tuple[dict[str, Chosen], dict[str, Chosen]]]] = {}

    def on(day: date, scope: str, dimension: str) -> tuple[Chosen, Chosen]:
        if day not in states:
            result = ledger.reader.state(StateRequest(office=found.office, at=day, **asked))
            states[day] = {
                str(s.scope): (rulings(s.states[0]), rulings(s.states[-1])) for s in result.scopes
            }
        certain, in_force = states[day].get(scope, ({}, {}))
        return certain.get(dimension), in_force.get(dimension)

    for each in found.bands:
        scope, intervals = str(each.scope), each.intervals
        for n, interval in enumerate(intervals):
            pair = chosen_pair(interval)
            assert on(interval.valid_from, scope, each.dimension) == pair, (each, interval)
            before = interval.valid_from - ONE_DAY
            if valid_from is None or before >= valid_from:
                previous = intervals[n - 1] if n and intervals[n - 1].valid_to == before else None
                assert on(before, scope, each.dimension) == chosen_pair(previous), (each, before)
            if interval.valid_to is None:
                continue
            assert on(interval.valid_to, scope, each.dimension) == pair, (each, interval)
            after = interval.valid_to + ONE_DAY
            if valid_to is None or after <= valid_to:
                following = intervals[n + 1] if n + 1 < len(intervals) else None
                if following is not None and following.valid_from != after:
                    following = None
                assert on(after, scope, each.dimension) == chosen_pair(following), (each, after)
    return len(states)


# The properties.

SCOPES = [
    WORKER_BAGGAGE,  # a named traveller, a category
    {**WORKER_BAGGAGE, "traveller": "any", "goods": "85"},  # any traveller, an HS chapter
    {**WORKER_BAGGAGE, "goods": "8516"},
    {**WORKER_BAGGAGE, "channel": "cargo-road", "traveller": "any", "goods": "all"},
]
DAYS = st.dates(date(2025, 1, 20), date(2025, 5, 10))
PUBLISHED = st.dates(date(2024, 12, 1), date(2025, 6, 30))  # before and after the windows
PRECISIONS = st.sampled_from(
    ["day", "day", "early-month", "mid-month", "late-month", "month", "quarter", "year"]
)
MEASURES = st.sampled_from(
    [
        PROHIBITED,
        ALLOWED,
        limit(1),
        limit(3),
        {"inspection": "rigorous"},
        {"inspection": "light", "enforcement": "fine"},
        {**limit(2), "enforcement": "confiscation"},
    ]
)
KINDS = st.sampled_from(["observed", "observed", "tightened", "loosened"])

record_step = st.tuples(
    st.just("record"), KINDS, st.integers(0, len(SCOPES) - 1), MEASURES, DAYS, PRECISIONS, PUBLISHED
)
DATED = st.tuples(DAYS, PRECISIONS)
amend_step = st.tuples(
    st.just("amend"),
    st.integers(0, 20),
    # A new date, dimensions restated, or both.
    st.one_of(st.tuples(DATED, st.none()), st.tuples(st.none() | DATED, MEASURES)),
    st.sampled_from([(), (), ("inspection",), ("enforcement",)]),  # dimensions cleared
    PUBLISHED,
)
retract_step = st.tuples(st.just("retract"), st.integers(0, 20), st.none() | PUBLISHED)
# A few changes first, then changes, corrections and retractions mixed.
STEPS = st.tuples(
    st.lists(record_step, min_size=2, max_size=6),
    st.lists(st.one_of(record_step, amend_step, amend_step, retract_step), max_size=16),
).map(lambda parts: [*parts[0], *parts[1]])
FILTERS: st.SearchStrategy[dict[str, str]] = st.one_of(
    st.just({}),
    st.just({}),
    st.fixed_dictionaries(
        {},
        optional={
            "direction": st.sampled_from(["outbound", "inbound"]),
            "channel": st.sampled_from(["personal-baggage", "cargo-road"]),
            "traveller": st.sampled_from(["worker", "any", "visitor"]),
            "goods": st.sampled_from(["8516.60", "85", "electronics", "1006", "all"]),
        },
    ),
)
PROPERTY = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(steps=STEPS, data=st.data())
def test_the_timeline_is_the_day_by_day_fold_of_the_history(
    steps: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    with Ledger(Settings(database_url="memory://")) as ledger:
        register(ledger)
        history = History(ledger)
        for step in steps:
            history.apply(step)
        filters = data.draw(FILTERS, label="filters")
        valid_from, valid_to = data.draw(history.ranges(), label="range")
        uncertain = 0
        for asked in data.draw(history.knowledge(), label="knowledge"):
            found = timeline(ledger, valid_from=valid_from, valid_to=valid_to, **filters, **asked)
            bands = drawn(found)
            assert bands == history.expected(asked, filters, valid_from, valid_to), asked
            order = [(scope.split("/"), DIMENSIONS.index(d)) for scope, d in bands]
            assert order == sorted(order)
            listed = {
                c.change_id: (
                    (c.window_start, c.window_end),
                    [a.revision for a in c.amendments],
                    c.retracted_on,
                )
                for c in found.changes
            }
            assert listed == history.listed(asked, filters, valid_from, valid_to), asked
            assert all((c.retracted_at is None) == (c.retracted_on is None) for c in found.changes)
            uncertain += sum(i[3] for intervals in bands.values() for i in intervals)
        target(float(uncertain), label="uncertain intervals")


@PROPERTY
@given(steps=STEPS, data=st.data())
def test_state_agrees_at_every_interval_edge(
    steps: list[tuple[Any, ...]], data: st.DataObject
) -> None:
    with Ledger(Settings(database_url="memory://")) as ledger:
        register(ledger)
        history = History(ledger)
        for step in steps:
            history.apply(step)
        valid_from, valid_to = data.draw(history.ranges(), label="range")
        for asked in data.draw(history.knowledge(), label="knowledge"):
            found = timeline(ledger, valid_from=valid_from, valid_to=valid_to, **asked)
            assert_edges_agree_with_state(ledger, found, asked, valid_from, valid_to)


# The seed story.


@pytest.fixture
def story(any_ledger: Ledger) -> Ledger:
    import_file(any_ledger.app, EXAMPLE)
    return any_ledger


@pytest.mark.parametrize(
    "asked",
    [{}, {"known_at": date(2025, 3, 15), "basis": "reported"}, {"known_at_position": 5}],
    ids=["now", "reported-mid-march", "position-5"],
)
def test_the_example_ledger_agrees_with_state_at_every_interval_edge(
    story: Ledger, asked: dict[str, Any]
) -> None:
    asked_days = 0
    for office in ("CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"):
        found = timeline(story, office, **asked)
        assert found.office == office
        asked_days += assert_edges_agree_with_state(story, found, asked)
    assert asked_days > 0


def test_a_workers_rice_cooker_is_checked_as_the_admissibility_band_says(story: Ledger) -> None:
    found = timeline(story)
    assert band(found) == [
        ("2024-01-01", "2024-12-30", None, "at most 2"),
        ("2024-12-31", "2025-02-28", "at most 2", None),
        ("2025-03-01", "2025-03-09", "at most 2", "prohibited"),
        ("2025-03-10", None, "prohibited", None),
    ]
    (admissibility,) = (
        b
        for b in found.bands
        if b.scope == Scope.model_validate(WORKER_BAGGAGE) and b.dimension == "admissibility"
    )
    # At each interval's first and last day, the check names the interval's changes.
    for interval in admissibility.intervals:
        for day in (interval.valid_from, interval.valid_to or date(2025, 12, 31)):
            result = check(story, day.isoformat())
            named = [
                next((r.change_id for r in c.rulings if r.dimension == "admissibility"), None)
                for c in result.candidates
            ]
            level = None if interval.level is None else interval.level.change_id
            if interval.uncertain:
                assert interval.pending is not None
                assert result.verdict is Verdict.UNCERTAIN
                assert named == [level, interval.pending.change_id]
            else:
                assert named == [level]
                assert result.governing is not None and result.governing.change_id == level
    # Day by day around the ban: the check's verdict is the band's rule for one rice cooker.
    days = [date(2025, 2, 20) + n * ONE_DAY for n in range(30)]
    verdicts = {day: check(story, day.isoformat()).verdict for day in days}
    assert [day for day in days if verdicts[day] is Verdict.ALLOWED] == days[:9]  # to 28 Feb
    assert [day for day in days if verdicts[day] is Verdict.UNCERTAIN] == days[9:18]  # 1-9 Mar
    assert [day for day in days if verdicts[day] is Verdict.PROHIBITED] == days[18:]  # 10 Mar on
    by_band = {"at most 2": Verdict.ALLOWED, "prohibited": Verdict.PROHIBITED}
    for day in days:
        (interval,) = (
            i
            for i in admissibility.intervals
            if i.valid_from <= day and (i.valid_to is None or day <= i.valid_to)
        )
        assert interval.level is not None
        assert verdicts[day] is (
            Verdict.UNCERTAIN if interval.uncertain else by_band[interval.level.value]
        )


# Window edges.


def dandong_with_ban(ledger: Ledger, on: str, precision: str = "day") -> Any:
    """Dandong's 2024 baseline (a worker may take two items), then a ban."""
    register(ledger)
    record(ledger, "observed", limit(2), "2024-01-01", "year", published="2024-06-15")
    return record(ledger, "tightened", PROHIBITED, on, precision, published="2025-03-19")


BASELINE = [
    ("2024-01-01", "2024-12-30", None, "at most 2"),  # the baseline's own window: a year
]


class TestWindows:
    def test_a_day_precise_change_is_certain_from_its_own_day(self, any_ledger: Ledger) -> None:
        dandong_with_ban(any_ledger, "2025-03-07")
        assert band(timeline(any_ledger)) == [
            *BASELINE,
            ("2024-12-31", "2025-03-06", "at most 2", None),
            ("2025-03-07", None, "prohibited", None),
        ]

    def test_an_early_month_change_is_uncertain_until_its_windows_last_day(
        self, any_ledger: Ledger
    ) -> None:
        dandong_with_ban(any_ledger, "2025-03-04", "early-month")
        assert band(timeline(any_ledger)) == [
            *BASELINE,
            ("2024-12-31", "2025-02-28", "at most 2", None),
            ("2025-03-01", "2025-03-09", "at most 2", "prohibited"),
            ("2025-03-10", None, "prohibited", None),
        ]

    def test_levels_name_their_change_revision_kind_and_strictness(
        self, any_ledger: Ledger
    ) -> None:
        ban = dandong_with_ban(any_ledger, "2025-03-07")
        record(any_ledger, "tightened", {"inspection": "rigorous"}, "2025-03-07")
        found = timeline(any_ledger)
        admissibility, inspection = found.bands
        assert (admissibility.dimension, inspection.dimension) == ("admissibility", "inspection")
        before, ruled = admissibility.intervals[-2:]
        assert ruled.level == Level(
            value="prohibited",
            strictness=3,
            strictest=3,
            change_id=ban.change_id,
            revision=0,
            kind="tightened",
        )
        assert before.level is not None
        assert (before.level.value, before.level.strictness, before.level.kind) == (
            "at most 2",
            2,
            "observed",
        )
        assert [(i.valid_from, i.valid_to) for i in inspection.intervals] == [
            (date(2025, 3, 7), None)  # nothing before: a gap, left out
        ]
        rigorous = inspection.intervals[0].level
        assert rigorous is not None
        assert (rigorous.value, rigorous.strictness, rigorous.strictest) == ("rigorous", 4, 4)

    def test_of_two_changes_on_the_same_day_the_later_recorded_wins(
        self, any_ledger: Ledger
    ) -> None:
        register(any_ledger)
        record(any_ledger, "observed", limit(2), "2025-03-01")
        tighter = record(any_ledger, "tightened", limit(1), "2025-03-01")
        found = timeline(any_ledger)
        assert band(found) == [("2025-03-01", None, "at most 1", None)]
        assert found.bands[0].intervals[0].level is not None
        assert found.bands[0].intervals[0].level.change_id == tighter.change_id
        record(any_ledger, "loosened", limit(3), "2025-03-01")
        assert band(timeline(any_ledger)) == [("2025-03-01", None, "at most 3", None)]


# Knowledge.


class TestKnowledge:
    def test_a_back_dated_correction_as_known_before_and_after_it(self, any_ledger: Ledger) -> None:
        ban = dandong_with_ban(any_ledger, "2025-05-01")
        correction = amend(
            any_ledger, ban.change_id, effective={"on": "2025-04-01"}, published="2025-05-10"
        )
        from_may = [
            *BASELINE,
            ("2024-12-31", "2025-04-30", "at most 2", None),
            ("2025-05-01", None, "prohibited", None),
        ]
        from_april = [
            *BASELINE,
            ("2024-12-31", "2025-03-31", "at most 2", None),
            ("2025-04-01", None, "prohibited", None),
        ]
        as_recorded_up_to = {
            position: timeline(any_ledger, known_at_position=position)
            for position in (ban.position - 1, ban.position, correction.position)
        }
        assert band(as_recorded_up_to[ban.position - 1]) == [
            *BASELINE,
            ("2024-12-31", None, "at most 2", None),
        ]
        assert band(as_recorded_up_to[ban.position]) == from_may
        assert band(as_recorded_up_to[correction.position]) == from_april
        assert band(timeline(any_ledger)) == from_april
        revisions = [
            as_recorded_up_to[p].bands[0].intervals[-1].level
            for p in (ban.position, correction.position)
        ]
        assert [(r.change_id, r.revision) for r in revisions if r] == [
            (ban.change_id, 0),
            (ban.change_id, 1),
        ]
        # On the reported basis: from the correction's source on.
        assert band(timeline(any_ledger, known_at="2025-05-09", basis="reported")) == from_may
        assert band(timeline(any_ledger, known_at="2025-05-10", basis="reported")) == from_april

    def test_a_retraction_removes_the_change_from_when_it_is_known(
        self, any_ledger: Ledger
    ) -> None:
        ban = dandong_with_ban(any_ledger, "2025-03-07")
        withdrawal = retract(any_ledger, ban.change_id, published="2025-04-01")
        assert band(timeline(any_ledger)) == [*BASELINE, ("2024-12-31", None, "at most 2", None)]
        before = timeline(any_ledger, known_at_position=withdrawal.position - 1)
        assert band(before) == [
            *BASELINE,
            ("2024-12-31", "2025-03-06", "at most 2", None),
            ("2025-03-07", None, "prohibited", None),
        ]
        assert band(timeline(any_ledger, known_at="2025-03-31", basis="reported")) == band(before)
        # The change is still listed, retracted as known.
        now = {c.change_id: c for c in timeline(any_ledger).changes}[ban.change_id]
        assert (now.retracted_at, now.retracted_on) == (withdrawal.recorded_at, date(2025, 4, 1))
        then = {c.change_id: c for c in before.changes}[ban.change_id]
        assert (then.retracted_at, then.retracted_on) == (None, None)

    def test_a_clerical_retraction_counts_as_reported_on_the_day_it_was_recorded(
        self, any_ledger: Ledger
    ) -> None:
        ban = dandong_with_ban(any_ledger, "2025-03-07")
        withdrawal = retract(any_ledger, ban.change_id, published=None)
        recorded_on = withdrawal.recorded_at.date()

        def reported(day: date) -> list[Any]:
            return band(timeline(any_ledger, known_at=day, basis="reported"))

        assert ("2025-03-07", None, "prohibited", None) in reported(recorded_on - ONE_DAY)
        assert reported(recorded_on) == [*BASELINE, ("2024-12-31", None, "at most 2", None)]

    def test_the_reported_and_recorded_bases_differ(self, any_ledger: Ledger) -> None:
        # The ban is recorded first but reported on 19 March; an inspection recorded after it
        # cites a report of 1 March: on the reported basis it was known first.
        ban = dandong_with_ban(any_ledger, "2025-03-07")
        rigorous = record(
            any_ledger,
            "tightened",
            {"inspection": "rigorous"},
            "2025-02-20",
            published="2025-03-01",
        )
        on_10_march = timeline(any_ledger, known_at="2025-03-10", basis="reported")
        assert band(on_10_march) == [*BASELINE, ("2024-12-31", None, "at most 2", None)]
        assert band(on_10_march, "inspection") == [("2025-02-20", None, "rigorous", None)]
        assert [c.change_id for c in on_10_march.changes][1:] == [rigorous.change_id]
        with_the_ban = timeline(any_ledger, known_at=ban.recorded_at)
        assert band(with_the_ban)[-1] == ("2025-03-07", None, "prohibited", None)
        assert band(with_the_ban, "inspection") == []
        # By the end of 18 March 2025 the ledger, recorded since, had recorded nothing.
        nothing = timeline(any_ledger, known_at="2025-03-18")
        assert (nothing.bands, nothing.changes) == ((), ())
        assert band(timeline(any_ledger, known_at="2024-06-14", basis="reported")) == []


# Ranges of valid time.


class TestRange:
    def test_intervals_are_cut_at_the_range(self, any_ledger: Ledger) -> None:
        dandong_with_ban(any_ledger, "2025-03-04", "early-month")
        assert band(timeline(any_ledger, valid_from="2025-03-05", valid_to="2025-03-20")) == [
            ("2025-03-05", "2025-03-09", "at most 2", "prohibited"),
            ("2025-03-10", "2025-03-20", "prohibited", None),
        ]
        assert band(timeline(any_ledger, valid_from="2025-02-01")) == [
            ("2025-02-01", "2025-02-28", "at most 2", None),
            ("2025-03-01", "2025-03-09", "at most 2", "prohibited"),
            ("2025-03-10", None, "prohibited", None),
        ]
        assert band(timeline(any_ledger, valid_from="2025-03-10", valid_to="2025-03-10")) == [
            ("2025-03-10", "2025-03-10", "prohibited", None)
        ]
        assert band(timeline(any_ledger, valid_from="2025-03-09", valid_to="2025-03-10")) == [
            ("2025-03-09", "2025-03-09", "at most 2", "prohibited"),
            ("2025-03-10", "2025-03-10", "prohibited", None),
        ]
        assert band(timeline(any_ledger, valid_to="2025-03-01")) == [
            *BASELINE,
            ("2024-12-31", "2025-02-28", "at most 2", None),
            ("2025-03-01", "2025-03-01", "at most 2", "prohibited"),
        ]
        assert band(timeline(any_ledger, valid_from="2025-06-01")) == [
            ("2025-06-01", None, "prohibited", None)
        ]

    def test_changes_are_listed_where_their_window_meets_the_range(
        self, any_ledger: Ledger
    ) -> None:
        ban = dandong_with_ban(any_ledger, "2025-03-04", "early-month")
        (baseline,) = (c for c in timeline(any_ledger).changes if c.change_id != ban.change_id)

        def listed(**fields: Any) -> list[UUID]:
            return [c.change_id for c in timeline(any_ledger, **fields).changes]

        assert listed() == [baseline.change_id, ban.change_id]
        assert listed(valid_from="2025-03-10") == [ban.change_id]
        assert listed(valid_from="2025-03-11") == []
        assert listed(valid_to="2025-02-28") == [baseline.change_id]

    def test_a_range_that_ends_before_a_bands_first_edge_leaves_the_band_out(
        self, any_ledger: Ledger
    ) -> None:
        dandong_with_ban(any_ledger, "2025-03-07")
        record(any_ledger, "tightened", {"inspection": "rigorous"}, "2025-03-07")
        found = timeline(any_ledger, valid_to="2025-02-01")
        assert [(b.dimension, b.intervals[-1].valid_to) for b in found.bands] == [
            ("admissibility", date(2025, 2, 1))
        ]
        assert band(found) == [*BASELINE, ("2024-12-31", "2025-02-01", "at most 2", None)]


# Filters.

FILTERED = {
    "worker/electronics": WORKER_BAGGAGE,
    "any/85": {**WORKER_BAGGAGE, "traveller": "any", "goods": "85"},
    "visitor/electronics": {**WORKER_BAGGAGE, "traveller": "visitor"},
    "worker/1006": {**WORKER_BAGGAGE, "goods": "1006"},
    "worker/851660": {**WORKER_BAGGAGE, "goods": "8516.60"},
    "inbound": {**WORKER_BAGGAGE, "direction": "inbound"},
    "cargo-road/all": {
        **WORKER_BAGGAGE,
        "channel": "cargo-road",
        "traveller": "any",
        "goods": "all",
    },
}


class TestFilters:
    @pytest.fixture
    def scopes(self, ledger: Ledger) -> Ledger:
        register(ledger)
        for scope in FILTERED.values():
            record(ledger, "observed", limit(2), "2025-03-01", scope=scope)
        return ledger

    @pytest.mark.parametrize(
        ("filters", "kept"),
        [
            ({}, set(FILTERED)),
            ({"direction": "inbound"}, {"inbound"}),
            ({"channel": "cargo-road"}, {"cargo-road/all"}),
            (
                {"traveller": "worker"},
                set(FILTERED) - {"visitor/electronics"},
            ),
            ({"traveller": "any"}, {"any/85", "cargo-road/all"}),
            (
                {"goods": "8516.60"},  # within electronics (8516), 85 and all; 1006 is not
                set(FILTERED) - {"worker/1006"},
            ),
            (
                {"goods": "85"},  # around 8516.60, electronics' headings; all around it
                set(FILTERED) - {"worker/1006"},
            ),
            ({"goods": "1006"}, {"worker/1006", "cargo-road/all"}),
            (
                {
                    "direction": "outbound",
                    "channel": "personal-baggage",
                    "traveller": "visitor",
                    "goods": "electronics",
                },
                {"any/85", "visitor/electronics"},
            ),
        ],
    )
    def test_filters_keep_the_scopes_they_ask_about(
        self, scopes: Ledger, filters: dict[str, str], kept: set[str]
    ) -> None:
        found = timeline(scopes, **filters)
        expected = {str(Scope.model_validate(FILTERED[name])) for name in kept}
        assert {str(b.scope) for b in found.bands} == expected
        assert {str(c.scope) for c in found.changes} == expected


# The changes listed.


class TestChanges:
    def test_a_change_is_listed_with_its_amendments_and_retraction_as_known(
        self, any_ledger: Ledger
    ) -> None:
        ban = dandong_with_ban(any_ledger, "2025-03-04", "early-month")
        fine = amend(
            any_ledger,
            ban.change_id,
            measure={**PROHIBITED, "enforcement": "fine"},
            published="2025-03-25",
        )
        later = amend(
            any_ledger, ban.change_id, effective={"on": "2025-03-12"}, published="2025-04-02"
        )
        withdrawal = retract(any_ledger, ban.change_id, published="2025-05-01")

        def the_ban(**asked: Any) -> Any:
            (found,) = (
                c for c in timeline(any_ledger, **asked).changes if c.change_id == ban.change_id
            )
            return found

        now = the_ban()
        assert (now.kind, now.recorded_at, now.reported_on) == (
            "tightened",
            ban.recorded_at,
            date(2025, 3, 19),
        )
        assert (now.window_start, now.window_end) == (date(2025, 3, 12), date(2025, 3, 12))
        assert now.measure.enforcement == "fine"
        assert [
            (a.revision, a.recorded_at, a.reported_on, str(a.effective)) for a in now.amendments
        ] == [
            (1, fine.recorded_at, date(2025, 3, 25), "2025-03-01..2025-03-10 (early-month)"),
            (2, later.recorded_at, date(2025, 4, 2), "2025-03-12"),
        ]
        assert (now.retracted_at, now.retracted_on) == (withdrawal.recorded_at, date(2025, 5, 1))
        assert [s.published for s in now.sources] == [
            date(2025, 3, 19),
            date(2025, 3, 25),
            date(2025, 4, 2),
        ]

        then = the_ban(known_at_position=fine.position)
        assert [a.revision for a in then.amendments] == [1]
        assert (then.window_start, then.window_end) == (date(2025, 3, 1), date(2025, 3, 10))
        assert then.retracted_at is None
        as_reported = the_ban(known_at="2025-03-31", basis="reported")
        assert [a.revision for a in as_reported.amendments] == [1]
        assert as_reported.retracted_on is None
        assert the_ban(known_at=ban.recorded_at).amendments == ()

    def test_retracted_at_is_the_retractions_recorded_time_on_the_reported_basis(
        self, ledger: Ledger
    ) -> None:
        ban = dandong_with_ban(ledger, "2025-03-07")  # reported 2025-03-19
        amend(ledger, ban.change_id, effective={"on": "2025-03-01"}, published="2025-05-01")
        withdrawal = retract(ledger, ban.change_id, published="2025-04-01")
        as_reported = timeline(ledger, known_at="2025-04-15", basis="reported")
        (found,) = (c for c in as_reported.changes if c.change_id == ban.change_id)
        assert found.retracted_on == date(2025, 4, 1)
        assert found.retracted_at == withdrawal.recorded_at


# Refusals.


class TestRefusals:
    def test_a_range_given_backwards_is_refused_with_an_example(self) -> None:
        with pytest.raises(ValidationError) as refused:
            TimelineRequest(offices=(DANDONG,), valid_from="2025-03-10", valid_to="2025-03-01")
        message = str(refused.value)
        assert "valid_from 2025-03-10 is after valid_to 2025-03-01" in message
        assert "e.g. valid_from" in message

    def test_an_unknown_office_is_refused_before_any_is_read(self, ledger: Ledger) -> None:
        register(ledger)
        request = TimelineRequest(offices=(DANDONG, "CN-NOWHERE"))
        with pytest.raises(OfficeNotFound, match="CN-NOWHERE"):
            ledger.reader.timeline(request)

    def test_a_time_and_a_position_together_are_refused(self) -> None:
        with pytest.raises(ValidationError, match="known_at and known_at_position"):
            TimelineRequest(offices=(DANDONG,), known_at="2025-03-20", known_at_position=3)

    def test_a_position_beyond_the_log_is_refused(self, ledger: Ledger) -> None:
        register(ledger)
        with pytest.raises(BeyondTheLog):
            ledger.reader.timeline(TimelineRequest(offices=(DANDONG,), known_at_position=9))
