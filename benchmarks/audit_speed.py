"""f. The store audit's replay against a raw read of the same rows.

Baseline: one ``SELECT`` of every stored event, in log order, and a ``json.loads`` of each
state. Project: ``ledger.audit.audit_store``, whose report times its replay (reading, hashes,
links, versions, positions, digest checkpoints, request ids) apart from its rebuild and
comparison of the read model.
"""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from benchmarks.context import Context
from benchmarks.ledgers import sqlite_url
from benchmarks.results import Figure, Group, Target, WrongAnswer, rate, seconds
from ledger.audit.store import audit_store
from ledger.settings import Settings

__all__ = ["measure", "raw_read"]

RAW_SELECT = (
    "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
    "ORDER BY rowid"
)


def raw_read(path: Path, *, decode: bool = True) -> tuple[int, float]:
    """Read every stored event (and decode its JSON state); rows and seconds."""
    started = time.perf_counter()
    connection = sqlite3.connect(path)
    rows = 0
    for _, _, _, _, state in connection.execute(RAW_SELECT):
        if decode:
            json.loads(state)
        rows += 1
    connection.close()
    return rows, time.perf_counter() - started


def measure(context: Context) -> Group:
    ledger = context.server_ledger
    path = context.copy(ledger)
    group = Group("f", f"Store audit replay against a raw read ({ledger.label})")
    with context.steps.step("f. raw read (one to warm the page cache, one timed)"):
        raw_read(path)
        rows, raw = raw_read(path)
    with context.steps.step("f. audit_store (the replay; then the rebuild)", rows) as advance:
        done = [0]

        def progress(count: int, _total: int) -> None:
            advance(count - done[0])
            done[0] = count

        report = audit_store(Settings(database_url=sqlite_url(path)), progress)
    if not report.ok or report.events != rows:
        raise WrongAnswer(f"the audit of an untouched ledger fails: {report.findings[:3]}")
    replay, whole = report.replay_seconds, report.replay_seconds + report.rebuild_seconds
    group.figures = [
        Figure(
            "audit replay rate / raw read rate",
            f"{rate(rows / replay)} ({seconds(replay)})",
            f"{rate(rows / raw)} ({seconds(raw)})",
            raw / replay,
            Target(">=", 0.5),
        ),
        Figure(
            "whole audit (replay + rebuild) / raw read",
            f"{rate(rows / whole)} ({seconds(whole)})",
            f"{rate(rows / raw)}",
            raw / whole,
        ),
    ]
    group.notes = [
        f"A copy of the {ledger.label} ledger ({rows:,} events). Baseline: `{RAW_SELECT}` "
        "through the `sqlite3` module and `json.loads` of every state, after one untimed "
        "identical read that warms the page cache.",
        "Project: `audit_store(Settings(database_url=...))`; the figure is its "
        "`replay_seconds` (reading, SHA-256 of every event, links, versions, positions, every "
        "digest checkpoint, every request-id row). The info line adds its `rebuild_seconds`: "
        "the read model rebuilt in memory and compared with the stored one.",
    ]
    return group
