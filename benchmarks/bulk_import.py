"""h. Bulk import into SQLite against the library's own batch ``save()``.

Project: ``ledger.application.importer.import_file(Ledger(...).app, path)`` of a synthetic
JSONL file into a fresh SQLite file: parsing, validation, the office invariants, hashes,
request ids, one transaction, then the projection (which follows within the save). Baseline: a plain
``eventsourcing`` ``Application`` on a fresh SQLite file, one plain ``Aggregate`` per office
with ``@event`` methods taking the same payload as dicts and lists, and one ``save()``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

from eventsourcing.application import Application
from eventsourcing.domain import Aggregate, event

from benchmarks.context import Context
from benchmarks.ledgers import sqlite_url, write_jsonl
from benchmarks.results import Figure, Group, Target, WrongAnswer, rate, seconds
from ledger.application.importer import import_file
from ledger.bootstrap import Ledger
from ledger.settings import Settings

__all__ = ["measure", "PlainOffice", "plain_save"]


class PlainOffice(Aggregate):
    """The baseline's aggregate: no invariants, no hashes, the payload stored as given."""

    @event("Registered")
    def __init__(self, code: str, name: str, crossings: list[dict[str, Any]]) -> None:
        self.code = code

    @event("Changed")
    def change(
        self,
        kind: str,
        scope: dict[str, Any],
        measure: dict[str, Any],
        effective: dict[str, Any],
        sources: list[dict[str, Any]],
        note: str,
    ) -> None:
        pass

    @event("Corrected")
    def correct(
        self,
        kind: str,
        change: str,
        measure: dict[str, Any] | None,
        reason: str,
        sources: list[dict[str, Any]],
    ) -> None:
        pass


def plain_save(path: Path, lines: list[dict[str, Any]]) -> tuple[int, float]:
    """Events saved and seconds, from constructing the first event to the end of ``save``."""
    app: Application[Any] = Application(
        env={"PERSISTENCE_MODULE": "eventsourcing.sqlite", "SQLITE_DBNAME": str(path)}
    )
    try:
        started = time.perf_counter()
        offices: dict[str, PlainOffice] = {}
        for line in lines:
            command = line["command"]
            if command == "register":
                offices[line["office"]] = PlainOffice(
                    line["office"], line["name"], line["crossings"]
                )
            elif command in ("amend", "retract"):
                offices[line["office"]].correct(
                    command, line["change"], line.get("measure"), line["reason"], line["sources"]
                )
            else:
                offices[line["office"]].change(
                    command,
                    line["scope"],
                    line["measure"],
                    line["effective"],
                    line["sources"],
                    line.get("note", ""),
                )
        recordings = app.save(*offices.values())
        return len(recordings), time.perf_counter() - started
    finally:
        app.close()


def _import(path: Path, file: Path) -> tuple[int, float, float]:
    """Events imported, seconds to commit, seconds including the projection."""
    with Ledger(Settings(database_url=sqlite_url(path))) as ledger:
        committed: list[float] = []
        # The first listener runs once the events are committed, before the projection.
        ledger.app.on_saved.insert(0, lambda _saved: committed.append(time.perf_counter()))
        started = time.perf_counter()
        receipts = import_file(ledger.app, file)
        ended = time.perf_counter()
    return len(receipts), committed[0] - started, ended - started


def measure(context: Context) -> Group:
    count = context.plan.import_commands
    group = Group("h", f"Bulk import into SQLite ({count:,} commands)")
    folder = context.folder / "import"
    folder.mkdir()
    file = folder / "commands.jsonl"
    write_jsonl(file, count, context.plan.seed)
    lines = [json.loads(line) for line in file.read_text().splitlines()]
    with context.steps.step("h. import_file, then a plain save()", 2) as advance:
        events, commit, whole = _import(folder / "import.sqlite", file)
        advance(1)
        saved, save = plain_save(folder / "plain.sqlite", lines)
        advance(1)
    if events != len(lines) or saved != len(lines):
        raise WrongAnswer(f"{len(lines)} lines: {events} imported, {saved} saved")
    save_rate = saved / save
    group.figures = [
        Figure(
            "import rate (incl. projection) / plain save() rate",
            f"{rate(events / whole)} ({seconds(whole)})",
            f"{rate(save_rate)} ({seconds(save)})",
            (events / whole) / save_rate,
            Target(">=", 0.8),
        ),
        Figure(
            "import rate up to commit / plain save() rate",
            f"{rate(events / commit)} ({seconds(commit)})",
            f"{rate(save_rate)}",
            (events / commit) / save_rate,
        ),
    ]
    group.notes = [
        f"A JSONL file of {count:,} synthetic commands ({_offices(lines)} offices: "
        "registrations, observations, tightenings, loosenings, amendments, retractions), "
        "written untimed. Project: `import_file(Ledger(Settings(database_url=...)).app, "
        "path)` into a fresh SQLite file, timed from the call to its return (reading, "
        "parsing, validating, applying, one transaction, then the projection, which follows "
        "within the save). The second line stops at the commit: the moment the first "
        "`on_saved` listener runs, before the projection's.",
        "Baseline: the library's own batch save. A plain `eventsourcing.application."
        "Application` on a fresh SQLite file, one plain `Aggregate` subclass instance per "
        "office, an `@event` method per line taking the same payload (scope, measure, "
        "effective, sources, note as dicts and lists; amendments and retractions as a "
        "`correct` event), and one `app.save(*aggregates)`; timed from constructing the "
        "first event to the end of the save, the lines already parsed.",
    ]
    return group


def _offices(lines: list[dict[str, Any]]) -> int:
    return sum(1 for line in lines if line["command"] == "register")
