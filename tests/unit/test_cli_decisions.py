"""The decision log's commands, run in-process against a fake server (a servicer of canned
replies on a local port), so that the requests the CLI builds go through the real client and
the real stubs: ``check --log``, ``decisions list|show|replay``, ``impact``, ``watch
--impacts`` and what ``audit --remote`` says of the decision log.

Not the real server (its side was being written meanwhile): the e2e tier will run the same
commands against one."""

from __future__ import annotations

import json
from collections.abc import Iterator
from concurrent import futures
from typing import Any

import grpc
import pytest
from rich.console import Console
from typer.testing import CliRunner

from ledger.cli import failures, render
from ledger.cli.app import app
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc
from tests.unit.decision_samples import (
    DANDONG,
    EVENT,
    FIRST,
    GENESIS,
    SECOND,
    FakeLedger,
    as_messages,
    canonical,
    chain,
    check_answer,
    fields,
    hashed,
    impact_of_amendment,
)

RICE_COOKERS = (
    *("--office", DANDONG, "--at", "2025-03-20", "--direction", "outbound"),
    *("--channel", "personal-baggage", "--traveller", "worker"),
    *("--item", "8516.60:1", "--item", "8516.60:3"),
)
ROAD = (
    *("--office", DANDONG, "--office", "CN-HUNCHUN", "--at", "2025-04-28"),
    *("--direction", "outbound", "--channel", "cargo-road", "--traveller", "trader"),
    *("--item", "electronics"),
)


@pytest.fixture(scope="module")
def serving() -> Iterator[tuple[str, FakeLedger]]:
    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4))
    fake = FakeLedger()
    ledger_pb2_grpc.add_PolicyLedgerServicer_to_server(fake, server)  # type: ignore[no-untyped-call]
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    yield f"127.0.0.1:{port}", fake
    server.stop(None)


@pytest.fixture
def fake(serving: tuple[str, FakeLedger]) -> FakeLedger:
    """The fake server, its canned replies fresh for each test."""
    vars(serving[1]).update(vars(FakeLedger()))
    return serving[1]


class Ran:
    def __init__(self, status: int, out: str, err: str) -> None:
        self.status, self.out, self.err = status, out, err


