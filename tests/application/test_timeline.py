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
* The edges one by one are in ``test_timeline_edges.py``; the oracle in
  ``timeline_oracle.py``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from ledger.application.importer import import_file
from ledger.bootstrap import Ledger
from ledger.domain.values import DIMENSIONS, Scope
from ledger.readmodel.answers import Verdict
from ledger.settings import Settings
from tests.application.timeline_oracle import (
    EXAMPLE,
    ONE_DAY,
    SCOPES,
    History,
    assert_edges_agree_with_state,
    band,
    drawn,
    timeline,
)
from tests.support import (
    ALLOWED,
    PROHIBITED,
    WORKER_BAGGAGE,
    check,
    limit,
    register,
)

# The properties.

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
