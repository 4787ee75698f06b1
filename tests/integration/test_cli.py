"""The ``ledger`` command line on a real SQLite file, read through ``--json``."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from ledger.cli import app

EXAMPLE = Path(__file__).parents[2] / "examples" / "dandong-2025.jsonl"
WORKER = [
    "--office", "CN-DANDONG", "--direction", "outbound",
    "--channel", "personal-baggage", "--traveller", "worker",
]  # fmt: skip


@pytest.fixture
def run(sqlite_url: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    monkeypatch.setenv("LEDGER_DATABASE_URL", sqlite_url)
    runner = CliRunner()

    def invoke(*args: str) -> Any:
        return runner.invoke(app, list(args))

    return invoke


def output(result: Any) -> Any:
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


class TestCommandLine:
    def test_import_then_check_tells_the_seed_story(self, run: Any) -> None:
        receipts = output(run("import", str(EXAMPLE), "--json"))
        assert len(receipts) == 9
        answer = output(
            run("check", *WORKER, "--at", "2025-03-20", "--item", "8516.60:1", "--json")
        )
        (item,) = answer["items"]
        assert (item["verdict"], item["enforcement"]) == ("PROHIBITED", "confiscation")
        reported = output(
            run(
                "check",
                *WORKER,
                "--at",
                "2025-03-20",
                "--item",
                "8516.60:1",
                "--known-at",
                "2025-03-15",
                "--basis",
                "reported",
                "--json",
            )
        )
        assert reported["items"][0]["verdict"] == "ALLOWED"

    def test_reimporting_stores_nothing_new(self, run: Any) -> None:
        run("import", str(EXAMPLE))
        again = run("import", str(EXAMPLE))
        assert again.exit_code == 0
        assert "0 new events stored" in again.stdout

    def test_a_bad_file_is_refused_with_its_line_numbers(self, run: Any, tmp_path: Path) -> None:
        bad = tmp_path / "bad.jsonl"
        lines = EXAMPLE.read_text().splitlines()
        bad.write_text(
            "\n".join([*lines[:3], "{oops", lines[4].replace("2025-03-01", "2025-02-30")])
        )
        result = run("import", str(bad))
        assert result.exit_code == 2
        assert "line 4" in result.stderr
        assert "line 5" in result.stderr
        assert output(run("offices", "--json")) == []

    def test_bad_check_input_is_an_error_naming_the_field(self, run: Any) -> None:
        run("import", str(EXAMPLE))
        result = run("check", *WORKER, "--at", "2025-03-20", "--item", "8516.60:-1")
        assert result.exit_code == 2
        assert "quantity" in result.stderr

    def test_compare_state_and_history_answer_in_json(self, run: Any) -> None:
        run("import", str(EXAMPLE))
        ranking = output(
            run(
                "compare",
                "--office",
                "CN-DANDONG",
                "--office",
                "CN-HUNCHUN",
                "--at",
                "2025-04-28",
                "--direction",
                "outbound",
                "--channel",
                "cargo-road",
                "--traveller",
                "trader",
                "--item",
                "electronics",
                "--json",
            )
        )
        assert [entry["office"] for entry in ranking["offices"]] == ["CN-HUNCHUN", "CN-DANDONG"]
        state = output(run("state", "--office", "CN-DANDONG", "--at", "2025-03-05", "--json"))
        assert any(scope["uncertain"] for scope in state["scopes"])
        history = output(run("history", "--office", "CN-DANDONG", "--json"))
        assert history[0]["type"] == "OfficeRegistered"
