"""The consequences story (issue 14), end to end through the client and the CLI against a real
``ledger serve`` whose date is a file the test moves.

A shipper is told on 15 March that a worker's rice cooker may leave Dandong (a logged decision,
on the recorded basis); the early-March ban is recorded afterwards. The impact of that event
lists the decision (ALLOWED → PROHIBITED: 15 March is after the ban's window), the watch of
impacts sends it as it is recorded, and a replay shows ALLOWED as known then and PROHIBITED as
known now. A loosening recorded in advance is listed by ``ledger upcoming`` and announced by
the effective watch when the server's date reaches it.
"""

from __future__ import annotations

import json
import os
import queue
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import pytest

from ledger_client import LedgerClient
from tests.e2e.support import RunningServer, Watching, run_cli, source, start_server

WAIT = 20.0
DANDONG = "CN-DANDONG"
WORKER = {
    "direction": "outbound",
    "channel": "personal-baggage",
    "traveller": "worker",
    "goods": "electronics",
}
RICE_COOKER = ["--direction", "outbound", "--channel", "personal-baggage", "--traveller", "worker"]


@pytest.fixture
def story(tmp_path: Path) -> Iterator[tuple[RunningServer, Path]]:
    clock = tmp_path / "today"
    clock.write_text("2025-03-14\n")
    server = start_server(tmp_path, example=False, env={"LEDGER_TODAY_FILE": str(clock)})
    try:
        yield server, clock
    finally:
        server.stop()


def _move(clock: Path, day: str) -> None:
    written = clock.with_suffix(".new")
    written.write_text(day + "\n")
    os.replace(written, clock)


def test_a_back_dated_ban_changes_an_answer_logged_before_it(
    story: tuple[RunningServer, Path],
) -> None:
    server, clock = story

    def cli(*args: str) -> Any:
        status, out, err = run_cli(server.address, *args, "--json")
        assert status == 0, err
        return json.loads(out)

    with LedgerClient(server.address, timeout=10) as client:
        client.register_office(DANDONG, "Dandong Customs")
        client.record(
            "observed",
            DANDONG,
            scope=WORKER,
            measure={"admissibility": {"kind": "quantity-limit", "quantity": 2}},
            effective={"on": "2024-01-01", "precision": "year"},
            sources=[source("2024-06-15")],
        )
        start = client.get_digest().position
        impacts = Watching(
            server.address, lambda own: own.watch_impacts(start, offices=[DANDONG], timeout=60)
        )

        # 15 March: the shipper asks, and the answer is logged.
        asked = cli(
            "check", "--office", DANDONG, "--at", "2025-03-15", *RICE_COOKER,
            "--item", "8516.60:1", "--log", "--label", "shipper-0315",
        )  # fmt: skip
        assert [item["verdict"] for item in asked["items"]] == ["ALLOWED"]
        decision_id = asked["decision_id"]

        # The ban, reported on the 19th, back-dated to early March.
        ban = client.record(
            "tightened",
            DANDONG,
            scope=WORKER,
            measure={"admissibility": {"kind": "prohibited"}, "inspection": "thorough"},
            effective={"on": "2025-03-01", "precision": "early-month"},
            sources=[source("2025-03-19")],
        )

        # Its impact: the logged decision, ALLOWED → PROHIBITED (15 March is past the window).
        impact = cli("impact", str(ban.position))
        changed = {entry["decision_id"]: entry for entry in impact["impacts"]}
        assert list(changed) == [decision_id]
        before, after = changed[decision_id]["before"], changed[decision_id]["after"]
        assert before["check"]["items"][0]["verdict"] == "ALLOWED"
        assert after["check"]["items"][0]["verdict"] == "PROHIBITED"
        assert client.impact(ban.position).impacts[0].decision_id == UUID(decision_id)

        # The watch of impacts sent it as it was recorded.
        [sent] = impacts.next(1, WAIT)
        impacts.close()
        assert str(sent.decision_id) == decision_id
        assert sent.position == ban.position

        # Replayed: ALLOWED as known then (the log holds), PROHIBITED as known now.
        replay = cli("decisions", "replay", decision_id)
        assert replay["matches"] is True
        assert replay["changed"] is True
        assert replay["then"]["check"]["items"][0]["verdict"] == "ALLOWED"
        assert replay["now"]["check"]["items"][0]["verdict"] == "PROHIBITED"
        shown = client.get_decision(decision_id)
        assert (shown.label, shown.position) == ("shipper-0315", ban.position - 1)

        # A day inside the ban's window would now be UNCERTAIN: both candidates are shown.
        inside = client.check(
            DANDONG,
            "2025-03-05",
            direction="outbound",
            channel="personal-baggage",
            traveller="worker",
            items=[{"goods": "8516.60"}],
        )
        assert [item.verdict for item in inside.items] == ["UNCERTAIN"]

        # A loosening recorded in advance: listed as upcoming, announced when the date comes.
        loosening = client.record(
            "loosened",
            DANDONG,
            scope=WORKER,
            measure={"admissibility": {"kind": "quantity-limit", "quantity": 1}},
            effective={"on": "2025-04-01", "precision": "day"},
            sources=[source("2025-03-14")],
        )
        upcoming = cli(
            "upcoming", "--from", "2025-03-14", "--to", "2025-04-30", "--office", DANDONG
        )
        listed = {(edge["change_id"], edge["on"]) for edge in upcoming}
        assert (str(loosening.change_id), "2025-04-01") in listed
        notices = Watching(server.address, lambda own: own.watch_effective([DANDONG], timeout=60))
        with pytest.raises(queue.Empty):
            notices.arrived.get(timeout=1.5)  # nothing yet: the server's date is 14 March
        _move(clock, "2025-04-01")
        [notice] = notices.next(1, WAIT)
        notices.close()
        assert (notice.edge.change_id, notice.edge.on.isoformat()) == (
            loosening.change_id,
            "2025-04-01",
        )
        assert notice.late is False
