"""The read side: every question the ledger answers, each after following the log.

``Reader`` answers from the rule index (states, checks, comparisons), the views (offices,
digests) and the event store (histories, the log as stored). Each question first brings the
read model up to what other processes sharing the database wrote (cheap when nothing was);
``wait_for_position`` and ``wait_for_events`` let a caller wait, within a bound, for a write.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, cast

from ledger.domain.chain import GENESIS
from ledger.domain.errors import (
    InvalidRequest,
    OfficeNotFound,
    PreconditionFailed,
    Unavailable,
)
from ledger.domain.events import OfficeEvent, OfficeRegistered
from ledger.readmodel.history import HistoryEntry, HistoryRequest, LogEvent, history, log_event
from ledger.readmodel.model import Checkpoint, OfficeRow
from ledger.readmodel.queries import Abandoned, Proceed, RuleQueries
from ledger.readmodel.timeline import OfficeTimeline, TimelineRequest, office_timeline
from ledger.readmodel.upcoming import (
    Cursor,
    EffectiveEdge,
    EffectiveNotice,
    ServerClock,
    UpcomingRequest,
    UpcomingResult,
    WatchEffectiveRequest,
    page_token,
)

if TYPE_CHECKING:
    from collections.abc import Collection

    from ledger.application.app import LedgerApplication
    from ledger.application.ports import ExportRow
    from ledger.domain.office import Office
    from ledger.readmodel.answers import (
        AsKnown,
        CheckRequest,
        CheckResult,
        CompareRequest,
        CompareResult,
        StateRequest,
        StateResult,
    )
    from ledger.readmodel.effective import EffectiveIndex
    from ledger.readmodel.follower import ProjectionFollower, StuckAt
    from ledger.readmodel.index import RuleIndex
    from ledger.readmodel.view import RuleView

__all__ = ["Reader", "BeyondTheLog", "DigestMismatch", "NotYet", "Stuck"]


class Reader:
    """The ledger's questions, over one application's log and read model."""

    def __init__(
        self,
        app: LedgerApplication,
        follower: ProjectionFollower,
        view: RuleView,
        index: RuleIndex,
        clock: ServerClock | None = None,
    ) -> None:
        self.app = app
        self.follower = follower
        self.view = view
        self.index = index
        self.clock = clock or ServerClock()  # the server's date: today (UTC) unless set
        self.queries = RuleQueries(index, view)
        self._saved = threading.Condition()

    # Following the log.

    def catch_up(self) -> None:
        """Bring the read model up to the log (other processes may have written)."""
        self.follower.catch_up()

    def announce(self) -> None:
        """New events were saved: wake whoever waits for them."""
        with self._saved:
            self._saved.notify_all()

    def follow(self) -> None:
        """Another process wrote: bring the read model up to date and wake the waiters."""
        self.catch_up()
        self.announce()

    def wait_for_position(
        self,
        position: int,
        timeout: float | None,
        still_waiting: Callable[[], bool] | None = None,
    ) -> None:
        """Return once the read model includes the event at ``position``; ``NotYet`` if it
        has not within ``timeout`` seconds (None: do not wait), ``Abandoned`` as soon as
        ``still_waiting`` says the caller has gone, ``Stuck`` if the read model cannot get there."""
        if position <= self.index.position:
            return
        deadline = time.monotonic() + (timeout or 0)
        while True:
            self.catch_up()
            reached = self.follower.position
            if position <= reached:
                return
            stuck = self.follower.stuck
            if stuck is not None and position >= stuck.position:
                raise Stuck(stuck)
            left = deadline - time.monotonic()
            if left <= 0:
                raise NotYet(position, reached, timeout or 0)
            if still_waiting is not None and not still_waiting():
                raise Abandoned()
            with self._saved:
                self._saved.wait(min(left, 0.05))

    def wait_for_events(self, after: int, timeout: float) -> None:
        """Return once an event after ``after`` may exist, or after ``timeout`` seconds.

        Saves by this process wake waiters at once; another process's saves to the same
        database are seen at the next timeout (or at once, where the storage listens).
        """
        with self._saved:
            if (self.app.recorder.max_notification_id() or 0) <= after:
                self._saved.wait(timeout)

    # Rules.

    def state(self, request: StateRequest) -> StateResult:
        self._catch_up_for(request)
        return self.queries.state(request)

    def check(
        self, request: CheckRequest, proceed: Proceed = None, within: int | None = None
    ) -> CheckResult:
        """``within``: answered from the log up to that position only, as a logged decision
        was (``Knowledge.within``)."""
        self._catch_up_for(request, within)
        return self.queries.check(request, proceed, within)

    def compare(
        self, request: CompareRequest, proceed: Proceed = None, within: int | None = None
    ) -> CompareResult:
        self._catch_up_for(request, within)
        return self.queries.compare(request, proceed, within)

    def timeline(self, request: TimelineRequest) -> tuple[Checkpoint, Iterator[OfficeTimeline]]:
        """The offices' timelines from the log up to one position, and the digest there: the
        read model's position now, or ``known_at_position``. Each office is read when the
        iterator reaches it; unknown offices are refused before any is read."""
        self._catch_up_for(request)
        position = request.known_at_position
        if position is None:
            position = self.index.position
        for code in request.offices:
            if self.view.get_office(code) is None:
                raise OfficeNotFound(code)
        kept = self.view.checkpoint_at(position) if position else None
        knowledge = request.knowledge.within(position)
        offices = (
            office_timeline(code, self.view.revisions_of_office(code), request, knowledge)
            for code in dict.fromkeys(request.offices)
        )
        return kept or Checkpoint(0, GENESIS), offices

    def _catch_up_for(self, request: AsKnown, within: int | None = None) -> None:
        """Follow the log; a question as of a log position needs the read model to have
        reached it (``NotYet`` otherwise: the server waits for it first, within bounds)."""
        self.catch_up()
        position = request.known_at_position
        if position is None or (within is not None and within < position):
            position = within
        if position is not None:
            self.within_log(position)
            if position > self.index.position:
                raise NotYet(position, self.index.position)

    # Offices and their histories.

    def offices(self) -> list[OfficeRow]:
        self.catch_up()
        return self.view.list_offices()

    def office(self, code: str) -> OfficeRow:
        self.catch_up()
        row = self.view.get_office(code)
        if row is None:
            raise OfficeNotFound(code)
        return row

    def history(self, request: HistoryRequest) -> list[HistoryEntry]:
        """The office's events in the order recorded, filtered on both time axes."""
        positions: list[int] = []
        if request.known_at_position is not None:
            # The log's end first: an event saved after it is past the position asked, so
            # the events and their positions, read after, agree on what was up to it.
            self.within_log(request.known_at_position)
        events = self.app.office_events(request.office)
        if request.known_at_position is not None:
            positions = self.app.store.positions_of(events[0].originator_id)
        return history(events, request, positions)

    def log_end(self) -> int:
        """The position of the last event stored (by any process)."""
        return self.app.recorder.max_notification_id() or 0

    def within_log(self, position: int) -> None:
        """Refuse a knowledge position beyond the end of the log (``BeyondTheLog``)."""
        if position <= self.index.position:
            return  # the read model has it: the log has it (no query)
        end = self.log_end()
        if position > end:
            raise BeyondTheLog(position, end)

    def log(self, after: int, limit: int) -> list[LogEvent]:
        """Up to ``limit`` events after global position ``after``, in log order."""
        self.catch_up()  # so that the offices of these events are known
        notifications = self.app.recorder.select_notifications(after + 1, limit)
        events = []
        for notification in notifications:
            event = cast("OfficeEvent", self.app.mapper.to_domain_event(notification))
            events.append(log_event(notification.id, self._office_of(event), event))
        return events

    def event_at(self, position: int) -> tuple[LogEvent, OfficeEvent] | None:
        """The event at log ``position``, or None where there is none."""
        self.catch_up()
        notifications = self.app.recorder.select_notifications(position, 1)
        if not notifications or notifications[0].id != position:
            return None
        event = cast("OfficeEvent", self.app.mapper.to_domain_event(notifications[0]))
        return log_event(position, self._office_of(event), event), event

    def _office_of(self, event: OfficeEvent) -> str:
        if isinstance(event, OfficeRegistered):
            return event.code
        code = self.follower.projection.office_code(event.originator_id)
        if code is None:  # registered after the catch-up above, by another process
            code = cast("Office", self.app.repository.get(event.originator_id)).code
        return code

    # Valid time: rules taking effect.

    def upcoming(self, request: UpcomingRequest) -> UpcomingResult:
        """One page of the edges between two dates (the first, unless given: the server's
        date), of the changes as known now, at the offices asked (none: every office)."""
        first, last = request.window(None if request.from_date else self.clock.today())
        offices = self.offices_asked(request.offices)
        self.catch_up()
        effective = self.follower.projection.effective
        with effective.lock:
            self._sync(effective)
            found = effective.between(
                first.toordinal(), last.toordinal(), offices, request.after, request.size + 1
            )
        page = found[: request.size]
        return UpcomingResult.model_construct(
            edges=tuple(EffectiveEdge.of(key, effective.revision(form)) for key, form in page),
            next_page_token=page_token(page[-1][0]) if len(found) > len(page) else "",
        )

    def effective_start(self, request: WatchEffectiveRequest) -> Cursor:
        """Where a watch of effective dates starts: the request's resume point, or the
        server's date and the read model's position now."""
        self.offices_asked(request.offices)
        if request.after_date is not None:
            return request.start(request.after_date, self.log_end())
        self.catch_up()
        return request.start(self.clock.today(), self.index.position)

    def effective_due(
        self, offices: Collection[str] | None, cursor: Cursor
    ) -> tuple[list[EffectiveNotice], Cursor]:
        """The notices a watch at ``cursor`` sends now, and its cursor after them: moved to
        the server's date (never back) and the read model's position. A cursor beyond the read
        model's position (resumed from a server further on) waits for it."""
        today = max(self.clock.today(), cursor.day)
        self.catch_up()
        effective = self.follower.projection.effective
        with effective.lock:
            self._sync(effective)
            if effective.position < cursor.position:
                return [], cursor
            due = effective.due(offices, cursor.day.toordinal(), cursor.position, today.toordinal())
            reached = Cursor(today, effective.position)
        notices = [
            EffectiveNotice.model_construct(
                edge=EffectiveEdge.of(found.key, effective.revision(found.form)), late=found.late
            )
            for found in due
        ]
        return notices, reached

    def offices_asked(self, codes: Collection[str]) -> frozenset[str] | None:
        """The offices a question names (None: every office); ``OfficeNotFound`` for one not
        registered."""
        if not codes:
            return None
        registered = {row.code for row in self.view.list_offices()}
        for code in codes:
            if code not in registered:
                raise OfficeNotFound(code)
        return frozenset(codes)

    def _sync(self, effective: EffectiveIndex) -> None:
        """Bring the index of edges to the read model's position (hold its lock; catch up
        before taking it: the projection takes it to apply what it projects)."""
        effective.sync(self.index.position, self._offices_written)

    def _offices_written(self, after: int, upto: int) -> set[str]:
        """The offices of the events after position ``after``, up to ``upto``."""
        notifications = self.app.recorder.select_notifications(after + 1, upto - after, stop=upto)
        codes = {self.follower.projection.office_code(n.originator_id) for n in notifications}
        return {code for code in codes if code}

    # The audit trail.

    def digest(self) -> Checkpoint:
        """The ledger digest now (position 0 and the genesis root for an empty ledger)."""
        self.catch_up()
        return self.view.latest_checkpoint() or Checkpoint(0, GENESIS)

    def verify_digest(self, position: int, root: str) -> Checkpoint:
        """The digest now, if the pinned one is a prefix of the log; else ``DigestMismatch``."""
        current = self.digest()
        if position == 0 and root == GENESIS:
            return current
        if position > current.position:
            raise DigestMismatch(
                f"the ledger ends at position {current.position}: it has no position {position} "
                "(was its tail removed?)"
            )
        kept = self.view.checkpoint_at(position)
        if kept is None or kept.root != root:
            found = "no event" if kept is None else f"root {kept.root}"
            raise DigestMismatch(
                f"the pinned digest is not a prefix of this ledger: at position {position} it has "
                f"{found}, not {root}"
            )
        return current

    def export(self, after: int, limit: int) -> list[ExportRow]:
        """Up to ``limit`` events after position ``after``, exactly as stored."""
        return self.app.store.export_rows(after, limit)


