"""Rules taking effect: the edges of each change's effective window, by date, in memory.

A change's *edges* are the first day of its window (``Edge.STARTS``: from then it may be in
force) and the last (``Edge.CERTAIN``: from then it certainly is), for the change as known now:
its current form (the change as recorded, or as its latest amendment left it), none once it is
retracted. A day-precise change has both on its day, ``STARTS`` first.

``EffectiveIndex`` keeps the edges of the current forms per office, sorted by (day, change,
edge): the edges between two dates are two bisections per office asked, the offices merged in
order. Beside them, the current forms sorted by the log position of the event that made each:
the forms recorded after a position, which a watch of effective dates announces, are one
bisection. The index is built from the view when first asked, and kept current as the
projection applies revisions, by the rule index's rules (``ledger.readmodel.index``):
revisions are applied in log order only; after a gap (another process projected the events)
the offices written in it are read again from the view, or everything after a long gap.

What it costs: about half a kilobyte per change in force or to come (two edge keys, the form,
its place by position); one read of every revision when first asked; a change recorded, an
insertion into its office's sorted list; a question, a bisection per office asked and the
edges it returns.
"""

from __future__ import annotations

import heapq
import threading
from bisect import bisect_left, bisect_right, insort
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, NamedTuple
from uuid import UUID

if TYPE_CHECKING:
    from ledger.readmodel.model import Revision
    from ledger.readmodel.view import RuleView

__all__ = ["Edge", "EdgeKey", "Form", "Due", "EffectiveIndex"]

# A gap of more events than this (written by another process) rebuilds the index rather than
# reading again the offices written in it: finding them reads every event of the gap.
_GAP = 10_000
# Forms read in full for answers, kept for the next question: past this many, the oldest read
# is dropped. A form's kind, scope, measure, window and sources never change once recorded.
_KEPT = 10_000


class Edge(StrEnum):
    """Which edge of its window a change reaches."""

    STARTS = "starts"  # the first day: from then it may be in force
    CERTAIN = "certain"  # the last day: from then it certainly is


_EDGES = (Edge.STARTS, Edge.CERTAIN)  # by their number in an ``EdgeKey``, 1 and 2


class EdgeKey(NamedTuple):
    """An edge as the index orders it: by day, office, change (an id's number orders as its
    text does), then STARTS before CERTAIN."""

    day: int  # an ordinal
    office: str
    change: int  # the change id, as an integer
    edge: int  # 1: STARTS, 2: CERTAIN

    @property
    def on(self) -> date:
        return date.fromordinal(self.day)

    @property
    def kind(self) -> Edge:
        return _EDGES[self.edge - 1]

    @property
    def change_id(self) -> UUID:
        return UUID(int=self.change)


class Form(NamedTuple):
    """A change's current form: what places its edges, and which revision to read for it."""

    office: str
    change: int
    rev: int
    position: int  # of the event that made it: the change, or its latest amendment
    start: int  # the window's first and last day, as ordinals
    end: int

    @classmethod
    def of(cls, revision: Revision) -> Form:
        return cls(
            revision.office,
            revision.change_id.int,
            revision.rev,
            revision.position_from,
            revision.start.toordinal(),
            revision.end.toordinal(),
        )

    @property
    def edges(self) -> tuple[EdgeKey, EdgeKey]:
        return (
            EdgeKey(self.start, self.office, self.change, 1),
            EdgeKey(self.end, self.office, self.change, 2),
        )


class Due(NamedTuple):
    """An edge a watch announces, its form, and whether it comes late (the form was recorded
    after the watch's date had reached the edge)."""

    key: EdgeKey
    form: Form
    late: bool


def _current(revisions: Iterable[Revision]) -> list[Form]:
    """The current forms among ``revisions``: those no amendment or retraction closed."""
    return [Form.of(revision) for revision in revisions if revision.recorded_until is None]


