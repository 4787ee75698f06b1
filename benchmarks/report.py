"""The report: BENCHMARKS.md (machine, ledgers, one table per group, notes) and a terminal
summary of the same figures."""

from __future__ import annotations

import os
import platform
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich import box
from rich.console import Console
from rich.table import Table

from benchmarks.ledgers import GeneratedLedger
from benchmarks.plan import ROOT, Plan
from benchmarks.results import Group, seconds

__all__ = ["Machine", "machine", "write_report", "print_summary"]

# What the profiles show for each target, written by hand after reading them.
PROFILES = Path(__file__).with_name("PROFILES.md")


@dataclass(frozen=True)
class Machine:
    cpu: str
    cores: int
    memory: str
    python: str
    sqlite: str
    postgres: str | None
    commit: str


def _proc_field(path: str, name: str) -> str | None:
    try:
        for line in Path(path).read_text().splitlines():
            if line.startswith(name):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return None


def _git(*args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=ROOT, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return ""
    return done.stdout.strip()


def machine(postgres: str | None) -> Machine:
    memory = _proc_field("/proc/meminfo", "MemTotal")
    gib = f"{int(memory.split()[0]) / 2**20:.1f} GiB" if memory else "?"
    commit = _git("rev-parse", "--short", "HEAD") or "unknown"
    # --no-optional-locks: status must not refresh (write) the index.
    if _git("--no-optional-locks", "status", "--porcelain", "--untracked-files=no"):
        commit += " (with uncommitted changes)"
    return Machine(
        cpu=_proc_field("/proc/cpuinfo", "model name") or platform.processor() or "?",
        cores=os.cpu_count() or 0,
        memory=gib,
        python=platform.python_version(),
        sqlite=sqlite3.sqlite_version,
        postgres=postgres,
        commit=commit,
    )


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _ledger_rows(ledgers: list[GeneratedLedger]) -> list[str]:
    rows = [
        "| ledger | offices | longest office | this run | generation |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for ledger in ledgers:
        how = "generated" if ledger.generated else "reused from the cache"
        made = "?" if ledger.timings is None else ledger.timings.describe(ledger.size)
        rows.append(
            f"| `{ledger.path.name}` ({ledger.size:,} events) | {len(ledger.offices):,} | "
            f"{ledger.longest.events:,} | {how} | {made} |"
        )
    return rows


def _group_table(group: Group) -> list[str]:
    lines = [f"### {group.heading}", ""]
    if group.error:
        return [*lines, f"**Failed:** {group.error}", ""]
    if group.skipped:
        return [*lines, f"_{group.skipped}_", ""]
    lines += [
        "| figure | project | baseline | ratio | target | holds |",
        "| --- | --- | --- | ---: | --- | --- |",
    ]
    for figure in group.figures:
        cells = (
            figure.name,
            figure.project,
            figure.baseline,
            figure.ratio_text,
            figure.target_text,
            figure.holds_text,
        )
        lines.append("| " + " | ".join(_cell(cell) for cell in cells) + " |")
    return [*lines, ""]


def write_report(
    path: Path,
    plan: Plan,
    command: str,
    started: datetime,
    wall: float,
    host: Machine,
    ledgers: list[GeneratedLedger],
    groups: list[Group],
) -> None:
    lines = [
        f"# Benchmarks{' (quick)' if plan.name == 'quick' else ''}",
        "",
        f"Produced by `{command}` on {started:%Y-%m-%d %H:%M} UTC; the run took {seconds(wall)}.",
        "",
        "Every figure is measured against a baseline measured in the same run, on the same "
        "machine, and compared as a ratio (a target marked *absolute* is checked against the "
        "measured value itself). Targets are goals, not tests: the run passes whether they "
        "hold or not, and fails only on errors (a wrong answer, a server that fails).",
        "",
        "| machine | |",
        "| --- | --- |",
        f"| CPU | {host.cpu}, {host.cores} cores |",
        f"| memory | {host.memory} |",
        f"| Python | {host.python} |",
        f"| SQLite | {host.sqlite} |",
        f"| PostgreSQL | {host.postgres or 'not used'} |",
        f"| commit | {host.commit} |",
        "",
        "## Ledgers",
        "",
        "Synthetic ledgers (`benchmarks/synth.py`), cached under `var/bench/` by size, "
        "generator version and seed, written through the real write path in chunks of 5,000 "
        "commands.",
        "",
        *_ledger_rows(ledgers),
        "",
        "## Figures",
        "",
    ]
    for group in groups:
        lines += _group_table(group)
    lines += ["## Notes", ""]
    for group in groups:
        if group.notes:
            lines += [f"### {group.heading}", ""]
            for note in group.notes:
                lines += [note, ""]
    lines += ["## Profiles and what limits each target", "", PROFILES.read_text().strip(), ""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))


def print_summary(console: Console, groups: list[Group]) -> None:
    """Figure, ratio, target and whether it holds; the report has the measured values."""
    table = Table(title="Benchmarks: ratios against same-run baselines", box=box.SIMPLE_HEAD)
    table.add_column("figure", overflow="fold")
    table.add_column("ratio", justify="right", no_wrap=True)
    table.add_column("target", no_wrap=True)
    table.add_column("holds", no_wrap=True)
    for group in groups:
        if group.error or group.skipped:
            status = "[red]failed" if group.error else "[dim]skipped"
            table.add_row(f"{group.heading}", "", "", status)
            continue
        for figure in group.figures:
            holds = {True: "[green]yes", False: "[red]no", None: "[dim]—"}[figure.holds]
            table.add_row(
                f"{group.key}. {figure.name}",
                figure.ratio_text,
                "—" if figure.target is None else str(figure.target),
                holds,
            )
    console.print(table)
