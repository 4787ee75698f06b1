"""Timelines, edge by edge: window edges, same-day changes, back-dated corrections,
retractions, the two knowledge bases, clipping to a range, the filters, the changes listed,
refusals. (The properties are in ``test_timeline.py``; the oracle in ``timeline_oracle.py``.)
"""

from __future__ import annotations

from datetime import date
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from ledger.bootstrap import Ledger
from ledger.domain.errors import OfficeNotFound
from ledger.domain.values import Scope
from ledger.readmodel.reader import BeyondTheLog
from ledger.readmodel.timeline import Level, TimelineRequest
from tests.application.timeline_oracle import (
    ONE_DAY,
    band,
    timeline,
)
from tests.support import (
    DANDONG,
    PROHIBITED,
    WORKER_BAGGAGE,
    amend,
    limit,
    record,
    register,
    retract,
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
