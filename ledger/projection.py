"""The rule-state projection: offices and revisions, computed from the event log.

``RuleProjection`` has one handler per event type and writes what it computes together with
its tracking position. ``ProjectionFollower`` pulls the application's notification log from
that position (the SQLite recorder cannot push), so a restart resumes where it stopped and a
rebuild replays from the first event.
"""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.projection import Projection

from ledger.domain.chain import GENESIS, next_root
from ledger.domain.office import (
    ChangeAmended,
    ChangeRetracted,
    OfficeEvent,
    OfficeRegistered,
    PolicyChanged,
    office_id,
)
from ledger.index import RuleIndex
from ledger.readmodel import Checkpoint, OfficeRow, Revision, RuleView

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ledger.application import LedgerApplication
    from ledger.domain.values import Source

__all__ = ["RuleProjection", "ProjectionFollower"]


def reported_on(sources: Sequence[Source]) -> date:
    """The REPORTED knowledge time of an event: its earliest source's publication date."""
    return min(source.published for source in sources)


def _earliest(current: Any, candidate: Any) -> Any:
    return candidate if current is None else min(current, candidate)


class RuleProjection(Projection[RuleView]):
    """Turns office events into offices and revisions; also keeps the rule index current."""

    name = "rules"

    def __init__(self, view: RuleView, index: RuleIndex) -> None:
        super().__init__(view)
        self.index = index
        self._codes: dict[UUID, str] = {}

    @singledispatchmethod
    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        """Events that change no rule still move the tracking position on."""
        office = self._office_after(domain_event)
        self._save(domain_event, office, [], tracking)

    @process_event.register
    def _(self, event: OfficeRegistered, tracking: Tracking) -> None:
        office = OfficeRow(
            code=event.code,
            name=event.name,
            crossings=event.crossings,
            version=event.originator_version,
            registered_at=event.recorded_at,
        )
        self._codes[event.originator_id] = event.code
        self._save(event, office, [], tracking)

    @process_event.register
    def _(self, event: PolicyChanged, tracking: Tracking) -> None:
        office = self._office_after(event)
        start, end = event.effective.window
        revision = Revision(
            office=office.code,
            change_id=event.change_id,
            rev=0,
            seq=event.originator_version,
            kind=event.kind,
            scope=event.scope,
            measure=event.measure,
            effective=event.effective,
            start=start,
            end=end,
            recorded_from=event.recorded_at,
            recorded_until=None,
            reported_from=reported_on(event.sources),
            reported_until=None,
            event_ids=(event.event_id,),
            sources=event.sources,
        )
        self._save(event, replace(office, changes=office.changes + 1), [revision], tracking)

    @process_event.register
    def _(self, event: ChangeAmended, tracking: Tracking) -> None:
        office = self._office_after(event)
        revisions = self.view.revisions_of_change(event.change_id)
        reported = reported_on(event.sources)
        closed = [self._close(revision, event.recorded_at, reported) for revision in revisions]
        last, first = revisions[-1], revisions[0]
        effective = event.effective or last.effective
        start, end = effective.window
        amended = replace(
            last,
            rev=last.rev + 1,
            measure=event.measure or last.measure,
            effective=effective,
            start=start,
            end=end,
            recorded_from=event.recorded_at,
            recorded_until=None,
            # Known only once both the change and its correction are known.
            reported_from=max(reported, first.reported_from),
            reported_until=None,
            event_ids=(*last.event_ids, event.event_id),
            sources=(*last.sources, *event.sources),
        )
        self._save(event, office, [*closed, amended], tracking)

    @process_event.register
    def _(self, event: ChangeRetracted, tracking: Tracking) -> None:
        office = self._office_after(event)
        reported = reported_on(event.sources)
        revisions = self.view.revisions_of_change(event.change_id)
        closed = [self._close(revision, event.recorded_at, reported) for revision in revisions]
        self._save(event, office, closed, tracking)

    @staticmethod
    def _close(revision: Revision, recorded: datetime, reported: date) -> Revision:
        """A later correction or retraction ends the knowledge interval of every earlier form.

        On the REPORTED basis a correction may cite a source older than the form it
        corrects, so the interval ends at the earliest such report, whichever came first."""
        return replace(
            revision,
            recorded_until=_earliest(revision.recorded_until, recorded),
            reported_until=_earliest(revision.reported_until, reported),
        )

    def _office_after(self, event: OfficeEvent) -> OfficeRow:
        """The office's row, moved on to the version of ``event``."""
        code = self.office_code(event.originator_id)
        office = None if code is None else self.view.get_office(code)
        assert office is not None, f"event {event.event_id} precedes its office's registration"
        return replace(office, version=event.originator_version)

    def _save(
        self, event: OfficeEvent, office: OfficeRow, revisions: list[Revision], tracking: Tracking
    ) -> None:
        """Write what the event changed, and the ledger digest after it, in one transaction."""
        previous = self.view.latest_checkpoint()
        root = next_root(
            previous.root if previous else GENESIS, tracking.notification_id, event.hash
        )
        checkpoint = Checkpoint(tracking.notification_id, root)
        self.view.save(office, revisions, checkpoint, tracking)
        self.index.apply(revisions, tracking.notification_id)

    def office_code(self, originator_id: UUID | str) -> str | None:
        originator_id = UUID(str(originator_id))
        if originator_id not in self._codes:
            self._codes = {office_id(row.code): row.code for row in self.view.list_offices()}
        return self._codes.get(originator_id)


class ProjectionFollower:
    """Pulls the application's log into the projection, from its tracking position.

    Several processes may share one database (a server and an import, say): each follows the
    log, the first to process an event writes the view, and the others skip it (the tracking
    row refuses a second write) and refresh their index from the view instead.
    """

    BATCH = 500

    def __init__(self, app: LedgerApplication, projection: RuleProjection) -> None:
        self.app = app
        self.projection = projection
        self._lock = threading.Lock()
        projection.index.position = self.position

    @property
    def position(self) -> int:
        return self.projection.view.max_tracking_id(self.app.name) or 0

    def catch_up(self) -> int:
        """Process every notification after the tracking position; returns how many."""
        if (self.app.recorder.max_notification_id() or 0) <= self.projection.index.position:
            return 0  # the common case, one cheap query: nothing new anywhere
        with self._lock:
            processed = 0
            while True:
                start = self.position + 1
                notifications = self.app.recorder.select_notifications(start, self.BATCH)
                for notification in notifications:
                    event = self.app.mapper.to_domain_event(notification)
                    try:
                        self.projection.process_event(
                            event, Tracking(self.app.name, notification.id)
                        )
                    except IntegrityError:
                        break  # another process got there first: continue from its position
                    processed += 1
                else:
                    if len(notifications) < self.BATCH:
                        break
            self._refresh_index()
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
        return self.catch_up()
