"""What the application needs of its storage, beyond the library's recorder.

The request-id index is written in the same transaction as the events it belongs to, under a
unique key, so two racing retries of one command cannot both write (the pattern of the
library's ``searchabletimestamps`` example). Each backend's recorder implements ``LedgerStore``
(``ledger.storage``); the application, the read side and the audit use it through here.

The decision log (``ledger.application.decisions``) is a store of its own, ``DecisionStore``,
beside the events in the same database; so are the signed checkpoints, ``SignedStore``.
"""

from __future__ import annotations

import builtins
from abc import ABC, abstractmethod
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar, NamedTuple
from uuid import UUID

from ledger.application.decisions import Decision, NewDecision, Question

__all__ = [
    "RequestRecord",
    "RequestRow",
    "ExportRow",
    "LedgerStore",
    "DecisionStore",
    "SignedStore",
]


@dataclass(frozen=True)
class RequestRecord:
    """What a command's request id is bound to: its payload's fingerprint and its receipt."""

    request_id: str
    fingerprint: str
    office: str
    originator_id: UUID
    change_id: UUID
    office_version: int
    recorded_at: datetime
    hash: str
    position: int = 0  # the global position, filled in when the event is inserted


class ExportRow(NamedTuple):
    """One stored event, exactly as stored, at its global position."""

    position: int
    office_id: str  # the office aggregate's id, hyphenated
    office_version: int
    type: str  # the event class's name
    stored_json: bytes


class RequestRow(NamedTuple):
    """A request-id row as stored, for the audit: what it binds the request id to."""

    request_id: str
    office: str
    originator_id: str  # the office aggregate's id, hyphenated
    office_version: int
    hash: str
    position: int


class LedgerStore(ABC):
    """The request-id index, and the log read as stored."""

    # Positions 1, 2, 3, ... with no gaps (PostgreSQL uses a number up when a write loses a race).
    gapless: ClassVar[bool] = True

    @abstractmethod
    def get_requests(self, request_ids: Sequence[str]) -> dict[str, RequestRecord]:
        """The recorded requests among ``request_ids``, by id."""

    def get_request(self, request_id: str) -> RequestRecord | None:
        return self.get_requests([request_id]).get(request_id)

    @abstractmethod
    def request_rows(self) -> list[RequestRow]:
        """Every recorded request, as stored, in log order (what the audit checks)."""

    def iter_request_rows(self) -> Iterator[RequestRow]:
        """``request_rows`` a page at a time (a backend that can, streams them: the audit of
        a long log holds none of them)."""
        yield from self.request_rows()

    @abstractmethod
    def export_rows(self, after: int, limit: int) -> list[ExportRow]:
        """Up to ``limit`` events after position ``after``, as stored, without decoding."""

    @abstractmethod
    def position_of_event(self, event_id: UUID) -> int | None:
        """The log position of the event ``event_id`` (an answer names its events by id)."""

    @abstractmethod
    def positions_of(self, originator_id: UUID) -> list[int]:
        """The log positions of an office's events, in the order of its versions."""


class DecisionStore(ABC):
    """The decision log, append-only: decisions numbered 1, 2, 3, ... and hash-chained."""

    @abstractmethod
    def append(self, decisions: Sequence[NewDecision]) -> builtins.list[Decision]:
        """Store ``decisions`` after the last one, in the order given, numbered and chained
        (``decisions.chained``) in one transaction that excludes every other append, of this
        process or another; what was stored."""

    @abstractmethod
    def get(self, decision_id: UUID) -> Decision | None:
        """The decision ``decision_id``, or None."""

    @abstractmethod
    def list(self, after_sequence: int, limit: int) -> builtins.list[Decision]:
        """Up to ``limit`` decisions after ``after_sequence``, in sequence order."""

    @abstractmethod
    def by_sequences(self, sequences: Sequence[int]) -> builtins.list[Decision]:
        """The decisions of these sequence numbers (those that exist), in sequence order."""

    @abstractmethod
    def questions(self, sequences: Sequence[int]) -> builtins.list[Question]:
        """What the decisions of these sequence numbers asked, without their answers (those
        that exist), in sequence order."""

    @abstractmethod
    def last(self) -> Decision | None:
        """The decision logged last, or None when there is none."""


class SignedStore(ABC):
    """Signed checkpoints by tree size (a log position): the signed note of each, as text.
    Not part of the read model: nothing can make them again without the key."""

    @abstractmethod
    def add(self, position: int, note: str) -> bool:
        """Keep ``note`` as the checkpoint at ``position``; false (and nothing changed) when
        there is one there already."""

    @abstractmethod
    def latest(self, at_most: int | None = None) -> tuple[int, str] | None:
        """The checkpoint of the largest tree, of size ``at_most`` or less when given."""

    @abstractmethod
    def after(self, position: int, limit: int) -> builtins.list[tuple[int, str]]:
        """Up to ``limit`` checkpoints of trees larger than ``position``, smallest first."""
