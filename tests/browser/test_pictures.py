"""The report and a timeline page of the example ledger, opened in headless Chromium with the
network cut off: they load, draw, and show what the seed story needs to show."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger_client import LedgerClient
from tests.browser.support import SCREENSHOTS, open_page
from tests.e2e.support import RunningServer, run_cli, serving_example

OFFICES = ("CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving_example(tmp_path_factory.mktemp("pictures")) as running:
        yield running


@pytest.fixture(scope="module")
def ban(server: RunningServer) -> str:
    """The id of Dandong's early-March ban on workers' electronics."""
    with LedgerClient(server.address) as client:
        office = client.timeline("CN-DANDONG").offices[0]
    (tightened,) = [change for change in office.changes if change.kind == "tightened"]
    return str(tightened.change_id)


def test_the_report_opens_offline_with_every_office_and_the_ban(
    server: RunningServer, ban: str, tmp_path: Path
) -> None:
    page = tmp_path / "report.html"
    status, out, err = run_cli(server.address, "report", "--out", str(page), "--json", timeout=120)
    assert status == 0, err
    made = json.loads(out)

    shown = open_page(page, "report.png")

    assert shown["blocked"] == [], "the report asked the network for something"
    assert shown["errors"] == []
    for office in OFFICES:
        assert any(office in heading for heading in shown["headings"]), office
    charts = {chart["id"]: chart for chart in shown["charts"]}
    assert set(charts) == {f"chart-{office}" for office in OFFICES}
    assert all(chart["svg"] for chart in charts.values())
    marks = charts["chart-CN-DANDONG"]["marks"]
    assert any("kind: tightened" in mark and f"change: {ban[:8]}" in mark for mark in marks)
    # The digest it was made at, in words a reader can check with the audit.
    assert made["digest"] in shown["text"]
    assert f"--expect-digest {made['position']}:{made['digest']}" in shown["text"]
    assert "retracted" in shown["text"]  # Changbai's clerical retraction, marked
    assert (SCREENSHOTS / "report.png").stat().st_size > 10_000


def test_a_timeline_page_explains_a_marker_on_hover(
    server: RunningServer, ban: str, tmp_path: Path
) -> None:
    page = tmp_path / "dandong.html"
    status, _, err = run_cli(
        server.address, "timeline", "--office", "CN-DANDONG", "--out", str(page), timeout=120
    )
    assert status == 0, err

    shown = open_page(
        page, "timeline-hover.png", wait="document.querySelector('svg')", hover="kind: tightened"
    )

    assert shown["blocked"] == []
    assert shown["errors"] == []
    tooltip = " ".join(shown["tooltip"].split())
    assert ban[:8] in tooltip
    assert "prohibited; thorough inspection; confiscation" in tooltip  # the measure
    assert "Daily NK 2025-03-19 B2" in tooltip  # its source, with its grade
    assert "2025-03-01..2025-03-10" in tooltip  # the window it took effect in
