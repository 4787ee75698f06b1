"""The hardening tier's toolkit: run length, fresh databases, the summary, small helpers.

``LEDGER_LONG=1`` (``make test-long``) turns every test of the tier from its CI size into its
long size; the figures each test reports are printed at the end of the run.
"""

from __future__ import annotations

import contextlib
import json
import math
import os
import subprocess
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_client import LedgerClient
from tests.conftest import fresh_database, need_postgres
from tests.e2e.support import LEDGER, REPO, WORKER_BAGGAGE, RunningServer, source, start_server

__all__ = [
    "LONG",
    "REPORTS",
    "SUMMARY",
    "BACKENDS",
    "OBSERVATION",
    "database",
    "event_ids",
    "exported",
    "need_backend",
    "observe",
    "percentile",
    "report",
    "serving",
    "store_audit",
]

LONG = os.environ.get("LEDGER_LONG", "").lower() not in ("", "0", "false", "no")
BACKENDS = ("sqlite", "postgres")
# Where the figures of a run are kept, for whoever writes the closing note.
REPORTS = REPO / "var" / "hardening"

# Lines printed at the end of the run (``pytest_terminal_summary`` in conftest.py).
SUMMARY: list[str] = []

OBSERVATION = {
    "scope": WORKER_BAGGAGE,
    "measure": {"inspection": "standard"},
    "effective": {"on": "2025-06-01"},
    "sources": [source("2025-06-02")],
}


def report(line: str) -> None:
    """Keep a line for the run's summary, and print it (seen with ``-s``)."""
    SUMMARY.append(line)
    print(line, flush=True)


def need_backend(backend: str) -> None:
    """Skip (or, in CI, fail) a PostgreSQL test without ``LEDGER_TEST_POSTGRES_URL``."""
    if backend == "postgres":
        need_postgres()


def database(backend: str, folder: Path) -> contextlib.AbstractContextManager[str]:
    """A new, empty database: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    return fresh_database(backend, folder, prefix="hard")


@contextlib.contextmanager
def serving(folder: Path, url: str, **options: Any) -> Iterator[RunningServer]:
    """A ``ledger serve`` process on ``url`` for the block; stopped (or killed) after it."""
    running = start_server(folder, database_url=url, **options)
    try:
        yield running
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            running.stop()


def observe(client: LedgerClient, office: str, request_id: str, **more: Any) -> Any:
    """One observation at ``office``, under the caller's request id."""
    return client.record("observed", office, request_id=request_id, **OBSERVATION, **more)


def exported(client: LedgerClient) -> list[pb.ExportedEvent]:
    """The whole log as stored."""
    events = []
    for reply in client.stub.ExportLedger(pb.ExportLedgerRequest(batch_size=10_000), timeout=60):
        events.extend(reply.events)
    return events


def event_ids(events: Sequence[pb.ExportedEvent]) -> list[str]:
    """Each stored event's id, in log order (a change's id is its event's id)."""
    return [json.loads(event.stored_json)["event_id"] for event in events]


def store_audit(database_url: str) -> dict[str, Any]:
    """``ledger audit --store --json`` on the database; fails the test unless it exits 0."""
    completed = subprocess.run(
        [LEDGER, "audit", "--store", "--json"],
        cwd=REPO,
        env={**os.environ, "LEDGER_DATABASE_URL": database_url, "COLUMNS": "1000"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert completed.returncode == 0, (completed.stdout, completed.stderr)
    result: dict[str, Any] = json.loads(completed.stdout)
    assert result["ok"] is True, result
    return result


def percentile(samples: Sequence[float], fraction: float) -> float:
    """The nearest-rank percentile of ``samples`` (which must not be empty)."""
    ordered = sorted(samples)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]
