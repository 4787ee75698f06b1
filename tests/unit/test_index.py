"""The rule index's timelines keep revisions as numbers; they must choose exactly what a plain
scan over the revisions, in rule order, chooses."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from uuid import UUID

from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.readmodel.index import DimensionTimeline
from ledger.readmodel.model import OPEN, Basis, Entry, Knowledge, micros

DAY0 = date(2025, 1, 1).toordinal()
T0 = datetime(2025, 1, 1, tzinfo=UTC)


@st.composite
def entries(draw: st.DrawFn) -> Entry:
    start = DAY0 + draw(st.integers(0, 40))
    recorded = micros(T0) + draw(st.integers(0, 10**8))
    reported = DAY0 + draw(st.integers(0, 40))
    return Entry(
        start=start,
        end=start + draw(st.sampled_from((0, 0, 9, 30))),
        seq=draw(st.integers(1, 30)),
        rev=draw(st.integers(0, 3)),
        recorded_from=recorded,
        recorded_until=draw(st.sampled_from((OPEN, recorded + 5 * 10**7))),
        reported_from=reported,
        reported_until=draw(st.sampled_from((OPEN, reported + 7))),
        change=draw(st.sampled_from((0, 2**127 + 5, 2**128 - 1, 2**64, 12345))),
        dimensions=("inspection",),
    )


def plain_latest(
    held: dict[tuple[int, int, int], Entry], at: date, knowledge: Knowledge, certain: bool
) -> tuple[UUID, int] | None:
    day = at.toordinal()
    for key in sorted(held, reverse=True):
        entry = held[key]
        if entry.start > day or (certain and entry.end > day):
            continue
        if knowledge.at is None:
            known = entry.recorded_until == OPEN
        elif knowledge.basis is Basis.RECORDED:
            known = entry.recorded_from <= micros(knowledge.at) < entry.recorded_until
        else:
            moment = knowledge.at.date().toordinal()
            known = entry.reported_from <= moment < entry.reported_until
        if known:
            return UUID(int=entry.change), entry.rev
    return None


@settings(max_examples=300, deadline=None)
@given(
    st.lists(entries(), max_size=30),
    st.lists(
        st.tuples(
            st.integers(-2, 80),
            st.sampled_from((None, *Basis)),
            st.integers(0, 10**8),
            st.booleans(),
        ),
        min_size=1,
        max_size=20,
    ),
)
def test_a_timeline_chooses_what_a_plain_scan_chooses(
    puts: list[Entry], questions: list[tuple[int, Basis | None, int, bool]]
) -> None:
    timeline = DimensionTimeline()
    held: dict[tuple[int, int, int], Entry] = {}
    for entry in puts:  # a later put of the same (start, seq, rev) replaces the earlier
        added = timeline.put(entry)
        key = (entry.start, entry.seq, entry.rev)
        assert added == (key not in held)
        held[key] = entry
    assert len(timeline) == len(held)
    for offset, basis, micro, certain in questions:
        at = date.fromordinal(DAY0 + offset)
        knowledge = (
            Knowledge()
            if basis is None
            else Knowledge(basis, T0 + timedelta(microseconds=micro * 100))
        )
        expected = plain_latest(held, at, knowledge, certain)
        assert timeline.latest(at, knowledge, certain=certain) == expected
    # Knowledge exactly at the ends of the intervals, where a revision stops being known.
    for entry in held.values():
        at = date.fromordinal(entry.end)
        moments = [
            Knowledge(Basis.RECORDED, T0 + timedelta(microseconds=entry.recorded_from - micros(T0)))
        ]
        if entry.recorded_until != OPEN:
            closed = T0 + timedelta(microseconds=entry.recorded_until - micros(T0))
            moments.append(Knowledge(Basis.RECORDED, closed))
        if entry.reported_until != OPEN:
            day = date.fromordinal(entry.reported_until)
            moments.append(
                Knowledge(Basis.REPORTED, datetime.combine(day, datetime.min.time(), UTC))
            )
        for knowledge in moments:
            expected = plain_latest(held, at, knowledge, False)
            assert timeline.latest(at, knowledge, certain=False) == expected
