"""q. Backup against a plain file copy, at each ledger size.

Baseline: ``shutil.copyfile`` of the ledger's SQLite file, the cheapest copy there is (and not
a consistent one while a server writes). Project: the ``ledger backup`` command as an operator
runs it, a whole process from spawn to exit: SQLite's online backup API copying every page in
one step, the copy opened as a server opens it, and its digest and Merkle root printed. Also
the page copy alone, in this process (``ledger.storage.backup.back_up`` with nothing done to
the copy), to tell the copy from what the command adds: Python and the CLI starting, the copy
opened, its digest read.

Each is the quickest of three runs, alternately, on this run's working copy of each ledger
(the file read from the page cache after the first). The digest the command prints must be at
the copy's last position (earlier groups may have written to it), or the group fails.
"""

from __future__ import annotations

import json
import shutil
import sqlite3
import sys
import time
from collections.abc import Callable
from contextlib import closing
from dataclasses import dataclass
from pathlib import Path

from benchmarks.cli_startup import timed
from benchmarks.context import Context
from benchmarks.ledgers import GeneratedLedger, sqlite_url
from benchmarks.plan import ROOT
from benchmarks.results import Figure, Group, Target, WrongAnswer, megabytes, seconds
from ledger.settings import Settings
from ledger.storage.backup import back_up

__all__ = ["measure"]

_RUNS = 3
_LEDGER = str(Path(sys.executable).parent / "ledger")


@dataclass(frozen=True)
class SizeBackup:
    ledger: GeneratedLedger
    size: int  # the file's bytes
    copy: float  # shutil.copyfile, seconds
    pages: float  # the backup API's page copy alone, in this process
    command: float  # `ledger backup`, a whole process


def _clock(call: Callable[[], object]) -> float:
    started = time.perf_counter()
    call()
    return time.perf_counter() - started


def _measure(context: Context, ledger: GeneratedLedger) -> SizeBackup:
    source = context.copy(ledger)
    out = context.folder / "backups" / f"{source.stem}.backup.sqlite"
    out.parent.mkdir(exist_ok=True)
    settings = Settings(database_url=sqlite_url(source))
    command = [_LEDGER, "backup", "--database", sqlite_url(source), "--out", str(out), "--json"]
    # The working copy's last position: earlier groups may have written to it (a, b serve it).
    with closing(sqlite3.connect(source)) as db:
        last = db.execute("SELECT max(rowid) FROM stored_events").fetchone()[0]
    copies, pages, commands = [], [], []
    with context.steps.step(f"q. backups of {ledger.label}", total=3 * _RUNS) as advance:
        for _ in range(_RUNS):
            out.unlink(missing_ok=True)
            copies.append(_clock(lambda: shutil.copyfile(source, out)))
            out.unlink()
            pages.append(_clock(lambda: back_up(settings, out, lambda _: None)))
            out.unlink()
            took, printed = timed(command, ROOT)
            commands.append(took)
            position = json.loads(printed)["digest"]["position"]
            if position != last:
                raise WrongAnswer(
                    f"ledger backup of {ledger.label} printed position {position}, not the "
                    f"copy's last, {last}"
                )
            advance(3)
    size = source.stat().st_size
    out.unlink(missing_ok=True)
    return SizeBackup(ledger, size, min(copies), min(pages), min(commands))


def measure(context: Context) -> Group:
    sizes = [_measure(context, context.ledgers[size]) for size in context.plan.sizes]
    group = Group("q", "Backup against a plain file copy")
    for size in sizes:
        label = f"{size.ledger.label}, {megabytes(size.size)}"
        target = Target("<=", 3.0) if size is sizes[-1] else None
        group.figures += [
            Figure(
                f"`ledger backup` / shutil.copyfile, {label}",
                seconds(size.command),
                seconds(size.copy),
                size.command / size.copy,
                target,
            ),
            Figure(
                f"the backup API's page copy alone / shutil.copyfile, {label}",
                seconds(size.pages),
                seconds(size.copy),
                size.pages / size.copy,
            ),
        ]
    group.notes = [
        "Baseline: `shutil.copyfile` of this run's working copy of the ledger's SQLite file "
        "(no server writing). Project: `ledger backup --database sqlite:///FILE --out OUT "
        "--json`, a whole process (Python and the CLI starting, SQLite's online backup API "
        "copying every page in one step into a file beside OUT, the copy opened as a server "
        "opens it and its digest and Merkle root read, the file renamed); and the page copy "
        "alone, in this process (`ledger.storage.backup.back_up`). Each the quickest of "
        f"{_RUNS} runs, alternately; the files are read from the page cache after the first.",
        "The target (on the largest ledger): a consistent backup under writes costs at most "
        "three plain copies, which are not consistent under writes.",
    ]
    return group
