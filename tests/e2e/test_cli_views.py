"""What the CLI shows people (issue 13, points 5, 6, 7, 8 and 12), against a real server: a
history to act on, short change ids, UNCERTAIN's candidates, knowledge-time hints, compare's
groups, watch's filters, and tables in 80 columns.

The drawing does not depend on the storage backend: SQLite only, to keep the suite short.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from ledger_client import LedgerClient
from tests.e2e.support import Cli, new_office, run_cli, source, start_server

DANDONG, HUNCHUN, CHANGBAI = "CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"
SOURCE = "Daily NK|https://www.dailynk.com/english/|2025-04-02|B2"
WORKER = {"direction": "outbound", "channel": "personal-baggage", "traveller": "worker"}
WORKER_BAGGAGE = tuple(word for key, value in WORKER.items() for word in (f"--{key}", value))
NARROW = {"COLUMNS": "80"}
BOOKKEEPING = {"originator_topic", "originator_id", "originator_version", "timestamp"}


@pytest.fixture(scope="module", params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _ok(result: tuple[int, str, str]) -> str:
    status, out, err = result
    assert status == 0, err
    return out


def _cells(out: str) -> list[list[str]]:
    """A table's printed lines, as their cells' text."""
    rows = [[cell.strip() for cell in line.split("│")[1:-1]] for line in out.splitlines()]
    return [row for row in rows if row]


def _fits(out: str, width: int = 80) -> None:
    assert max(len(line) for line in out.splitlines()) <= width, out
    assert "…" not in out


class TestHistoryToActOn:
    def test_a_change_is_amended_and_retracted_by_its_short_id_and_the_history_says_so(
        self, cli: Cli, client: LedgerClient
    ) -> None:
        code = new_office()
        client.register_office(code, "Ji'an Customs")
        change = str(
            client.record(
                "tightened",
                code,
                scope={**WORKER, "goods": "851660"},
                measure={
                    "admissibility": {"kind": "quantity-limit", "quantity": 1},
                    "inspection": "thorough",
                    "enforcement": "confiscation",
                },
                effective={"on": "2025-03-01", "precision": "early-month"},
                sources=[source()],
            ).change_id
        )
        short = change[:8]

        amended = _ok(
            cli(
                "amend",
                *("--office", code, "--change", short, "--reason", "fined, not confiscated"),
                *("--source", SOURCE, "--enforcement", "fine"),
            )
        )
        receipt, *compared = amended.splitlines()
        assert receipt.startswith("recorded ") and f" at {code} v3," in receipt
        # The change before and after the amendment: only the enforcement changed.
        assert [" ".join(line.split()) for line in compared] == [
            "measure at most 1; thorough inspection; confiscation → "
            "at most 1; thorough inspection; fine",
            "effective 2025-03-01..03-10 (early-month) → unchanged",
        ]
        assert (
            client.check(
                code,
                "2025-03-20",
                **WORKER,
                items=[{"goods": "8516.60"}],
            )
            .items[0]
            .enforcement
            == "fine"
        )

        # Any case, and the prefix is looked up: only a change of this office.
        _ok(cli("retract", "--office", code, "--change", short[:6].upper(), "--reason", "wrong"))
        unknown = next(p for p in ("0000", "ffff") if not change.startswith(p))
        status, _, err = cli("retract", "--office", code, "--change", unknown, "--reason", "x")
        assert status == 3  # as the ledger would refuse an unknown change id
        assert f"no change of {code} starts with {unknown}" in err
        status, _, err = cli("retract", "--office", code, "--change", "3f", "--reason", "x")
        assert status == 2  # a usage error: nothing was asked
        assert "at least 4 hex digits" in err

        out = _ok(cli("history", "--office", code, env=NARROW))
        _fits(out)
        rows = _cells(out)
        firsts = {row[0]: index for index, row in enumerate(rows) if row[0]}
        tightened = rows[firsts["2"]]
        assert tightened[1:3] == [short, "tightened"]
        assert rows[firsts["2"] + 1][2] == "amended 1x,"  # wrapped in 80 columns
        assert rows[firsts["2"] + 2][2] == "retracted"
        assert rows[firsts["3"]][1:3] == [f"→ {short}", "amended"]
        assert rows[firsts["4"]][1:3] == [f"→ {short}", "retracted"]
        what = " ".join(row[3] for row in rows[firsts["2"] : firsts["3"]])
        assert "at most 1; thorough inspection; confiscation" in what
        assert "2025-03-01..03-10 (early-month)" in what
        assert "Daily NK 2025-03-19 B2" in " ".join(row[4] for row in rows)

        events = json.loads(_ok(cli("history", "--office", code, "--json")))
        assert [event["type"] for event in events][-2:] == ["ChangeAmended", "ChangeRetracted"]
        for event in events:
            assert not BOOKKEEPING & set(event["event"]), event["event"]
        assert events[1]["event"]["scope"]["goods"] == "851660"
        assert events[2]["event"]["measure"]["enforcement"] == "fine"


class TestKnowledgeAsOfAPosition:
    def test_a_check_as_recorded_up_to_a_position(self, cli: Cli, client: LedgerClient) -> None:
        code = new_office()
        client.register_office(code, "Ji'an Customs")
        ban = client.record(
            "tightened",
            code,
            scope={**WORKER, "goods": "85"},
            measure={"admissibility": {"kind": "prohibited"}},
            effective={"on": "2025-03-01"},
            sources=[source()],
        )
        asked = ("check", "--office", code, "--at", "2025-03-20", *WORKER_BAGGAGE)
        asked += ("--item", "8516.60", "--json")
        verdicts = {
            position: json.loads(_ok(cli(*asked, "--known-at-position", str(position))))
            for position in (ban.position - 1, ban.position)
        }
        assert [v["items"][0]["verdict"] for v in verdicts.values()] == ["NO_RULE", "PROHIBITED"]
        status, _, err = cli(*asked[:-1], "--known-at-position", "3", "--known-at", "2025-03-20")
        assert status == 2
        assert "--known-at and --known-at-position both say what was known: give one" in err
        beyond = ban.position + 1000
        status, _, err = cli(*asked[:-1], "--known-at-position", str(beyond))
        assert status == 3
        assert f"known_at_position {beyond} is beyond the end of the log" in err


class TestQuestions:
    def test_an_uncertain_check_shows_both_candidates_labelled(self, shared_cli: Cli) -> None:
        out = _ok(
            shared_cli(
                *("check", "--office", DANDONG, "--at", "2025-03-05", *WORKER_BAGGAGE),
                *("--item", "8516.60:1"),
                env=NARROW,
            )
        )
        _fits(out)
        # Each answer's cells, its lines joined: the label wraps in 80 columns.
        answers: list[list[str]] = []
        for row in _cells(out):
            if row[1]:
                answers.append(row)
            else:
                answers[-1] = [
                    " ".join(filter(None, pair)) for pair in zip(answers[-1], row, strict=True)
                ]
        assert [answer[:4] for answer in answers] == [
            ["8516.60 x1", "UNCERTAIN", "-", "-"],
            ["as before 2025-03-01 (not yet in force)", "ALLOWED", "light", "-"],
            ["as from 2025-03-10 (in force)", "PROHIBITED", "thorough", "confiscation"],
        ]
        assert "Daily NK 2025-03-19 B2" in answers[2][4]

    def test_fail_on_refusal_exits_1_on_a_refusing_verdict_only(self, shared_cli: Cli) -> None:
        ask = ("check", "--office", DANDONG, *WORKER_BAGGAGE, "--fail-on-refusal")
        status, out, _ = shared_cli(
            *ask, "--at", "2025-02-20", "--item", "8516.60:1", "--item", "8516.60:3"
        )
        assert status == 1
        assert "LIMIT_EXCEEDED" in out and "ALLOWED" in out  # the table all the same
        status, out, _ = shared_cli(*ask, "--at", "2025-02-20", "--item", "8516.60:1", "--json")
        assert status == 0
        assert json.loads(out)["items"][0]["verdict"] == "ALLOWED"

    def test_a_knowledge_time_before_the_records_gets_a_hint(self, shared_cli: Cli) -> None:
        ask = ("check", "--office", DANDONG, "--at", "2025-03-20", *WORKER_BAGGAGE)
        status, out, err = shared_cli(*ask, "--item", "8516.60", "--known-at", "2001-01-01")
        assert status == 0
        assert "NO_RULE" in out
        assert f"nothing had been recorded for {DANDONG} by 2001-01-01" in err
        assert "--basis reported asks by the sources' publication dates" in err
        _, _, err = shared_cli(
            *ask, "--item", "8516.60", "--known-at", "2001-01-01", "--basis", "reported"
        )
        assert "hint" not in err
        _, _, err = shared_cli("history", "--office", DANDONG, "--known-at", "2999-01-01")
        assert "hint" not in err  # after everything recorded
        status, out, err = shared_cli(
            "history", "--office", DANDONG, "--known-at", "2001-01-01", "--json"
        )
        assert (status, json.loads(out), err) == (0, [], "")  # scripts get the answer only
        _, _, err = shared_cli(
            "compare",
            "--office",
            DANDONG,
            "--office",
            HUNCHUN,
            "--at",
            "2025-03-20",
            *WORKER_BAGGAGE,
            "--item",
            "8516.60",
            "--known-at",
            "2001-01-01T00:00:00Z",
        )
        assert f"nothing had been recorded for {DANDONG}, {HUNCHUN} by 2001-01" in err

    def test_compare_lists_the_uncertain_and_the_unknown_after_the_ranked(
        self, shared_cli: Cli
    ) -> None:
        ask = ("compare", *WORKER_BAGGAGE, "--item", "electronics:1")
        offices = ("--office", HUNCHUN, "--office", DANDONG, "--office", CHANGBAI)
        out = _ok(shared_cli(*ask, *offices, "--at", "2025-03-20"))
        title = " ".join(" ".join(out.split("┏")[0].split()).split())
        assert title == (
            "outbound personal-baggage worker on 2025-03-20: least restrictive first; offices "
            "whose answer is unknown or uncertain are listed after, unranked"
        )
        rows = [row[:4] for row in _cells(out)]
        assert rows[0][1:] == [DANDONG, "electronics x1", "PROHIBITED"]
        assert rows[0][0].isdigit()
        assert rows[1][:2] == ["", "unknown — no rule recorded, not ranked"]
        assert [row[:2] for row in rows[2:]] == [["-", CHANGBAI], ["-", HUNCHUN]]

        out = _ok(shared_cli(*ask, *offices, "--at", "2025-03-05", env=NARROW))
        _fits(out)
        flat = " ".join(" ".join(line.replace("│", " ").split()) for line in out.splitlines())
        assert "uncertain — not ranked" in flat
        assert flat.index(f"- {DANDONG}") < flat.index("unknown — no") < flat.index(f"- {CHANGBAI}")


class TestWatchAndOffices:
    def test_watch_filters_by_office_and_type_and_its_json_is_the_domains(
        self, shared_cli: Cli
    ) -> None:
        out = _ok(
            shared_cli(
                *("watch", "--office", HUNCHUN, "--office", CHANGBAI, "--type", "loosened"),
                *("--type", "PolicyTightened", "--count", "2", "--json"),
            )
        )
        events = [json.loads(line) for line in out.splitlines()]
        assert [(e["office"], e["type"]) for e in events] == [
            (HUNCHUN, "PolicyLoosened"),
            (CHANGBAI, "PolicyLoosened"),
        ]
        for event in events:
            assert not BOOKKEEPING & set(event["event"])
            assert event["event"]["measure"]["inspection"] == "light"
            assert event["event"]["scope"]["traveller"] == "trader"
        status, _, err = shared_cli("watch", "--type", "tighten", "--count", "1")
        assert status == 2
        assert "tightened (PolicyTightened)" in err and "retracted (ChangeRetracted)" in err

    def test_an_empty_ledger_says_how_to_begin(self, tmp_path: Path) -> None:
        running = start_server(tmp_path, example=False)
        try:
            out = _ok(run_cli(running.address, "offices"))
        finally:
            running.stop()
        assert out.startswith("no offices registered yet — register one with `ledger register")
        assert "ledger import examples/dandong-2025.jsonl" in out
