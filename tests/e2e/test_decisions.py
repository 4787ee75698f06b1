"""The decision log against real ``ledger serve`` processes: checks and comparisons logged
(``--log``, ``LEDGER_DECISION_LOG``), listed, shown and answered again; and who asked, on a
server that checks tokens. One SQLite server serves the module (each test on offices of its
own); a server starts for a test only where a setting differs."""

from __future__ import annotations

import uuid
from datetime import UTC
from pathlib import Path
from typing import Any

import grpc
import pytest

from ledger_client import LedgerClient, LedgerClientError
from ledger_client.decisions import Decision
from tests.e2e.decision_support import (
    CHECK,
    PROHIBITED,
    TWO_ITEMS,
    Logged,
    Question,
    baseline,
    json_of,
    rule,
    serving,
    substance,
    verdicts,
    words,
)
from tests.e2e.security import cli_token, hashed_line
from tests.e2e.support import (
    Cli,
    log_end,
    run_cli,
)


@pytest.fixture(scope="module", params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The module's shared server is on SQLite: the backends differ only in the watch."""
    return str(request.param)


# -- 1. logged, then shown ------------------------------------------------------------------


class TestLoggedThenShown:
    def test_a_check_logged_with_a_label_is_shown_as_asked_answered_and_where(
        self, shared_cli: Cli, shared_client: LedgerClient
    ) -> None:
        office = baseline(shared_client)
        rule(shared_client, "tightened", office, "2025-03-01", PROHIBITED, goods="8516")
        label = f"case-{uuid.uuid4().hex[:8]}"
        end = log_end(shared_client)
        answer = json_of(
            shared_cli(
                "check", "--office", office, "--at", "2025-03-20", *CHECK,
                "--item", "8516.60:1", "--item", "8471.30:3", "--label", label, "--json",
            )
        )  # fmt: skip
        decision_id = answer["decision_id"]
        assert uuid.UUID(decision_id)
        answered = [item["verdict"] for item in answer["items"]]
        assert answered == ["PROHIBITED", "LIMIT_EXCEEDED"]  # the rules above, item by item

        shown = json_of(shared_cli("decisions", "show", decision_id, "--json"))
        assert (shown["decision_id"], shown["label"], shown["rpc"]) == (decision_id, label, "Check")
        assert shown["check"] == {
            "office": office,
            "at": "2025-03-20",
            "basis": "recorded",  # the CLI's default, sent
            "direction": "outbound",
            "channel": "personal-baggage",
            "traveller": "worker",
            "items": [{"goods": "8516.60", "quantity": 1}, {"goods": "8471.30", "quantity": 3}],
        }
        assert [i["verdict"] for i in shown["answer"]["check"]["items"]] == answered
        assert shown["answer"]["check"]["office"] == office
        assert shown["position"] == end == log_end(shared_client)
        event_ids = {e for item in answer["items"] for e in item["event_ids"]}
        assert set(shown["event_ids"]) == event_ids
        assert shown["digest"] == shared_client.get_digest().root

        # The client's decision is the same one.
        decision = shared_client.get_decision(decision_id)
        assert decision == Decision.model_validate(shown)
        assert decision.offices == (office,)

        # In words: the label, the question, the position, the verdicts.
        status, out, err = shared_cli("decisions", "show", decision_id)
        assert status == 0, err
        text = words(out)
        assert label in text
        assert f"check at {office} on 2025-03-20" in text
        assert f"as known at ledger position {end}" in text
        assert "PROHIBITED" in text and "LIMIT_EXCEEDED" in text

    def test_an_unknown_or_malformed_decision_id_is_refused_saying_so(
        self, shared_cli: Cli, shared_client: LedgerClient
    ) -> None:
        missing = str(uuid.uuid4())
        with pytest.raises(LedgerClientError) as refused:
            shared_client.get_decision(missing)
        assert refused.value.code is grpc.StatusCode.NOT_FOUND
        assert missing in refused.value.message
        status, _, err = shared_cli("decisions", "show", missing)
        assert status == 3
        assert missing in words(err)
        status, _, err = shared_cli("decisions", "show", "12345678")
        assert status == 2
        assert "not a decision id" in words(err)


# -- 2. LEDGER_DECISION_LOG -----------------------------------------------------------------


class TestWhatIsLogged:
    def test_by_default_only_the_questions_that_ask_are_logged(
        self, shared_client: LedgerClient
    ) -> None:
        question = Question(("CN-DANDONG",), "2025-03-20")
        assert question.ask(shared_client).decision_id is None
        with pytest.raises(LedgerClientError) as refused:
            question.ask(shared_client, label="no log asked")
        assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [name for name, _ in refused.value.fields] == ["label"]

    def test_a_server_that_logs_nothing_refuses_a_logged_check_and_answers_the_others(
        self, tmp_path: Path
    ) -> None:
        with serving(tmp_path / "off", LEDGER_DECISION_LOG="off") as server:
            status, out, err = run_cli(
                server.address, "check", "--office", "CN-DANDONG", "--at", "2025-03-20",
                *CHECK, "--item", "8516.60:1", "--log",
            )  # fmt: skip
            assert status == 3, (out, err)
            assert "LEDGER_DECISION_LOG" in words(err)
            with LedgerClient(server.address) as client:
                question = Question(("CN-DANDONG",), "2025-03-20")
                with pytest.raises(LedgerClientError) as refused:
                    question.ask(client, log=True)
                assert refused.value.code is grpc.StatusCode.FAILED_PRECONDITION
                assert "LEDGER_DECISION_LOG" in refused.value.message
                comparison = Question(("CN-DANDONG", "CN-HUNCHUN"), "2025-03-20", comparison=True)
                with pytest.raises(LedgerClientError):
                    comparison.ask(client, log=True)
                answered = question.ask(client)
                assert answered.decision_id is None
                assert verdicts(answered) == ["PROHIBITED"]  # Dandong's ban, from the example
                assert list(client.all_decisions()) == []

    def test_a_server_that_logs_every_call_logs_a_check_not_asked_to_be(
        self, tmp_path: Path
    ) -> None:
        with serving(tmp_path / "all", LEDGER_DECISION_LOG="all") as server:
            with LedgerClient(server.address) as client:
                question = Question(("CN-DANDONG",), "2025-03-20")
                answered = question.ask(client)
                assert answered.decision_id is not None
                decision = client.get_decision(answered.decision_id)
                assert (decision.label, decision.offices) == ("", ("CN-DANDONG",))
                assert substance(decision.answer) == substance(answered)
                # A label alone is kept too: the call is logged anyway.
                labelled = question.ask(client, label="kept")
                assert labelled.decision_id is not None
                assert client.get_decision(labelled.decision_id).label == "kept"
                comparison = Question(("CN-DANDONG", "CN-HUNCHUN"), "2025-03-20", comparison=True)
                compared = comparison.ask(client)
                assert compared.decision_id is not None
                assert client.get_decision(compared.decision_id).rpc == "CompareOffices"
            status, out, err = run_cli(
                server.address, "check", "--office", "CN-DANDONG", "--at", "2025-03-20",
                *CHECK, "--item", "8516.60:1",
            )  # fmt: skip
            assert status == 0, err
            [line] = [line for line in out.splitlines() if line.startswith("logged as decision")]
            printed = line.removeprefix("logged as decision ").strip()
            with LedgerClient(server.address) as client:
                assert [str(d.decision_id) for d in client.all_decisions()] == [
                    str(answered.decision_id),
                    str(labelled.decision_id),
                    str(compared.decision_id),
                    printed,
                ]


# -- 3. listing -----------------------------------------------------------------------------


class TestListing:
    def test_every_filter_keeps_exactly_the_decisions_it_admits_and_pages_walk_them_once(
        self, shared_client: LedgerClient
    ) -> None:
        client = shared_client
        office, elsewhere = baseline(client), baseline(client)
        run = uuid.uuid4().hex[:8]
        case, other = f"case-{run}", f"other-{run}"
        logged = Logged()
        at = Question((office,), "2025-06-10")
        logged.log(client, at, case)
        logged.log(client, Question((elsewhere,), "2025-06-10"), case)
        first = rule(client, "observed", office, "2025-01-01", TWO_ITEMS, goods="0901")
        logged.log(client, Question((office, elsewhere), "2025-06-10", comparison=True), other)
        logged.log(client, at, other)
        second = rule(client, "observed", elsewhere, "2025-01-01", TWO_ITEMS, goods="0902")
        logged.log(client, at, case)
        logged.log(client, Question((office,), "2025-07-01"))
        mine = [client.get_decision(decision_id) for decision_id in logged.asked]
        ids = list(logged.asked)
        start = first.position - 1
        assert [d.position for d in mine] == [start, start] + [first.position] * 2 + [
            second.position
        ] * 2
        assert [d.label for d in mine] == [case, case, other, other, case, ""]
        asked_at = [d.asked_at for d in mine]
        assert asked_at == sorted(set(asked_at)), "asked one after the other"

        def listed(**filters: Any) -> list[str]:
            return [str(d.decision_id) for d in client.all_decisions(**filters)]

        def picked(*numbers: int) -> list[str]:
            return [ids[number] for number in numbers]

        assert listed(office=office) == picked(0, 2, 3, 4, 5)
        assert listed(office=elsewhere) == picked(1, 2)
        assert listed(label=case) == picked(0, 1, 4)
        assert listed(label=case, office=office) == picked(0, 4)
        assert listed(label=case, from_position=first.position) == picked(4)
        assert listed(office=office, to_position=first.position) == picked(0, 2, 3)
        middle = {"from_position": first.position, "to_position": first.position}
        assert listed(office=office, **middle) == picked(2, 3)
        assert listed(label=other, to_position=start) == []

        # Times asked, as the decisions state them: from (inclusive), until (exclusive).
        assert listed(office=office, asked_from=asked_at[2]) == picked(2, 3, 4, 5)
        assert listed(office=office, asked_until=asked_at[3]) == picked(0, 2)
        assert listed(label=other, asked_from=asked_at[1], asked_until=asked_at[3]) == picked(2)
        # A day (UTC): from its start; until its start.
        day = asked_at[0].astimezone(UTC).date()
        assert listed(label=case, asked_from=day) == picked(0, 1, 4)
        assert listed(label=case, asked_until=day) == []
        assert listed(label=case, asked_until=asked_at[0]) == []
        # The same times given as text (as a script reads them) filter the same way.
        assert listed(office=office, asked_from=asked_at[2].isoformat()) == picked(2, 3, 4, 5)
        assert listed(label=case, asked_until=day.isoformat()) == []

        # Two a page: each decision once, in the order logged; by office (its own index)
        # and by label (the log itself).
        walks: list[tuple[dict[str, Any], int]] = [({"office": office}, 5), ({"label": case}, 3)]
        for filters, count in walks:
            pages: list[list[str]] = []
            token: str | None = None
            while token != "":
                page = client.list_decisions(**filters, page_size=2, page_token=token)
                pages.append([str(d.decision_id) for d in page.decisions])
                token = page.next_page_token
            assert [len(found) for found in pages] == [2] * (count // 2) + [1] * (count % 2)
            assert [d for found in pages for d in found] == listed(**filters)
            assert len(listed(**filters)) == count


# -- 4. replay ------------------------------------------------------------------------------


class TestReplay:
    def test_a_replay_holds_then_shows_a_correction_that_changed_the_answer(
        self, shared_cli: Cli, shared_client: LedgerClient
    ) -> None:
        client = shared_client
        office = baseline(client)
        question = Question((office,), "2025-06-10", items=(("8516.60", 1), ("0901", 1)))
        decision_id = Logged().log(client, question)
        logged = client.get_decision(decision_id)

        fresh = client.replay_decision(decision_id)
        assert (fresh.matches, fresh.changed) == (True, False)
        assert fresh.then == logged.answer
        assert substance(fresh.now) == substance(logged.answer)
        assert fresh.now_position == logged.position == log_end(client)
        assert verdicts(fresh.then) == ["ALLOWED", "NO_RULE"]

        # A ban from 2025-06-01 covers the date asked: the answer now differs, not then.
        ban = rule(client, "tightened", office, "2025-06-01", PROHIBITED)
        replayed = client.replay_decision(decision_id)
        assert (replayed.matches, replayed.changed) == (True, True)
        assert replayed.then == logged.answer
        assert replayed.decision == logged
        assert replayed.now_position == ban.position
        assert substance(replayed.now) == substance(question.ask(client))
        assert verdicts(replayed.now) == ["PROHIBITED", "NO_RULE"]

        status, out, err = shared_cli("decisions", "replay", decision_id)
        assert status == 0, (out, err)
        text = words(out)
        assert "the log holds" in text
        assert f"changed since — as known now, at position {ban.position}" in text
        assert "8516.60 x1: ALLOWED → PROHIBITED" in text
        assert "0901 x1:" not in text  # its NO_RULE is not a change
        replay = json_of(shared_cli("decisions", "replay", decision_id, "--json"))
        assert (replay["matches"], replay["changed"]) == (True, True)
        assert replay["now_position"] == ban.position


# -- 8. who asked ---------------------------------------------------------------------------


class TestWhoAsked:
    def test_a_logged_decision_names_the_token_that_asked(self, tmp_path: Path) -> None:
        officer = f"officer {uuid.uuid4().hex[:6]}"
        named, named_line = cli_token("reader", officer)
        unnamed, unnamed_line = hashed_line("recorder")
        tokens = tmp_path / "tokens"
        tokens.write_text(f"{named_line}\n{unnamed_line}\n")
        with serving(tmp_path / "secured", LEDGER_TOKENS_FILE=str(tokens)) as server:
            question = Question(("CN-DANDONG",), "2025-03-20")
            with LedgerClient(server.address, token=named) as reader:
                by_officer = Logged().log(reader, question, "asked by name")
                assert reader.get_decision(by_officer).asked_by == officer
            as_token = {"LEDGER_TOKEN": unnamed}
            answer = json_of(
                run_cli(
                    server.address, "check", "--office", "CN-DANDONG", "--at", "2025-03-20",
                    *CHECK, "--item", "8516.60:1", "--log", "--json", env=as_token,
                )
            )  # fmt: skip
            shown = json_of(
                run_cli(
                    server.address, "decisions", "show", answer["decision_id"], "--json",
                    env=as_token,
                )
            )  # fmt: skip
            assert shown["asked_by"] == "a recorder token"  # a token without a name: its role
            status, out, err = run_cli(server.address, "decisions", "list", env=as_token)
            assert status == 0, err
            assert f"by {officer}" in words(out)
