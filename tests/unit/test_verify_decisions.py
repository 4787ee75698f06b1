"""The auditor's verifier of the decision log (``ledger_api.verify_decisions``): a chain built
from the published definition verifies, and every way of tampering with it is reported."""

from __future__ import annotations

import json
from dataclasses import fields as dataclass_fields
from datetime import UTC, datetime, timedelta, timezone
from typing import Any, ClassVar
from uuid import UUID

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger_api.verify_decisions import DecisionChainVerifier, decision_digest_problems
from tests.unit.decision_samples import (
    DIGEST,
    GENESIS,
    canonical,
    chain,
    fields,
    hashed,
    rechained,
)

Stored = list[tuple[int, str, str]]


def verified(
    stored: Stored, verifier: DecisionChainVerifier | None = None
) -> DecisionChainVerifier:
    verifier = verifier or DecisionChainVerifier()
    for sequence, text, hash_ in stored:
        verifier.add(sequence, text, hash_)
    return verifier


def problems(stored: Stored) -> list[str]:
    verifier = verified(stored)
    assert verifier.problem_count == len(verifier.problems)
    return [str(problem) for problem in verifier.problems]


def canonical_fields(text: str) -> dict[str, Any]:
    found: dict[str, Any] = json.loads(text)
    return found


def one(**more: Any) -> Stored:
    """A one-decision log whose stored text has ``more`` fields, hashed as it is."""
    text = canonical({**fields(1, GENESIS), **more})
    return [(1, text, hashed(text))]


chains = st.integers(min_value=2, max_value=12).map(chain)


class TestAChainThatHolds:
    @given(
        st.lists(
            st.tuples(st.text(max_size=40), st.integers(min_value=0, max_value=10**12)),
            min_size=1,
            max_size=15,
        )
    )
    def test_a_chain_built_from_the_definition_verifies(
        self, decisions: list[tuple[str, int]]
    ) -> None:
        stored: Stored = []
        prev_hash = GENESIS
        for sequence, (label, position) in enumerate(decisions, 1):
            text = canonical(fields(sequence, prev_hash, label=label, position=position))
            prev_hash = hashed(text)
            stored.append((sequence, text, prev_hash))
        verifier = verified(stored)
        assert verifier.problems == []
        assert (verifier.decisions, verifier.sequence) == (len(decisions), len(decisions))
        assert verifier.last_hash == prev_hash

    def test_an_empty_log_verifies_to_the_start(self) -> None:
        verifier = verified([])
        assert (verifier.decisions, verifier.sequence, verifier.last_hash) == (0, 0, GENESIS)

    def test_verification_goes_on_from_a_decision_verified_before(self) -> None:
        stored = chain(5)
        _, _, last_hash = stored[1]
        verifier = verified(stored[2:], DecisionChainVerifier(sequence=2, last_hash=last_hash))
        assert verifier.problems == []
        assert verifier.decisions == 3

    def test_add_returns_the_hash_recomputed_not_the_one_sent(self) -> None:
        [(sequence, text, _)] = chain(1)
        assert DecisionChainVerifier().add(sequence, text, "f" * 64) == hashed(text)


