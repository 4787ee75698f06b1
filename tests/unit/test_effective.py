"""The index of effective edges: each change's window start and end as known now, listed by
date and paged; and what a watch of effective dates announces as its cursor moves, late or
not, resumed without repeating or missing a notice.

Driven through the in-memory ledger (the projection feeds the index), with the server's date
fixed in a ``ServerClock`` the test moves.
"""

from __future__ import annotations

import contextlib
import itertools
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from ledger.bootstrap import Ledger
from ledger.domain.errors import LedgerError, OfficeNotFound
from ledger.readmodel.effective import Edge
from ledger.readmodel.upcoming import (
    ClockUnreadable,
    Cursor,
    FieldRefused,
    ServerClock,
    UpcomingRequest,
    WatchEffectiveRequest,
)
from ledger.settings import Settings
from tests.support import DANDONG, PROHIBITED, amend, limit, record, register, retract

HUNCHUN = "CN-HUNCHUN"
_goods = itertools.count(1000)


def scope() -> dict[str, str]:
    """A scope of its own, so that observations never contradict each other."""
    return {"direction": "inbound", "channel": "postal", "goods": str(next(_goods))}


def observe(ledger: Ledger, on: str, precision: str = "day", office: str = DANDONG) -> Any:
    return record(ledger, "observed", limit(2), on, precision, office=office, scope=scope())


def at(ledger: Ledger, day: str) -> None:
    ledger.reader.clock = ServerClock(date.fromisoformat(day))


def edges(ledger: Ledger, first: str, last: str, **asked: Any) -> list[tuple[str, str, str]]:
    """(day, edge, change id) of every edge listed, every page read."""
    found, token = [], ""
    while True:
        page = ledger.reader.upcoming(
            UpcomingRequest(from_date=first, to_date=last, page_token=token, **asked)
        )
        found += [(str(e.on), e.edge.value, str(e.change_id)) for e in page.edges]
        if not page.next_page_token:
            return found
        token = page.next_page_token


@pytest.fixture
def dandong(ledger: Ledger) -> Ledger:
    register(ledger)
    register(ledger, HUNCHUN)
    at(ledger, "2025-05-20")
    return ledger


class TestWindowEdges:
    def test_a_day_precise_change_starts_and_is_certain_on_its_day(self, dandong: Ledger) -> None:
        change = str(observe(dandong, "2025-06-01").change_id)
        assert edges(dandong, "2025-05-01", "2025-06-30") == [
            ("2025-06-01", "starts", change),
            ("2025-06-01", "certain", change),
        ]

    def test_a_window_starts_on_its_first_day_and_is_certain_on_its_last(
        self, dandong: Ledger
    ) -> None:
        change = str(observe(dandong, "2025-06-11", "mid-month").change_id)
        assert edges(dandong, "2025-06-01", "2025-06-30") == [
            ("2025-06-11", "starts", change),
            ("2025-06-20", "certain", change),
        ]
        # Both ends of the range are included; an edge outside it is not.
        assert edges(dandong, "2025-06-20", "2025-06-20") == [("2025-06-20", "certain", change)]
        assert edges(dandong, "2025-06-12", "2025-06-19") == []

    def test_edges_come_by_date_then_office_then_change(self, dandong: Ledger) -> None:
        late_month = str(observe(dandong, "2025-06-21", "late-month").change_id)
        hunchun = str(observe(dandong, "2025-06-25", office=HUNCHUN).change_id)
        first, second = sorted(str(observe(dandong, "2025-06-25").change_id) for _ in range(2))
        assert edges(dandong, "2025-06-01", "2025-06-30") == [
            ("2025-06-21", "starts", late_month),
            ("2025-06-25", "starts", first),
            ("2025-06-25", "certain", first),
            ("2025-06-25", "starts", second),
            ("2025-06-25", "certain", second),
            ("2025-06-25", "starts", hunchun),
            ("2025-06-25", "certain", hunchun),
            ("2025-06-30", "certain", late_month),
        ]

    def test_only_the_offices_asked_are_listed(self, dandong: Ledger) -> None:
        observe(dandong, "2025-06-01")
        hunchun = str(observe(dandong, "2025-06-02", office=HUNCHUN).change_id)
        assert [e[2] for e in edges(dandong, "2025-06-01", "2025-06-30", offices=[HUNCHUN])] == [
            hunchun,
            hunchun,
        ]
        with pytest.raises(OfficeNotFound):
            edges(dandong, "2025-06-01", "2025-06-30", offices=["CN-TUMEN"])

    def test_the_first_date_is_the_server_date_unless_given(self, dandong: Ledger) -> None:
        observe(dandong, "2025-05-19")
        change = str(observe(dandong, "2025-05-20").change_id)
        listed = dandong.reader.upcoming(UpcomingRequest(to_date="2025-05-31"))
        assert {str(e.change_id) for e in listed.edges} == {change}

    def test_an_edge_carries_the_change_as_known_now(self, dandong: Ledger) -> None:
        receipt = record(dandong, "tightened", PROHIBITED, "2025-06-01", scope=scope())
        (starts, certain) = dandong.reader.upcoming(UpcomingRequest(to_date="2025-06-01")).edges
        assert (starts.edge, certain.edge) == (Edge.STARTS, Edge.CERTAIN)
        assert starts.office == DANDONG
        assert starts.kind.value == "tightened"
        assert starts.measure.admissibility is not None
        assert starts.measure.admissibility.kind.value == "prohibited"
        assert starts.position == receipt.position
        assert [s.publisher for s in starts.sources] == ["Daily NK"]


