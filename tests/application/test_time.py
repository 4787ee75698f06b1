"""Both time axes: window edges, same-day changes, corrections, and the two knowledge bases."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from ledger.bootstrap import Ledger
from ledger.readmodel.answers import Verdict
from ledger.readmodel.history import HistoryRequest
from ledger.readmodel.reader import BeyondTheLog
from tests.support import PROHIBITED, amend, check, limit, record, register, retract, state


def dandong_with_ban(
    ledger: Ledger, on: str = "2025-03-01", precision: str = "early-month"
) -> object:
    register(ledger)
    record(ledger, "observed", limit(2), "2024-01-01", "year", published="2024-06-15")
    return record(ledger, "tightened", PROHIBITED, on, precision, published="2025-03-19")


class TestEffectiveWindows:
    def test_the_day_before_the_window_has_the_old_rule(self, any_ledger: Ledger) -> None:
        dandong_with_ban(any_ledger)
        assert check(any_ledger, "2025-02-28").verdict is Verdict.ALLOWED

    def test_the_first_day_of_the_window_is_uncertain(self, any_ledger: Ledger) -> None:
        dandong_with_ban(any_ledger)
        result = check(any_ledger, "2025-03-01")
        assert result.verdict is Verdict.UNCERTAIN
        assert [c.verdict for c in result.candidates] == [Verdict.ALLOWED, Verdict.PROHIBITED]

    def test_the_last_day_of_the_window_has_the_new_rule(self, any_ledger: Ledger) -> None:
        # The change took effect on some day in 1..10 March: by the 10th it is in force.
        dandong_with_ban(any_ledger)
        assert check(any_ledger, "2025-03-09").verdict is Verdict.UNCERTAIN
        assert check(any_ledger, "2025-03-10").verdict is Verdict.PROHIBITED

    def test_a_day_precise_change_is_in_force_on_its_day(self, any_ledger: Ledger) -> None:
        dandong_with_ban(any_ledger, on="2025-03-07", precision="day")
        assert check(any_ledger, "2025-03-06").verdict is Verdict.ALLOWED
        assert check(any_ledger, "2025-03-07").verdict is Verdict.PROHIBITED

    def test_a_window_that_changes_nothing_for_the_item_is_not_uncertain(
        self, any_ledger: Ledger
    ) -> None:
        register(any_ledger)
        record(any_ledger, "observed", limit(2), "2024-01-01", "year")
        record(any_ledger, "tightened", limit(1), "2025-03-01", "early-month")
        assert check(any_ledger, "2025-03-05", quantity=1).verdict is Verdict.ALLOWED
        assert check(any_ledger, "2025-03-05", quantity=2).verdict is Verdict.UNCERTAIN

    def test_state_reports_both_candidates_inside_a_window(self, any_ledger: Ledger) -> None:
        dandong_with_ban(any_ledger)
        (scope,) = state(any_ledger, "2025-03-05").scopes
        assert scope.uncertain
        before, after = scope.states
        assert before.admissibility is not None and before.admissibility.quantity == 2
        assert after.admissibility is not None and after.admissibility.kind.value == "prohibited"


class TestSameDay:
    def test_two_changes_on_the_same_day_apply_in_the_order_recorded(
        self, any_ledger: Ledger
    ) -> None:
        register(any_ledger)
        record(any_ledger, "observed", limit(2), "2025-03-01")
        record(any_ledger, "tightened", limit(1), "2025-03-01")
        assert check(any_ledger, "2025-03-01", quantity=2).verdict is Verdict.LIMIT_EXCEEDED
        record(any_ledger, "loosened", limit(3), "2025-03-01")
        assert check(any_ledger, "2025-03-01", quantity=2).verdict is Verdict.ALLOWED

    def test_unstated_dimensions_carry_forward(self, any_ledger: Ledger) -> None:
        register(any_ledger)
        record(
            any_ledger,
            "tightened",
            {**PROHIBITED, "enforcement": "confiscation"},
            "2025-03-01",
        )
        record(any_ledger, "tightened", {"inspection": "rigorous"}, "2025-04-01")
        result = check(any_ledger, "2025-04-02")
        assert result.verdict is Verdict.PROHIBITED
        assert (result.inspection, result.enforcement) == ("rigorous", "confiscation")
        assert len(result.event_ids) == 2


class TestKnowledgeTime:
    def test_recorded_basis_sees_only_what_the_ledger_had_recorded(
        self, any_ledger: Ledger
    ) -> None:
        register(any_ledger)
        baseline = record(any_ledger, "observed", limit(2), "2024-01-01", "year")
        ban = record(any_ledger, "tightened", PROHIBITED, "2025-03-01", "early-month")
        just_before = ban.recorded_at - timedelta(microseconds=1)
        assert check(any_ledger, "2025-03-20", known_at=just_before).verdict is Verdict.ALLOWED
        assert (
            check(any_ledger, "2025-03-20", known_at=ban.recorded_at).verdict is Verdict.PROHIBITED
        )
        before_anything = baseline.recorded_at - timedelta(microseconds=1)
        assert check(any_ledger, "2025-03-20", known_at=before_anything).verdict is Verdict.NO_RULE

    def test_a_date_as_recorded_knowledge_means_the_end_of_that_day(
        self, any_ledger: Ledger
    ) -> None:
        dandong_with_ban(any_ledger)
        today = datetime.now(UTC).date()
        assert check(any_ledger, "2025-03-20", known_at=today).verdict is Verdict.PROHIBITED
        yesterday = today - timedelta(days=1)
        assert check(any_ledger, "2025-03-20", known_at=yesterday).verdict is Verdict.NO_RULE

    def test_reported_basis_uses_the_earliest_publication_date(self, any_ledger: Ledger) -> None:
        dandong_with_ban(any_ledger)  # ban published 2025-03-19, recorded today

        def reported(day: str) -> Verdict:
            return check(
                any_ledger, "2025-03-20", known_at=date.fromisoformat(day), basis="reported"
            ).verdict

        assert reported("2025-03-18") is Verdict.ALLOWED
        assert reported("2025-03-19") is Verdict.PROHIBITED
        assert reported("2024-06-14") is Verdict.NO_RULE

    def test_a_back_dated_correction_is_seen_only_from_when_it_was_known(
        self, any_ledger: Ledger
    ) -> None:
        ban = dandong_with_ban(any_ledger, on="2025-05-01", precision="day")
        correction = amend(
            any_ledger, ban.change_id, effective={"on": "2025-04-01"}, published="2025-05-10"
        )
        # Now: the ban was in force from April.
        assert check(any_ledger, "2025-04-15").verdict is Verdict.PROHIBITED
        # As recorded before the correction: from May.
        before = correction.recorded_at - timedelta(microseconds=1)
        assert check(any_ledger, "2025-04-15", known_at=before).verdict is Verdict.ALLOWED
        assert check(any_ledger, "2025-05-02", known_at=before).verdict is Verdict.PROHIBITED

        # As reported: the correction's source is from 10 May.
        def reported(day: str) -> Verdict:
            return check(
                any_ledger, "2025-04-15", known_at=date.fromisoformat(day), basis="reported"
            ).verdict

        assert reported("2025-05-09") is Verdict.ALLOWED
        assert reported("2025-05-10") is Verdict.PROHIBITED

    def test_a_back_dated_correction_as_recorded_up_to_each_position(
        self, any_ledger: Ledger
    ) -> None:
        ban = dandong_with_ban(any_ledger, on="2025-05-01", precision="day")
        correction = amend(
            any_ledger, ban.change_id, effective={"on": "2025-04-01"}, published="2025-05-10"
        )
        retraction = retract(any_ledger, ban.change_id)

        def as_recorded_up_to(position: int, at: str = "2025-04-15") -> Verdict:
            return check(any_ledger, at, known_at_position=position).verdict

        # Before the ban, at it, at the back-dated correction, at the retraction.
        assert as_recorded_up_to(ban.position - 1) is Verdict.ALLOWED
        assert as_recorded_up_to(ban.position) is Verdict.ALLOWED  # from May, then
        assert as_recorded_up_to(ban.position, "2025-05-02") is Verdict.PROHIBITED
        assert as_recorded_up_to(correction.position - 1) is Verdict.ALLOWED
        assert as_recorded_up_to(correction.position) is Verdict.PROHIBITED  # from April, now
        assert as_recorded_up_to(retraction.position - 1) is Verdict.PROHIBITED
        assert as_recorded_up_to(retraction.position) is Verdict.ALLOWED
        # The same as the recorded times of those events.
        for receipt in (ban, correction, retraction):
            by_time = check(any_ledger, "2025-04-15", known_at=receipt.recorded_at).verdict
            assert by_time is as_recorded_up_to(receipt.position)

    def test_a_position_the_read_model_has_is_answered_without_asking_the_log_its_end(
        self, any_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        ban = dandong_with_ban(any_ledger, on="2025-05-01", precision="day")
        check(any_ledger, "2025-05-02")  # followed: nothing new after this
        asked: list[int] = []
        end = any_ledger.reader.log_end
        monkeypatch.setattr(any_ledger.reader, "log_end", lambda: asked.append(1) or end())
        assert check(any_ledger, "2025-05-02", known_at_position=ban.position).verdict is (
            Verdict.PROHIBITED
        )
        assert asked == []
        with pytest.raises(BeyondTheLog):  # beyond what it has: the log's end is asked
            check(any_ledger, "2025-05-02", known_at_position=ban.position + 1)
        assert asked == [1]

    def test_an_amended_measure_cites_both_events(self, any_ledger: Ledger) -> None:
        ban = dandong_with_ban(any_ledger, on="2025-03-07")
        correction = amend(any_ledger, ban.change_id, measure={**PROHIBITED, "enforcement": "fine"})
        result = check(any_ledger, "2025-03-20")
        assert result.enforcement == "fine"
        assert result.governing is not None
        assert result.governing.event_ids == (ban.change_id, correction.change_id)

    def test_a_retraction_is_seen_only_from_when_it_was_known(self, any_ledger: Ledger) -> None:
        ban = dandong_with_ban(any_ledger, on="2025-03-07")
        withdrawal = retract(any_ledger, ban.change_id, published="2025-04-01")
        assert check(any_ledger, "2025-03-20").verdict is Verdict.ALLOWED
        before = withdrawal.recorded_at - timedelta(microseconds=1)
        assert check(any_ledger, "2025-03-20", known_at=before).verdict is Verdict.PROHIBITED
        as_reported = check(any_ledger, "2025-03-20", known_at=date(2025, 3, 31), basis="reported")
        assert as_reported.verdict is Verdict.PROHIBITED
        assert (
            check(any_ledger, "2025-03-20", known_at=date(2025, 4, 1), basis="reported").verdict
            is Verdict.ALLOWED
        )

    def test_a_clerical_retraction_is_known_from_when_it_was_recorded(
        self, any_ledger: Ledger
    ) -> None:
        # No source: on the reported basis it is known from the day the ledger recorded it.
        ban = dandong_with_ban(any_ledger, on="2025-03-07")
        withdrawal = retract(any_ledger, ban.change_id, published=None)
        assert any_ledger.follower.stuck is None
        assert check(any_ledger, "2025-03-20").verdict is Verdict.ALLOWED
        before = withdrawal.recorded_at - timedelta(microseconds=1)
        assert check(any_ledger, "2025-03-20", known_at=before).verdict is Verdict.PROHIBITED
        recorded_on = withdrawal.recorded_at.date()
        reported = {
            day: check(any_ledger, "2025-03-20", known_at=day, basis="reported").verdict
            for day in (recorded_on - timedelta(days=1), recorded_on)
        }
        assert list(reported.values()) == [Verdict.PROHIBITED, Verdict.ALLOWED]
        history = any_ledger.reader.history(
            HistoryRequest(
                office="CN-DANDONG", known_at=recorded_on - timedelta(days=1), basis="reported"
            )
        )
        assert "ChangeRetracted" not in [entry.type for entry in history]

    def test_a_correction_reported_before_the_change_it_corrects(self, any_ledger: Ledger) -> None:
        # An analyst back-fills: the correction cites an older source than the change. On the
        # REPORTED basis the corrected form is known only once the change itself is known.
        ban = dandong_with_ban(any_ledger, on="2025-05-01")  # published 2025-03-19
        amend(any_ledger, ban.change_id, effective={"on": "2025-04-01"}, published="2025-02-01")

        def reported(day: str) -> Verdict:
            return check(
                any_ledger, "2025-04-15", known_at=date.fromisoformat(day), basis="reported"
            ).verdict

        assert reported("2025-03-18") is Verdict.ALLOWED
        assert reported("2025-03-19") is Verdict.PROHIBITED
