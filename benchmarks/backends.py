"""Write and check throughput on SQLite next to PostgreSQL (a first figure), in-process.

For each backend: N sequential commands (one event each, through the application, request-id
row and projection included), then N sequential checks. PostgreSQL needs
LEDGER_TEST_POSTGRES_URL (as .ci/run sets it). Not a test: this machine is shared and noisy.

    .venv/bin/python benchmarks/backends.py [N]
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta

import psycopg

from ledger.commands import RecordChange, RegisterOffice
from ledger.queries import CheckRequest
from ledger.service import Ledger
from ledger.settings import Settings


def measure(url: str, count: int) -> tuple[float, float]:
    with Ledger(Settings(database_url=url)) as ledger:
        ledger.register_office(RegisterOffice(request_id="r", office="CN-BENCH", name="Bench"))
        started = time.perf_counter()
        for number in range(count):
            on = date(2020, 1, 1) + timedelta(days=number)
            ledger.record_change(
                RecordChange.model_validate(
                    {
                        "request_id": f"w{number}",
                        "office": "CN-BENCH",
                        "kind": "observed",
                        "scope": {"direction": "outbound", "channel": "cargo-road", "goods": "85"},
                        "measure": {"inspection": "standard"},
                        "effective": {"on": on.isoformat()},
                        "sources": [
                            {
                                "publisher": "bench",
                                "url": "https://example.org/",
                                "published": "2024-01-01",
                                "grade": "C3",
                            }
                        ],
                    }
                )
            )
        writes = count / (time.perf_counter() - started)
        started = time.perf_counter()
        for number in range(count):
            ledger.check(
                CheckRequest(
                    office="CN-BENCH",
                    at=date(2020, 1, 1) + timedelta(days=number),
                    direction="outbound",
                    channel="cargo-road",
                    items=({"goods": "8516"},),
                )
            )
        checks = count / (time.perf_counter() - started)
    return writes, checks


def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        rows = [("SQLite", *measure(f"sqlite:///{folder}/ledger.sqlite", count))]
    base = os.environ.get("LEDGER_TEST_POSTGRES_URL")
    if base:
        schema = f"bench_{uuid.uuid4().hex[:8]}"
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(f'CREATE SCHEMA "{schema}"')
        try:
            rows.append(("PostgreSQL", *measure(f"{base}?schema={schema}", count)))
        finally:
            with psycopg.connect(base, autocommit=True) as connection:
                connection.execute(f'DROP SCHEMA "{schema}" CASCADE')
    print(f"{'backend':<12} {'writes/s':>10} {'checks/s':>10}")
    for name, writes, checks in rows:
        print(f"{name:<12} {writes:>10,.0f} {checks:>10,.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
