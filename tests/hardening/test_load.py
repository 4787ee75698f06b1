"""A bounded load test on loopback: a fixed number of mixed calls from several threads.

Reads (Check, GetRuleState, CompareOffices, GetHistory) and writes (RecordObservation) against
one server on SQLite, and against two servers sharing one PostgreSQL database, the client
balancing round-robin over both (``ipv4:HOST:P1,HOST:P2``). No call may fail, and every
write's receipt is in the log afterwards, once, at its position. p50/p99 latency per call
type is printed and written to ``var/hardening/load-<backend>.json``.

The call count is fixed (not the duration): CI makes about 5 s of calls per backend,
``LEDGER_LONG=1`` about 60 s, on the 2-core machine it was sized on.
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import Any

import pytest

from ledger_api.verify import event_hash
from ledger_client import LedgerClient, Receipt
from tests.hardening.support import (
    LONG,
    REPORTS,
    database,
    event_ids,
    exported,
    observe,
    percentile,
    report,
    serving,
)

# Alone: it times calls, races writers, kills or restarts what others would share.
pytestmark = [pytest.mark.hardening, pytest.mark.alone]

THREADS = 6
# Calls per run, sized on the 2-core machine the suite runs on: about 3 s per backend in CI,
# about 60 s when long (two PostgreSQL servers and one database share the same two cores).
CALLS = {"sqlite": 30_000, "postgres": 13_000} if LONG else {"sqlite": 1_000, "postgres": 500}
# Call types and their weights, out of 20.
MIX = {"Check": 8, "GetRuleState": 3, "CompareOffices": 3, "GetHistory": 2, "RecordObservation": 4}
OFFICES = ["CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"]


def _calls(client: LedgerClient, office: str, thread: int) -> dict[str, Callable[[int], Any]]:
    """One of each call type, the n-th call's arguments varying with n."""

    def at(n: int) -> str:
        return f"2025-{1 + n % 12:02d}-{1 + n % 28:02d}"

    return {
        "Check": lambda n: client.check(
            "CN-DANDONG",
            at(n),
            direction="outbound",
            channel="personal-baggage",
            traveller="worker",
            items=[{"goods": "8516.60", "quantity": 1 + n % 3}, {"goods": "electronics"}],
        ),
        "GetRuleState": lambda n: client.rule_state(OFFICES[n % 3], at(n)),
        "CompareOffices": lambda n: client.compare(
            OFFICES,
            at(n),
            direction="outbound",
            channel="cargo-road",
            traveller="trader",
            items=[{"goods": "electronics"}],
        ),
        "GetHistory": lambda n: list(client.history("CN-DANDONG")),
        "RecordObservation": lambda n: observe(client, office, f"load-{thread}-{n}"),
    }


def _worker(
    target: str,
    thread: int,
    schedule: list[str],
    latencies: dict[str, list[float]],
    receipts: list[Receipt],
    errors: list[str],
    lock: threading.Lock,
) -> None:
    office = f"CN-LOAD{thread}"
    mine: dict[str, list[float]] = defaultdict(list)
    written = []
    with LedgerClient(target) as client:
        calls = _calls(client, office, thread)
        for n, kind in enumerate(schedule):
            began = time.perf_counter()
            try:
                result = calls[kind](n)
            except Exception as error:  # every failure is counted; none is expected
                with lock:
                    errors.append(f"{kind} #{n} from thread {thread}: {error!r}")
                continue
            mine[kind].append(time.perf_counter() - began)
            if kind == "RecordObservation":
                written.append(result)
    with lock:
        for kind, samples in mine.items():
            latencies[kind].extend(samples)
        receipts.extend(written)


@contextmanager
def _servers(backend: str, folder: Path) -> Iterator[str]:
    """SQLite: one server. PostgreSQL: two on one database, as one round-robin target."""
    with ExitStack() as stack:
        url = stack.enter_context(database(backend, folder / "db"))
        first = stack.enter_context(serving(folder / "a", url))
        if backend == "sqlite":
            yield first.address
            return
        second = stack.enter_context(serving(folder / "b", url, example=False))
        yield f"ipv4:{first.address},{second.address}"


def test_a_fixed_load_of_mixed_calls_has_no_errors_and_loses_no_write(
    backend: str, tmp_path: Path
) -> None:
    label = "sqlite, 1 server" if backend == "sqlite" else "postgres, 2 servers"
    schedule = [kind for kind, weight in MIX.items() for _ in range(weight)]
    random.Random(7).shuffle(schedule)
    per_thread = CALLS[backend] // THREADS
    latencies: dict[str, list[float]] = defaultdict(list)
    receipts: list[Receipt] = []
    errors: list[str] = []
    lock = threading.Lock()
    with _servers(backend, tmp_path) as target:
        with LedgerClient(target) as client:
            for thread in range(THREADS):
                client.register_office(f"CN-LOAD{thread}", f"Load {thread} customs")
        threads = [
            threading.Thread(
                target=_worker,
                args=(
                    target,
                    thread,
                    [schedule[(thread + n) % len(schedule)] for n in range(per_thread)],
                    latencies,
                    receipts,
                    errors,
                    lock,
                ),
            )
            for thread in range(THREADS)
        ]
        began = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(600)
            assert not thread.is_alive()
        seconds = time.perf_counter() - began
        with LedgerClient(target) as client:
            events = exported(client)

    assert not errors, errors[:20]
    assert sum(map(len, latencies.values())) == per_thread * THREADS
    stored = dict(zip(event_ids(events), events, strict=True))
    assert Counter(event_ids(events)).most_common(1)[0][1] == 1
    assert receipts
    for receipt in receipts:
        event = stored.get(str(receipt.change_id))
        assert event is not None, f"a write is lost: {receipt}"
        assert event.position == receipt.position
        assert event_hash(event.type, event.stored_json) == receipt.hash

    summary = {
        "backend": label,
        "run": "long" if LONG else "ci",
        "threads": THREADS,
        "calls": per_thread * THREADS,
        "seconds": round(seconds, 2),
        "calls_per_second": round(per_thread * THREADS / seconds, 1),
        "writes_checked": len(receipts),
        "latency_ms": {
            kind: {
                "calls": len(samples),
                "p50": round(1000 * percentile(samples, 0.50), 2),
                "p99": round(1000 * percentile(samples, 0.99), 2),
            }
            for kind, samples in sorted(latencies.items())
        },
    }
    REPORTS.mkdir(parents=True, exist_ok=True)
    (REPORTS / f"load-{backend}.json").write_text(json.dumps(summary, indent=2) + "\n")
    report(
        f"load {label}: {summary['calls']} calls from {THREADS} threads in {seconds:.1f} s "
        f"({summary['calls_per_second']}/s), no errors, {len(receipts)} writes all in the log"
    )
    report(f"  {'call':<18} {'calls':>6} {'p50 ms':>8} {'p99 ms':>8}")
    for kind, figures in summary["latency_ms"].items():
        report(f"  {kind:<18} {figures['calls']:>6} {figures['p50']:>8} {figures['p99']:>8}")
