"""The oracle of the timeline tests: the office's history as the test recorded it, and a plain
fold of it, day by day, into the intervals a timeline must have. It knows nothing of the rule
index or the projection: it replays the commands the test issued, with their receipts' times
and positions. Also the helpers both timeline test modules share.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from ledger.bootstrap import Ledger
from ledger.domain.errors import LedgerError
from ledger.domain.goods import hs_prefixes, normalise_goods
from ledger.domain.values import Scope
from ledger.readmodel.answers import RuleState, StateRequest
from ledger.readmodel.timeline import Interval, Level, OfficeTimeline, TimelineRequest
from tests.support import (
    DANDONG,
    WORKER_BAGGAGE,
    amend,
    record,
    retract,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "dandong-2025.jsonl"
ONE_DAY = timedelta(days=1)
ONE_MICROSECOND = timedelta(microseconds=1)
# The scopes a random history records changes in.
SCOPES = [
    WORKER_BAGGAGE,  # a named traveller, a category
    {**WORKER_BAGGAGE, "traveller": "any", "goods": "85"},  # any traveller, an HS chapter
    {**WORKER_BAGGAGE, "goods": "8516"},
    {**WORKER_BAGGAGE, "channel": "cargo-road", "traveller": "any", "goods": "all"},
]

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