class TestCorrections:
    def test_an_amendment_that_moves_the_window_moves_its_edges(self, dandong: Ledger) -> None:
        change = observe(dandong, "2025-06-01").change_id
        moved = amend(dandong, change, effective={"on": "2025-07-01", "precision": "early-month"})
        assert edges(dandong, "2025-05-01", "2025-06-30") == []
        listed = dandong.reader.upcoming(
            UpcomingRequest(from_date="2025-05-01", to_date="2025-07-31")
        ).edges
        assert [(str(e.on), e.edge.value) for e in listed] == [
            ("2025-07-01", "starts"),
            ("2025-07-10", "certain"),
        ]
        assert {e.position for e in listed} == {moved.position}
        assert {e.sources[-1].published for e in listed} == {date(2025, 4, 1)}

    def test_an_amendment_of_the_measure_keeps_the_edges_with_the_new_measure(
        self, dandong: Ledger
    ) -> None:
        change = observe(dandong, "2025-06-01").change_id
        amend(dandong, change, measure={"inspection": "rigorous"})
        listed = dandong.reader.upcoming(UpcomingRequest(to_date="2025-06-30")).edges
        assert [e.measure.inspection for e in listed] == ["rigorous", "rigorous"]
        assert [e.measure.admissibility.quantity for e in listed if e.measure.admissibility] == [
            2,
            2,
        ]

    def test_a_retracted_change_has_no_edges(self, dandong: Ledger) -> None:
        kept = str(observe(dandong, "2025-06-02").change_id)
        gone = observe(dandong, "2025-06-01").change_id
        amend(dandong, gone, effective={"on": "2025-06-03", "precision": "day"})
        retract(dandong, gone)
        assert {e[2] for e in edges(dandong, "2025-05-01", "2025-06-30")} == {kept}


