"""Store audit speed against the raw speed of reading the same rows (a first figure).

Builds a SQLite ledger of N events, then times, in the same run: a plain SELECT of every
stored event plus a JSON decode of each (the baseline), and the store audit (its replay:
hashes, links, versions, positions, digest checkpoints, request ids; then its rebuild and
comparison of the read model). Prints events per second and the ratio to the baseline. Not a
test: this machine is shared and noisy.

    .venv/bin/python benchmarks/audit_speed.py [N]
"""

from __future__ import annotations

import json
import sqlite3
import sys
import tempfile
import time
from datetime import date, timedelta

from ledger.audit import audit_store
from ledger.commands import RecordChange, RegisterOffice
from ledger.service import Ledger
from ledger.settings import Settings

OFFICES = [f"CN-BENCH{n}" for n in range(20)]


def build(settings: Settings, size: int) -> None:
    with Ledger(settings) as ledger:
        commands: list[RegisterOffice | RecordChange] = [
            RegisterOffice(request_id=f"r-{code}", office=code, name=code) for code in OFFICES
        ]
        for number in range(size - len(OFFICES)):
            on = date(2016, 1, 1) + timedelta(days=number % 3650)
            commands.append(
                RecordChange.model_validate(
                    {
                        "request_id": f"c{number}",
                        "office": OFFICES[number % len(OFFICES)],
                        "kind": "observed",
                        "scope": {
                            "direction": "outbound",
                            "channel": "cargo-road",
                            "goods": ["85", "8516", "all", "electronics"][number % 4],
                        },
                        "measure": {"inspection": ["light", "standard", "rigorous"][number % 3]},
                        "effective": {"on": on.isoformat()},
                        "sources": [
                            {
                                "publisher": "bench",
                                "url": "https://example.org/",
                                "published": on.isoformat(),
                                "grade": "C3",
                            }
                        ],
                    }
                )
            )
        for start in range(0, len(commands), 2000):
            ledger.app.execute_batch(commands[start : start + 2000])


def raw_read(path: str) -> tuple[int, float]:
    started = time.perf_counter()
    db = sqlite3.connect(path)
    rows = 0
    for _, _, _, _, state in db.execute(
        "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
        "ORDER BY rowid"
    ):
        json.loads(state)
        rows += 1
    db.close()
    return rows, time.perf_counter() - started


def main(size: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = f"{folder}/ledger.sqlite"
        settings = Settings(database_url=f"sqlite:///{path}")
        build(settings, size)
        rows, raw = raw_read(path)
        report = audit_store(settings)
        assert report.ok, report.findings
    total = report.replay_seconds + report.rebuild_seconds
    print(f"{rows} events")
    print(f"raw SELECT + JSON decode : {rows / raw:>10,.0f} events/s")
    print(
        f"audit replay             : {rows / report.replay_seconds:>10,.0f} events/s"
        f"  ({raw / report.replay_seconds:.2f}x the raw rate)"
    )
    print(f"whole audit (with rebuild): {rows / total:>9,.0f} events/s  ({raw / total:.2f}x)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 20000)
