"""Following the log: the application's notification log pulled into the projection.

The follower reads from the projection's tracking position (the SQLite recorder cannot push),
so a restart resumes where it stopped and a rebuild replays from the first event. Several
processes may share one database: the first to project an event writes the view, the others
skip it and refresh their rule index from the view.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Protocol

from eventsourcing.persistence import IntegrityError, Tracking

if TYPE_CHECKING:
    from ledger.application.app import LedgerApplication
    from ledger.readmodel.projection import RuleProjection

__all__ = ["ProjectionFollower", "DataVersion"]


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

    BATCH = 500

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
        projection.index.position = self.position

    @property
    def position(self) -> int:
        return self.projection.view.max_tracking_id(self.app.name) or 0

    def catch_up(self) -> int:
        """Process every notification after the tracking position; returns how many."""
        version = self._changes.version() if self._changes else None
        if version is not None and version == self._seen:
            return 0  # the common case on SQLite: no commit anywhere since the last look
        if (self.app.recorder.max_notification_id() or 0) <= self.projection.index.position:
            self._seen = version
            return 0  # one cheap query: nothing new anywhere
        with self._lock:
            processed = 0
            while True:
                start = self.position + 1
                notifications = self.app.recorder.select_notifications(start, self.BATCH)
                events = [
                    (self.app.mapper.to_domain_event(n), Tracking(self.app.name, n.id))
                    for n in notifications
                ]
                try:
                    self.projection.process_events(events)
                except IntegrityError:
                    if self.position < start:
                        raise  # no one else moved on: not a race, a damaged read model
                    continue  # another process got there first: continue from its position
                processed += len(events)
                if len(notifications) < self.BATCH:
                    break
            self._refresh_index()
            self._seen = version  # commits since ``version`` change it again: none is missed
            return processed

    def _refresh_index(self) -> None:
        """Forget offices whose events were projected by another process."""
        index, position = self.projection.index, self.position
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
        return self.catch_up()
