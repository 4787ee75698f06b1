"""The run: ledgers first (generated or reused), then every figure group, then the report.

A group that fails (a wrong answer, a server that does not start or dies) is reported as
failed and the run goes on with the others; the exit status is then 1. Targets that do not
hold never change the exit status.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from rich.console import Console

from benchmarks import (
    audit_speed,
    backends,
    backup_copy,
    big_ledger,
    bulk_import,
    check_cost,
    cli_startup,
    decision_log,
    export_stream,
    naive_replay,
    proofs,
    rpc_latency,
    rpc_throughput,
    signing,
    sql_table,
    timelines,
    web,
)
from benchmarks.context import Context
from benchmarks.ledgers import GeneratedLedger, cached_ledger, generate_ledger
from benchmarks.plan import FULL, QUICK, ROOT, Plan
from benchmarks.progress import Steps
from benchmarks.report import machine, print_summary, write_report
from benchmarks.results import Group, seconds
from benchmarks.server import Server
from ledger import collector

__all__ = ["main"]


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="The ledger's benchmark suite: every figure against a same-run baseline.",
    )
    parser.add_argument(
        "--quick", action="store_true", help="small ledgers and few samples (CI: under a minute)"
    )
    parser.add_argument(
        "--only",
        help="the figure groups to measure, e.g. a,c,i (default: every group)",
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write the report (default: BENCHMARKS.md; quick: "
        "var/bench/BENCHMARKS-quick.md)",
    )
    parser.add_argument(
        "--decisions",
        type=_count,
        help="logged decisions in the ledger of l's impact figure (default: 1,000,000; "
        "quick: 20,000), e.g. --quick --only l --decisions 1000000",
    )
    return parser.parse_args(argv)


def _count(text: str) -> int:
    try:
        value = int(text.replace(",", "").replace("_", ""))
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number, at least 1, e.g. 1000000")
    return value


def _ledger(steps: Steps, size: int, seed: int, offices: int | None = None) -> GeneratedLedger:
    found = cached_ledger(size, seed, offices=offices)
    name = f"ledger of {size:,} events" + ("" if offices is None else f" on {offices} office")
    if found is not None:
        steps.note(
            f"[dim]reused[/] the {name} ({found.path.name}, checked in {seconds(found.seconds)})"
        )
        return found
    with steps.step(f"generating the {name}", total=size) as advance:
        made = generate_ledger(size, seed, offices=offices, advance=advance)
    assert made.timings is not None
    steps.note(f"[bold]generated[/] the {name}: {made.timings.describe(size)}")
    return made


def _run_group(steps: Steps, key: str, title: str, measure: Callable[[], Group]) -> Group:
    started = time.perf_counter()
    try:
        group = measure()
    except Exception as error:  # reported, and the run goes on with the other groups
        steps.note(f"[red]{key}. {title} failed:[/] {error}")
        steps.note(traceback.format_exc())
        group = Group(key, title, error=f"{type(error).__name__}: {error}")
    group.seconds = time.perf_counter() - started
    headline = next((f for f in group.figures if f.target is not None), None)
    if headline is not None:
        holds = "[green]holds" if headline.holds else "[red]does not hold"
        steps.note(
            f"{group.heading}: {headline.name} = {headline.ratio_text} "
            f"(target {headline.target_text}: {holds}[/]) [dim]{seconds(group.seconds)}"
        )
    elif group.skipped:
        steps.note(f"{group.heading}: [dim]{group.skipped}")
    gc.collect()
    return group


def _server_groups(context: Context) -> list[Group]:
    """a, b, g, k and l share one server on the server ledger."""
    measures: dict[str, tuple[str, Callable[[Context, Server], Group]]] = {
        "a": ("Check RPC, sequential", rpc_latency.measure),
        "b": ("Check RPC, 64 calls in flight", rpc_throughput.measure),
        "g": ("Export stream over gRPC", export_stream.measure),
        "k": ("CLI start-up", cli_startup.measure),
        "l": ("Decision log", decision_log.measure),
    }
    measures = {key: value for key, value in measures.items() if context.wanted(key)}
    if not measures:
        return []
    path = context.copy(context.server_ledger)
    server = Server(path, context.folder / "server.log")
    try:
        with context.steps.step(f"starting a server on {path.name}"):
            server.start()
    except Exception as error:  # every group on this server fails, the others still run
        message = f"{type(error).__name__}: {error}"
        context.steps.note(f"[red]the server did not start:[/] {message}")
        return [Group(key, title, error=message) for key, (title, _) in measures.items()]
    with server:
        return [
            _run_group(context.steps, key, title, lambda measure=measure: measure(context, server))
            for key, (title, measure) in measures.items()
        ]


def _groups(context: Context) -> list[Group]:
    steps = context.steps
    groups = _server_groups(context)
    plain: list[tuple[str, str, Callable[[Context], Group]]] = [
        ("c", "Check cost against history length", check_cost.measure),
        ("d", "Naive event-sourced check", naive_replay.measure),
        ("e", "Hand-written SQLite valid-time table", sql_table.measure),
        ("f", "Store audit replay against a raw read", audit_speed.measure),
        ("h", "Bulk import into SQLite", bulk_import.measure),
        ("i", "Restart and memory on the biggest ledger", big_ledger.measure),
        ("j", "PostgreSQL next to SQLite", backends.measure),
        ("m", "Timelines", timelines.measure),
        ("n", "The same service over HTTP", web.measure),
        ("o", "Merkle proofs against one check", proofs.measure),
        ("p", "Signed checkpoints against plain writes", signing.measure),
        ("q", "Backup against a plain file copy", backup_copy.measure),
    ]
    for key, title, measure in plain:
        if context.wanted(key):
            groups.append(_run_group(steps, key, title, lambda measure=measure: measure(context)))
    return sorted(groups, key=lambda group: group.key)


def _postgres(steps: Steps) -> tuple[str | None, str | None]:
    """The PostgreSQL URL and server version, or None (with a note) when it is not there."""
    url = backends.postgres_url()
    if url is None:
        return None, None
    try:
        return url, backends.postgres_version(url)
    except Exception as error:  # an unreachable server is a failed group j, not a crash here
        steps.note(f"[red]PostgreSQL at the configured URL does not answer:[/] {error}")
        return url, None


def main(argv: list[str] | None = None) -> int:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    plan: Plan = (QUICK if args.quick else FULL).with_out(args.out).with_decisions(args.decisions)
    command = " ".join(["python -m benchmarks", *(sys.argv[1:] if argv is None else argv)])
    console = Console()
    if not console.is_terminal:  # CI logs: wide enough for the summary table
        console = Console(width=120)
    # The ledgers written and read in this process are held as a server holds its own.
    collector.settle()
    started_at, started = datetime.now(UTC), time.perf_counter()
    console.rule(f"[bold]ledger benchmarks, {plan.name} run")
    with tempfile.TemporaryDirectory(prefix="ledger-bench-") as scratch, Steps(console) as steps:
        postgres_url, postgres_version = _postgres(steps)
        ledgers = {size: _ledger(steps, size, plan.seed) for size in plan.sizes}
        naive = _ledger(steps, plan.naive_events, plan.seed, offices=1)
        only = frozenset(args.only.split(",")) if args.only else None
        context = Context(plan, Path(scratch), steps, ledgers, naive, postgres_url, only)
        groups = _groups(context)
    wall = time.perf_counter() - started
    host = machine(postgres_version)
    write_report(
        plan.out, plan, command, started_at, wall, host, [*ledgers.values(), naive], groups
    )
    print_summary(console, groups)
    failed = [group.heading for group in groups if group.error]
    console.print(f"report: {_shown(plan.out)}; wall time {seconds(wall)}")
    if failed:
        console.print(f"[red]failed: {', '.join(failed)}")
        return 1
    return 0


def _shown(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)