class TestPaging:
    def test_pages_follow_each_other_without_a_gap_or_a_repeat(self, dandong: Ledger) -> None:
        for day in range(1, 8):
            observe(dandong, f"2025-06-{day:02d}", office=(DANDONG, HUNCHUN)[day % 2])
        whole = edges(dandong, "2025-06-01", "2025-06-30", page_size=1000)
        assert len(whole) == 14
        for size in (1, 3, 13, 14):
            assert edges(dandong, "2025-06-01", "2025-06-30", page_size=size) == whole

    def test_the_last_page_has_no_token(self, dandong: Ledger) -> None:
        observe(dandong, "2025-06-01")
        page = dandong.reader.upcoming(UpcomingRequest(to_date="2025-06-30", page_size=2))
        assert len(page.edges) == 2
        assert page.next_page_token == ""

    def test_a_page_token_this_server_did_not_give_is_refused(self) -> None:
        with pytest.raises(ValidationError) as refused:
            UpcomingRequest(to_date="2025-06-30", page_token="not-a-token")
        (error,) = refused.value.errors()
        assert error["loc"] == ("page_token",)
        assert "next_page_token" in error["msg"]

    @pytest.mark.parametrize(
        ("fields", "field", "words"),
        [
            ({}, "to_date", "to_date is required"),
            ({"to_date": "2025-06-31"}, "to_date", "not a day of the calendar"),
            ({"to_date": "2025-06-30", "page_size": 1001}, "page_size", "1 to 1000"),
            ({"to_date": "2025-06-30", "page_size": -1}, "page_size", "or 0 for 100"),
            ({"to_date": "2025-06-30", "offices": ["CN-X"] * 501}, "offices", "at most 500"),
        ],
    )
    def test_bad_requests_are_refused_naming_the_field(
        self, fields: dict[str, Any], field: str, words: str
    ) -> None:
        with pytest.raises(ValidationError) as refused:
            UpcomingRequest.model_validate(fields)
        assert [e["loc"][0] for e in refused.value.errors()] == [field]
        assert words in refused.value.errors()[0]["msg"]

    def test_the_range_runs_forward_at_most_ten_years(self) -> None:
        asked = UpcomingRequest(from_date="2024-02-29", to_date="2034-02-28")
        assert asked.window(None) == (date(2024, 2, 29), date(2034, 2, 28))
        with pytest.raises(FieldRefused, match="more than 10 years") as refused:
            UpcomingRequest(from_date="2024-02-29", to_date="2034-03-01").window(None)
        assert refused.value.fields[0][0] == "to_date"
        with pytest.raises(FieldRefused, match="before from_date"):
            UpcomingRequest(from_date="2025-06-01", to_date="2025-05-31").window(None)
        with pytest.raises(FieldRefused, match="the server's date"):
            UpcomingRequest(to_date="2025-05-31").window(date(2025, 6, 1))


def watch(ledger: Ledger, cursor: Cursor) -> tuple[list[tuple[str, str, str, bool]], Cursor]:
    notices, moved = ledger.reader.effective_due(None, cursor)
    said = [(str(n.edge.on), n.edge.edge.value, str(n.edge.change_id), n.late) for n in notices]
    return said, moved


