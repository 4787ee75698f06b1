"""A logged decision edited on disk is caught: by the store audit, by the remote audit's
verifier of the decision chain, and by its replay (the ledger no longer gives the answer
logged)."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest

from ledger_client import LedgerClient
from tests.e2e.decision_support import (
    Logged,
    Question,
    baseline,
    json_of,
    substance,
    verdicts,
    words,
)
from tests.e2e.support import (
    run_cli,
    start_server,
)


@pytest.fixture(scope="module", params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The module's shared server is on SQLite: the backends differ only in the watch."""
    return str(request.param)


# -- 7. a decision edited on disk ------------------------------------------------------------


def edit_logged_verdict(database_url: str, sequence: int) -> str:
    """Change the first item's verdict in one stored decision's answer, with the server
    stopped (written back as canonical JSON: only the verdict differs); the verdict now."""
    connection = sqlite3.connect(Path(database_url.removeprefix("sqlite:///")))
    try:
        with connection:
            (text,) = connection.execute(
                "SELECT answer FROM decisions WHERE sequence=?", (sequence,)
            ).fetchone()
            answer = json.loads(text)
            item = answer["items"][0]
            item["verdict"] = "prohibited" if item["verdict"] != "prohibited" else "allowed"
            edited = json.dumps(answer, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
            assert edited != text and len(edited) - len(text) in (-3, 3), "one verdict changed"
            connection.execute("UPDATE decisions SET answer=? WHERE sequence=?", (edited, sequence))
    finally:
        connection.close()
    return str(item["verdict"])


class TestTampering:
    def test_an_answer_edited_on_disk_fails_both_audits_and_its_replay(
        self, tmp_path: Path
    ) -> None:
        server = start_server(tmp_path / "server")
        try:
            with LedgerClient(server.address) as client:
                office = baseline(client)
                logged = Logged()
                kept = logged.log(client, Question((office,), "2025-06-10"))
                edited = logged.log(client, Question((office,), "2025-06-11"))
                after = logged.log(
                    client, Question((office, "CN-DANDONG"), "2025-06-10", comparison=True)
                )
                assert client.verify_decisions().ok
                sequences = [client.get_decision(d).sequence for d in (kept, edited, after)]
                assert verdicts(client.get_decision(edited).answer) == ["ALLOWED"]
            status, out, err = run_cli(server.address, "audit", "--remote")
            assert status == 0, (out, err)
            assert "decisions: 3 verified" in words(out)
        finally:
            assert server.stop() == 0

        store = {"LEDGER_DATABASE_URL": server.database_url}
        assert json_of(run_cli(server.address, "audit", "--store", "--json", env=store))["ok"]
        assert edit_logged_verdict(server.database_url, sequences[1]) == "prohibited"

        status, out, err = run_cli(server.address, "audit", "--store", env=store)
        assert status == 5, (out, err)
        assert f"decision {sequences[1]} ({edited})" in words(out)
        assert "changed after it was logged" in words(out)
        assert kept not in out

        again = start_server(tmp_path / "server", database_url=server.database_url)
        try:
            status, out, err = run_cli(again.address, "audit", "--remote")
            assert status == 5, (out, err)
            text = words(out)
            assert "decisions: broken" in text
            assert f"decision {sequences[1]}: its stored hash is" in text
            assert "altered after it was logged" in text
            report = json_of(run_cli(again.address, "audit", "--remote", "--json"), 5)
            problems = report["decisions"]["problems"]
            assert problems[0].startswith(f"decision {sequences[1]}: ")
            assert not any(p.startswith(f"decision {sequences[0]}:") for p in problems)

            with LedgerClient(again.address) as client:
                broken = client.replay_decision(edited)
                assert broken.matches is False
                assert verdicts(broken.decision.answer) == ["PROHIBITED"]  # as edited
                assert verdicts(broken.then) == verdicts(broken.now) == ["ALLOWED"]
                assert client.replay_decision(kept).matches
                assert client.replay_decision(after).matches
            status, out, err = run_cli(again.address, "decisions", "replay", edited)
            assert status == 5, (out, err)
            assert "the log does not match" in words(out)
            assert edited in words(err)
        finally:
            again.stop()

    def test_a_replay_of_an_edited_answer_says_the_answer_now_is_not_the_logged_one(
        self, tmp_path: Path
    ) -> None:
        server = start_server(tmp_path / "server")
        try:
            with LedgerClient(server.address) as client:
                edited = Logged().log(client, Question(("CN-DANDONG",), "2025-02-20"))
                sequence = client.get_decision(edited).sequence
        finally:
            assert server.stop() == 0
        edit_logged_verdict(server.database_url, sequence)
        again = start_server(tmp_path / "server", database_url=server.database_url)
        try:
            with LedgerClient(again.address) as client:
                replayed = client.replay_decision(edited)
            assert substance(replayed.now) != substance(replayed.decision.answer)
            status, out, err = run_cli(again.address, "decisions", "replay", edited)
            assert status == 5, (out, err)
            assert "now: unchanged" not in words(out)
            assert replayed.changed is True
        finally:
            again.stop()
