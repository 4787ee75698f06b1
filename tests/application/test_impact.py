"""Impact of an event on logged decisions, and replays: found through the decision index, equal
to answering every decision again (a hypothesis property), with the edges of time and of the
log tested one by one."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings, target
from hypothesis import strategies as st

from ledger.application.decisions import Decision, NewDecision, canonical_text
from ledger.bootstrap import Ledger
from ledger.domain.chain import GENESIS
from ledger.domain.errors import LedgerError
from ledger.readmodel.answers import CheckRequest, CompareRequest, Verdict
from ledger.readmodel.decided import asked
from ledger.readmodel.impact import NoEventThere, substance
from ledger.readmodel.model import Knowledge
from ledger.settings import Settings
from tests.support import (
    ALLOWED,
    DANDONG,
    PROHIBITED,
    WORKER_BAGGAGE,
    amend,
    limit,
    record,
    register,
    retract,
)

HUNCHUN = "CN-HUNCHUN"


def question(at: str, goods: str = "8516.60", **fields: Any) -> CheckRequest:
    return CheckRequest.model_validate(
        {
            "office": DANDONG,
            "at": at,
            "direction": "outbound",
            "channel": "personal-baggage",
            "traveller": "worker",
            "items": [{"goods": goods}],
            **fields,
        }
    )


def log(ledger: Ledger, request: CheckRequest | CompareRequest) -> Decision:
    """Log a decision as the server does: answered from the log up to where the read model is,
    the request kept as plain data."""
    ledger.reader.catch_up()
    position = ledger.reader.index.position
    if isinstance(request, CheckRequest):
        rpc, answer = "Check", ledger.reader.check(request, None, position)
    else:
        rpc, answer = "CompareOffices", ledger.reader.compare(request, None, position)
    checkpoint = ledger.view.checkpoint_at(position)
    return ledger.decision_writer.log(
        NewDecision(
            asked_at=datetime.now(UTC),
            asked_by="test",
            label="",
            rpc=rpc,
            request=canonical_text(request.model_dump(mode="json", exclude_none=True)),
            answer=canonical_text(answer.model_dump(mode="json")),
            position=position,
            digest=checkpoint.root if checkpoint else GENESIS,
        ),
        timeout=5,
    )


def verdict_of(result: Any) -> Verdict:
    verdict: Verdict = result.items[0].verdict
    return verdict


def impacted(ledger: Ledger, position: int) -> dict[Any, tuple[Verdict, Verdict]]:
    found = ledger.impacts.of_event(position)
    return {
        item.decision.decision_id: (verdict_of(item.before), verdict_of(item.after))
        for item in found.impacts
    }


@pytest.fixture
def dandong(ledger: Ledger) -> Ledger:
    """Dandong with the 2024 baseline: a worker may take two electronic items."""
    register(ledger)
    record(ledger, "observed", limit(2), "2024-01-01", "year", scope=WORKER_BAGGAGE)
    return ledger


class TestKnowledgeWithin:
    def test_an_instant_within_a_position_sees_only_that_part_of_the_log(
        self, dandong: Ledger
    ) -> None:
        ban = record(dandong, "tightened", PROHIBITED, "2025-03-10", published="2025-03-19")
        amend(dandong, ban.change_id, effective={"on": "2025-03-20", "precision": "day"})
        at, reported = date(2025, 3, 15), Knowledge.of(date(2025, 4, 5), "reported")
        ask = question("2025-03-15", known_at="2025-04-05", basis="reported")
        # Up to the ban: in force on the 15th; with the amendment: not yet.
        assert verdict_of(dandong.reader.check(ask, None, ban.position)) is Verdict.PROHIBITED
        assert verdict_of(dandong.reader.check(ask, None, ban.position + 1)) is Verdict.ALLOWED
        assert verdict_of(dandong.reader.check(ask, None, ban.position - 1)) is Verdict.ALLOWED
        assert reported.within(ban.position).position == ban.position
        assert at < date(2025, 3, 20)

    def test_a_position_given_twice_keeps_the_smaller(self) -> None:
        assert Knowledge.of(None, position=7).within(9).position == 7
        assert Knowledge.of(None, position=7).within(5).position == 5


class TestImpact:
    def test_a_back_dated_ban_changes_an_answer_given_before_it(self, dandong: Ledger) -> None:
        before = log(dandong, question("2025-03-15"))
        assert verdict_of(asked_answer(dandong, before)) is Verdict.ALLOWED
        ban = record(dandong, "tightened", PROHIBITED, "2025-03-01", "early-month")
        assert impacted(dandong, ban.position) == {
            before.decision_id: (Verdict.ALLOWED, Verdict.PROHIBITED)
        }

    def test_a_day_inside_the_window_becomes_uncertain(self, dandong: Ledger) -> None:
        inside = log(dandong, question("2025-03-05"))
        ban = record(dandong, "tightened", PROHIBITED, "2025-03-01", "early-month")
        assert impacted(dandong, ban.position) == {
            inside.decision_id: (Verdict.ALLOWED, Verdict.UNCERTAIN)
        }

    def test_the_window_start_is_reached_and_the_day_before_is_not(self, dandong: Ledger) -> None:
        first_day = log(dandong, question("2025-03-01"))
        day_before = log(dandong, question("2025-02-28"))
        ban = record(dandong, "tightened", PROHIBITED, "2025-03-01")
        found = dandong.impacts.of_event(ban.position)
        assert [i.decision.decision_id for i in found.impacts] == [first_day.decision_id]
        assert found.candidates == 1  # the day before is not even answered again
        assert day_before.decision_id not in impacted(dandong, ban.position)

    def test_other_offices_channels_and_chapters_are_not_answered_again(
        self, dandong: Ledger
    ) -> None:
        register(dandong, HUNCHUN)
        record(dandong, "observed", ALLOWED, "2024-01-01", office=HUNCHUN)
        log(dandong, question("2025-03-15", office=HUNCHUN))
        log(dandong, question("2025-03-15", channel="cargo-road"))
        food = log(dandong, question("2025-03-15", goods="1006"))  # rice, not electronics
        ban = record(dandong, "tightened", PROHIBITED, "2025-03-01")
        found = dandong.impacts.of_event(ban.position)
        assert found.candidates == 0  # none is even read: other office, channel, HS chapter
        assert found.impacts == ()
        assert food.decision_id not in impacted(dandong, ban.position)

    def test_a_decision_that_knew_the_event_is_not_changed_by_it(self, dandong: Ledger) -> None:
        ban = record(dandong, "tightened", PROHIBITED, "2025-03-01")
        log(dandong, question("2025-03-15"))
        assert impacted(dandong, ban.position) == {}

    def test_a_decision_pinned_to_an_earlier_position_never_changes(self, dandong: Ledger) -> None:
        pinned = log(dandong, question("2025-03-15", known_at_position=1))
        ban = record(dandong, "tightened", PROHIBITED, "2025-03-01")
        assert pinned.decision_id not in impacted(dandong, ban.position)

    def test_a_report_published_before_a_pinned_time_changes_its_answer(
        self, dandong: Ledger
    ) -> None:
        # Asked as reported by 1 April; a ban reported on 19 March is recorded afterwards.
        as_of_april = log(dandong, question("2025-03-15", known_at="2025-04-01", basis="reported"))
        as_of_march = log(dandong, question("2025-03-15", known_at="2025-03-18", basis="reported"))
        ban = record(dandong, "tightened", PROHIBITED, "2025-03-01", published="2025-03-19")
        assert impacted(dandong, ban.position) == {
            as_of_april.decision_id: (Verdict.ALLOWED, Verdict.PROHIBITED)
        }
        assert as_of_march.decision_id not in impacted(dandong, ban.position)

    def test_an_amendment_and_a_retraction_change_answers_back(self, dandong: Ledger) -> None:
        ban = record(dandong, "tightened", PROHIBITED, "2025-03-01")
        decision = log(dandong, question("2025-03-15"))
        later = amend(dandong, ban.change_id, effective={"on": "2025-03-20", "precision": "day"})
        assert impacted(dandong, later.position) == {
            decision.decision_id: (Verdict.PROHIBITED, Verdict.ALLOWED)
        }
        early = log(dandong, question("2025-03-25"))
        gone = retract(dandong, ban.change_id)
        assert impacted(dandong, gone.position) == {
            early.decision_id: (Verdict.PROHIBITED, Verdict.ALLOWED)
        }

    def test_a_comparison_changes_with_any_of_its_offices(self, dandong: Ledger) -> None:
        register(dandong, HUNCHUN)
        record(dandong, "observed", ALLOWED, "2024-01-01", office=HUNCHUN)
        compared = log(
            dandong,
            CompareRequest.model_validate(
                {
                    **question("2025-03-15").model_dump(exclude={"office"}),
                    "offices": [HUNCHUN, DANDONG],
                }
            ),
        )
        ban = record(dandong, "tightened", PROHIBITED, "2025-03-01")
        found = dandong.impacts.of_event(ban.position)
        assert [i.decision.decision_id for i in found.impacts] == [compared.decision_id]
        before, after = found.impacts[0].before, found.impacts[0].after
        assert substance(before) != substance(after)
        # A watch of Hunchun's decisions hears it too: the comparison is about Hunchun as well.
        hunchun = dandong.impacts.of_event(ban.position, frozenset({HUNCHUN}))
        assert [i.decision.decision_id for i in hunchun.impacts] == [compared.decision_id]
        assert dandong.impacts.of_event(ban.position, frozenset({"CN-CHANGBAI"})).impacts == ()

    def test_a_registration_changes_nothing_and_a_gap_is_refused(self, dandong: Ledger) -> None:
        log(dandong, question("2025-03-15"))
        assert dandong.impacts.of_event(1).impacts == ()
        with pytest.raises(NoEventThere, match="no event is at log position 99"):
            dandong.impacts.of_event(99)


class TestReplay:
    def test_a_replay_answers_as_then_and_as_now(self, dandong: Ledger) -> None:
        decision = log(dandong, question("2025-03-15"))
        record(dandong, "tightened", PROHIBITED, "2025-03-01")
        replayed = dandong.impacts.replay(decision)
        assert verdict_of(replayed.then) is Verdict.ALLOWED
        assert verdict_of(replayed.now) is Verdict.PROHIBITED
        assert replayed.changed
        assert canonical_text(replayed.then.model_dump(mode="json")) == decision.answer

    def test_an_unchanged_answer_is_not_changed(self, dandong: Ledger) -> None:
        decision = log(dandong, question("2025-03-15"))
        record(
            dandong,
            "tightened",
            PROHIBITED,
            "2025-03-01",
            scope={**WORKER_BAGGAGE, "channel": "cargo-road"},
        )
        assert not dandong.impacts.replay(decision).changed


def asked_answer(ledger: Ledger, decision: Decision) -> Any:
    return ledger.impacts.replay(decision).then


# The property: for random histories and random decisions, the impact of each event equals the
# decisions (answered before it) whose answer differs when answered again with and without it.
SCOPES = [
    WORKER_BAGGAGE,
    {**WORKER_BAGGAGE, "traveller": "any", "goods": "85"},
    {**WORKER_BAGGAGE, "goods": "8516"},
    {**WORKER_BAGGAGE, "channel": "cargo-road", "traveller": "any"},
]
DAYS = st.dates(date(2025, 2, 20), date(2025, 4, 10))
PRECISIONS = st.sampled_from(["day", "early-month", "month"])
MEASURES = st.sampled_from([PROHIBITED, ALLOWED, limit(1), {"inspection": "rigorous"}])

record_step = st.tuples(
    st.just("record"),
    st.sampled_from(["observed", "tightened", "loosened"]),
    st.integers(0, len(SCOPES) - 1),
    MEASURES,
    DAYS,
    PRECISIONS,
    DAYS,  # published
)
amend_step = st.tuples(st.just("amend"), st.integers(0, 20), DAYS, PRECISIONS, MEASURES)
retract_step = st.tuples(st.just("retract"), st.integers(0, 20))
decide_step = st.tuples(
    st.just("decide"),
    DAYS,
    st.sampled_from(["8516.60", "8528", "electronics", "1006"]),
    st.sampled_from(["worker", "any", "visitor"]),
    st.sampled_from(["personal-baggage", "cargo-road"]),
    st.one_of(st.none(), DAYS),  # known_at, on the reported basis
)
STEPS = st.lists(
    st.one_of(record_step, amend_step, retract_step, decide_step, decide_step), max_size=25
)


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(steps=STEPS)
def test_the_impact_of_each_event_is_every_decision_whose_answer_it_changes(
    steps: list[tuple[Any, ...]],
) -> None:
    with Ledger(Settings(database_url="memory://")) as ledger:
        register(ledger)
        changes: list[Any] = []
        decisions: list[Decision] = []
        positions: list[int] = []
        for step in steps:
            try:
                receipt = _apply(ledger, step, changes, decisions)
            except LedgerError:
                continue  # an invariant refused it: nothing was recorded
            if receipt is not None:
                positions.append(receipt.position)
        changed = 0
        for position in positions:
            expected = set()
            for decision in decisions:
                if decision.position >= position:
                    continue
                question = asked(decision)
                before = ledger.impacts.answer(question, position - 1)
                after = ledger.impacts.answer(question, position)
                if substance(before) != substance(after):
                    expected.add(decision.decision_id)
            found = ledger.impacts.of_event(position)
            assert {item.decision.decision_id for item in found.impacts} == expected
            assert found.candidates <= len(decisions)
            changed += len(expected)
        target(float(changed), label="answers changed")  # steer towards histories that do


def _in_window(on: date, precision: str) -> str:
    """``on``, moved into its precision's window (early-month: days 1-10)."""
    return (on.replace(day=min(on.day, 10)) if precision == "early-month" else on).isoformat()


def _apply(
    ledger: Ledger, step: tuple[Any, ...], changes: list[Any], decisions: list[Decision]
) -> Any:
    match step:
        case ("record", kind, scope, measure, on, precision, published):
            receipt = record(
                ledger,
                kind,
                measure,
                _in_window(on, precision),
                precision,
                scope=SCOPES[scope],
                published=published.isoformat(),
            )
            changes.append(receipt.change_id)
            return receipt
        case ("amend", which, on, precision, measure) if changes:
            change = changes[which % len(changes)]
            effective = {"on": _in_window(on, precision), "precision": precision}
            return amend(ledger, change, effective=effective, measure=measure)
        case ("retract", which) if changes:
            return retract(ledger, changes.pop(which % len(changes)))
        case ("decide", at, goods, traveller, channel, known_at):
            fields: dict[str, Any] = {"traveller": traveller, "channel": channel}
            if known_at is not None:
                fields |= {"known_at": known_at.isoformat(), "basis": "reported"}
            decisions.append(log(ledger, question(at.isoformat(), goods, **fields)))
    return None
