"""The decision log: answers given, kept append-only and hash-chained like the events.

A ``Decision`` is one logged answer (a check or a comparison): who asked, when, the request
and the answer as canonical JSON text, and the ledger position and digest it was answered at.
Its **hash** is ``sha256("Decision" + "\\n" + CANONICAL_JSON)`` over every field but the hash
itself (``ledger.domain.chain``: the events' rule, with the type name ``Decision``), and each
decision's ``prev_hash`` is the hash of the one before it (the first's is ``GENESIS``), so
that editing, removing or reordering a stored decision breaks the chain the store audit
recomputes (``decision_hash``).

The store (``ports.DecisionStore``) numbers and chains decisions in its append transaction
(``chained``). ``DecisionWriter`` is the group commit in front of it: callers hand it a
decision each and wait; one thread appends whatever is waiting in one transaction.
"""

from __future__ import annotations

import re
import threading
from concurrent.futures import Future
from dataclasses import dataclass, field, fields, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, NamedTuple
from uuid import UUID, uuid4

from pydantic_core import to_jsonable_python

from ledger.domain.chain import GENESIS, canonical_json, event_hash
from ledger.domain.errors import Unavailable

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ledger.application.ports import DecisionStore

__all__ = [
    "RPCS",
    "NewDecision",
    "Decision",
    "Question",
    "canonical_text",
    "decision_json",
    "decision_hash",
    "chained",
    "DecisionWriter",
]

RPCS = ("Check", "CompareOffices")  # the questions whose answers may be logged
_HEX64 = re.compile(r"[0-9a-f]{64}")


def canonical_text(value: Any) -> str:
    """``value`` (plain data; times and ids as their ISO and hyphenated text) as the canonical
    JSON text a decision keeps its request and answer in."""
    return canonical_json(to_jsonable_python(value)).decode()


@dataclass(frozen=True, slots=True)
class NewDecision:
    """A decision to log: everything but its place in the log (sequence and hashes)."""

    asked_at: datetime  # timezone-aware; kept in UTC
    asked_by: str
    label: str
    rpc: str
    request: str  # canonical JSON text (``canonical_text``)
    answer: str  # canonical JSON text
    position: int  # the ledger log position it was answered at
    digest: str  # the ledger digest root at that position
    event_ids: tuple[UUID, ...] = ()  # the events behind the answer
    decision_id: UUID = field(default_factory=uuid4)

    def __post_init__(self) -> None:
        if self.asked_at.tzinfo is None:
            raise ValueError(f"asked_at {self.asked_at} has no timezone: give it in UTC")
        if self.rpc not in RPCS:
            raise ValueError(f"rpc {self.rpc!r}: a logged decision answers one of {RPCS}")
        if self.position < 0 or not _HEX64.fullmatch(self.digest):
            raise ValueError(f"({self.position}, {self.digest!r}) is not a ledger digest")
        object.__setattr__(self, "asked_at", self.asked_at.astimezone(UTC))
        object.__setattr__(self, "event_ids", tuple(self.event_ids))


@dataclass(frozen=True, slots=True)
class Decision:
    """A logged decision, as stored: its place in the log (``sequence``, 1, 2, 3, ...) and
    its link in the chain."""

    decision_id: UUID
    sequence: int
    asked_at: datetime
    asked_by: str
    label: str
    rpc: str
    request: str
    answer: str
    position: int
    digest: str
    event_ids: tuple[UUID, ...]
    prev_hash: str
    hash: str


class Question(NamedTuple):
    """What the read side needs of a decision to tell whether an event changed it."""

    sequence: int
    rpc: str
    request: str
    position: int


_HASHED = tuple(f.name for f in fields(Decision) if f.name != "hash")


def decision_json(decision: Decision) -> bytes:
    """The canonical JSON of every field of a decision but ``hash``: what its hash is over,
    and what an export gives an auditor."""
    values: dict[str, Any] = {name: getattr(decision, name) for name in _HASHED}
    values["decision_id"] = str(decision.decision_id)
    values["asked_at"] = decision.asked_at.isoformat()
    values["event_ids"] = [str(event_id) for event_id in decision.event_ids]
    return canonical_json(values)


