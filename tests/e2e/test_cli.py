"""The ``ledger`` command line against a real server: ``--json`` answers, writes, refusals."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from ledger_client import LedgerClient, Verdict
from tests.e2e.support import EXAMPLE, SEED_EVENTS, Cli, log_end, new_office, run_cli

DANDONG = "CN-DANDONG"
SOURCE = "Daily NK|https://www.dailynk.com/english/|2025-04-02|B2"
RICE_COOKER_QUESTION = (
    "--office",
    DANDONG,
    "--direction",
    "outbound",
    "--channel",
    "personal-baggage",
    "--traveller",
    "worker",
    "--item",
    "8516.60:1",
)
# A worker-baggage tightening at Dandong from 1 May, short of its goods and measure.
TIGHTENING = (
    "record",
    "tightened",
    *("--office", DANDONG, "--direction", "outbound", "--channel", "personal-baggage"),
    *("--traveller", "worker", "--on", "2025-05-01", "--source", SOURCE),
)


def json_of(result: tuple[int, str, str]) -> Any:
    status, out, err = result
    assert status == 0, err
    return json.loads(out)


def check_at(cli: Cli, at: str, *more: str) -> dict[str, Any]:
    answer = json_of(cli("check", "--at", at, *RICE_COOKER_QUESTION, *more, "--json"))
    assert answer["office"] == DANDONG
    [item] = answer["items"]
    return item


def write_lines(path: Path, *lines: dict[str, Any] | str) -> Path:
    path.write_text(
        "".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
        encoding="utf-8",
    )
    return path


def source_data(published: str = "2025-05-02") -> dict[str, str]:
    return {
        "publisher": "Daily NK",
        "url": "https://www.dailynk.com/english/",
        "published": published,
        "grade": "B2",
    }


class TestQuestions:
    def test_check_json_tells_the_seed_story(self, shared_cli: Cli) -> None:
        before = json_of(
            shared_cli(
                *("check", "--at", "2025-02-20", *RICE_COOKER_QUESTION, "--item", "8516.60:3"),
                "--json",
            )
        )
        assert [i["verdict"] for i in before["items"]] == ["ALLOWED", "LIMIT_EXCEEDED"]
        uncertain = check_at(shared_cli, "2025-03-05")
        assert uncertain["verdict"] == "UNCERTAIN"
        assert [c["verdict"] for c in uncertain["candidates"]] == ["ALLOWED", "PROHIBITED"]
        banned = check_at(shared_cli, "2025-03-20")
        assert (banned["verdict"], banned["inspection"], banned["enforcement"]) == (
            "PROHIBITED",
            "thorough",
            "confiscation",
        )
        assert [s["published"] for s in banned["sources"]] == ["2025-03-19"]
        reported = check_at(
            shared_cli, "2025-03-20", "--known-at", "2025-03-15", "--basis", "reported"
        )
        assert reported["verdict"] == "ALLOWED"

    def test_check_without_json_prints_a_table_with_the_verdict(self, shared_cli: Cli) -> None:
        status, out, err = shared_cli("check", "--at", "2025-03-20", *RICE_COOKER_QUESTION)
        assert status == 0, err
        assert "PROHIBITED" in out
        assert "confiscation" in out

    def test_compare_json_ranks_hunchun_and_changbai_and_leaves_dandong_unranked(
        self, shared_cli: Cli
    ) -> None:
        answer = json_of(
            shared_cli(
                "compare",
                *("--office", DANDONG, "--office", "CN-HUNCHUN", "--office", "CN-CHANGBAI"),
                *("--at", "2025-04-28", "--direction", "outbound", "--channel", "cargo-road"),
                *("--traveller", "trader", "--item", "electronics", "--json"),
            )
        )
        ranked = [(r["rank"], r["office"], r["standing"]) for r in answer["rankings"]]
        # A tie shares rank 1; Dandong's admissibility by road is unknown: listed after.
        assert ranked == [
            (1, "CN-CHANGBAI", "ranked"),
            (1, "CN-HUNCHUN", "ranked"),
            (0, DANDONG, "unknown"),
        ]

    def test_state_json_shows_the_uncertain_worker_baggage_rule(self, shared_cli: Cli) -> None:
        answer = json_of(shared_cli("state", "--office", DANDONG, "--at", "2025-03-05", "--json"))
        assert answer["at"] == "2025-03-05"
        [baggage] = [s for s in answer["scopes"] if s["scope"]["channel"] == "personal-baggage"]
        assert baggage["uncertain"] is True
        assert [s["admissibility"]["kind"] for s in baggage["states"]] == [
            "quantity-limit",
            "prohibited",
        ]

    def test_history_json_lists_the_offices_events_with_their_content(
        self, shared_cli: Cli
    ) -> None:
        events = json_of(shared_cli("history", "--office", DANDONG, "--json"))
        assert [e["office_version"] for e in events] == [1, 2, 3, 4, 5]
        assert events[0]["type"] == "OfficeRegistered"
        assert events[2]["event"]["measure"]["admissibility"]["kind"] == "prohibited"
        assert events[2]["reported_on"] == "2025-03-19"

    def test_history_json_filters_on_knowledge_time(self, shared_cli: Cli) -> None:
        events = json_of(
            shared_cli(
                "history",
                *("--office", DANDONG, "--known-at", "2025-03-15", "--basis", "reported"),
                "--json",
            )
        )
        assert [e["type"] for e in events] == ["OfficeRegistered", "PolicyObserved"]

    def test_offices_json_lists_the_example_offices(self, shared_cli: Cli) -> None:
        offices = json_of(shared_cli("offices", "--json"))
        assert [o["code"] for o in offices] == ["CN-CHANGBAI", DANDONG, "CN-HUNCHUN"]
        # Changbai: registered, two observations, a loosening, and a clerical retraction.
        assert [o["version"] for o in offices] == [5, 5, 3]

    def test_watch_json_prints_one_json_line_per_event_up_to_the_count(
        self, shared_cli: Cli
    ) -> None:
        status, out, err = shared_cli("watch", "--after", "0", "--count", "3", "--json")
        assert status == 0, err
        lines = out.splitlines()
        assert len(lines) == 3
        events = [json.loads(line) for line in lines]
        assert [e["position"] for e in events] == [1, 2, 3]
        assert events[0]["type"] == "OfficeRegistered"
        assert events[0]["event"]["code"] == events[0]["office"]

    def test_reimporting_the_example_stores_nothing_new(
        self, shared_cli: Cli, shared_client: LedgerClient
    ) -> None:
        end = log_end(shared_client)
        status, out, err = shared_cli("import", str(EXAMPLE))
        assert status == 0, err
        assert f"{SEED_EVENTS} commands, 0 new events stored" in out
        receipts = json_of(shared_cli("import", str(EXAMPLE), "--json"))
        assert sorted(r["position"] for r in receipts) == list(range(1, SEED_EVENTS + 1))
        assert log_end(shared_client) == end


class TestWrites:
    def test_register_then_record_amend_and_retract_through_the_cli(
        self, cli: Cli, client: LedgerClient
    ) -> None:
        code = new_office()
        registered = json_of(
            cli(
                "register",
                *("--office", code, "--name", "Ji'an Customs"),
                *("--crossing", "Manpo, KP|bridge", "--json"),
            )
        )
        assert (registered["office"], registered["office_version"]) == (code, 1)
        office = client.get_office(code)
        assert [(c.counterpart, c.mode) for c in office.crossings] == [("Manpo, KP", "bridge")]

        question = ("--direction", "outbound", "--channel", "personal-baggage")
        recorded = json_of(
            cli(
                "record",
                "tightened",
                *("--office", code, *question, "--traveller", "worker", "--goods", "85"),
                *("--on", "2025-03-01", "--precision", "early-month", "--source", SOURCE),
                *("--admissibility", "prohibited", "--enforcement", "confiscation"),
                *("--expected-version", "1", "--note", "no electronics", "--json"),
            )
        )
        assert recorded["office_version"] == 2

        def verdict(at: str) -> Verdict:
            result = client.check(
                code,
                at,
                direction="outbound",
                channel="personal-baggage",
                traveller="worker",
                items=[{"goods": "8516.60"}],
            )
            return result.items[0].verdict

        assert verdict("2025-03-05") is Verdict.UNCERTAIN
        amended = json_of(
            cli(
                "amend",
                *("--office", code, "--change", recorded["change_id"]),
                *("--reason", "it was 3 March", "--source", SOURCE, "--on", "2025-03-03"),
                "--json",
            )
        )
        assert amended["office_version"] == 3
        assert verdict("2025-03-02") is Verdict.NO_RULE
        assert verdict("2025-03-05") is Verdict.PROHIBITED
        status, out, err = cli(
            "retract",
            *("--office", code, "--change", recorded["change_id"]),
            *("--reason", "the report was wrong", "--source", SOURCE),
        )
        assert status == 0, err
        assert f"at {code} v4" in out
        assert verdict("2025-03-05") is Verdict.NO_RULE
        history = json_of(cli("history", "--office", code, "--json"))
        assert [e["type"] for e in history] == [
            "OfficeRegistered",
            "PolicyTightened",
            "ChangeAmended",
            "ChangeRetracted",
        ]

    def test_importing_a_new_file_stores_it_and_importing_it_again_stores_nothing(
        self, cli: Cli, client: LedgerClient, tmp_path: Path
    ) -> None:
        code = new_office()
        scope = {"direction": "inbound", "channel": "cargo-rail", "goods": "72"}
        path = write_lines(
            tmp_path / "steel.jsonl",
            {"ref": "r", "command": "register", "office": code, "name": "Steel customs"},
            "# steel imports",
            {
                "ref": "o",
                "command": "observe",
                "office": code,
                "scope": scope,
                "measure": {"inspection": "standard"},
                "effective": {"on": "2025-01-01"},
                "sources": [source_data("2025-01-02")],
            },
            {
                "command": "amend",
                "office": code,
                "change": "o",
                "reason": "it was light",
                "measure": {"inspection": "light"},
                "sources": [source_data()],
            },
        )
        status, out, err = cli("import", str(path))
        assert status == 0, err
        assert "3 commands, 3 new events stored" in out
        status, out, err = cli("import", str(path))
        assert status == 0, err
        assert "3 commands, 0 new events stored" in out
        assert client.get_office(code).version == 3

    def test_importing_a_file_with_bad_lines_names_every_line_and_stores_nothing(
        self, cli: Cli, client: LedgerClient, tmp_path: Path
    ) -> None:
        code = new_office()
        path = write_lines(
            tmp_path / "bad.jsonl",
            {"command": "register", "office": code, "name": "Never customs"},
            "",
            {
                "command": "tighten",
                "office": code,
                "scope": {"direction": "outbound", "channel": "cargo-road", "goods": "12x"},
                "measure": {"inspection": "rigorous"},
                "effective": {"on": "2025-05-01"},
                "sources": [source_data()],
            },
            {"command": "frobnicate"},
        )
        end = log_end(client)
        status, _, err = cli("import", str(path))
        assert status == 3
        assert "nothing stored" in err
        assert "line 3:" in err
        assert "scope.goods" in err
        assert "line 4:" in err
        assert "line 1:" not in err
        assert log_end(client) == end
        assert code not in [o.code for o in client.list_offices()]

    def test_importing_a_file_the_server_refuses_names_the_line_and_stores_nothing(
        self, cli: Cli, client: LedgerClient, tmp_path: Path
    ) -> None:
        code = new_office()
        path = write_lines(
            tmp_path / "refused.jsonl",
            {"command": "register", "office": code, "name": "Never customs"},
            "# the next line loosens what it claims to tighten",
            {
                "command": "tighten",
                "office": DANDONG,
                "scope": {
                    "direction": "outbound",
                    "channel": "personal-baggage",
                    "traveller": "worker",
                    "goods": "electronics",
                },
                "measure": {"inspection": "light"},
                "effective": {"on": "2025-05-01"},
                "sources": [source_data()],
            },
        )
        end = log_end(client)
        status, _, err = cli("import", str(path))
        assert status == 3
        assert "line 3:" in err
        assert "looser" in err
        assert log_end(client) == end


class TestBadInput:
    @pytest.mark.parametrize(
        ("args", "named", "status"),
        [
            (("check", "--at", "2025-02-30", *RICE_COOKER_QUESTION), "--at", 2),
            (
                ("check", "--at", "2025-03-20", *RICE_COOKER_QUESTION, "--known-at", "soon"),
                "--known-at",
                2,
            ),
            (("state", "--office", "dandong", "--at", "2025-03-20"), "office", 3),
            (("watch", "--after", "-1"), "after_position", 3),
            (
                (*TIGHTENING, "--goods", "12x", "--inspection", "rigorous"),
                "change.scope.goods",
                3,
            ),
            ((*TIGHTENING, "--goods", "85", "--inspection", "strict"), "inspection", 2),
            (
                ("check", "--at", "2025-03-20", *RICE_COOKER_QUESTION, "--item", "85:x"),
                "--item",
                2,
            ),
            (
                (*TIGHTENING, "--goods", "85", "--inspection", "rigorous", "--source", "x"),
                "--source",
                2,
            ),
        ],
        ids=[
            "a date that does not exist",
            "a knowledge time that is no time",
            "an office code in lower case",
            "a watch from a negative position",
            "goods that are neither an HS code nor a category",
            "an inspection level that does not exist",
            "an item whose quantity is no number",
            "a source that is not PUBLISHER|URL|PUBLISHED|GRADE",
        ],
    )
    def test_bad_input_exits_2_if_caught_before_sending_3_if_refused_naming_the_field(
        self, shared_cli: Cli, args: tuple[str, ...], named: str, status: int
    ) -> None:
        exited, out, err = shared_cli(*args)
        assert exited == status, (out, err)
        assert named in err
        assert "Traceback" not in err

    def test_a_refusal_by_the_server_exits_3_with_its_status(self, shared_cli: Cli) -> None:
        status, _, err = shared_cli(
            "check", "--at", "2025-03-20", *RICE_COOKER_QUESTION[2:], "--office", "CN-NOWHERE"
        )
        assert status == 3
        assert "NOT_FOUND" in err
        assert "CN-NOWHERE" in err

    def test_a_tightening_that_loosens_exits_3_and_stores_nothing(
        self, shared_cli: Cli, shared_client: LedgerClient
    ) -> None:
        end = log_end(shared_client)
        status, _, err = shared_cli(*TIGHTENING, "--goods", "electronics", "--inspection", "light")
        assert status == 3
        assert "FAILED_PRECONDITION" in err
        assert log_end(shared_client) == end


def test_offices_against_an_unreachable_server_exits_4_without_a_traceback() -> None:
    status, _, err = run_cli("127.0.0.1:1", "offices")
    assert "no ledger server at 127.0.0.1:1" in err
    assert "Traceback" not in err
    assert status == 4
