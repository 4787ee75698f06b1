"""f. The store audit's replay against a raw read of the same rows.

Baseline: one ``SELECT`` of every stored event, in log order, and a ``json.loads`` of each
state. Project: ``ledger.audit.audit_store``, whose report times its replay (reading, hashes,
links, versions, positions, digest checkpoints, request ids) apart from its rebuild and
comparison of the read model. The audit runs in a child process of its own, so that its
peak resident set size is its own (its VmHWM, read by itself).
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.context import Context
from benchmarks.ledgers import sqlite_url
from benchmarks.results import Figure, Group, Target, WrongAnswer, megabytes, rate, seconds

__all__ = ["measure", "raw_read", "audit_in_child"]

WHOLE_TARGET = 0.25
RSS_TARGET_MB = 400  # for the 1M-event ledger; the audit streams, so it hardly grows with size

# Run in the child: the report's figures as one line of JSON.
_CHILD = """
import json, sys
from ledger.audit.store import audit_store
from ledger.settings import Settings
report = audit_store(Settings(database_url=sys.argv[1]))
# VmHWM: this process's own peak since its exec (getrusage's maxrss counts the fork too).
with open("/proc/self/status") as status:
    peak = next(int(line.split()[1]) for line in status if line.startswith("VmHWM:"))
print(json.dumps({"ok": report.ok, "events": report.events, "replay": report.replay_seconds,
                  "rebuild": report.rebuild_seconds, "rss_kb": peak,
                  "findings": [str(f) for f in report.findings[:3]]}))
"""

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
    with context.steps.step("f. audit_store in a child process (replay, then rebuild)"):
        report, rss = audit_in_child(sqlite_url(path))
    if not report["ok"] or report["events"] != rows:
        raise WrongAnswer(f"the audit of an untouched ledger fails: {report['findings']}")
    replay, whole = report["replay"], report["replay"] + report["rebuild"]
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
            Target(">=", WHOLE_TARGET),
        ),
        Figure(
            "whole audit: maximum RSS of its process",
            megabytes(rss),
            f"{rows:,} events",
            None,
            Target("<=", RSS_TARGET_MB, absolute=True, unit="MB") if rows >= 1_000_000 else None,
            value=rss / 2**20,
        ),
    ]
    group.notes = [
        f"A copy of the {ledger.label} ledger ({rows:,} events). Baseline: `{RAW_SELECT}` "
        "through the `sqlite3` module and `json.loads` of every state, after one untimed "
        "identical read that warms the page cache.",
        "Project: `audit_store(Settings(database_url=...))`; the figure is its "
        "`replay_seconds` (reading, SHA-256 of every event, links, versions, positions, every "
        "digest checkpoint, every request-id row). The info line adds its `rebuild_seconds`: "
        "the read model rebuilt (the projection's own handlers, into a scratch SQLite file) "
        "and compared with the stored one. The audit streams the log, so its memory is "
        "bounded: the RSS line is the audit process's peak resident set size (its own "
        f"VmHWM); its target, {RSS_TARGET_MB} MB, is for the 1M-event ledger.",
    ]
    return group


def audit_in_child(url: str) -> tuple[dict[str, Any], int]:
    """``audit_store`` of ``url`` in a child process: its report's figures, and the child's
    peak RSS in bytes (its VmHWM: the maximum getrusage reports for a child would include the
    parent's pages it held between fork and exec)."""
    with tempfile.TemporaryFile() as errors:
        child = subprocess.Popen(
            [sys.executable, "-c", _CHILD, url], stdout=subprocess.PIPE, stderr=errors
        )
        assert child.stdout is not None
        out = child.stdout.read()
        child.stdout.close()
        _, status, _usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        if child.returncode != 0:
            errors.seek(0)
            raise WrongAnswer(f"the audit failed: {errors.read().decode()[-2000:]}")
    figures = json.loads(out.decode().strip().splitlines()[-1])
    return figures, int(figures["rss_kb"]) * 1024