class TestTampering:
    @given(chains, st.data())
    def test_a_changed_character_in_any_decision_is_reported(
        self, stored: Stored, data: st.DataObject
    ) -> None:
        index = data.draw(st.integers(0, len(stored) - 1))
        sequence, text, hash_ = stored[index]
        at = data.draw(st.integers(0, len(text) - 1))
        other = data.draw(st.characters(codec="utf-8").filter(lambda c: c != text[at]))
        stored[index] = (sequence, text[:at] + other + text[at + 1 :], hash_)
        assert any("altered after it was logged" in problem for problem in problems(stored))

    @given(chains, st.data())
    def test_a_changed_stored_hash_is_reported(self, stored: Stored, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(stored) - 1))
        sequence, text, hash_ = stored[index]
        forged = data.draw(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
        stored[index] = (sequence, text, forged)
        assert (forged == hash_) == (problems(stored) == [])

    @given(chains, st.data())
    def test_a_removed_decision_is_reported_unless_it_was_the_newest(
        self, stored: Stored, data: st.DataObject
    ) -> None:
        index = data.draw(st.integers(0, len(stored) - 2))
        del stored[index]
        found = problems(stored)
        assert (
            f"decision {index + 2}: decisions missing at sequences {index + 1}..{index + 1}"
            in found
        )
        assert any("links to" in problem for problem in found)

    def test_removing_the_newest_decisions_shows_only_against_the_end_kept_before(self) -> None:
        stored = chain(4)
        before = verified(stored)
        after = verified(stored[:-1])
        assert after.problems == []
        assert (after.sequence, after.last_hash) != (before.sequence, before.last_hash)

    @given(chains, st.data())
    def test_reordered_decisions_are_reported(self, stored: Stored, data: st.DataObject) -> None:
        first = data.draw(st.integers(0, len(stored) - 1))
        second = data.draw(st.integers(0, len(stored) - 1).filter(lambda i: i != first))
        stored[first], stored[second] = stored[second], stored[first]
        assert any("reordered" in problem for problem in problems(stored))

    @given(chains, st.data())
    def test_a_repeated_decision_is_reported(self, stored: Stored, data: st.DataObject) -> None:
        index = data.draw(st.integers(0, len(stored) - 1))
        where = data.draw(st.integers(index + 1, len(stored)))
        stored.insert(where, stored[index])
        found = problems(stored)
        assert any("reordered, or one repeated" in problem for problem in found)
        decision_id = canonical_fields(stored[index][1])["decision_id"]
        assert any(f"repeats the id {decision_id}" in problem for problem in found)

    @given(chains, st.data())
    def test_a_wrong_prev_hash_is_reported_even_with_the_decision_rehashed(
        self, stored: Stored, data: st.DataObject
    ) -> None:
        index = data.draw(st.integers(0, len(stored) - 1))
        wrong = data.draw(st.text(alphabet="0123456789abcdef", min_size=64, max_size=64))
        sequence, text, _ = stored[index]
        right = canonical_fields(text)["prev_hash"]
        text = canonical({**canonical_fields(text), "prev_hash": wrong})
        stored[index] = (sequence, text, hashed(text))
        found = problems(rechained(stored))
        assert (wrong == right) == (found == [])
        if wrong != right:
            assert found[0].startswith(f'decision {sequence}: links to "{wrong}"')

    def test_a_gap_in_the_sequence_is_reported_though_every_link_holds(self) -> None:
        stored: Stored = []
        prev_hash = GENESIS
        for sequence in (1, 2, 4, 5):
            text = canonical(fields(sequence, prev_hash))
            prev_hash = hashed(text)
            stored.append((sequence, text, prev_hash))
        assert problems(stored) == ["decision 4: decisions missing at sequences 3..3"]

    def test_a_first_decision_that_links_elsewhere_is_reported(self) -> None:
        found = problems(one(prev_hash="1" * 64))
        assert found == [
            f'decision 1: links to "{"1" * 64}", but the log\'s start (64 zeros) has hash '
            f"{GENESIS}: that decision or this one was altered, or one was removed"
        ]

    def test_an_export_numbered_otherwise_than_the_stored_text_is_reported(self) -> None:
        [(_, text, hash_)] = chain(1)
        verifier = DecisionChainVerifier()
        verifier.add(7, text, hash_)
        assert [str(p) for p in verifier.problems] == [
            "decision 1: is exported as decision 7, but its stored text says 1"
        ]


class TestTheStoredText:
    def test_text_not_in_canonical_form_is_reported_though_its_hash_matches(self) -> None:
        text = canonical(fields(1, GENESIS)).replace(',"asked_by"', ', "asked_by"')
        [problem] = problems([(1, text, hashed(text))])
        assert problem.startswith("decision 1: its stored text is not canonical JSON")

    def test_text_that_is_not_a_json_object_is_reported(self) -> None:
        for text in ("[1,2]", "not json", ""):
            assert "decision 1: its stored text is not a JSON object" in problems(
                [(1, text, hashed(text))]
            )

    def test_missing_and_unexpected_fields_are_named(self) -> None:
        data = fields(1, GENESIS, hash="ab" * 32)
        del data["label"]
        text = canonical(data)
        assert problems([(1, text, hashed(text))]) == [
            "decision 1: its fields are not a decision's: missing label; unexpected hash"
        ]

    @pytest.mark.parametrize(
        ("field", "value", "expected"),
        [
            ("decision_id", "not-a-uuid", "a UUID"),
            ("decision_id", "1B4E28BA-2FA1-41D2-883F-0016D3CCA427", "a UUID"),
            ("asked_at", "2026-12-01T18:00:00+08:00", "an ISO 8601 time in UTC"),
            ("asked_at", "2026-12-01T10:00:00", "an ISO 8601 time in UTC"),
            ("asked_at", 1733047200, "an ISO 8601 time in UTC"),
            ("asked_by", None, "text"),
            ("rpc", "GetOffice", "Check or CompareOffices"),
            ("position", -1, "a ledger position"),
            ("position", True, "a ledger position"),
            ("position", "42", "a ledger position"),
            ("digest", "AB" * 32, "64 hexadecimal digits"),
            ("prev_hash", "0" * 63, "64 hexadecimal digits"),
            ("event_ids", ["e0a1"], "a list of UUIDs"),
            ("answer", '{"b":1, "a":2}', "canonical JSON text"),
            ("request", {"office": "CN-DANDONG"}, "canonical JSON text"),
            ("sequence", "1", "a sequence number"),
        ],
    )
    def test_a_field_in_the_wrong_form_is_named(
        self, field: str, value: Any, expected: str
    ) -> None:
        stored = one(**{field: value})
        found = [p for p in problems(stored) if f"its {field} " in p]
        assert len(found) == 1
        assert expected in found[0]

    def test_a_decision_id_logged_twice_is_reported(self) -> None:
        first = canonical(fields(1, GENESIS))
        second = canonical(fields(2, hashed(first), decision_id=fields(1, GENESIS)["decision_id"]))
        found = problems([(1, first, hashed(first)), (2, second, hashed(second))])
        assert found == [
            f"decision 2: repeats the id {fields(1, GENESIS)['decision_id']} of decision 1"
        ]

    def test_two_digests_stated_for_one_position_are_reported(self) -> None:
        first = canonical(fields(1, GENESIS))
        second = canonical(fields(2, hashed(first), digest="cd" * 32))
        found = problems([(1, first, hashed(first)), (2, second, hashed(second))])
        assert found == [
            f"decision 2: states digest {'cd' * 32} at position 42, but decision 1 states "
            f"{DIGEST} there"
        ]

    def test_problems_are_counted_past_the_first_hundred(self) -> None:
        stored = [(sequence, "x", "y") for sequence in range(1, 61)]
        verifier = verified(stored)
        assert len(verifier.problems) == 100
        assert verifier.problem_count > 100


class TestDigestsAgainstTheLog:
    DIGESTS: ClassVar = {0: (1, GENESIS), 42: (2, DIGEST), 57: (3, "cd" * 32), 90: (4, "ef" * 32)}

    def test_digests_the_log_reaches_hold_and_those_beyond_its_end_are_not_checked(self) -> None:
        roots = {42: DIGEST, 57: "cd" * 32}
        assert decision_digest_problems(self.DIGESTS, roots, end=60) == ([], 3)

    def test_a_digest_the_log_does_not_reach_is_reported(self) -> None:
        found, checked = decision_digest_problems(self.DIGESTS, {42: DIGEST, 57: "00" * 32}, 60)
        assert checked == 3
        assert [str(problem) for problem in found] == [
            f"decision 3: states digest {'cd' * 32} at position 57, but the log replayed here "
            f"reaches {'00' * 32} there: the decision, or the log, was altered"
        ]

    def test_a_position_without_an_event_is_reported(self) -> None:
        found, _ = decision_digest_problems(self.DIGESTS, {42: DIGEST}, 60)
        assert [str(problem) for problem in found] == [
            "decision 3: was answered at position 57, where the log replayed here holds no event"
        ]

    def test_the_verifier_gathers_each_position_once_with_its_first_decision(self) -> None:
        first = canonical(fields(1, GENESIS))
        second = canonical(fields(2, hashed(first), position=43, digest="cd" * 32))
        third = canonical(fields(3, hashed(second)))
        stored = [(1, first, hashed(first)), (2, second, hashed(second)), (3, third, hashed(third))]
        assert verified(stored).digests == {42: (1, DIGEST), 43: (2, "cd" * 32)}


class TestAgreesWithTheServer:
    """The server's own chain (``ledger.application.decisions``), stored as the definition
    says, verifies here: both sides read the definition the same way."""

    def test_the_servers_chain_verifies_and_its_hashes_are_the_definitions(self) -> None:
        from ledger.application.decisions import Decision, NewDecision, canonical_text, chained

        asked = datetime(2026, 12, 1, 18, 0, 0, 123456, tzinfo=timezone(timedelta(hours=8)))
        new = [
            NewDecision(
                asked_at=asked + timedelta(seconds=number),
                asked_by="desk-3",
                label=label,
                rpc=rpc,
                request=canonical_text({"office": "CN-DANDONG", "note": "丹东 «x»"}),
                answer=canonical_text({"items": [{"verdict": "PROHIBITED"}]}),
                position=number,
                digest=DIGEST,
                event_ids=(UUID(int=number + 1),),
            )
            for number, (label, rpc) in enumerate(
                [("", "Check"), ("CASE-118 ✓", "CompareOffices"), ("x" * 200, "Check")]
            )
        ]
        names = [f.name for f in dataclass_fields(Decision) if f.name != "hash"]
        stored = []
        for decision in chained(new, None):
            values = {name: getattr(decision, name) for name in names}
            values["decision_id"] = str(decision.decision_id)
            values["asked_at"] = decision.asked_at.astimezone(UTC).isoformat()
            values["event_ids"] = [str(event) for event in decision.event_ids]
            text = canonical(values)
            assert hashed(text) == decision.hash
            stored.append((decision.sequence, text, decision.hash))
        verifier = verified(stored)
        assert verifier.problems == []
        assert verifier.last_hash == stored[-1][2]