class TestWatchCursor:
    def test_a_change_recorded_in_advance_is_announced_when_the_date_reaches_it(
        self, dandong: Ledger
    ) -> None:
        cursor = dandong.reader.effective_start(WatchEffectiveRequest())
        change = str(observe(dandong, "2025-06-01").change_id)
        at(dandong, "2025-05-31")
        said, cursor = watch(dandong, cursor)
        assert said == []
        at(dandong, "2025-06-01")
        said, cursor = watch(dandong, cursor)
        assert said == [
            ("2025-06-01", "starts", change, False),
            ("2025-06-01", "certain", change, False),
        ]
        assert cursor == Cursor(date(2025, 6, 1), dandong.reader.log_end())
        assert watch(dandong, cursor) == ([], cursor)

    def test_a_window_is_announced_at_its_start_and_again_when_certain(
        self, dandong: Ledger
    ) -> None:
        cursor = dandong.reader.effective_start(WatchEffectiveRequest())
        change = str(observe(dandong, "2025-06-11", "mid-month").change_id)
        at(dandong, "2025-06-15")
        said, cursor = watch(dandong, cursor)
        assert said == [("2025-06-11", "starts", change, False)]
        at(dandong, "2025-06-19")
        assert watch(dandong, cursor)[0] == []
        at(dandong, "2025-06-20")
        assert watch(dandong, cursor)[0] == [("2025-06-20", "certain", change, False)]

    def test_a_change_recorded_after_its_date_is_announced_at_once_late(
        self, dandong: Ledger
    ) -> None:
        at(dandong, "2025-06-02")
        cursor = dandong.reader.effective_start(WatchEffectiveRequest())
        past = str(observe(dandong, "2025-05-01").change_id)
        window = str(observe(dandong, "2025-06-01", "early-month").change_id)
        said, _ = watch(dandong, cursor)
        assert said == [
            ("2025-05-01", "starts", past, True),
            ("2025-05-01", "certain", past, True),
            ("2025-06-01", "starts", window, True),
        ]

    def test_a_change_recorded_for_the_day_the_watch_is_at_is_late(self, dandong: Ledger) -> None:
        cursor = dandong.reader.effective_start(WatchEffectiveRequest())  # 2025-05-20
        change = str(observe(dandong, "2025-05-20").change_id)
        assert watch(dandong, cursor)[0] == [
            ("2025-05-20", "starts", change, True),
            ("2025-05-20", "certain", change, True),
        ]

    def test_a_change_recorded_for_a_day_the_watch_has_not_reached_is_not_late(
        self, dandong: Ledger
    ) -> None:
        cursor = dandong.reader.effective_start(WatchEffectiveRequest())  # 2025-05-20
        at(dandong, "2025-05-25")
        change = str(observe(dandong, "2025-05-22").change_id)
        assert watch(dandong, cursor)[0] == [
            ("2025-05-22", "starts", change, False),
            ("2025-05-22", "certain", change, False),
        ]

    def test_an_amendment_announces_the_amended_form_and_a_retraction_silences_it(
        self, dandong: Ledger
    ) -> None:
        cursor = dandong.reader.effective_start(WatchEffectiveRequest())
        change = observe(dandong, "2025-06-01").change_id
        moved = observe(dandong, "2025-06-02").change_id
        amend(dandong, moved, effective={"on": "2025-06-05", "precision": "day"})
        retract(dandong, change)
        at(dandong, "2025-06-04")
        assert watch(dandong, cursor)[0] == []
        at(dandong, "2025-06-05")
        assert [n[:2] for n in watch(dandong, cursor)[0]] == [
            ("2025-06-05", "starts"),
            ("2025-06-05", "certain"),
        ]

    def test_the_date_never_goes_back(self, dandong: Ledger) -> None:
        cursor = Cursor(date(2025, 6, 10), dandong.reader.log_end())
        observe(dandong, "2025-06-05")
        said, moved = watch(dandong, cursor)  # the clock says 2025-05-20
        assert moved.day == date(2025, 6, 10)
        assert [late for *_, late in said] == [True, True]

    def test_a_cursor_beyond_the_read_model_waits_for_it(self, dandong: Ledger) -> None:
        ahead = Cursor(date(2025, 5, 20), dandong.reader.log_end() + 5)
        assert watch(dandong, ahead) == ([], ahead)

    def test_a_resume_point_needs_its_date(self, dandong: Ledger) -> None:
        with pytest.raises(FieldRefused, match="after_position resumes together with after_date"):
            dandong.reader.effective_start(WatchEffectiveRequest(after_position=3))
        with pytest.raises(FieldRefused, match="beyond the end of the log"):
            dandong.reader.effective_start(
                WatchEffectiveRequest(after_date="2025-05-01", after_position=99)
            )
        with pytest.raises(OfficeNotFound):
            dandong.reader.effective_start(WatchEffectiveRequest(offices=["CN-TUMEN"]))


