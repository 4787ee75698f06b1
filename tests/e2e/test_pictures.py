"""Timelines drawn: the chart's specification for the example ledger (bands, uncertain
windows, markers), and `ledger timeline` writing SVG, PNG, PDF and HTML offline."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from ledger.cli import chart
from ledger_client import LedgerClient
from ledger_client.timelines import Timeline
from tests.conftest import IN_CI
from tests.e2e.support import REPO, RunningServer, new_office, run_cli, serving_example, source

WORKER = "outbound personal-baggage worker electronics"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with serving_example(tmp_path_factory.mktemp("pictures")) as running:
        yield running


@pytest.fixture(scope="module")
def example(server: RunningServer) -> Timeline:
    with LedgerClient(server.address) as client:
        return client.timeline(["CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"])


def _data(spec: Any) -> list[dict[str, Any]]:
    """Every row of data the specification holds, wherever it holds it."""
    if isinstance(spec, list):
        return [row for part in spec for row in _data(part)]
    if not isinstance(spec, dict):
        return []
    rows = list(spec["values"]) if isinstance(spec.get("values"), list) else []
    return rows + [row for key, part in spec.items() if key != "values" for row in _data(part)]


class TestTheExampleChart:
    def test_one_band_per_scope_and_dimension(self, example: Timeline) -> None:
        drawn = chart.rows(example)
        dandong = [band for band in drawn.bands if band.startswith("CN-DANDONG · ")]
        assert f"CN-DANDONG · {WORKER}: admissibility" in dandong
        assert f"CN-DANDONG · {WORKER}: enforcement" in dandong
        assert len(dandong) == len(set(dandong)) == 5
        # Changbai's retracted rule keeps its band, to show the retraction.
        assert "CN-CHANGBAI · outbound cargo-rail any all: inspection" in drawn.bands

    def test_the_early_march_window_is_uncertain_and_drawn_as_the_ban(
        self, example: Timeline
    ) -> None:
        drawn = chart.rows(example)
        admissibility = [
            row
            for row in drawn.intervals
            if row["office"] == "CN-DANDONG" and row["band"] == f"{WORKER}: admissibility"
        ]
        by_start = {row["from"]: row for row in admissibility}
        window = by_start["2025-03-01"]
        assert window["uncertain"] is True
        assert (window["to"], window["level"], window["before"]) == (
            "2025-03-09",
            "prohibited",
            "at most 2",
        )
        assert by_start["2025-03-10"]["uncertain"] is False
        assert by_start["2025-03-10"]["to"] == "onwards"
        assert by_start["2025-03-10"]["strictness"] == 1.0  # prohibited: the strictest
        assert 0 < by_start["2024-12-31"]["strictness"] < 1  # at most 2

    def test_markers_by_kind_and_where_each_change_was_first_reported(
        self, example: Timeline
    ) -> None:
        drawn = chart.rows(example)
        ban = [
            row
            for row in drawn.markers
            if row["office"] == "CN-DANDONG" and row["band"] == f"{WORKER}: admissibility"
        ]
        kinds = {(row["kind"], row["day"]) for row in ban}
        assert ("tightened", "2025-03-01") in kinds
        assert ("reported", "2025-03-19") in kinds
        assert ("observed", "2024-01-01") in kinds
        changbai = {row["kind"] for row in drawn.markers if row["office"] == "CN-CHANGBAI"}
        assert "retracted" in changbai
        lag = [row for row in drawn.lags if row["start"] == "2025-03-01"]
        assert {row["reported"] for row in lag} == {"2025-03-19"}

    def test_the_specification_draws_those_rows(self, example: Timeline) -> None:
        drawn = chart.rows(example)
        spec = chart.chart(drawn, "title", "subtitle")
        panels = spec["vconcat"]
        assert [panel["title"]["text"] for panel in panels] == [
            "CN-DANDONG",
            "CN-HUNCHUN",
            "CN-CHANGBAI",
        ]
        rows = _data(spec)
        assert all(row in rows for row in drawn.intervals + drawn.markers)
        layers = panels[0]["layer"]
        bars = next(layer for layer in layers if layer["mark"]["type"] == "bar")
        assert bars["encoding"]["opacity"]["condition"]["test"] == "datum.uncertain"
        points = next(layer for layer in layers if layer["mark"]["type"] == "point")
        assert points["encoding"]["shape"]["scale"]["domain"] == list(chart.SHAPES)

    def test_a_range_cuts_the_drawing(self, example: Timeline) -> None:
        drawn = chart.rows(example, date(2025, 2, 1), date(2025, 4, 30))
        assert (drawn.first, drawn.last) == (date(2025, 2, 1), date(2025, 4, 30))


@pytest.mark.parametrize(
    ("suffix", "starts"),
    [(".svg", b"<svg"), (".png", b"\x89PNG"), (".pdf", b"%PDF"), (".html", b"<!DOCTYPE html>")],
)
def test_ledger_timeline_writes_each_format(
    server: RunningServer, tmp_path: Path, suffix: str, starts: bytes
) -> None:
    out = tmp_path / f"dandong{suffix}"
    status, printed, err = run_cli(
        server.address,
        "timeline",
        "--office",
        "CN-DANDONG",
        "--goods",
        "8516.60",
        "--channel",
        "personal-baggage",
        "--out",
        str(out),
        "--json",
        timeout=120,
    )
    assert status == 0, err
    assert out.read_bytes()[: len(starts)].lower() == starts.lower()
    summary = json.loads(printed)
    assert summary["bands"] == 3  # the worker's electronics: three dimensions
    if suffix == ".html":  # everything it needs is in the page: no script from elsewhere
        assert b"<script src=" not in out.read_bytes()
    if suffix == ".svg":
        assert b"prohibited" in out.read_bytes()


def test_as_known_before_the_report_the_ban_is_not_drawn(
    server: RunningServer, tmp_path: Path
) -> None:
    out = tmp_path / "before.svg"
    status, _, err = run_cli(
        server.address,
        "timeline",
        "--office",
        "CN-DANDONG",
        "--known-at",
        "2025-03-15",
        "--basis",
        "reported",
        "--out",
        str(out),
        timeout=120,
    )
    assert status == 0, err
    drawing = out.read_text()
    assert "as known at 2025-03-15 (reported)" in drawing
    assert "prohibited" not in drawing


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--out", "x.gif"], ".gif is not one of .svg"),
        (["--out", "x"], "no suffix is not one of"),
        (["--out", "x.svg", "--known-at", "2025-01-01", "--known-at-position", "3"], "give one"),
    ],
)
def test_refusals_say_what_is_accepted(
    server: RunningServer, tmp_path: Path, args: list[str], said: str
) -> None:
    status, _, err = run_cli(server.address, "timeline", "--office", "CN-DANDONG", *args)
    assert status == 2
    assert said in " ".join(err.split())


def test_an_unknown_office_is_named(server: RunningServer, tmp_path: Path) -> None:
    status, _, err = run_cli(
        server.address, "timeline", "--office", "CN-NOWHERE", "--out", str(tmp_path / "x.svg")
    )
    assert status == 3
    assert "CN-NOWHERE" in err


_RENDER = """\
import json, sys
from pathlib import Path
from ledger.cli.chart import drawn_as
spec = json.loads(Path(sys.argv[1]).read_text())
for suffix in (".svg", ".png", ".pdf", ".html"):
    Path(sys.argv[2] + suffix).write_bytes(drawn_as(spec, suffix))
