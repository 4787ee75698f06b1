"""The rule index: answers "what did scope S say about dimension D at date T, as known at K"
with a bisection, not a replay.

For each office, scope and dimension it keeps the revisions that state that dimension, sorted
by (window start, order recorded, revision). A lookup bisects to the last revision starting on
or before the date and steps back only over revisions not known at K (superseded, retracted,
or recorded later) and, for the certain state, over those whose window still contains the
date. Offices are loaded lazily from the persisted view and kept current by the projection.
"""

from __future__ import annotations

import sys
import threading
from bisect import bisect_left, bisect_right
from collections import OrderedDict
from datetime import date
from typing import TYPE_CHECKING

from ledger.domain.values import DIMENSIONS, Channel, Dimension, Direction, Traveller

if TYPE_CHECKING:
    from collections.abc import Iterable

    from ledger.readmodel import Knowledge, Revision, RuleView

__all__ = ["ScopeKey", "DimensionTimeline", "OfficeRules", "RuleIndex"]

ScopeKey = tuple[Direction, Channel, Traveller, str]
_LAST = sys.maxsize


class DimensionTimeline:
    """The revisions of one scope that state one dimension, in rule order."""

    __slots__ = ("keys", "revisions")

    def __init__(self) -> None:
        self.keys: list[tuple[date, int, int]] = []
        self.revisions: list[Revision] = []

    def put(self, revision: Revision) -> int:
        """Insert a revision, or replace the stored form of the same one; how many added."""
        key = revision.order
        i = bisect_left(self.keys, key)
        if i < len(self.keys) and self.keys[i] == key:
            self.revisions[i] = revision
            return 0
        self.keys.insert(i, key)
        self.revisions.insert(i, revision)
        return 1

    def latest(self, at: date, knowledge: Knowledge, *, certain: bool) -> Revision | None:
        """The last revision known at ``knowledge`` in force on ``at``.

        ``certain`` leaves out changes whose effective window contains ``at`` (they may or may
        not have taken effect yet); otherwise they are taken as in force.
        """
        i = bisect_right(self.keys, (at, _LAST, _LAST))
        revisions = self.revisions
        while i:
            i -= 1
            revision = revisions[i]
            if certain and revision.end > at:
                continue
            if revision.known(knowledge):
                return revision
        return None


class OfficeRules:
    """Every scope of one office, each with a timeline per dimension."""

    __slots__ = ("scopes", "size")

    def __init__(self, revisions: Iterable[Revision] = ()) -> None:
        self.scopes: dict[ScopeKey, dict[Dimension, DimensionTimeline]] = {}
        self.size = 0  # revisions held, once per dimension they state
        for revision in revisions:
            self.put(revision)

    def put(self, revision: Revision) -> None:
        scope = revision.scope
        key = (scope.direction, scope.channel, scope.traveller, scope.goods)
        timelines = self.scopes.setdefault(key, {})
        for dimension in revision.measure.stated():
            self.size += timelines.setdefault(dimension, DimensionTimeline()).put(revision)

    def ruling(
        self,
        scope: ScopeKey,
        dimension: Dimension,
        at: date,
        knowledge: Knowledge,
        *,
        certain: bool,
    ) -> Revision | None:
        timelines = self.scopes.get(scope)
        if timelines is None:
            return None
        timeline = timelines.get(dimension)
        return None if timeline is None else timeline.latest(at, knowledge, certain=certain)

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

    def __init__(self, view: RuleView, position: int = 0, budget: int = 250_000) -> None:
        self._view = view
        self._offices: OrderedDict[str, OfficeRules] = OrderedDict()
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
            rules = self._offices[office] = OfficeRules(self._view.revisions_of_office(office))
            self.loaded += rules.size
            while self.loaded > self.budget and len(self._offices) > 1:
                _, dropped = self._offices.popitem(last=False)
                self.loaded -= dropped.size
            return rules

    def apply(self, revisions: Iterable[Revision], position: int) -> None:
        """Bring loaded offices up to date with the event at ``position``, the next in the log.

        Unloaded offices will read the view when needed; after a gap, ``forget`` catches up.
        """
        with self._lock:
            if position != self.position + 1:
                return
            for revision in revisions:
                rules = self._offices.get(revision.office)
                if rules is not None:
                    before = rules.size
                    rules.put(revision)
                    self.loaded += rules.size - before
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
            self.loaded = 0
            self.position = 0

    @property
    def lock(self) -> threading.RLock:
        """Held while the index changes; queries take it to read a consistent state."""
        return self._lock