# A schedule for the resume test: record a change on a day relative to the clock, amend or
# retract an earlier one, or move the clock on.
steps = st.lists(
    st.one_of(
        st.tuples(st.just("record"), st.integers(-5, 15), st.sampled_from(["day", "mid-month"])),
        st.tuples(st.just("amend"), st.integers(0, 30), st.integers(-5, 15)),
        st.tuples(st.just("retract"), st.integers(0, 30), st.just(0)),
        st.tuples(st.just("tick"), st.integers(0, 4), st.just(0)),
    ),
    min_size=1,
    max_size=25,
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(steps, st.lists(st.booleans(), min_size=25, max_size=25))
def test_a_resumed_watch_sends_nothing_twice_and_misses_nothing(
    tmp_path: Path, schedule: list[tuple[str, int, Any]], looks: list[bool]
) -> None:
    """Two watches over one history: one looks after every step, the other only now and then
    (a client that went away and came back with its last resume point). Each announces every
    edge of the changes as known at the end, on or before the last date, exactly once."""
    with Ledger(Settings(database_url="memory://")) as ledger:
        register(ledger)
        today = date(2025, 6, 1)
        ledger.reader.clock = ServerClock(today)
        start = ledger.reader.effective_start(WatchEffectiveRequest())
        every, sometimes = start, start
        heard_every: list[Any] = []
        heard_sometimes: list[Any] = []
        changes: list[Any] = []
        for number, (what, a, b) in enumerate(schedule):
            if what == "record":
                on = today + timedelta(days=a)
                if b == "mid-month":
                    on = on.replace(day=15)
                changes.append(observe(ledger, on.isoformat(), b).change_id)
            elif what == "amend" and changes:
                day = (today + timedelta(days=b)).isoformat()
                with contextlib.suppress(LedgerError):  # retracted already
                    amend(ledger, changes[a % len(changes)], effective={"on": day})
            elif what == "retract" and changes:
                with contextlib.suppress(LedgerError):
                    retract(ledger, changes[a % len(changes)])
            elif what == "tick":
                today += timedelta(days=a)
                ledger.reader.clock = ServerClock(today)
            notices, every = ledger.reader.effective_due(None, every)
            heard_every += [(n.edge.change_id, n.edge.edge, n.edge.position) for n in notices]
            if looks[number]:
                notices, sometimes = ledger.reader.effective_due(None, sometimes)
                heard_sometimes += [
                    (n.edge.change_id, n.edge.edge, n.edge.position) for n in notices
                ]
        notices, sometimes = ledger.reader.effective_due(None, sometimes)
        heard_sometimes += [(n.edge.change_id, n.edge.edge, n.edge.position) for n in notices]
        assert every == sometimes
        assert len(set(heard_sometimes)) == len(heard_sometimes)
        assert len(set(heard_every)) == len(heard_every)
        # Both heard every edge, up to the last date, of every form current at the end.
        final = {
            (e.change_id, e.edge, e.position)
            for e in ledger.reader.upcoming(
                UpcomingRequest(from_date="2025-01-01", to_date=today, page_size=1000)
            ).edges
        }
        assert final <= set(heard_every)
        assert final <= set(heard_sometimes)
        # What one heard beyond those is of forms amended or retracted since: the other heard
        # them too, unless it had not looked while they were current.
        assert set(heard_sometimes) - final <= set(heard_every) - final


class TestKeptCurrent:
    def test_the_index_follows_what_another_process_writes(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
        with Ledger(Settings(database_url=url)) as one, Ledger(Settings(database_url=url)) as two:
            register(one)
            first = str(observe(one, "2025-06-01").change_id)
            assert [e[2] for e in edges(two, "2025-06-01", "2025-06-30")] == [first, first]
            assert [e[2] for e in edges(one, "2025-06-01", "2025-06-30")] == [first, first]
            second = observe(two, "2025-06-02").change_id
            amend(two, first, effective={"on": "2025-06-03", "precision": "day"})
            retract(two, second)
            assert edges(one, "2025-06-01", "2025-06-30") == [
                ("2025-06-03", "starts", first),
                ("2025-06-03", "certain", first),
            ]
            assert one.effective.position == one.reader.log_end()

    def test_a_rebuild_of_the_read_model_rebuilds_the_index(self, dandong: Ledger) -> None:
        change = str(observe(dandong, "2025-06-01").change_id)
        assert len(edges(dandong, "2025-06-01", "2025-06-01")) == 2
        dandong.rebuild()
        assert not dandong.effective.built
        assert edges(dandong, "2025-06-01", "2025-06-01") == [
            ("2025-06-01", "starts", change),
            ("2025-06-01", "certain", change),
        ]


class TestServerClock:
    def test_a_fixed_date_is_the_date(self) -> None:
        assert ServerClock(date(2025, 6, 1)).today() == date(2025, 6, 1)

    def test_a_file_is_read_again_at_each_look(self, tmp_path: Path) -> None:
        path = tmp_path / "today"
        clock = ServerClock(file=path)
        with pytest.raises(ClockUnreadable, match="LEDGER_TODAY_FILE"):
            clock.today()
        path.write_text("2025-05-20\n")
        assert clock.today() == date(2025, 5, 20)
        path.write_text("2025-06-01")
        assert clock.today() == date(2025, 6, 1)
        path.write_text("tomorrow")  # the last date read stays
        assert clock.today() == date(2025, 6, 1)

    def test_settings_give_the_ledger_its_clock(self, tmp_path: Path) -> None:
        with Ledger(Settings(database_url="memory://", today="2025-06-01")) as fixed:
            assert fixed.reader.clock.today() == date(2025, 6, 1)
        path = tmp_path / "today"
        path.write_text("2025-05-20")
        with Ledger(Settings(database_url="memory://", today_file=path)) as filed:
            assert filed.reader.clock.today() == date(2025, 5, 20)
