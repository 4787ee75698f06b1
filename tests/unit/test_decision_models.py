"""The client's models of the decision log read the plain data a server's replies convert to
(``to_data`` of messages built with the generated stubs), as ``Connection.call`` returns it."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import UUID

from ledger_api.convert import to_data
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_client import (
    CheckResult,
    CompareResult,
    Decision,
    DecisionAudit,
    DecisionPage,
    ImpactReport,
    RemoteAudit,
    Replay,
    Verdict,
)
from ledger_client.audit import Digest
from ledger_client.decisions import impacts_of
from tests.unit.decision_samples import (
    ASKED_AT,
    CHANGBAI,
    DANDONG,
    DIGEST,
    EVENT,
    FIRST,
    GENESIS,
    HUNCHUN,
    SECOND,
    check_answer,
    checked,
    compared,
    impact_of_amendment,
)


class TestDecision:
    def test_a_logged_check_keeps_its_question_as_plain_data_and_its_answer_as_a_result(
        self,
    ) -> None:
        decision = Decision.model_validate(to_data(checked()))
        assert decision.decision_id == UUID(FIRST)
        assert (decision.sequence, decision.asked_at) == (1, ASKED_AT)
        assert (decision.asked_by, decision.label) == ("desk-3", "CASE-2026-118")
        assert decision.rpc == "Check"
        assert decision.offices == (DANDONG,)
        assert decision.comparison is None
        assert decision.check == {
            "office": DANDONG,
            "at": "2025-03-20",
            "direction": "outbound",
            "channel": "personal-baggage",
            "traveller": "worker",
            "items": [{"goods": "8516.60", "quantity": 1}, {"goods": "8516.60", "quantity": 3}],
        }
        answer = decision.answer.check
        assert answer is not None and decision.answer.comparison is None
        assert [item.verdict for item in answer.items] == [Verdict.ALLOWED, Verdict.PROHIBITED]
        assert answer.decision_id is None
        assert (decision.position, decision.digest) == (42, DIGEST)
        assert decision.event_ids == (UUID(EVENT),)
        assert (decision.prev_hash, decision.hash) == (GENESIS, "cd" * 32)

    def test_a_logged_comparison_names_its_offices_and_ranks(self) -> None:
        decision = Decision.model_validate(to_data(compared()))
        assert decision.rpc == "CompareOffices"
        assert decision.check is None
        assert decision.offices == (DANDONG, HUNCHUN, CHANGBAI)
        ranking = decision.answer.comparison
        assert ranking is not None
        assert [(r.office, r.rank, r.standing) for r in ranking.rankings] == [
            (HUNCHUN, 1, "ranked"),
            (DANDONG, 2, "ranked"),
            (CHANGBAI, 0, "unknown"),
        ]
        # Fields the wire leaves out when empty have their defaults.
        assert (decision.asked_by, decision.label, decision.event_ids) == ("", "", ())

    def test_asked_at_is_read_in_utc(self) -> None:
        decision = Decision.model_validate(to_data(checked()))
        assert decision.asked_at == datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)
        assert decision.asked_at.utcoffset() is not None

    def test_a_decision_reads_back_what_it_dumps(self) -> None:
        for message in (checked(), compared()):
            decision = Decision.model_validate(to_data(message))
            assert Decision.model_validate(decision.model_dump(mode="json")) == decision

    def test_a_page_without_a_token_is_the_last(self) -> None:
        reply = pb.ListDecisionsResponse(decisions=[checked(), compared()])
        page = DecisionPage.model_validate(to_data(reply))
        assert [d.decision_id for d in page.decisions] == [UUID(FIRST), UUID(SECOND)]
        assert page.next_page_token == ""
        assert DecisionPage.model_validate({}).decisions == ()


class TestReplay:
    def test_a_replay_that_does_not_match_says_so_by_its_defaults(self) -> None:
        # ``matches`` and ``changed`` false are left out of the wire: their defaults say it.
        reply = pb.ReplayDecisionResponse(
            decision=checked(),
            then=check_answer(pb.VERDICT_ALLOWED, pb.VERDICT_ALLOWED),
            now=check_answer(pb.VERDICT_ALLOWED, pb.VERDICT_PROHIBITED),
            now_position=60,
        )
        replay = Replay.model_validate(to_data(reply))
        assert (replay.matches, replay.changed, replay.now_position) == (False, False, 60)
        assert replay.then.check is not None
        assert replay.then.check.items[1].verdict is Verdict.ALLOWED

    def test_a_replay_that_holds_and_changed_since(self) -> None:
        reply = pb.ReplayDecisionResponse(
            decision=checked(),
            then=checked().answer,
            matches=True,
            now=check_answer(pb.VERDICT_ALLOWED, pb.VERDICT_ALLOWED),
            now_position=60,
            changed=True,
        )
        replay = Replay.model_validate(to_data(reply))
        assert (replay.matches, replay.changed) == (True, True)
        assert replay.then == replay.decision.answer


class TestImpacts:
    def test_an_impact_report_has_each_decision_before_and_after_the_event(self) -> None:
        reply = pb.GetImpactResponse(
            event_id=EVENT,
            event_type="ChangeAmended",
            office=DANDONG,
            impacts=[impact_of_amendment()],
            candidates=5,
        )
        report = ImpactReport.model_validate(to_data(reply))
        assert (report.event_id, report.event_type, report.office) == (
            UUID(EVENT),
            "ChangeAmended",
            DANDONG,
        )
        assert report.candidates == 5
        [impact] = report.impacts
        assert impact.decision_id == impact.decision.decision_id == UUID(FIRST)
        assert impact.position == 57
        assert impact.before.check is not None and impact.after.check is not None
        assert impact.before.check.items[1].verdict is Verdict.PROHIBITED
        assert impact.after.check.items[1].verdict is Verdict.ALLOWED
        assert impact.after.check.items[1].inspection == "thorough"

    def test_an_event_that_changed_nothing_has_no_impacts(self) -> None:
        report = ImpactReport.model_validate(to_data(pb.GetImpactResponse(event_id=EVENT)))
        assert (report.impacts, report.candidates) == ((), 0)

    def test_each_watched_impact_carries_where_to_resume_so_that_nothing_is_missed(
        self,
    ) -> None:
        one, two, three = (
            impact_of_amendment(checked(f"00000000-0000-4000-8000-00000000000{n}", n))
            for n in (1, 2, 3)
        )
        later = impact_of_amendment(checked("00000000-0000-4000-8000-000000000004", 4))
        later.position = 62
        replies = [
            pb.WatchImpactsResponse(impacts=[one, two, later], resume_position=65),
            pb.WatchImpactsResponse(resume_position=70),  # events that changed nothing
            pb.WatchImpactsResponse(impacts=[three], resume_position=80),
        ]
        found = list(impacts_of(replies, after_position=40))
        assert [(i.decision.sequence, i.position, i.resume_position) for i in found] == [
            (1, 57, 56),  # its event has another impact after it: resume just before the event
            (2, 57, 57),  # its event's last: resume after it
            (4, 62, 65),  # its reply's last: resume after the reply's point
            (3, 57, 80),
        ]


class TestResults:
    def test_a_check_or_comparison_not_logged_has_no_decision_id(self) -> None:
        reply = pb.CheckResponse(office=DANDONG)
        assert CheckResult.model_validate(to_data(reply)).decision_id is None
        assert (
            CheckResult.model_validate({"office": DANDONG, "decision_id": ""}).decision_id is None
        )
        assert (
            CompareResult.model_validate(to_data(pb.CompareOfficesResponse())).decision_id is None
        )

    def test_a_logged_check_or_comparison_names_its_decision(self) -> None:
        reply = pb.CheckResponse(office=DANDONG, decision_id=FIRST)
        assert CheckResult.model_validate(to_data(reply)).decision_id == UUID(FIRST)
        compared_reply = pb.CompareOfficesResponse(decision_id=SECOND)
        assert CompareResult.model_validate(to_data(compared_reply)).decision_id == UUID(SECOND)


def audit_of_log(roots: dict[int, str], end: int) -> RemoteAudit:
    digest = Digest(position=end, root="99" * 32)
    return RemoteAudit(
        ok=True, events=end, offices=1, digest=digest, server_digest=digest, roots=roots
    )


class TestDecisionAudit:
    def audit(self, **more: Any) -> DecisionAudit:
        values: dict[str, Any] = {
            "ok": True,
            "decisions": 2,
            "last_sequence": 2,
            "last_hash": "12" * 32,
            "digests": {42: (1, DIGEST), 57: (2, "ef" * 32)},
            **more,
        }
        return DecisionAudit(**values)

    def test_digests_the_log_reaches_keep_the_audit_whole(self) -> None:
        audit = self.audit().against(audit_of_log({42: DIGEST, 57: "ef" * 32}, end=60))
        assert (audit.ok, audit.digests_checked, audit.problems) == (True, 2, ())
        assert audit.positions == frozenset({42, 57})

    def test_a_digest_the_log_does_not_reach_fails_it(self) -> None:
        audit = self.audit().against(audit_of_log({42: DIGEST, 57: "00" * 32}, end=60))
        assert not audit.ok
        [problem] = audit.problems
        assert problem.startswith("decision 2: states digest")

    def test_the_report_leaves_out_the_digests_gathered(self) -> None:
        dumped = self.audit().model_dump(mode="json")
        assert "digests" not in dumped
        assert dumped["decisions"] == 2
        assert "roots" not in audit_of_log({42: DIGEST}, 42).model_dump(mode="json")
