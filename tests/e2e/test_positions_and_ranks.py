"""Knowledge as of a log position, comparisons that rank only what is known, and an
amendment's receipt with the change before and after it (issue 13, points 4, 5 and 1), through
the client library against a real server, on SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from ledger_client import LedgerClient, LedgerClientError
from tests.e2e.support import new_office, source

BAGGAGE = {"direction": "outbound", "channel": "personal-baggage", "traveller": "worker"}
SCOPE = {**BAGGAGE, "goods": "85"}


def _tightening(client: LedgerClient, office: str, measure: dict[str, Any]) -> Any:
    return client.record(
        "tightened",
        office,
        scope=SCOPE,
        measure=measure,
        effective={"on": "2025-03-01"},
        sources=[source()],
    )


def _verdict(client: LedgerClient, office: str, **knowledge: Any) -> tuple[str, Any]:
    item = client.check(
        office, "2025-03-20", **BAGGAGE, items=[{"goods": "8516.60", "quantity": 2}], **knowledge
    ).items[0]
    return item.verdict.value, item.enforcement


def _refusal(call: Any) -> LedgerClientError:
    with pytest.raises(LedgerClientError) as raised:
        call()
    return raised.value


class TestKnowledgeAsOfALogPosition:
    def test_every_question_answers_as_recorded_up_to_the_position(
        self, client: LedgerClient
    ) -> None:
        office = new_office()
        registered = client.register_office(office, "Ji'an Customs")
        first = _tightening(
            client, office, {"admissibility": {"kind": "quantity-limit", "quantity": 1}}
        )
        # Another office's write between the two: positions are the whole log's.
        client.register_office(new_office(), "Elsewhere")
        amended = client.amend(
            office,
            first.change_id,
            reason="two, not one",
            sources=[source("2025-03-25")],
            measure={
                "admissibility": {"kind": "quantity-limit", "quantity": 2},
                "enforcement": "fine",
            },
        )
        assert _verdict(client, office) == ("ALLOWED", "fine")
        assert _verdict(client, office, known_at_position=amended.position) == ("ALLOWED", "fine")
        # Just before the amendment: the limit of one, as first recorded.
        before = amended.position - 1
        assert _verdict(client, office, known_at_position=before) == ("LIMIT_EXCEEDED", None)
        assert _verdict(client, office, known_at_position=first.position) == (
            "LIMIT_EXCEEDED",
            None,
        )
        # Before the tightening: the office, and no rule.
        assert _verdict(client, office, known_at_position=registered.position) == (
            "NO_RULE",
            None,
        )
        state = client.rule_state(office, "2025-03-20", known_at_position=before)
        (scope,) = state.scopes
        assert scope.states[0].admissibility is not None
        assert scope.states[0].admissibility.quantity == 1
        history = list(client.history(office, known_at_position=before))
        assert [event.type for event in history] == ["OfficeRegistered", "PolicyTightened"]
        compared = client.compare(
            [office],
            "2025-03-20",
            **BAGGAGE,
            items=[{"goods": "8516.60", "quantity": 2}],
            known_at_position=before,
        )
        assert compared.rankings[0].items[0].verdict.value == "LIMIT_EXCEEDED"

    def test_a_position_and_a_time_together_are_refused(self, client: LedgerClient) -> None:
        error = _refusal(
            lambda: _verdict(client, "CN-DANDONG", known_at="2025-03-20", known_at_position=3)
        )
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert "known_at and known_at_position both say what was known: give one" in error.message

    def test_a_position_beyond_the_log_is_refused(self, client: LedgerClient) -> None:
        end = client.get_digest().position
        for ask in (
            lambda: _verdict(client, "CN-DANDONG", known_at_position=end + 1),
            lambda: list(client.history("CN-DANDONG", known_at_position=end + 1)),
        ):
            error = _refusal(ask)
            assert error.code is grpc.StatusCode.INVALID_ARGUMENT
            assert f"known_at_position {end + 1} is beyond the end of the log, which is at " in (
                error.message
            )
            assert [field for field, _ in error.fields] == ["known_at_position"]

    def test_a_position_on_the_reported_basis_is_refused(self, client: LedgerClient) -> None:
        error = _refusal(
            lambda: _verdict(client, "CN-DANDONG", known_at_position=3, basis="reported")
        )
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert "asks on the recorded basis" in error.message


class TestComparisonsRankOnlyWhatIsKnown:
    def test_ties_share_a_rank_and_unknown_answers_come_after_unranked(
        self, client: LedgerClient
    ) -> None:
        limited, also_limited, banned, unknown = (new_office() for _ in range(4))
        for office in (limited, also_limited, banned, unknown):
            client.register_office(office, f"{office} customs")
        for office in (limited, also_limited):
            _tightening(
                client, office, {"admissibility": {"kind": "quantity-limit", "quantity": 3}}
            )
        _tightening(client, banned, {"admissibility": {"kind": "prohibited"}})
        result = client.compare(
            [unknown, banned, limited, also_limited],
            "2025-03-20",
            **BAGGAGE,
            items=[{"goods": "8516.60", "quantity": 1}],
        )
        found = [(r.office, r.rank, r.standing) for r in result.rankings]
        first, second = sorted((limited, also_limited))
        assert found == [
            (first, 1, "ranked"),
            (second, 1, "ranked"),
            (banned, 3, "ranked"),
            (unknown, 0, "unknown"),
        ]
        # The goods as the caller wrote them, in every office's answer.
        assert {r.items[0].item.goods for r in result.rankings} == {"8516.60"}

    def test_an_uncertain_answer_is_not_ranked(self, client: LedgerClient) -> None:
        # Dandong's ban took effect in early March: on 5 March it may or may not have.
        result = client.compare(
            ["CN-DANDONG"], "2025-03-05", **BAGGAGE, items=[{"goods": "8516.60"}]
        )
        (ranking,) = result.rankings
        assert (ranking.rank, ranking.standing) == (0, "uncertain")
        assert ranking.items[0].item.goods == "8516.60"


def test_an_amendment_receipt_shows_the_change_before_and_after(client: LedgerClient) -> None:
    office = new_office()
    client.register_office(office, "Ji'an Customs")
    recorded = _tightening(
        client,
        office,
        {
            "admissibility": {"kind": "quantity-limit", "quantity": 1},
            "inspection": "thorough",
            "enforcement": "confiscation",
        },
    )
    amend = {
        "reason": "fined, not confiscated",
        "sources": [source("2025-04-02")],
        "measure": {"enforcement": "fine"},
        "request_id": f"amend-{office}",
    }
    amended = client.amend(office, recorded.change_id, **amend)
    assert amended.before is not None and amended.after is not None
    assert (amended.before.measure.enforcement, amended.after.measure.enforcement) == (
        "confiscation",
        "fine",
    )
    # What the amendment did not restate is the same on both sides.
    assert amended.before.measure.inspection == amended.after.measure.inspection == "thorough"
    assert amended.after.measure.admissibility == amended.before.measure.admissibility
    assert amended.before.effective == amended.after.effective
    assert amended.after.kind == "tightened"
    # A retry under the same request id returns the same receipt, before and after.
    assert client.amend(office, recorded.change_id, **amend) == amended
