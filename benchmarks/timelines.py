"""m. Timelines: ``GetTimeline`` of the longest office of the biggest ledger against a
``GetHistory`` of the same office, and ``ledger timeline`` drawing the example ledger to PNG.

Both RPCs go through the raw stub on one server on a copy of the biggest ledger, alternately,
after one untimed call of each (the office read into the server's caches and the page cache
warm); each figure is the median of the timed rounds. The drawing is a whole process, from
spawn to exit, against a server on the example ledger (in memory), next to ``ledger offices``
against the same server: what any command pays to start and ask.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from benchmarks.cli_startup import timed
from benchmarks.context import Context
from benchmarks.plan import ROOT
from benchmarks.results import Figure, Group, Target, WrongAnswer, seconds
from benchmarks.server import Server, open_stub
from ledger_api.ledger.v1 import ledger_pb2 as pb

__all__ = ["measure"]

TARGET = 2.0
_ROUNDS = 3  # each call of the longest office takes 20-30 s: three are steady enough
_PNG_RUNS = 5
_CHANGES = ("PolicyObserved", "PolicyTightened", "PolicyLoosened")
_EXAMPLE = ROOT / "examples" / "dandong-2025.jsonl"


def _history(stub: object, office: str) -> tuple[float, int]:
    """Seconds to stream the office's whole history; how many changes it records."""
    started = time.perf_counter()
    changes = 0
    request = pb.GetHistoryRequest(office=office, batch_size=10_000)
    for reply in stub.GetHistory(request, timeout=600):  # type: ignore[attr-defined]
        changes += sum(1 for event in reply.events if event.type in _CHANGES)
    return time.perf_counter() - started, changes


def _timeline(stub: object, office: str) -> tuple[float, int, int, int]:
    """Seconds to stream the office's timeline; its changes, bands and intervals."""
    started = time.perf_counter()
    changes = bands = intervals = 0
    request = pb.GetTimelineRequest(offices=[office])
    for reply in stub.GetTimeline(request, timeout=600):  # type: ignore[attr-defined]
        changes += len(reply.changes)
        bands += len(reply.bands)
        intervals += sum(len(band.intervals) for band in reply.bands)
    return time.perf_counter() - started, changes, bands, intervals


def _rpc_figure(context: Context, group: Group) -> None:
    ledger = context.big_ledger
    office = ledger.longest.code
    path = context.copy(ledger)
    step = context.steps.step(f"m. GetTimeline and GetHistory of {office} on {ledger.label}")
    with step, Server(path, context.folder / "server-timelines.log") as server:
        channel, stub = open_stub(server.address)
        with channel:
            _, recorded = _history(stub, office)  # untimed: warms both
            _timeline(stub, office)
            histories, timelines = [], []
            for _ in range(_ROUNDS):
                histories.append(_history(stub, office)[0])
                spent, changes, bands, intervals = _timeline(stub, office)
                timelines.append(spent)
        server.check_alive()
    if changes != recorded:
        raise WrongAnswer(
            f"the timeline of {office} has {changes:,} changes, its history {recorded:,}"
        )
    history, timeline = statistics.median(histories), statistics.median(timelines)
    group.figures.append(
        Figure(
            f"GetTimeline / GetHistory of the longest office ({ledger.longest.events:,} events)",
            f"{seconds(timeline)} ({bands:,} bands, {intervals:,} intervals)",
            f"{seconds(history)}",
            timeline / history,
            Target("<=", TARGET),
        )
    )
    group.notes.append(
        f"{office}, the longest office of the {ledger.label} ledger ({ledger.longest.events:,} "
        f"events, {changes:,} changes): `GetTimeline(offices=[{office}])` (every scope and "
        "dimension, from the first rule on, as known now) against `GetHistory(office, "
        f"batch_size=10000)` (every event with its JSON), both drained through the raw stub; "
        f"the median of {_ROUNDS} alternating rounds after one untimed call of each. The "
        "timeline's changes are checked against the history's."
    )


def _png_figure(context: Context, group: Group) -> None:
    ledger_cli = str(Path(sys.executable).with_name("ledger"))
    out = context.folder / "example-timeline.png"
    step = context.steps.step("m. `ledger timeline` of the example ledger to PNG")
    with step, _example_server(context) as address:
        offices = [
            word
            for code in ("CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI")
            for word in ("--office", code)
        ]
        draw = [ledger_cli, "timeline", "--server", address, *offices, "--out", str(out)]
        ask = [ledger_cli, "offices", "--server", address]
        timed(draw, ROOT)  # untimed: the page cache
        drawing, asking = [], []
        for _ in range(_PNG_RUNS):
            drawing.append(timed(draw, ROOT)[0])
            asking.append(timed(ask, ROOT)[0])
    if out.read_bytes()[:4] != b"\x89PNG":
        raise WrongAnswer(f"`ledger timeline --out {out.name}` did not write a PNG")
    drew, asked = statistics.median(drawing), statistics.median(asking)
    group.figures.append(
        Figure(
            "`ledger timeline` of the example to PNG, fresh process",
            f"{seconds(drew)} p50 ({out.stat().st_size // 1024:,} KiB)",
            f"{seconds(asked)} p50 (`ledger offices`)",
            drew / asked,
        )
    )
    group.notes.append(
        "The PNG figure is reported, not held to a target: `ledger timeline` of the example "
        "ledger's three offices (10 bands) to a PNG at twice the pixel density, a whole process "
        f"timed from spawn to exit, the median of {_PNG_RUNS} runs; beside it `ledger offices` "
        "against the same server, alternately. The difference is importing Altair and "
        "vl-convert and rendering (vl-convert starts its JavaScript engine in the process)."
    )


@contextmanager
def _example_server(context: Context) -> Iterator[str]:
    """``ledger serve`` on the example ledger, in memory, on a free port: its address."""
    env = {**os.environ, "LEDGER_DATABASE_URL": "memory://", "LEDGER_LISTEN": "127.0.0.1:0"}
    with (context.folder / "server-example.log").open("w") as log:
        process = subprocess.Popen(
            [str(Path(sys.executable).with_name("ledger")), "serve", "--example", str(_EXAMPLE)],
            env=env,
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
        try:
            assert process.stdout is not None
            for line in process.stdout:
                if line.startswith("ledger serving on "):
                    yield line.removeprefix("ledger serving on ").strip()
                    break
            else:
                raise RuntimeError("the example server did not start")
        finally:
            process.terminate()
            process.wait(timeout=30)


def measure(context: Context) -> Group:
    group = Group("m", f"Timelines ({context.big_ledger.label})")
    _rpc_figure(context, group)
    _png_figure(context, group)
    return group
