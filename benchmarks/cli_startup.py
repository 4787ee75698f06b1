"""k. CLI start-up: ``ledger check`` against a running server, next to a bare script.

Baseline: a Python script that makes the same Check with the generated stub and prints the
verdicts (``import grpc``, the stubs, one call): what any client pays to start Python, load
gRPC and ask. Project: the ``ledger check`` console script with the same question, drawing its
table. Both are whole processes, started one after the other, alternately, on the server of a
(the same server ledger), and timed from spawn to exit.

The project's modules are compiled to bytecode first (``compileall``), as ``pip install``
does: with ``PYTHONDONTWRITEBYTECODE`` set (as on this machine), an editable checkout would
otherwise recompile its modules at every start, and the baseline, whose modules are installed
packages, would not.
"""

from __future__ import annotations

import compileall
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.context import Context
from benchmarks.plan import ROOT
from benchmarks.results import Figure, Group, Target, seconds
from benchmarks.server import Server
from benchmarks.timing import Latency

__all__ = ["measure", "timed"]

_BARE = """\
import sys
import grpc
from ledger_api.ledger.v1 import ledger_pb2 as pb, ledger_pb2_grpc

address, office, at, direction, channel, traveller, goods, quantity = sys.argv[1:]
with grpc.insecure_channel(address) as channel_:
    stub = ledger_pb2_grpc.PolicyLedgerStub(channel_)
    request = pb.CheckRequest(
        office=office,
        at=at,
        direction=pb.Direction.Value("DIRECTION_" + direction.upper().replace("-", "_")),
        channel=pb.Channel.Value("CHANNEL_" + channel.upper().replace("-", "_")),
        traveller=pb.Traveller.Value("TRAVELLER_" + traveller.upper().replace("-", "_")),
        items=[pb.CheckItem(goods=goods, quantity=int(quantity))],
    )
    reply = stub.Check(request, timeout=60)
    print(" ".join(pb.Verdict.Name(item.verdict) for item in reply.items))
"""


def timed(command: list[str], cwd: Path) -> tuple[float, str]:
    started = time.perf_counter()
    ran = subprocess.run(command, capture_output=True, text=True, timeout=120, cwd=cwd)
    took = time.perf_counter() - started
    if ran.returncode != 0:
        raise RuntimeError(f"{command[0]} failed: {ran.stderr}")
    return took, ran.stdout


def measure(context: Context, server: Server) -> Group:
    plan, ledger = context.plan, context.server_ledger
    group = Group("k", "CLI start-up: `ledger check` against a bare stub script")
    question = ledger.questions(1, "cli")[0]
    for folder in (ROOT / "ledger", ROOT / "clients" / "python"):
        compileall.compile_dir(folder, quiet=1)
    script = context.folder / "bare_check.py"
    script.write_text(_BARE)
    asked = [
        question.office,
        question.at.isoformat(),
        question.direction,
        question.channel,
        question.traveller,
        question.goods,
        str(question.quantity),
    ]
    bare = [sys.executable, str(script), server.address, *asked]
    ledger_cli = [
        str(Path(sys.executable).with_name("ledger")),
        "check",
        *("--server", server.address, "--office", question.office),
        *("--at", asked[1], "--direction", question.direction, "--channel", question.channel),
        *("--traveller", question.traveller, "--item", f"{question.goods}:{question.quantity}"),
    ]
    runs = plan.cli_runs
    bares, clis = [], []
    with context.steps.step("k. ledger check and a bare script, alternately", runs) as advance:
        timed(bare, context.folder)  # warm the file cache for both
        _, table = timed(ledger_cli, context.folder)
        _, verdicts = timed(bare, context.folder)
        expected = verdicts.split()[0].removeprefix("VERDICT_")
        if expected not in table:
            raise RuntimeError(
                f"ledger check answered otherwise than the stub ({expected}):\n{table}"
            )
        for _ in range(runs):
            bares.append(timed(bare, context.folder)[0])
            clis.append(timed(ledger_cli, context.folder)[0])
            advance(1)
    bare_time, cli_time = Latency.of(bares), Latency.of(clis)
    group.figures = [
        Figure(
            "`ledger check` / bare stub script, wall time p50",
            f"{seconds(cli_time.p50)} p50",
            f"{seconds(bare_time.p50)} p50",
            cli_time.p50 / bare_time.p50,
            Target("<=", 1.5),
        ),
        Figure(
            "the same, fastest of each",
            seconds(min(clis)),
            seconds(min(bares)),
            min(clis) / min(bares),
        ),
    ]
    group.notes = [
        f"{runs} runs of each, alternately, as whole processes (spawn to exit), against the "
        f"server of a on the {ledger.label} ledger: one Check of one item.",
        "Baseline: a script importing grpc and the generated stubs, making the same Check and "
        "printing the verdicts. Project: the `ledger` console script, which also loads typer "
        "(click) and rich and draws the answer as a table; it loads no server code and no "
        "pydantic (the reply is drawn from plain data).",
        "Both use the project's modules compiled to bytecode first, as `pip install` leaves "
        "them (this machine sets PYTHONDONTWRITEBYTECODE).",
    ]
    return group