def decision_hash(decision: Decision) -> str:
    """The hash of a decision, over the canonical JSON of every field but ``hash``."""
    return event_hash("Decision", decision_json(decision))


def chained(new: Sequence[NewDecision], last: Decision | None) -> list[Decision]:
    """``new`` numbered and chained, in order, after ``last`` (None: the log is empty)."""
    sequence, prev_hash = (last.sequence, last.hash) if last else (0, GENESIS)
    decisions = []
    for decision in new:
        sequence += 1
        unhashed = Decision(
            decision_id=decision.decision_id,
            sequence=sequence,
            asked_at=decision.asked_at,
            asked_by=decision.asked_by,
            label=decision.label,
            rpc=decision.rpc,
            request=decision.request,
            answer=decision.answer,
            position=decision.position,
            digest=decision.digest,
            event_ids=decision.event_ids,
            prev_hash=prev_hash,
            hash="",
        )
        prev_hash = decision_hash(unhashed)
        decisions.append(replace(unhashed, hash=prev_hash))
    return decisions


class DecisionWriter:
    """Group commit: ``log`` hands a decision to one writer thread and waits for it stored;
    the thread appends everything waiting in one ``append`` (one transaction), so that calls
    in flight together share a commit. Started on the first ``log``; ``close`` stores what is
    waiting and stops it."""

    def __init__(self, store: DecisionStore, *, batch: int = 1000) -> None:
        self.store = store
        self.batch = batch
        self._waiting: list[tuple[NewDecision, Future[Decision]]] = []
        self._changed = threading.Condition()
        self._closed = False
        self._thread: threading.Thread | None = None

    def log(self, decision: NewDecision, timeout: float) -> Decision:
        """Store ``decision``; its stored form. ``Unavailable`` when not stored within
        ``timeout`` seconds; the store's error when its transaction failed."""
        future: Future[Decision] = Future()
        with self._changed:
            if self._closed:
                raise Unavailable("the decision log is closed: the server is stopping")
            if self._thread is None:
                self._thread = threading.Thread(
                    target=self._run, name="ledger-decisions", daemon=True
                )
                self._thread.start()
            self._waiting.append((decision, future))
            self._changed.notify()
        try:
            return future.result(timeout)
        except TimeoutError:
            if future.cancel():  # still waiting: it will never be stored
                raise Unavailable(
                    f"the decision log did not store decision {decision.decision_id} within "
                    f"{timeout:g} s: it was not stored; try again"
                ) from None
            try:
                return future.result(0)  # taken, and perhaps stored since
            except TimeoutError:
                raise Unavailable(
                    f"the decision log did not store decision {decision.decision_id} within "
                    f"{timeout:g} s: it may still be stored; look it up by its id"
                ) from None

    def close(self) -> None:
        """Store what is waiting, then stop the thread; later calls are refused."""
        with self._changed:
            self._closed = True
            self._changed.notify()
            thread = self._thread
        if thread is not None:
            thread.join()

    def _run(self) -> None:
        while True:
            with self._changed:
                while not self._waiting and not self._closed:
                    self._changed.wait()
                if not self._waiting:
                    return  # closed, and everything waiting was stored
                taken = self._waiting[: self.batch]
                del self._waiting[: self.batch]
            # A caller that gave up before its decision was taken is left out.
            taken = [(d, f) for d, f in taken if f.set_running_or_notify_cancel()]
            if taken:
                self._append(taken)

    def _append(self, taken: list[tuple[NewDecision, Future[Decision]]]) -> None:
        try:
            stored = self.store.append([decision for decision, _ in taken])
            if len(stored) != len(taken):
                raise RuntimeError(f"{len(taken)} decisions appended, {len(stored)} returned")
        except Exception as error:  # every caller of the batch gets the store's error
            for _, future in taken:
                future.set_exception(error)
            return
        for (_, future), decision in zip(taken, stored, strict=True):
            future.set_result(decision)
