"""The server ledger with logged decisions: a copy of a cached ledger, plus ``count`` decisions.

``decisions_ledger`` writes ``var/bench/ledger-<size>-decisions-<count>.sqlite`` (a copy of the
cached ledger, then ``count`` decisions appended ``CHUNK`` at a time through
``Ledger.decisions.append``), next to a ``.json`` sidecar holding the cache key (the count,
``DECISIONS_VERSION``, and the name, size and modification time of the ledger it was copied
from, so that a regenerated ledger makes it stale) and the generation time. A later run whose
key matches reuses the file. It is written as a ``.partial`` and renamed once complete.

Each decision is logged as the server logs a check: the question is answered in process from
the log up to the ledger's end (``Reader.check(request, None, position)``), the request kept as
the canonical JSON of its plain data, the answer as the canonical JSON of the answer, with the
position, the digest there and the events behind the answer. The questions are those of
``decision_questions``: realistic checks (offices in proportion to their events, scopes they
use, dates in their span, one HS code under the scope), ``CHUNK`` per seed.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.ledgers import GeneratedLedger, sqlite_url
from benchmarks.plan import CACHE
from benchmarks.synth import Question
from ledger.application.decisions import NewDecision, canonical_text
from ledger.bootstrap import Ledger
from ledger.domain.chain import GENESIS
from ledger.settings import Settings

__all__ = ["DECISIONS_VERSION", "DecisionsLedger", "decision_questions", "decisions_ledger"]

# Bump whenever the logged decisions change: cached files are keyed by it.
DECISIONS_VERSION = 1
CHUNK = 10_000  # decisions per append (one transaction), and questions per seed
ASKED_BY = "benchmark"


@dataclass(frozen=True)
class DecisionsLedger:
    """A cached copy of a ledger with ``count`` logged decisions."""

    path: Path
    count: int
    generated: bool  # in this run
    seconds: float  # the generation's time (in this run or the one that made it)

    @property
    def bytes(self) -> int:
        return self.path.stat().st_size


def decision_questions(ledger: GeneratedLedger, decisions: int, count: int) -> list[Question]:
    """The questions of the first ``count`` (at most ``CHUNK``) of ``decisions`` logged
    decisions, as they asked them."""
    return _chunk(ledger, 0, min(decisions, CHUNK))[:count]


def _chunk(ledger: GeneratedLedger, number: int, count: int) -> list[Question]:
    return ledger.questions(count, f"decisions-{number}")


def _paths(ledger: GeneratedLedger, count: int) -> tuple[Path, Path]:
    stem = f"{ledger.path.stem}-decisions-{count}"
    return CACHE / f"{stem}.sqlite", CACHE / f"{stem}.json"


def _key(ledger: GeneratedLedger, count: int) -> dict[str, Any]:
    stat = ledger.path.stat()
    return {
        "decisions_version": DECISIONS_VERSION,
        "decisions": count,
        "ledger": ledger.path.name,
        "ledger_bytes": stat.st_size,
        "ledger_mtime_ns": stat.st_mtime_ns,
    }


def decisions_ledger(
    ledger: GeneratedLedger, count: int, advance: Callable[[int], object] | None = None
) -> DecisionsLedger:
    """The cached copy of ``ledger`` with ``count`` decisions: reused when its key matches,
    generated (replacing a stale one) otherwise; ``advance`` is told of each chunk appended."""
    path, sidecar = _paths(ledger, count)
    try:
        meta = json.loads(sidecar.read_text())
    except (OSError, ValueError):
        meta = None
    if meta is not None and meta.get("key") == _key(ledger, count) and path.is_file():
        return DecisionsLedger(path, count, generated=False, seconds=meta["seconds"])
    started = time.perf_counter()
    CACHE.mkdir(parents=True, exist_ok=True)
    partial = path.with_suffix(".partial")
    _remove(partial)
    shutil.copyfile(ledger.path, partial)
    _append(ledger, partial, count, advance)
    for suffix in ("-wal", "-journal"):  # closed: everything is in the file itself
        if Path(f"{partial}{suffix}").exists():
            raise RuntimeError(f"{partial}{suffix} is left after closing the ledger")
    sidecar.unlink(missing_ok=True)
    _remove(path)
    partial.replace(path)
    seconds = time.perf_counter() - started
    sidecar.write_text(json.dumps({"key": _key(ledger, count), "seconds": seconds}))
    return DecisionsLedger(path, count, generated=True, seconds=seconds)


def _append(
    ledger: GeneratedLedger, path: Path, count: int, advance: Callable[[int], object] | None
) -> None:
    with Ledger(Settings(database_url=sqlite_url(path))) as opened:
        opened.reader.catch_up()
        position = opened.reader.index.position
        checkpoint = opened.view.checkpoint_at(position)
        digest = GENESIS if checkpoint is None else checkpoint.root
        for number, start in enumerate(range(0, count, CHUNK)):
            questions = _chunk(ledger, number, min(CHUNK, count - start))
            opened.decisions.append([_decision(opened, q, position, digest) for q in questions])
            if advance:
                advance(len(questions))


def _decision(ledger: Ledger, question: Question, position: int, digest: str) -> NewDecision:
    """The question answered from the log up to ``position`` and logged, as the server does."""
    request = question.request()
    answer = ledger.reader.check(request, None, position)
    events = dict.fromkeys(event for item in answer.items for event in item.event_ids)
    return NewDecision(
        asked_at=datetime.now(UTC),
        asked_by=ASKED_BY,
        label="",
        rpc="Check",
        request=canonical_text(request.model_dump(mode="json", exclude_none=True)),
        answer=canonical_text(answer.model_dump(mode="json")),
        position=position,
        digest=digest,
        event_ids=tuple(events),
    )


def _remove(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
