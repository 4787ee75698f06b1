"""Timelines (``GetTimeline``) through the client library against a real server over the
example ledger, on SQLite and PostgreSQL: Dandong's bands and changes, as known then and now,
several offices in one call, the scope filters, a long office's timeline over several
messages, and the refusals.

One server per module (``shared_server``): the tests that write do so in fresh offices of
their own, so the example offices read the same throughout.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

import grpc
import pytest

from ledger_client import LedgerClient, LedgerClientError, command_message
from ledger_client.audit import Digest
from ledger_client.timelines import Band, OfficeTimeline, Timeline, joined
from tests.e2e.support import WORKER_BAGGAGE, collect_watch, new_office, source

DANDONG, HUNCHUN, CHANGBAI = "CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"
# (valid_from, valid_to, level, uncertain, pending) of an interval; None: no end, no rule.
Drawn = tuple[str, str | None, str | None, bool, str | None]
ScopeKey = tuple[str, str, str, str]


def _office(timeline: Timeline, code: str) -> OfficeTimeline:
    [found] = [office for office in timeline.offices if office.office == code]
    return found


def _band(office: OfficeTimeline, scope: dict[str, str], dimension: str) -> Band:
    [found] = [
        band
        for band in office.bands
        if band.scope.model_dump() == scope and band.dimension == dimension
    ]
    return found


def _drawn(band: Band) -> list[Drawn]:
    return [
        (
            interval.valid_from.isoformat(),
            interval.valid_to.isoformat() if interval.valid_to else None,
            interval.level.value if interval.level else None,
            interval.uncertain,
            interval.pending.value if interval.pending else None,
        )
        for interval in band.intervals
    ]


def _scopes(parts: Iterable[Any]) -> set[ScopeKey]:
    """The scopes of bands or changes."""
    return {
        (part.scope.direction, part.scope.channel, part.scope.traveller, part.scope.goods)
        for part in parts
    }


def _refusal(call: Callable[[], object]) -> LedgerClientError:
    with pytest.raises(LedgerClientError) as raised:
        call()
    return raised.value


@dataclass(frozen=True)
class Ban:
    """Dandong's ban on workers' electronics: its change and the log position of its event."""

    change_id: UUID
    position: int


@pytest.fixture(scope="module")
def ban(shared_client: LedgerClient) -> Ban:
    def found(events: list[Any]) -> bool:
        return any(e.office == DANDONG and e.type == "PolicyTightened" for e in events)

    events = collect_watch(shared_client, 0, seconds=10, until=found)
    [event] = [e for e in events if e.office == DANDONG and e.type == "PolicyTightened"]
    return Ban(change_id=event.event_id, position=event.position)


class TestDandong:
    def test_the_workers_electronics_go_from_two_to_none_through_an_uncertain_week(
        self, shared_client: LedgerClient, ban: Ban
    ) -> None:
        dandong = _office(shared_client.timeline(DANDONG), DANDONG)
        admissibility = _band(dandong, WORKER_BAGGAGE, "admissibility")
        assert _drawn(admissibility) == [
            ("2024-01-01", "2024-12-30", None, True, "at most 2"),
            ("2024-12-31", "2025-02-28", "at most 2", False, None),
            ("2025-03-01", "2025-03-09", "at most 2", True, "prohibited"),
            ("2025-03-10", None, "prohibited", False, None),
        ]
        uncertain = admissibility.intervals[2]
        assert uncertain.pending is not None and uncertain.pending.kind == "tightened"
        assert uncertain.pending.change_id == ban.change_id
        assert uncertain.level is not None and uncertain.level.kind == "observed"
        prohibited = admissibility.intervals[3].level
        assert prohibited is not None and prohibited.change_id == ban.change_id
        assert prohibited.revision == 0
        # The ban's other dimensions, in the same steps.
        assert _drawn(_band(dandong, WORKER_BAGGAGE, "inspection"))[2:] == [
            ("2025-03-01", "2025-03-09", "light", True, "thorough"),
            ("2025-03-10", None, "thorough", False, None),
        ]
        assert _drawn(_band(dandong, WORKER_BAGGAGE, "enforcement")) == [
            ("2025-03-01", "2025-03-09", None, True, "confiscation"),
            ("2025-03-10", None, "confiscation", False, None),
        ]
        cargo = {"direction": "outbound", "channel": "cargo-road", "traveller": "any"}
        assert _drawn(_band(dandong, {**cargo, "goods": "all"}, "inspection"))[-1] == (
            "2024-12-31",
            None,
            "rigorous",
            False,
            None,
        )

    def test_levels_are_ordered_by_strictness_prohibited_the_strictest(
        self, shared_client: LedgerClient
    ) -> None:
        dandong = _office(shared_client.timeline(DANDONG), DANDONG)
        levels = {
            level.value: (level.strictness, level.strictest)
            for band in dandong.bands
            for interval in band.intervals
            for level in (interval.level, interval.pending)
            if level is not None
        }
        assert levels["prohibited"] == (3, 3)  # the strictest admissibility
        assert levels["at most 2"][0] < levels["prohibited"][0]
        assert levels["at most 2"][1] == 3
        assert levels["light"][0] < levels["thorough"][0] <= levels["rigorous"][0]
        assert levels["rigorous"] == (4, 4)
        for strictness, strictest in levels.values():
            assert 0 <= strictness <= strictest

    def test_the_changes_come_by_window_start_with_when_they_were_reported(
        self, shared_client: LedgerClient, ban: Ban
    ) -> None:
        dandong = _office(shared_client.timeline(DANDONG), DANDONG)
        starts = [change.window_start for change in dandong.changes]
        assert starts == sorted(starts) and len(starts) == 4
        [tightening] = [c for c in dandong.changes if c.change_id == ban.change_id]
        assert tightening.kind == "tightened"
        assert (tightening.window_start, tightening.window_end) == (
            date(2025, 3, 1),
            date(2025, 3, 10),
        )
        assert tightening.effective.precision == "early-month"
        assert tightening.reported_on == date(2025, 3, 19)
        assert tightening.measure.admissibility is not None
        assert tightening.measure.admissibility.kind == "prohibited"
        assert [s.published for s in tightening.sources] == [date(2025, 3, 19)]
        assert tightening.amendments == () and tightening.retracted_at is None

    def test_the_timeline_says_the_log_position_and_digest_it_was_drawn_from(
        self, shared_client: LedgerClient
    ) -> None:
        timeline = shared_client.timeline(DANDONG)
        digest = shared_client.get_digest()
        *_, last = shared_client.export()  # the log as stored, to its end
        assert timeline.position == digest.position == last.position
        assert timeline.digest == digest.root
        assert shared_client.verify_digest(Digest(position=timeline.position, root=timeline.digest))


class TestAsKnown:
    def test_on_15_march_as_reported_the_ban_was_not_known_and_now_it_is(
        self, shared_client: LedgerClient, ban: Ban
    ) -> None:
        then = _office(
            shared_client.timeline(DANDONG, known_at="2025-03-15", basis="reported"), DANDONG
        )
        drawn = [i for band in then.bands for i in _drawn(band)]
        assert "prohibited" not in {level for i in drawn for level in (i[2], i[4])}
        assert ban.change_id not in {change.change_id for change in then.changes}
        assert _drawn(_band(then, WORKER_BAGGAGE, "admissibility")) == [
            ("2024-01-01", "2024-12-30", None, True, "at most 2"),
            ("2024-12-31", None, "at most 2", False, None),
        ]
        # The cargo inspections were reported on 19 March: not known then either.
        assert (
            _scopes(then.bands)
            == _scopes(then.changes)
            == {("outbound", "personal-baggage", "worker", "electronics")}
        )
        now = _office(shared_client.timeline(DANDONG), DANDONG)
        assert ban.change_id in {change.change_id for change in now.changes}
        assert _drawn(_band(now, WORKER_BAGGAGE, "admissibility"))[-1][2] == "prohibited"

    def test_as_of_the_position_before_the_ban_it_is_as_on_15_march(
        self, shared_client: LedgerClient, ban: Ban
    ) -> None:
        before = shared_client.timeline(DANDONG, known_at_position=ban.position - 1)
        reported = shared_client.timeline(DANDONG, known_at="2025-03-15", basis="reported")
        assert _office(before, DANDONG) == _office(reported, DANDONG)
        # Drawn from the log up to that position, whose digest is a prefix of the ledger's.
        assert before.position == ban.position - 1
        assert before.digest != reported.digest
        pinned = Digest(position=before.position, root=before.digest)
        assert shared_client.verify_digest(pinned) == shared_client.get_digest()
        at_ban = shared_client.timeline(DANDONG, known_at_position=ban.position)
        assert ban.change_id in {c.change_id for c in _office(at_ban, DANDONG).changes}

    def test_a_retraction_is_marked_once_known(self, shared_client: LedgerClient) -> None:
        """Changbai's rail inspection, retracted: never in a band, and in the changes with its
        retraction as known then."""
        now = _office(shared_client.timeline(CHANGBAI), CHANGBAI)
        [retracted] = [c for c in now.changes if c.scope.channel == "cargo-rail"]
        assert retracted.retracted_at is not None and retracted.retracted_on is not None
        assert "cargo-rail" not in {band.scope.channel for band in now.bands}
        end = shared_client.get_digest().position

        def found(events: list[Any]) -> bool:
            return any(e.type == "ChangeRetracted" and e.office == CHANGBAI for e in events)

        [retraction] = [
            e.position
            for e in collect_watch(shared_client, 0, seconds=10, until=found)
            if e.type == "ChangeRetracted" and e.office == CHANGBAI
        ]
        assert retraction <= end
        then = _office(shared_client.timeline(CHANGBAI, known_at_position=retraction - 1), CHANGBAI)
        [known] = [c for c in then.changes if c.change_id == retracted.change_id]
        assert known.retracted_at is None and known.retracted_on is None
        rail = {"direction": "outbound", "channel": "cargo-rail", "traveller": "any"}
        assert _drawn(_band(then, {**rail, "goods": "all"}, "inspection"))[-1][2] == "rigorous"

    def test_an_amendment_is_drawn_in_its_revision_and_listed_once_known(
        self, shared_client: LedgerClient
    ) -> None:
        office = new_office()
        shared_client.register_office(office, "Amended customs")
        recorded = shared_client.record(
            "tightened",
            office,
            scope=WORKER_BAGGAGE,
            measure={"admissibility": {"kind": "quantity-limit", "quantity": 1}},
            effective={"on": "2025-03-01"},
            sources=[source("2025-03-02")],
        )
        amended = shared_client.amend(
            office,
            recorded.change_id,
            reason="none at all",
            sources=[source("2025-03-25")],
            measure={"admissibility": {"kind": "prohibited"}},
        )
        now = _office(shared_client.timeline(office), office)
        [interval] = _band(now, WORKER_BAGGAGE, "admissibility").intervals
        assert interval.level is not None
        assert (interval.level.value, interval.level.revision) == ("prohibited", 1)
        [change] = now.changes
        assert change.measure.admissibility is not None
        assert change.measure.admissibility.kind == "prohibited"
        [amendment] = change.amendments
        assert amendment.revision == 1 and amendment.reported_on == date(2025, 3, 25)
        assert change.reported_on == date(2025, 3, 2)  # first reported, as recorded
        before = _office(
            shared_client.timeline(office, known_at_position=amended.position - 1), office
        )
        [interval] = _band(before, WORKER_BAGGAGE, "admissibility").intervals
        assert interval.level is not None
        assert (interval.level.value, interval.level.revision) == ("at most 1", 0)
        assert before.changes[0].amendments == ()


class TestOffices:
    def test_several_offices_come_back_in_the_order_asked(
        self, shared_client: LedgerClient
    ) -> None:
        for asked in ([HUNCHUN, DANDONG, CHANGBAI], [CHANGBAI, DANDONG, HUNCHUN]):
            timeline = shared_client.timeline(asked)
            assert [office.office for office in timeline.offices] == asked
            assert all(office.bands and office.changes for office in timeline.offices)
        alone = shared_client.timeline(HUNCHUN)
        together = shared_client.timeline([DANDONG, HUNCHUN])
        assert _office(together, HUNCHUN) == _office(alone, HUNCHUN)

    def test_an_office_with_nothing_to_draw_is_there_with_no_bands(
        self, shared_client: LedgerClient
    ) -> None:
        asked = [CHANGBAI, DANDONG, HUNCHUN]
        timeline = shared_client.timeline(asked, channel="postal")
        assert [office.office for office in timeline.offices] == asked
        assert [(o.bands, o.changes) for o in timeline.offices] == [((), ())] * 3
        digest = shared_client.get_digest()
        assert (timeline.position, timeline.digest) == (digest.position, digest.root)
        # As of the log's first event (a registration), before any rule: nothing drawn.
        early = shared_client.timeline(asked, known_at_position=1)
        assert [(o.office, o.bands, o.changes) for o in early.offices] == [
            (code, (), ()) for code in asked
        ]

    def test_a_range_of_days_cuts_the_intervals_and_keeps_the_changes_within_it(
        self, shared_client: LedgerClient, ban: Ban
    ) -> None:
        dandong = _office(
            shared_client.timeline(DANDONG, valid_from="2025-03-05", valid_to="2025-03-20"),
            DANDONG,
        )
        assert _drawn(_band(dandong, WORKER_BAGGAGE, "admissibility")) == [
            ("2025-03-05", "2025-03-09", "at most 2", True, "prohibited"),
            ("2025-03-10", "2025-03-20", "prohibited", False, None),
        ]
        assert [change.change_id for change in dandong.changes] == [ban.change_id]
        one_day = _office(
            shared_client.timeline(DANDONG, valid_from="2025-02-01", valid_to="2025-02-01"),
            DANDONG,
        )
        assert _drawn(_band(one_day, WORKER_BAGGAGE, "admissibility")) == [
            ("2025-02-01", "2025-02-01", "at most 2", False, None)
        ]

    def test_a_range_ending_before_a_bands_first_rule_draws_nothing_of_that_band(
        self, shared_client: LedgerClient
    ) -> None:
        # The ban (the only enforcement rule) starts on 1 March 2025, after the range.
        dandong = _office(shared_client.timeline(DANDONG, valid_to="2024-06-01"), DANDONG)
        intervals = [i for band in dandong.bands for i in band.intervals]
        assert all(i.valid_to is not None and i.valid_from <= i.valid_to for i in intervals)
        assert "enforcement" not in {band.dimension for band in dandong.bands}
        assert _drawn(_band(dandong, WORKER_BAGGAGE, "admissibility")) == [
            ("2024-01-01", "2024-06-01", None, True, "at most 2")
        ]
        # Before every rule: nothing, as with a valid_from before it too.
        for valid_from in (None, "2023-01-01"):
            before = shared_client.timeline(DANDONG, valid_from=valid_from, valid_to="2023-06-01")
            assert _office(before, DANDONG).bands == ()


# Scopes of an office made for the filters: each with one inspection rule.
BAGGAGE = {"direction": "outbound", "channel": "personal-baggage"}
FILTERED = {
    "worker electronics": {**BAGGAGE, "traveller": "worker", "goods": "electronics"},
    "anyone's 85": {**BAGGAGE, "traveller": "any", "goods": "85"},
    "a visitor's 8516.60": {**BAGGAGE, "traveller": "visitor", "goods": "851660"},
    "a worker's computers": {**BAGGAGE, "traveller": "worker", "goods": "8471"},
    "a worker's cash": {**BAGGAGE, "traveller": "worker", "goods": "cash"},
    "all cargo by road": {
        "direction": "outbound",
        "channel": "cargo-road",
        "traveller": "any",
        "goods": "all",
    },
    "vehicles by sea": {
        "direction": "inbound",
        "channel": "cargo-sea",
        "traveller": "any",
        "goods": "vehicles",
    },
}

ELECTRONIC = ["worker electronics", "anyone's 85", "a visitor's 8516.60"]
WORKERS = ["worker electronics", "anyone's 85", "a worker's computers", "a worker's cash"]


def _keys(*names: str) -> set[ScopeKey]:
    return {
        (scope["direction"], scope["channel"], scope["traveller"], scope["goods"])
        for scope in (FILTERED[name] for name in names)
    }


@pytest.fixture(scope="module")
def filtered(shared_client: LedgerClient) -> str:
    office = new_office()
    register = {"request_id": f"{office}-register", "office": office, "name": "Filters customs"}
    commands = [command_message("register", register)]
    commands += [
        command_message(
            "observe",
            {
                "request_id": f"{office}-{number}",
                "office": office,
                "scope": scope,
                "measure": {"inspection": "standard"},
                "effective": {"on": "2025-01-01"},
                "sources": [source("2025-01-02")],
            },
        )
        for number, scope in enumerate(FILTERED.values())
    ]
    assert shared_client.import_commands(commands).stored == len(commands)
    return office


class TestFilters:
    def test_without_filters_every_scope_is_drawn(
        self, shared_client: LedgerClient, filtered: str
    ) -> None:
        office = _office(shared_client.timeline(filtered), filtered)
        assert _scopes(office.bands) == _scopes(office.changes) == _keys(*FILTERED)

    @pytest.mark.parametrize(
        ("filters", "kept"),
        [
            pytest.param(
                {"goods": "8516.60"},
                [*ELECTRONIC, "all cargo by road"],
                id="goods within or around",
            ),
            pytest.param(
                {"goods": "electronics"},
                [*ELECTRONIC, "a worker's computers", "all cargo by road"],
                id="a category",
            ),
            pytest.param(
                {"traveller": "worker"},
                [*WORKERS, "all cargo by road", "vehicles by sea"],
                id="a traveller and any",
            ),
            pytest.param(
                {"traveller": "visitor", "goods": "8516.60"},
                ["anyone's 85", "a visitor's 8516.60", "all cargo by road"],
                id="a traveller and goods",
            ),
            pytest.param({"direction": "inbound"}, ["vehicles by sea"], id="a direction"),
            pytest.param({"channel": "cargo-road"}, ["all cargo by road"], id="a channel"),
            pytest.param({"channel": "postal"}, [], id="nothing"),
        ],
    )
    def test_filters_keep_the_scopes_they_ask_about(
        self,
        shared_client: LedgerClient,
        filtered: str,
        filters: dict[str, Any],
        kept: list[str],
    ) -> None:
        timeline = shared_client.timeline([filtered, DANDONG], **filters)
        assert [office.office for office in timeline.offices] == [filtered, DANDONG]
        office = _office(timeline, filtered)
        assert _scopes(office.bands) == _scopes(office.changes) == _keys(*kept)


# Events each within every limit and together far beyond one message's 4 MiB page: 50
# sources of 2000-character URLs, in characters of four bytes (~400 kB an event).
BULKY_CHANGES = 12
WIDE = "\U0001f642"


@pytest.fixture(scope="module")
def bulky(shared_client: LedgerClient) -> str:
    office = new_office()
    shared_client.register_office(office, "Bulky customs")
    sources = [source(publisher=WIDE * 200, url="https://" + WIDE * (2000 - len("https://")))]
    commands = [
        command_message(
            "observe",
            {
                "request_id": f"{office}-{number}",
                "office": office,
                "scope": {
                    "direction": "inbound",
                    "channel": "cargo-sea",
                    "goods": f"{1000 + number}",
                },
                "measure": {"inspection": "standard"},
                "effective": {"on": "2025-01-01"},
                "sources": sources * 50,
            },
        )
        for number in range(BULKY_CHANGES)
    ]
    assert shared_client.import_commands(commands, chunk=8).stored == BULKY_CHANGES
    return office


class TestPaging:
    def test_a_long_office_comes_in_several_messages_that_join_into_one(
        self, shared_client: LedgerClient, bulky: str
    ) -> None:
        replies = list(shared_client.stream("GetTimeline", {"offices": [DANDONG, bulky]}))
        assert replies[0].office == DANDONG
        pages = [reply for reply in replies if reply.office == bulky]
        assert len(pages) > 1
        assert all(reply.ByteSize() < 8 * 1024 * 1024 for reply in replies)
        assert len({(reply.position, reply.digest) for reply in replies}) == 1
        # Every band whole in one message; the changes follow the bands.
        assert sum(len(page.bands) for page in pages) == BULKY_CHANGES
        assert sum(len(page.changes) for page in pages) == BULKY_CHANGES
        assert not pages[-1].bands
        whole = joined(replies)
        assert [office.office for office in whole.offices] == [DANDONG, bulky]
        office = _office(whole, bulky)
        assert len(office.bands) == len(office.changes) == BULKY_CHANGES
        assert {band.scope.goods for band in office.bands} == {
            f"{1000 + number}" for number in range(BULKY_CHANGES)
        }
        assert all(len(change.sources) == 50 for change in office.changes)
        # The client joins them too.
        assert shared_client.timeline([DANDONG, bulky]) == whole


class TestRefusals:
    def test_an_unknown_office_is_not_found_by_name_and_nothing_is_sent(
        self, shared_client: LedgerClient
    ) -> None:
        call = shared_client.stream("GetTimeline", {"offices": [DANDONG, "CN-NOWHERE"]})
        with pytest.raises(LedgerClientError) as refused:
            next(call)
        assert refused.value.code is grpc.StatusCode.NOT_FOUND
        assert "CN-NOWHERE" in refused.value.message

    def test_days_in_the_wrong_order_are_refused_naming_both(
        self, shared_client: LedgerClient
    ) -> None:
        error = _refusal(
            lambda: shared_client.timeline(DANDONG, valid_from="2025-04-01", valid_to="2025-03-01")
        )
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [field for field, _ in error.fields] == ["valid_to"]
        assert "valid_from 2025-04-01 is after valid_to 2025-03-01" in error.message

    def test_more_than_a_hundred_offices_are_refused(self, shared_client: LedgerClient) -> None:
        assert shared_client.timeline([DANDONG] * 100).offices
        error = _refusal(lambda: shared_client.timeline([DANDONG] * 101))
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [field for field, _ in error.fields] == ["offices"]
        assert "at most 100, 101 given" in error.message

    def test_no_office_is_refused(self, shared_client: LedgerClient) -> None:
        error = _refusal(lambda: shared_client.timeline([]))
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [field for field, _ in error.fields] == ["offices"]
        assert "e.g. CN-DANDONG" in error.message

    @pytest.mark.parametrize(
        ("field", "text"),
        [("valid_from", "2025-13-01"), ("valid_to", "yesterday"), ("known_at", "soon")],
    )
    def test_a_bad_date_is_refused_with_an_example(
        self, shared_client: LedgerClient, field: str, text: str
    ) -> None:
        asked: dict[str, Any] = {field: text}
        error = _refusal(lambda: shared_client.timeline(DANDONG, **asked))
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [name for name, _ in error.fields] == [field]
        assert text in error.message and "e.g. 2025-03-20" in error.message

    def test_a_bad_office_code_or_goods_is_refused_naming_it(
        self, shared_client: LedgerClient
    ) -> None:
        error = _refusal(lambda: shared_client.timeline([DANDONG, "cn dandong"]))
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [name for name, _ in error.fields] == ["offices[1]"]
        error = _refusal(lambda: shared_client.timeline(DANDONG, goods="8"))
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [name for name, _ in error.fields] == ["goods"]

    def test_a_time_and_a_position_together_are_refused(self, shared_client: LedgerClient) -> None:
        error = _refusal(
            lambda: shared_client.timeline(DANDONG, known_at="2025-03-20", known_at_position=3)
        )
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert "known_at and known_at_position both say what was known: give one" in error.message

    def test_a_position_on_the_reported_basis_is_refused(self, shared_client: LedgerClient) -> None:
        error = _refusal(
            lambda: shared_client.timeline(DANDONG, known_at_position=3, basis="reported")
        )
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert "asks on the recorded basis" in error.message

    def test_a_position_beyond_the_log_is_refused_as_other_questions_refuse_it(
        self, shared_client: LedgerClient
    ) -> None:
        end = shared_client.get_digest().position
        assert shared_client.timeline(DANDONG, known_at_position=end).position == end
        timeline = _refusal(lambda: shared_client.timeline(DANDONG, known_at_position=end + 1))
        history = _refusal(lambda: list(shared_client.history(DANDONG, known_at_position=end + 1)))
        assert timeline.code is history.code is grpc.StatusCode.INVALID_ARGUMENT
        assert timeline.message == history.message
        assert f"known_at_position {end + 1} is beyond the end of the log" in timeline.message
        assert [field for field, _ in timeline.fields] == ["known_at_position"]