"""


def test_rendering_needs_no_network(example: Timeline, tmp_path: Path) -> None:
    """The example's drawing rendered in a process without a network (its own namespace,
    with no interface up but a loopback that is down): every format is written."""
    if shutil.which("unshare") is None or os.geteuid() != 0:
        if IN_CI:
            pytest.fail("CI runs as root with util-linux's unshare: this test must run there")
        pytest.skip("needs root and unshare(1) to take the network away")
    spec = tmp_path / "spec.json"
    spec.write_text(json.dumps(chart.chart(chart.rows(example), "offline", "")))
    out = tmp_path / "drawn"
    ran = subprocess.run(
        ["unshare", "--net", sys.executable, "-c", _RENDER, str(spec), str(out)],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
    )
    assert ran.returncode == 0, ran.stderr
    assert (tmp_path / "drawn.svg").read_text().startswith("<svg")
    assert (tmp_path / "drawn.png").read_bytes()[:4] == b"\x89PNG"
    assert (tmp_path / "drawn.pdf").read_bytes()[:4] == b"%PDF"
    assert "vegaEmbed" in (tmp_path / "drawn.html").read_text()


def test_text_from_the_ledger_is_shown_not_run_in_the_report(
    server: RunningServer, tmp_path: Path
) -> None:
    """A source's or a note's markup is text on the page, never markup or script."""
    office = new_office()
    hostile = '</script><script>alert("x")</script><b>bold</b>'
    with LedgerClient(server.address) as client:
        client.register_office(office, hostile)
        client.record(
            "observed",
            office,
            scope={"direction": "outbound", "channel": "postal", "goods": "cash"},
            measure={"inspection": "light"},
            effective={"on": "2025-01-01"},
            sources=[source(publisher=hostile, reference=hostile)],
            note=hostile,
        )
    page = tmp_path / "report.html"
    status, _, err = run_cli(
        server.address, "report", "--office", office, "--out", str(page), timeout=120
    )
    assert status == 0, err
    html = page.read_text()
    assert hostile not in html  # nowhere as markup: not in the tables, not in the charts' data
    assert "<b>bold</b>" not in html
    assert "&lt;b&gt;bold&lt;/b&gt;" in html  # shown as the text it is
