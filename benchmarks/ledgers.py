"""Synthetic ledgers on disk: written through the real write path, cached, copied for use.

``generate_ledger`` writes ``var/bench/ledger-<size>.sqlite`` with
``Ledger(Settings(database_url=...)).app.execute_batch(chunk)`` in chunks of 5,000 commands (the
projection follows within each save), next to a ``.json`` sidecar holding the cache key
(size, ``GENERATOR_VERSION``, seed) and what each office got. A later run whose key matches
reuses the file (``cached_ledger``). Benchmarks never open the cached file itself, only a
copy of it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import date
from itertools import islice
from pathlib import Path
from typing import Any

from benchmarks.plan import CACHE
from benchmarks.synth import GENERATOR_VERSION, OfficePlan, Question, Synthesis, sample_questions
from ledger.application.importer import command_from
from ledger.bootstrap import Ledger
from ledger.settings import Settings
from ledger.storage.identity import SCHEMA_VERSION

__all__ = [
    "GeneratedLedger",
    "WriteTimings",
    "cached_ledger",
    "generate_ledger",
    "write_jsonl",
    "sqlite_url",
]

CHUNK = 5_000
Advance = Callable[[int], object]


@dataclass(frozen=True)
class WriteTimings:
    """Where a generation's time went: generating the commands and validating them
    (``command_from``), applying and committing them (``execute_batch`` up to its commit), and
    projecting them (the ``on_saved`` listeners)."""

    validate: float
    write: float
    project: float

    @property
    def total(self) -> float:
        return self.validate + self.write + self.project

    def describe(self, events: int) -> str:
        return (
            f"{_duration(self.total)}, {events / self.total:,.0f} events/s (commands "
            f"{_duration(self.validate)}, write {_duration(self.write)}, projection "
            f"{_duration(self.project)})"
        )


def _duration(seconds: float) -> str:
    return f"{seconds / 60:.1f} min" if seconds >= 120 else f"{seconds:.1f} s"


@dataclass
class GeneratedLedger:
    """A cached synthetic ledger and what the generator recorded about its offices."""

    size: int
    path: Path
    offices: list[OfficePlan]
    seed: int
    generated: bool
    seconds: float  # generation time, or the time the cache check took
    timings: WriteTimings | None = None  # of its generation, in this run or an earlier one

    @property
    def label(self) -> str:
        shape = "1 office" if len(self.offices) == 1 else f"{len(self.offices):,} offices"
        return f"{_short(self.size)} events, {shape}"

    @property
    def longest(self) -> OfficePlan:
        return max(self.offices, key=lambda plan: plan.events)

    def questions(self, count: int, purpose: str) -> list[Question]:
        """``count`` check questions; the same purpose gives the same questions."""
        return sample_questions(self.offices, count, f"{self.seed}-{self.size}-{purpose}")


def _short(size: int) -> str:
    if size >= 1_000_000 and size % 1_000_000 == 0:
        return f"{size // 1_000_000}M"
    if size >= 1000 and size % 1000 == 0:
        return f"{size // 1000}k"
    return f"{size:,}"


def _paths(size: int, offices: int | None) -> tuple[Path, Path]:
    stem = f"ledger-{size}" if offices is None else f"ledger-{size}-{offices}office"
    return CACHE / f"{stem}.sqlite", CACHE / f"{stem}.json"


def _key(size: int, seed: int, offices: int | None) -> dict[str, Any]:
    return {
        "generator_version": GENERATOR_VERSION,
        # A ledger of an older schema would be migrated, and its read model rebuilt, in every
        # copy a run opens: it is generated again instead.
        "schema_version": SCHEMA_VERSION,
        "seed": seed,
        "size": size,
        "offices": offices,
    }


def cached_ledger(size: int, seed: int, *, offices: int | None = None) -> GeneratedLedger | None:
    """The cached ledger of ``size`` events, if it is there and its key matches."""
    started = time.perf_counter()
    path, sidecar = _paths(size, offices)
    meta = _read_meta(sidecar)
    if meta is None or meta.get("key") != _key(size, seed, offices) or not path.is_file():
        return None
    return GeneratedLedger(
        size=size,
        path=path,
        offices=[_plan(entry) for entry in meta["offices"]],
        seed=seed,
        generated=False,
        seconds=time.perf_counter() - started,
        timings=WriteTimings(**meta["timings"]) if "timings" in meta else None,
    )


def generate_ledger(
    size: int, seed: int, *, offices: int | None = None, advance: Advance | None = None
) -> GeneratedLedger:
    """Generate the ledger of ``size`` events into the cache (replacing a stale one)."""
    started = time.perf_counter()
    path, sidecar = _paths(size, offices)
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    _remove(partial)
    synthesis = Synthesis(size, seed, offices)
    timings = _write(partial, synthesis, advance)
    sidecar.unlink(missing_ok=True)
    _remove(path)
    partial.replace(path)
    meta = {
        "key": _key(size, seed, offices),
        "timings": asdict(timings),
        "offices": [_entry(plan) for plan in synthesis.offices],
    }
    sidecar.write_text(json.dumps(meta))
    return GeneratedLedger(
        size=size,
        path=path,
        offices=synthesis.offices,
        seed=seed,
        generated=True,
        seconds=time.perf_counter() - started,
        timings=timings,
    )


def _write(path: Path, synthesis: Synthesis, advance: Advance | None) -> WriteTimings:
    validate = write = project = 0.0
    commands = synthesis.commands()
    with Ledger(Settings(database_url=f"sqlite:///{path}")) as ledger:
        committed: list[float] = []
        # The first listener runs once the events are committed, before the projection.
        ledger.app.on_saved.insert(0, lambda _saved: committed.append(time.perf_counter()))
        while True:
            started = time.perf_counter()
            batch = [command_from(line) for line in islice(commands, CHUNK)]
            if not batch:
                break
            validated = time.perf_counter()
            ledger.app.execute_batch(batch)
            ended = time.perf_counter()
            validate += validated - started
            write += committed[-1] - validated
            project += ended - committed[-1]
            if advance:
                advance(len(batch))
    return WriteTimings(validate, write, project)


def write_jsonl(path: Path, size: int, seed: int) -> Synthesis:
    """The commands of a synthetic ledger of ``size`` events as an import file."""
    synthesis = Synthesis(size, seed)
    with path.open("w", encoding="utf-8") as file:
        for line in synthesis.commands():
            file.write(json.dumps(line) + "\n")
    return synthesis


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path.resolve()}"


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def _read_meta(path: Path) -> dict[str, Any] | None:
    try:
        meta: dict[str, Any] = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return meta


def _entry(plan: OfficePlan) -> dict[str, Any]:
    return {
        "code": plan.code,
        "events": plan.events,
        "first": plan.first.isoformat(),
        "last": plan.last.isoformat(),
        "scopes": plan.scopes,
    }


def _plan(entry: dict[str, Any]) -> OfficePlan:
    return OfficePlan(
        code=entry["code"],
        events=entry["events"],
        first=date.fromisoformat(entry["first"]),
        last=date.fromisoformat(entry["last"]),
        scopes=list(entry["scopes"]),
    )