class EffectiveIndex:
    """The edges of every current form, per office and by date; see the module's docstring.

    ``position`` is the last log position whose revisions the index includes (it may include
    some after it, read from the view; a form made after ``position`` is left to the questions
    asked once the index has reached it). Questions hold ``lock`` from ``sync`` to their last
    read, so that what they see is the index at one position."""

    def __init__(self, view: RuleView) -> None:
        self._view = view
        self._lock = threading.RLock()
        self._edges: dict[str, list[EdgeKey]] = {}
        self._forms: dict[int, Form] = {}
        self._made: list[tuple[int, int]] = []  # (position, change) of each current form
        self._full: dict[tuple[int, int], Revision] = {}
        self._full_lock = threading.Lock()
        self.built = False
        self.position = 0

    @property
    def lock(self) -> threading.RLock:
        return self._lock

    def __len__(self) -> int:
        """How many changes have a current form (each has two edges)."""
        return len(self._forms)

    # Keeping current.

    def apply(self, revisions: Iterable[Revision], position: int) -> None:
        """The revisions the event at ``position`` wrote, if it is the next in the log; after
        a gap, ``sync`` reads again what the gap wrote. Nothing until the index is built."""
        with self._lock:
            if not self.built or position != self.position + 1:
                return
            for revision in revisions:
                self._take(revision)
            self.position = position

    def sync(self, position: int, written: Callable[[int, int], Iterable[str]]) -> None:
        """Bring the index to the read model's ``position``: built from the view when first
        asked; after a gap, the offices ``written(after, upto)`` names are read again (those
        of the events in the gap), or everything after a long gap."""
        with self._lock:
            if self.built and self.position == position:
                return
            if self.built and 0 < position - self.position <= _GAP:
                for office in written(self.position, position):
                    self._reload(office)
                self.position = position
                return
            self._build(position)

    def clear(self) -> None:
        """Forget everything (before a rebuild of the read model): built again when asked."""
        with self._lock:
            self._edges.clear()
            self._forms.clear()
            self._made.clear()
            with self._full_lock:
                self._full.clear()
            self.built = False
            self.position = 0

    def _build(self, position: int) -> None:
        self.clear()
        for office in self._view.list_offices():
            self._place(office.code, _current(self._view.revisions_of_office(office.code)))
        self.built = True
        self.position = position

    def _reload(self, office: str) -> None:
        """Read an office's current forms again from the view."""
        dropped = {key.change for key in self._edges.pop(office, ())}
        for change in dropped:
            del self._forms[change]
        if dropped:
            self._made = [made for made in self._made if made[1] not in dropped]
        self._place(office, _current(self._view.revisions_of_office(office)))

    def _place(self, office: str, forms: list[Form]) -> None:
        """Add forms of changes the index does not hold, all of ``office``."""
        if not forms:
            return
        edges = self._edges.setdefault(office, [])
        edges.extend(key for form in forms for key in form.edges)
        edges.sort()
        self._made.extend((form.position, form.change) for form in forms)
        self._made.sort()
        for form in forms:
            self._forms[form.change] = form

    def _take(self, revision: Revision) -> None:
        """A revision written: a form still current replaces an older one of its change; a
        form closed (by an amendment or a retraction) leaves the change without one, unless a
        newer form is held already (read from the view ahead of the log)."""
        change = revision.change_id.int
        held = self._forms.get(change)
        if revision.recorded_until is None:
            if held is None or held.rev <= revision.rev:
                self._drop(change)
                self._insert(Form.of(revision))
        elif held is not None and held.rev <= revision.rev:
            self._drop(change)

    def _insert(self, form: Form) -> None:
        edges = self._edges.setdefault(form.office, [])
        for key in form.edges:
            insort(edges, key)
        insort(self._made, (form.position, form.change))
        self._forms[form.change] = form

    def _drop(self, change: int) -> None:
        form = self._forms.pop(change, None)
        if form is None:
            return
        edges = self._edges[form.office]
        for key in form.edges:
            del edges[bisect_left(edges, key)]
        del self._made[bisect_left(self._made, (form.position, form.change))]

    # Questions: call them holding ``lock``, after ``sync``.

    def between(
        self,
        first: int,
        last: int,
        offices: Collection[str] | None,
        after: EdgeKey | None,
        limit: int,
    ) -> list[tuple[EdgeKey, Form]]:
        """Up to ``limit`` edges from day ``first`` to day ``last`` (ordinals), after
        ``after`` if given, at ``offices`` (None: every office), in order."""
        runs: list[Iterator[EdgeKey]] = []
        for office in self._edges if offices is None else offices:
            edges = self._edges.get(office)
            if not edges:
                continue
            low = bisect_left(edges, first, key=_day)
            if after is not None:
                low = max(low, bisect_right(edges, after))
            high = bisect_left(edges, last + 1, key=_day)
            if low < high:
                runs.append(_run(edges, low, high))
        found: list[tuple[EdgeKey, Form]] = []
        for key in heapq.merge(*runs):
            if len(found) >= limit:
                break
            found.append((key, self._forms[key.change]))
        return found

    def due(
        self, offices: Collection[str] | None, since: int, considered: int, today: int
    ) -> list[Due]:
        """What a watch announces when its date moves from day ``since`` to ``today`` and its
        log position from ``considered`` to the index's ``position``: the edges in
        (``since``, ``today``] of forms made at positions up to ``considered``, and the edges up
        to ``today`` of forms made after it, late if on or before ``since``. By edge order."""
        found = [
            Due(key, form, False)
            for key, form in self.between(since + 1, today, offices, None, len(self._forms) * 2)
            if form.position <= considered
        ]
        for position, change in self._made[bisect_right(self._made, (considered, 2**128)) :]:
            if position > self.position:
                break
            form = self._forms[change]
            if offices is not None and form.office not in offices:
                continue
            found.extend(Due(key, form, key.day <= since) for key in form.edges if key.day <= today)
        found.sort(key=lambda due: due.key)
        return found

    def revision(self, form: Form) -> Revision:
        """The form in full: from those read last, or from the view (no lock needed)."""
        key = (form.change, form.rev)
        with self._full_lock:
            revision = self._full.get(key)
        if revision is None:
            revision = self._view.revision(UUID(int=form.change), form.rev)
            assert revision is not None, f"the view lacks a form the index holds: {key}"
            with self._full_lock:
                if len(self._full) >= _KEPT:
                    del self._full[next(iter(self._full))]  # the oldest read
                self._full[key] = revision
        return revision


def _day(key: EdgeKey) -> int:
    return key.day


def _run(edges: list[EdgeKey], low: int, high: int) -> Iterator[EdgeKey]:
    """``edges[low:high]``, read as it is consumed (not copied)."""
    for i in range(low, high):
        yield edges[i]