class BeyondTheLog(InvalidRequest):
    """A question asked as of a log position the log has not reached."""

    def __init__(self, position: int, end: int) -> None:
        super().__init__(
            f"known_at_position {position} is beyond the end of the log, which is at position "
            f"{end}: ask as of a position from 0 to {end} (a receipt's or a watch event's)"
        )

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return (("known_at_position", str(self)),)


class DigestMismatch(PreconditionFailed):
    """A pinned digest that is not a prefix of the ledger."""


class NotYet(Unavailable):
    """The read model has not reached a position the caller asked to read after."""

    def __init__(self, wanted: int, reached: int, waited: float = 0) -> None:
        super().__init__(
            f"this server's read model is at position {reached}, not yet at {wanted} "
            f"(waited {max(waited, 0):.1f} s): try again, with a longer deadline (a call waits "
            "at most LEDGER_MAX_WAIT_SECONDS), or ask another server"
        )


class Stuck(Unavailable):
    """The read model cannot apply an event, so positions from it on are out of reach."""

    def __init__(self, stuck: StuckAt) -> None:
        super().__init__(
            f"this server's read model is stuck before position {stuck.position}: it cannot "
            f"apply that event ({stuck.reason}); it answers as of position "
            f"{stuck.position - 1} until that is repaired (ledger audit --store names the event)"
        )
