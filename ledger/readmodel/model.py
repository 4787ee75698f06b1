"""The read model's values: knowledge times, revisions of changes, offices and digests.

A *revision* is one version of a change as known over an interval of knowledge time, on each
basis: the original change is revision 0, each amendment adds one, and a later amendment or a
retraction closes the interval of those before it. The projection computes revisions, the
views store them, and the rule index answers questions from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import NamedTuple
from uuid import UUID

from ledger.domain.dates import EffectiveDate
from ledger.domain.values import ChangeKind, Crossing, Dimension, Measure, Scope, Source

__all__ = [
    "Basis",
    "Knowledge",
    "Revision",
    "Entry",
    "OPEN",
    "micros",
    "Checkpoint",
    "OfficeRow",
]


class Basis(StrEnum):
    """Which knowledge time a question is asked on."""

    RECORDED = "recorded"  # the ledger's own transaction time: what an auditor uses
    REPORTED = "reported"  # the earliest publication date of the cited sources


@dataclass(frozen=True, slots=True)
class Knowledge:
    """ "As known at": a basis and an instant, or ``None`` for everything known now; or a log
    ``position``, what was recorded up to and including the event there. Both an instant and a
    position: as known at the instant from the log up to the position only (``within``: how a
    logged decision is answered again as it was answered)."""

    basis: Basis = Basis.RECORDED
    at: datetime | None = None
    position: int | None = None

    @property
    def instant(self) -> int:
        """``at`` as the index compares it: microseconds (RECORDED) or a day (REPORTED)."""
        if self.at is None:
            return OPEN
        if self.basis is Basis.RECORDED:
            return micros(self.at)
        return self.at.date().toordinal()

    @property
    def now(self) -> bool:
        """Everything known now: no instant, no position."""
        return self.at is None and self.position is None

    def within(self, position: int) -> Knowledge:
        """This knowledge, from the log up to ``position`` only (a position already given
        stays the smaller of the two)."""
        if self.position is not None:
            return Knowledge(self.basis, self.at, min(self.position, position))
        return Knowledge(self.basis, self.at, position)

    @classmethod
    def of(
        cls,
        known_at: date | datetime | None,
        basis: Basis = Basis.RECORDED,
        position: int | None = None,
    ) -> Knowledge:
        """A date means the end of that day (UTC); naive datetimes are taken as UTC."""
        if position is not None:
            return cls(Basis.RECORDED, None, position)
        if known_at is None:
            return cls(basis)
        if not isinstance(known_at, datetime):
            known_at = datetime.combine(known_at, time.max, UTC)
        elif known_at.tzinfo is None:
            known_at = known_at.replace(tzinfo=UTC)
        return cls(basis, known_at)


@dataclass(frozen=True, slots=True)
class Revision:
    """One version of a change, and the knowledge intervals in which it is the current one."""

    office: str
    change_id: UUID
    rev: int
    seq: int
    kind: ChangeKind
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    start: date
    end: date
    recorded_from: datetime
    recorded_until: datetime | None
    reported_from: date
    reported_until: date | None
    event_ids: tuple[UUID, ...]
    sources: tuple[Source, ...]
    # The log positions of the event that made this form and of the one that ended it: the
    # same interval as recorded_from/until, counted in the log's own order.
    position_from: int = 0
    position_until: int | None = None


# The rule index keeps each revision as numbers (an ``Entry``): times as microseconds since the
# epoch, days as ordinals, an interval still open as ``OPEN``.
OPEN = 2**62
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def micros(moment: datetime) -> int:
    return (moment - _EPOCH) // _MICROSECOND


class Entry(NamedTuple):
    """What the rule index needs of a revision to choose it; the rest is read when chosen."""

    start: int  # the window's first and last day, as ordinals
    end: int
    seq: int
    rev: int
    recorded_from: int  # microseconds since the epoch; until: OPEN if still current
    recorded_until: int
    reported_from: int  # days, as ordinals
    reported_until: int
    change: int  # the change id, as an integer
    dimensions: tuple[Dimension, ...]  # the dimensions the revision states
    position_from: int = 0  # log positions; until: OPEN if still current
    position_until: int = OPEN

    @classmethod
    def of(cls, revision: Revision) -> Entry:
        return cls(
            revision.start.toordinal(),
            revision.end.toordinal(),
            revision.seq,
            revision.rev,
            micros(revision.recorded_from),
            OPEN if revision.recorded_until is None else micros(revision.recorded_until),
            revision.reported_from.toordinal(),
            OPEN if revision.reported_until is None else revision.reported_until.toordinal(),
            revision.change_id.int,
            tuple(revision.measure.stated()),
            revision.position_from,
            OPEN if revision.position_until is None else revision.position_until,
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """The ledger digest after the event at ``position``: ``root`` chains every event so far."""

    position: int
    root: str


# A complete subtree of the Merkle tree over the log (``ledger.domain.merkle``): its level, its
# index at that level, and its hash.
MerkleNode = tuple[int, int, bytes]


@dataclass(frozen=True, slots=True)
class OfficeRow:
    code: str
    name: str
    crossings: tuple[Crossing, ...]
    version: int
    registered_at: datetime
    changes: int = 0
