"""The rule index: answers "what did scope S say about dimension D at date T, as known at K"
with a bisection, not a replay.

For each office, scope and dimension it keeps the revisions that state that dimension, sorted
by (window start, order recorded, revision). A lookup bisects to the last revision starting on
or before the date and steps back only over revisions not known at K (superseded, retracted,
or recorded later) and, for the certain state, over those whose window still contains the
date. Each office's scopes are read from the persisted view when first asked about, kept
current by the projection, and dropped when the least recently used past a budget.
"""

from __future__ import annotations

import threading
from array import array
from bisect import bisect_right
from collections import OrderedDict
from contextlib import suppress
from datetime import date
from typing import TYPE_CHECKING, cast
from uuid import UUID

from ledger.domain.values import DIMENSIONS, Channel, Dimension, Direction, Scope, Traveller
from ledger.readmodel.model import OPEN, Basis, Entry

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable

    from ledger.readmodel.model import Knowledge, Revision
    from ledger.readmodel.view import RuleView

__all__ = ["ScopeKey", "DimensionTimeline", "OfficeRules", "RuleIndex"]

ScopeKey = tuple[Direction, Channel, Traveller, str]
_LOW = 2**64 - 1
# Chosen revisions kept in full, for the answers that cite them; past this many, the oldest read
# is dropped (a hit costs nothing to keep, which least-recently-used bookkeeping would).
_REVISIONS_KEPT = 20_000
# A timeline's row for each revision: these numbers, in this order.
(
    _END,
    _SEQ,
    _REV,
    _RECORDED_FROM,
    _RECORDED_UNTIL,
    _REPORTED_FROM,
    _REPORTED_UNTIL,
    _CHANGE_HIGH,
    _CHANGE_LOW,
    _POSITION_FROM,
    _POSITION_UNTIL,
) = range(11)
_WIDTH = 11


def _scope(key: ScopeKey) -> Scope:
    direction, channel, traveller, goods = key
    return Scope(direction=direction, channel=channel, traveller=traveller, goods=goods)


class DimensionTimeline:
    """The revisions of one scope that state one dimension, in rule order (window start, order
    recorded, revision), each kept as numbers: its window start in ``starts`` (for the
    bisection) and the rest in ``rows`` (``_WIDTH`` numbers a revision). About 96 bytes a
    revision, so that a ledger of millions of events fits in memory; only the revision a
    question chooses is read in full (``OfficeRules.governing``)."""

    __slots__ = ("rows", "starts")

    def __init__(self) -> None:
        self.starts = array("i")
        self.rows = array("q")

    def __len__(self) -> int:
        return len(self.starts)

    def put(self, entry: Entry) -> int:
        """Insert a revision, or replace the stored form of the same one; how many added."""
        starts, rows = self.starts, self.rows
        order = (entry.seq, entry.rev)
        i = bisect_right(starts, entry.start)
        while i and starts[i - 1] == entry.start and _order(rows, i - 1) > order:
            i -= 1
        row = array(
            "q",
            (
                entry.end,
                entry.seq,
                entry.rev,
                entry.recorded_from,
                min(entry.recorded_until, OPEN),
                entry.reported_from,
                min(entry.reported_until, OPEN),
                _signed(entry.change >> 64),
                _signed(entry.change & _LOW),
                entry.position_from,
                min(entry.position_until, OPEN),
            ),
        )
        if i and starts[i - 1] == entry.start and _order(rows, i - 1) == order:
            rows[(i - 1) * _WIDTH : i * _WIDTH] = row
            return 0
        starts.insert(i, entry.start)
        rows[i * _WIDTH : i * _WIDTH] = row
        return 1

    def edges(self) -> set[int]:
        """The days (ordinals) on which a window starts or ends: between two of them, ``latest``
        chooses the same revision (a change may be in force from its window's first day, and
        is for certain from its last)."""
        rows = self.rows
        return {*self.starts, *(rows[i] for i in range(_END, len(rows), _WIDTH))}

    def latest(self, at: date, knowledge: Knowledge, *, certain: bool) -> tuple[UUID, int] | None:
        """The change and revision number of the last revision known at ``knowledge`` in force
        on ``at``.

        ``certain`` leaves out changes whose effective window contains ``at`` (they may or may
        not have taken effect yet); otherwise they are taken as in force.
        """
        day = at.toordinal()
        i = bisect_right(self.starts, day)
        rows = self.rows
        if knowledge.position is not None and knowledge.at is not None:
            return self._latest_within(i, day, knowledge, certain)
        if knowledge.position is not None:  # as recorded up to a log position
            since, until, instant = _POSITION_FROM, _POSITION_UNTIL, knowledge.position
        elif knowledge.at is None:  # known now: still current on the RECORDED basis
            since, until, instant = None, _RECORDED_UNTIL, OPEN
        elif knowledge.basis is Basis.RECORDED:
            since, until, instant = _RECORDED_FROM, _RECORDED_UNTIL, knowledge.instant
        else:
            since, until, instant = _REPORTED_FROM, _REPORTED_UNTIL, knowledge.instant
        while i:
            i -= 1
            base = i * _WIDTH
            if certain and rows[base + _END] > day:
                continue
            if since is None:
                if rows[base + until] != OPEN:
                    continue
            elif not rows[base + since] <= instant < rows[base + until]:
                continue
            high, low = rows[base + _CHANGE_HIGH] & _LOW, rows[base + _CHANGE_LOW] & _LOW
            return UUID(int=(high << 64) | low), rows[base + _REV]
        return None

    def _latest_within(
        self, i: int, day: int, knowledge: Knowledge, certain: bool
    ) -> tuple[UUID, int] | None:
        """``latest`` as known at an instant from the log up to a position: a revision is
        current if the event that made it is in that part of the log and was known at the
        instant, and the event that ended it (if any) is not both."""
        rows, position, instant = self.rows, cast(int, knowledge.position), knowledge.instant
        if knowledge.basis is Basis.RECORDED:
            since, until = _RECORDED_FROM, _RECORDED_UNTIL
        else:
            since, until = _REPORTED_FROM, _REPORTED_UNTIL
        while i:
            i -= 1
            base = i * _WIDTH
            if certain and rows[base + _END] > day:
                continue
            if rows[base + _POSITION_FROM] > position or rows[base + since] > instant:
                continue
            if rows[base + _POSITION_UNTIL] <= position and rows[base + until] <= instant:
                continue
            high, low = rows[base + _CHANGE_HIGH] & _LOW, rows[base + _CHANGE_LOW] & _LOW
            return UUID(int=(high << 64) | low), rows[base + _REV]
        return None


