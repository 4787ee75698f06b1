"""Following the log: the application's notification log pulled into the projection.

The follower reads from the projection's tracking position (the SQLite recorder cannot push),
so a restart resumes where it stopped and a rebuild replays from the first event. Several
processes may share one database: the first to project an event writes the view, the others
skip it and refresh their rule index from the view.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from eventsourcing.persistence import IntegrityError, InterfaceError, OperationalError, Tracking

if TYPE_CHECKING:
    from eventsourcing.persistence import Recording

    from ledger.application.app import LedgerApplication
    from ledger.readmodel.projection import RuleProjection

__all__ = ["ProjectionFollower", "DataVersion", "StuckAt"]

log = logging.getLogger("ledger.readmodel")


@dataclass(frozen=True)
class StuckAt:
    """An event the projection cannot apply: the read model stays before it."""

    position: int
    event: str  # its office aggregate's id and version
    type: str
    reason: str


class DataVersion(Protocol):
    """Tells cheaply whether anyone may have committed to the database since the last look
    (a storage backend that can, gives one: ``LedgerFactory.data_version``)."""

    def version(self) -> int: ...

    def close(self) -> None: ...


class ProjectionFollower:
    """Pulls the application's log into the projection, from its tracking position.

    Several processes may share one database (a server and an import, say): each follows the
    log, the first to process an event writes the view, and the others skip it (the tracking
    row refuses a second write) and refresh their index from the view instead.
    """

    BATCH = 500  # events read from the store and projected in one transaction
    # Events just written, projected in one transaction: they are in memory already, and each
    # transaction is a commit (and a sync of the log to disk) of its own.
    WRITTEN_RUN = 5_000

    def __init__(
        self,
        app: LedgerApplication,
        projection: RuleProjection,
        changes: DataVersion | None = None,
    ) -> None:
        self.app = app
        self.projection = projection
        self._lock = threading.Lock()
        self._changes = changes
        self._seen: int | None = None  # the data version last caught up with
        # The event the projection could not apply, if any: following stops before it (the
        # answers stay those of the positions before), and whoever watches health is told.
        self.stuck: StuckAt | None = None
        self.on_stuck: Callable[[StuckAt], None] | None = None
        projection.index.position = self.position

    @property
    def position(self) -> int:
        return self.projection.view.max_tracking_id(self.app.name) or 0

    def follow_saved(self, recordings: Sequence[Recording[Any]]) -> int:
        """This process has just saved ``recordings``: project them as they were written
        rather than read back and decoded from the store (the log's bytes are the same), and
        whatever else is new, from the store."""
        return self.catch_up({r.notification.id: r.domain_event for r in recordings})

    def catch_up(self, written: Mapping[int, Any] | None = None) -> int:
        """Process every notification after the tracking position, up to the end of the log
        as it is now (a later commit calls again); returns how many. ``written`` holds events
        by position that this process has just stored: those are projected as they are, the
        others read from the store."""
        version = self._changes.version() if self._changes else None
        if written:
            # Up to this save's last event: what others wrote after it is caught up with by
            # the next call, which looks at the log's end again (``_seen`` is left as it was).
            newest, first_written = max(written), min(written)
        else:
            if version is not None and version == self._seen:
                return 0  # the common case on SQLite: no commit anywhere since the last look
            newest, first_written = self.app.recorder.max_notification_id() or 0, None
            if newest <= self.projection.index.position:
                self._seen = version
                return 0  # one cheap query: nothing new anywhere
        if self.stuck is not None and self.position < self.stuck.position:
            return 0  # not again on every call: the event is the same until it is repaired
        with self._lock:
            processed = 0
            position = self.position  # read once; then moved on by what is projected here
            while (start := position + 1) <= newest:
                run = self._run(written, start)
                notifications = [] if run else self._stored(start, first_written)
                if not (run or notifications) and first_written and first_written > start:
                    run = self._run(written, first_written)  # after a gap in the positions
                try:
                    events = run or [
                        (self.app.mapper.to_domain_event(n), Tracking(self.app.name, n.id))
                        for n in notifications
                    ]
                    if not events:
                        break
                    # The run that ends this process's write carries its signed checkpoint.
                    ends = run and first_written and run[-1][1].notification_id == newest
                    self.projection.process_events(events, first_written if ends else None)
                except IntegrityError:
                    position = self.position
                    if position < start:
                        raise  # no one else moved on: not a race, a damaged read model
                    continue  # another process got there first: continue from its position
                except (OperationalError, InterfaceError):
                    raise  # the database, not the event: the next call tries again
                except Exception:  # an event this projection cannot apply
                    if run:  # found again in the store, and applied one by one
                        first = run[0][1].notification_id
                        notifications = list(
                            self.app.recorder.select_notifications(first, len(run))
                        )
                    processed += self._one_by_one(notifications)
                    position = self.position
                    break
                processed += len(events)
                position = events[-1][1].notification_id
            self._refresh_index(position)
            if not written:
                self._seen = version  # commits since ``version`` change it again: none missed
            return processed

    def _stored(self, start: int, first_written: int | None) -> list[Any]:
        """The notifications from ``start``, up to the first of those written by this
        process's save (``first_written``), if it comes after."""
        stop = first_written - 1 if first_written is not None and first_written > start else None
        return list(self.app.recorder.select_notifications(start, self.BATCH, stop=stop))

    def _run(self, written: Mapping[int, Any] | None, start: int) -> list[tuple[Any, Tracking]]:
        """The events of ``written`` at ``start`` and the positions right after it (at most
        ``WRITTEN_RUN``), as the projection takes them; empty if ``start`` is not among them."""
        run: list[tuple[Any, Tracking]] = []
        if not written:
            return run
        position = start
        while position in written and len(run) < self.WRITTEN_RUN:
            run.append((written[position], Tracking(self.app.name, position)))
            position += 1
        return run

    def _one_by_one(self, notifications: Sequence[Any]) -> int:
        """Apply a batch that failed event by event, up to the one that fails alone: the
        read model stays just before it. Returns how many were applied."""
        for applied, notification in enumerate(notifications):
            try:
                event = self.app.mapper.to_domain_event(notification)
                self.projection.process_events([(event, Tracking(self.app.name, notification.id))])
            except IntegrityError:
                if self.position < notification.id:
                    raise
            except (OperationalError, InterfaceError):
                raise
            except Exception as error:  # this one cannot be applied
                self.stuck = StuckAt(
                    notification.id,
                    f"{notification.originator_id} version {notification.originator_version}",
                    notification.topic.rsplit(":", 1)[-1],
                    f"{type(error).__name__}: {error}"[:500],
                )
                log.error(
                    "the read model cannot apply the event at position %d (%s, office "
                    "aggregate %s): %s; it stays at position %d, answers as of then, and "
                    "refuses min_position beyond it; ledger audit --store names the event",
                    self.stuck.position,
                    self.stuck.type,
                    self.stuck.event,
                    self.stuck.reason,
                    self.stuck.position - 1,
                )
                if self.on_stuck is not None:
                    self.on_stuck(self.stuck)
                return applied
        return len(notifications)

    def _refresh_index(self, position: int) -> None:
        """Forget offices whose events, up to ``position``, another process projected."""
        index = self.projection.index
        while index.position < position:
            notifications = self.app.recorder.select_notifications(
                index.position + 1, self.BATCH, stop=position
            )
            if not notifications:
                index.forget((), position)
                break
            codes = {self.projection.office_code(n.originator_id) for n in notifications}
            index.forget((code for code in codes if code), notifications[-1].id)

    def rebuild(self) -> int:
        """Forget the read model and replay the whole log into it."""
        with self._lock:
            self.projection.view.clear()
            self.projection.index.clear()
            self._seen = None
            self.stuck = None
        return self.catch_up()