@pytest.fixture
def ledger(
    serving: tuple[str, FakeLedger], fake: FakeLedger, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """``ledger ARGS...`` against the fake server, in-process, printing lines up to 1000
    characters wide."""
    monkeypatch.setattr(render, "console", Console(width=1000))
    monkeypatch.setattr(failures, "errors", Console(stderr=True, width=1000))
    monkeypatch.setattr(render, "errors", failures.errors)

    def run(*args: str) -> Ran:
        argv = [*args, "--server", serving[0]]
        result = CliRunner().invoke(app(argv), argv)
        return Ran(result.exit_code, result.stdout, result.stderr)

    return run


def lines(text: str) -> list[str]:
    return [line.rstrip() for line in text.splitlines()]


def flat(text: str) -> str:
    """Text as one line, without the frame of a usage error's box."""
    return " ".join(text.replace("│", " ").split())


class TestLoggedQuestions:
    def test_a_check_with_log_and_label_says_which_decision_logged_it(
        self, ledger: Any, fake: FakeLedger
    ) -> None:
        ran = ledger("check", *RICE_COOKERS, "--log", "--label", "CASE-2026-118")
        assert ran.status == 0, ran.err
        assert lines(ran.out)[-1] == f"logged as decision {FIRST}"
        [asked] = fake.requests["Check"]
        assert (asked.log, asked.label) == (True, "CASE-2026-118")

    def test_a_label_alone_logs_the_decision(self, ledger: Any, fake: FakeLedger) -> None:
        assert ledger("check", *RICE_COOKERS, "--label", "CASE-1").status == 0
        assert fake.requests["Check"][0].log

    def test_a_check_not_logged_says_nothing_of_a_decision(
        self, ledger: Any, fake: FakeLedger
    ) -> None:
        ran = ledger("check", *RICE_COOKERS)
        assert "logged as decision" not in ran.out
        assert not fake.requests["Check"][0].log

    def test_json_has_the_decision_id(self, ledger: Any) -> None:
        ran = ledger("check", *RICE_COOKERS, "--log", "--json")
        assert json.loads(ran.out)["decision_id"] == FIRST
        assert json.loads(ledger("check", *RICE_COOKERS, "--json").out)["decision_id"] is None

    def test_a_comparison_is_logged_the_same_way(self, ledger: Any, fake: FakeLedger) -> None:
        ran = ledger("compare", *ROAD, "--log", "--label", "ROUTE-7")
        assert lines(ran.out)[-1] == f"logged as decision {SECOND}"
        asked = fake.requests["CompareOffices"][0]
        assert (asked.log, asked.label) == (True, "ROUTE-7")
        assert json.loads(ledger("compare", *ROAD, "--log", "--json").out)["decision_id"] == SECOND


class TestList:
    def test_every_page_is_listed_with_ids_shortened(self, ledger: Any, fake: FakeLedger) -> None:
        ran = ledger("decisions", "list")
        assert ran.status == 0, ran.err
        assert FIRST[:8] in ran.out and FIRST not in ran.out
        assert "CASE-2026-118" in ran.out
        assert "ALLOWED" in ran.out and "2 CN-DANDONG" in ran.out
        assert "at position 57" in ran.out
        assert "ids shortened" in ran.out
        assert [r.page_token for r in fake.requests["ListDecisions"]] == ["", "2"]

    def test_filters_are_sent_as_given(self, ledger: Any, fake: FakeLedger) -> None:
        ran = ledger(
            *("decisions", "list", "--office", DANDONG, "--label", "CASE-1"),
            *("--from", "2026-12-01", "--until", "2026-12-02T00:00:00+08:00"),
            *("--from-position", "40", "--to-position", "60", "--full-ids"),
        )
        assert ran.status == 0, ran.err
        assert FIRST in ran.out
        asked = fake.requests["ListDecisions"][0]
        assert (asked.office, asked.label) == (DANDONG, "CASE-1")
        assert (asked.asked_from, asked.asked_until) == ("2026-12-01", "2026-12-02T00:00:00+08:00")
        assert (asked.from_position, asked.to_position) == (40, 60)

    def test_a_limit_stops_early_and_says_more_may_match(
        self, ledger: Any, fake: FakeLedger
    ) -> None:
        ran = ledger("decisions", "list", "--limit", "1")
        assert "the first 1 shown: more may match" in flat(ran.out)
        assert len(fake.requests["ListDecisions"]) == 1
        assert fake.requests["ListDecisions"][0].page_size == 1

    def test_a_time_in_the_wrong_form_is_refused_before_asking(self, ledger: Any) -> None:
        ran = ledger("decisions", "list", "--from", "01/12/2026")
        assert ran.status == 2
        assert "expected a date YYYY-MM-DD (the start of that day, UTC)" in flat(ran.err)

    def test_json_lists_the_decisions_as_the_client_library_reads_them(self, ledger: Any) -> None:
        listed = json.loads(ledger("decisions", "list", "--json").out)
        assert [d["decision_id"] for d in listed] == [FIRST, SECOND]
        assert [d["rpc"] for d in listed] == ["Check", "CompareOffices"]


class TestShow:
    def test_a_decision_is_shown_with_its_question_and_answer(self, ledger: Any) -> None:
        ran = ledger("decisions", "show", FIRST)
        assert ran.status == 0, ran.err
        assert f"{FIRST} (number 1 in the log)" in ran.out
        assert "2026-12-01 10:00:00 UTC by desk-3" in ran.out
        assert (
            "check at CN-DANDONG on 2025-03-20: outbound personal-baggage worker, 8516.60 x1, "
            "8516.60 x3" in ran.out
        )
        assert "CN-DANDONG on 2025-03-20, as logged, answered at position 42" in ran.out
        assert "PROHIBITED" in ran.out

    def test_an_id_that_is_not_one_is_refused_with_what_is_expected(self, ledger: Any) -> None:
        ran = ledger("decisions", "show", "1b4e28ba")
        assert ran.status == 2
        assert "'1b4e28ba' is not a decision id: expected the whole id" in flat(ran.err)

    def test_a_decision_the_server_does_not_know_is_its_refusal(self, ledger: Any) -> None:
        ran = ledger("decisions", "show", "00000000-0000-4000-8000-000000000000")
        assert ran.status == 3
        assert "NOT_FOUND" in ran.err


class TestReplay:
    def test_a_replay_that_holds_and_has_not_changed(self, ledger: Any) -> None:
        ran = ledger("decisions", "replay", FIRST)
        assert ran.status == 0, ran.err
        assert "then: the log holds" in ran.out
        assert "now: unchanged — as known now, at position 0" in ran.out

    def test_a_replay_that_changed_since_lists_the_verdicts_changed(
        self, ledger: Any, fake: FakeLedger
    ) -> None:
        fake.replay.changed = True
        fake.replay.now_position = 60
        fake.replay.now.CopyFrom(impact_of_amendment().after)
        ran = ledger("decisions", "replay", FIRST)
        assert ran.status == 0, ran.err
        assert "now: changed since — as known now, at position 60" in ran.out
        assert "  8516.60 x3: PROHIBITED → ALLOWED" in lines(ran.out)
        assert "  8516.60 x3 inspection: - → thorough" in lines(ran.out)

    def test_a_replay_that_does_not_match_the_log_fails_as_an_audit(
        self, ledger: Any, fake: FakeLedger
    ) -> None:
        fake.replay.matches = False
        fake.replay.then.CopyFrom(check_answer(pb.VERDICT_ALLOWED, pb.VERDICT_ALLOWED))
        ran = ledger("decisions", "replay", FIRST)
        assert ran.status == 5
        assert "then: the log does not match" in ran.out
        assert "  8516.60 x3: PROHIBITED → ALLOWED" in lines(ran.out)
        assert "the decision log and the ledger disagree" in ran.err
        as_json = ledger("decisions", "replay", FIRST, "--json")
        assert as_json.status == 5
        assert json.loads(as_json.out)["matches"] is False
        assert json.loads(as_json.err)["code"] == "AUDIT_FAILED"


class TestImpact:
    def test_the_decisions_an_event_changed_before_and_after(
        self, ledger: Any, fake: FakeLedger
    ) -> None:
        ran = ledger("impact", "57")
        assert ran.status == 0, ran.err
        assert "event at position 57: ChangeAmended at CN-DANDONG" in ran.out
        assert "1 of the 5 logged decisions that could depend on the event changed" in ran.out
        assert FIRST in ran.out
        assert "8516.60 x3: PROHIBITED → ALLOWED" in ran.out
        assert fake.requests["GetImpact"][0].position == 57

    def test_an_event_that_changed_nothing_says_how_many_were_answered_again(
        self, ledger: Any, fake: FakeLedger
    ) -> None:
        fake.impact = pb.GetImpactResponse(event_id=EVENT, event_type="ChangeAmended", candidates=3)
        ran = ledger("impact", "57")
        assert "no logged decision changed: 3 that could depend on the event" in ran.out

    def test_json_is_the_client_librarys_report(self, ledger: Any) -> None:
        report = json.loads(ledger("impact", "57", "--json").out)
        assert report["candidates"] == 5
        assert report["impacts"][0]["after"]["check"]["items"][1]["verdict"] == "ALLOWED"


class TestWatchImpacts:
    def test_impacts_are_printed_as_they_come_and_where_to_go_on(
        self, ledger: Any, fake: FakeLedger
    ) -> None:
        ran = ledger("watch", "--impacts", "--after", "40", "--office", DANDONG)
        assert ran.status == 0, ran.err
        printed = lines(ran.out)
        assert len(printed) == 2
        assert printed[0].startswith("      57 ChangeAmended    CN-DANDONG     decision")
        assert "8516.60 x3: PROHIBITED → ALLOWED" in printed[0]
        assert lines(ran.err) == [
            f"to go on from here: ledger watch --impacts --after 80 --office {DANDONG}"
        ]
        asked = fake.requests["WatchImpacts"][0]
        assert (asked.after_position, list(asked.offices)) == (40, [DANDONG])

    def test_stopping_inside_an_event_goes_on_from_just_before_it(self, ledger: Any) -> None:
        # Both impacts of the reply are of the event at 57: stopping after the first, the
        # watch goes on after 56, and sends the event's impacts again (nothing is missed).
        ran = ledger("watch", "--impacts", "--after", "40", "--count", "1")
        assert lines(ran.err) == ["to go on from here: ledger watch --impacts --after 56"]

    def test_json_is_an_impact_a_line_with_where_to_resume(self, ledger: Any) -> None:
        ran = ledger("watch", "--impacts", "--json")
        found = [json.loads(line) for line in ran.out.splitlines()]
        assert [impact["resume_position"] for impact in found] == [56, 57]
        assert ran.err == ""

    def test_impacts_are_not_followed_with_options_of_other_watches(self, ledger: Any) -> None:
        ran = ledger("watch", "--impacts", "--effective")
        assert ran.status == 2
        assert "--impacts follows the logged decisions that recorded events change" in flat(ran.err)


class TestAuditRemote:
    def test_the_decision_log_is_verified_with_the_events(self, ledger: Any) -> None:
        ran = ledger("audit", "--remote")
        assert ran.status == 0, ran.err
        assert (
            "decisions: 3 verified; the digests they state match the log at 1 position" in ran.out
        )
        report = json.loads(ledger("audit", "--remote", "--json").out)
        assert report["decisions"]["decisions"] == 3
        assert report["ok"] is True

    def test_a_broken_decision_chain_fails_the_audit(self, ledger: Any, fake: FakeLedger) -> None:
        stored = chain(3, position=0, digest=GENESIS)
        text = canonical({**fields(2, stored[0][2], position=0, digest=GENESIS), "label": "x"})
        stored[1] = (2, text, stored[1][2])
        fake.stored = as_messages(stored)
        ran = ledger("audit", "--remote")
        assert ran.status == 5
        assert "decisions: broken (3 replayed)" in ran.out
        assert "problem: decision 2: its stored hash is" in ran.out
        assert (
            f'decision 2: its stored hash is "{stored[1][2]}", but its stored text hashes to '
            f"{hashed(text)}: it was altered after it was logged" in ran.out
        )

    def test_a_digest_the_log_never_reached_fails_the_audit(
        self, ledger: Any, fake: FakeLedger
    ) -> None:
        fake.stored = as_messages(chain(1, position=0, digest="ab" * 32))
        ran = ledger("audit", "--remote")
        assert ran.status == 5
        assert "states digest" in ran.out and "the decision, or the log, was altered" in ran.out