def _order(rows: array[int], i: int) -> tuple[int, int]:
    return rows[i * _WIDTH + _SEQ], rows[i * _WIDTH + _REV]


def _signed(value: int) -> int:
    """An unsigned 64-bit half of a change id, as the signed number an ``array("q")`` holds
    (``& _LOW`` turns it back)."""
    return value - 2**64 if value >= 2**63 else value


class OfficeRules:
    """The scopes of one office, each with a timeline per dimension.

    Scopes are read from the view when first asked about (``load``), not all at once: a check
    touches a handful of scopes, and an office with a long history loads only those. ``size``
    counts what is held: each revision once per dimension it states, and one per scope found
    empty. ``complete`` once every scope is loaded (``load_all``).
    """

    __slots__ = ("_fetch", "_grew", "_load", "_load_all", "complete", "scopes", "size")

    def __init__(
        self,
        fetch: Callable[[UUID, int], Revision],
        load: Callable[[ScopeKey], Iterable[Entry]] = lambda scope: (),
        load_all: Callable[[], Iterable[Revision]] | None = None,
        grew: Callable[[int], object] = lambda by: None,
    ) -> None:
        self.scopes: dict[ScopeKey, dict[Dimension, DimensionTimeline]] = {}
        self.size = 0
        self.complete = load_all is None
        self._fetch = fetch  # a revision in full, by change id and revision number
        self._load = load
        self._load_all = load_all
        self._grew = grew  # told how much ``size`` changed, after each change

    @classmethod
    def of(cls, revisions: Iterable[Revision]) -> OfficeRules:
        """Rules holding exactly ``revisions`` (nothing to load)."""
        held = {(revision.change_id, revision.rev): revision for revision in revisions}
        rules = cls(fetch=lambda change, rev: held[change, rev])
        for revision in held.values():
            rules.put(revision)
        return rules

    def put(self, revision: Revision) -> None:
        """Add a revision (or its new form) to a scope that is held; others are read when
        asked about, from the view that already has it."""
        scope = revision.scope
        key = (scope.direction, scope.channel, scope.traveller, scope.goods)
        timelines = self.scopes.get(key)
        if timelines is None:
            if not self.complete:
                return
            timelines = self.scopes[key] = {}
        before = self.size
        self._add(timelines, Entry.of(revision))
        self._grew(self.size - before)

    def _add(self, timelines: dict[Dimension, DimensionTimeline], entry: Entry) -> None:
        for dimension in entry.dimensions:
            self.size += timelines.setdefault(dimension, DimensionTimeline()).put(entry)

    def timelines(self, scope: ScopeKey) -> dict[Dimension, DimensionTimeline]:
        """The scope's timelines (empty if it has no rules), read on first use."""
        timelines = self.scopes.get(scope)
        if timelines is None:
            timelines = self.scopes[scope] = {}
            if self.complete:
                return timelines
            before = self.size
            for entry in self._load(scope):
                self._add(timelines, entry)
            self.size += not timelines
            self._grew(self.size - before)
        return timelines

    def load_all(self) -> None:
        """Hold every scope of the office (a state lists them all)."""
        if self._load_all is None or self.complete:
            return
        before = self.size
        self.scopes, self.size, self.complete = {}, 0, True
        for revision in self._load_all():
            scope = revision.scope
            key = (scope.direction, scope.channel, scope.traveller, scope.goods)
            self._add(self.scopes.setdefault(key, {}), Entry.of(revision))
        self._grew(self.size - before)

    def ruling(
        self,
        scope: ScopeKey,
        dimension: Dimension,
        at: date,
        knowledge: Knowledge,
        *,
        certain: bool,
    ) -> Revision | None:
        timeline = self.timelines(scope).get(dimension)
        return None if timeline is None else self.governing(timeline, at, knowledge, certain)

    def governing(
        self, timeline: DimensionTimeline, at: date, knowledge: Knowledge, certain: bool
    ) -> Revision | None:
        """The revision ``timeline.latest`` chooses, in full."""
        found = timeline.latest(at, knowledge, certain=certain)
        return None if found is None else self._fetch(*found)

    def state(
        self, scope: ScopeKey, at: date, knowledge: Knowledge, *, certain: bool
    ) -> dict[Dimension, Revision]:
        """Each dimension's governing revision in this exact scope."""
        found = {}
        for dimension in DIMENSIONS:
            revision = self.ruling(scope, dimension, at, knowledge, certain=certain)
            if revision is not None:
                found[dimension] = revision
        return found


class RuleIndex:
    """Per-office rules in memory, loaded on first use from the persisted view.

    ``position`` is the last log position whose revisions the loaded offices include. The
    projection pushes revisions in log order; when another process moved the shared view on
    instead, ``forget`` drops the offices it touched and they are read again when needed.

    At most ``budget`` revisions stay loaded: past it, the offices asked about least recently
    are dropped (the one just asked about always stays) and read again when needed.
    """

    def __init__(self, view: RuleView, position: int = 0, budget: int = 2_000_000) -> None:
        self._view = view
        self._offices: OrderedDict[str, OfficeRules] = OrderedDict()
        self._revisions: dict[tuple[UUID, int], Revision] = {}
        self._lock = threading.RLock()
        self.position = position
        self.budget = budget
        self.loaded = 0  # revisions held, over every loaded office

    def rules(self, office: str) -> OfficeRules:
        with self._lock:
            rules = self._offices.get(office)
            if rules is not None:
                self._offices.move_to_end(office)
                return rules
            view = self._view
            rules = self._offices[office] = OfficeRules(
                fetch=self.revision,
                load=lambda key: view.entries_of_scope(office, _scope(key)),
                load_all=lambda: view.revisions_of_office(office),
                grew=self._grew,
            )
            return rules

    def revision(self, change: UUID, rev: int) -> Revision:
        """A chosen revision in full: from the last ones read, or from the view."""
        key = (change, rev)
        revision = self._revisions.get(key)
        if revision is None:
            revision = self._view.revision(change, rev)
            assert revision is not None, f"the index holds a revision the view lacks: {key}"
            if len(self._revisions) >= _REVISIONS_KEPT:
                # The oldest read; another thread may drop it first.
                with suppress(KeyError, RuntimeError, StopIteration):
                    del self._revisions[next(iter(self._revisions))]
            self._revisions[key] = revision
        return revision

    def _grew(self, by: int) -> None:
        """Count what an office loaded; while over the budget, drop the offices asked about
        least recently (never the last one, which is being asked about)."""
        self.loaded += by
        while self.loaded > self.budget and len(self._offices) > 1:
            _, dropped = self._offices.popitem(last=False)
            self.loaded -= dropped.size

    def apply(self, revisions: Iterable[Revision], position: int) -> None:
        """Bring loaded offices up to date with the event at ``position``, the next in the log.

        Unloaded offices will read the view when needed; after a gap, ``forget`` catches up.
        """
        with self._lock:
            if position != self.position + 1:
                return
            for revision in revisions:
                if (revision.change_id, revision.rev) in self._revisions:
                    self._revisions[revision.change_id, revision.rev] = revision
                rules = self._offices.get(revision.office)
                if rules is not None:
                    rules.put(revision)
            self.position = position

    def forget(self, offices: Iterable[str], position: int) -> None:
        """Drop offices changed up to ``position`` by someone else; reload them when asked."""
        with self._lock:
            for office in offices:
                dropped = self._offices.pop(office, None)
                if dropped is not None:
                    self.loaded -= dropped.size
            self.position = max(self.position, position)

    def clear(self) -> None:
        with self._lock:
            self._offices.clear()
            self._revisions.clear()
            self.loaded = 0
            self.position = 0

    @property
    def lock(self) -> threading.RLock:
        """Held while the index changes; queries take it to read a consistent state."""
        return self._lock
