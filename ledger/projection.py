"""The rule-state projection: offices and revisions, computed from the event log.

``RuleProjection`` has one handler per event type and writes what it computes together with
its tracking position. ``ProjectionFollower`` pulls the application's notification log from
that position (the SQLite recorder cannot push), so a restart resumes where it stopped and a
rebuild replays from the first event.
"""

from __future__ import annotations

import sqlite3
import threading
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import IntegrityError, Tracking
from eventsourcing.projection import Projection

from ledger.domain.chain import GENESIS, next_root
from ledger.domain.events import (
    ChangeAmended,
    ChangeRetracted,
    OfficeEvent,
    OfficeRegistered,
    PolicyChanged,
)
from ledger.domain.office import office_id
from ledger.index import RuleIndex
from ledger.readmodel import Checkpoint, OfficeRow, Revision, RuleView

if TYPE_CHECKING:
    from collections.abc import Sequence

    from ledger.application import LedgerApplication
    from ledger.domain.values import Source

__all__ = ["RuleProjection", "ProjectionFollower", "SQLiteChanges"]


def reported_on(sources: Sequence[Source]) -> date:
    """The REPORTED knowledge time of an event: its earliest source's publication date."""
    return min(source.published for source in sources)


def _earliest(current: Any, candidate: Any) -> Any:
    return candidate if current is None else min(current, candidate)


class _Batch:
    """What a run of events changed, written in one transaction at the end of the run."""

    def __init__(self, root: str) -> None:
        self.offices: dict[str, OfficeRow] = {}
        self.changes: dict[UUID, dict[int, Revision]] = {}  # every form of each change touched
        self.changed: dict[tuple[UUID, int], Revision] = {}  # the forms to write
        self.checkpoints: list[Checkpoint] = []
        self.applied: list[tuple[list[Revision], int]] = []  # for the index, after the commit
        self.root = root


class RuleProjection(Projection[RuleView]):
    """Turns office events into offices and revisions; also keeps the rule index current.

    Events are processed in runs (``process_events``): the handlers read and write a batch in
    memory, and the run is saved in one transaction with the tracking position of its last
    event, so a rebuild writes once per few hundred events rather than once per event."""

    name = "rules"

    def __init__(self, view: RuleView, index: RuleIndex) -> None:
        super().__init__(view)
        self.index = index
        self._codes: dict[UUID, str] = {}
        self._batch: _Batch | None = None

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.process_events([(domain_event, tracking)])

    def process_events(self, events: Sequence[tuple[Any, Tracking]]) -> None:
        """Project a run of consecutive events atomically; ``IntegrityError`` if another
        process projected any of them first (then nothing of the run is written)."""
        if not events:
            return
        latest = self.view.latest_checkpoint()
        self._batch = batch = _Batch(latest.root if latest else GENESIS)
        try:
            for event, tracking in events:
                self._handle(event, tracking)
        finally:
            self._batch = None
        self.view.save(
            list(batch.offices.values()),
            list(batch.changed.values()),
            batch.checkpoints,
            events[-1][1],
        )
        for revisions, position in batch.applied:
            self.index.apply(revisions, position)

    @singledispatchmethod
    def _handle(self, domain_event: Any, tracking: Tracking) -> None:
        """Events that change no rule still move the tracking position on."""
        office = self._office_after(domain_event)
        self._save(domain_event, office, [], tracking)

    @_handle.register
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

    @_handle.register
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

    @_handle.register
    def _(self, event: ChangeAmended, tracking: Tracking) -> None:
        office = self._office_after(event)
        revisions = self._revisions_of_change(event.change_id)
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

    @_handle.register
    def _(self, event: ChangeRetracted, tracking: Tracking) -> None:
        office = self._office_after(event)
        reported = reported_on(event.sources)
        revisions = self._revisions_of_change(event.change_id)
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

    @property
    def _run(self) -> _Batch:
        assert self._batch is not None, "events are handled within process_events"
        return self._batch

    def _office_after(self, event: OfficeEvent) -> OfficeRow:
        """The office's row, moved on to the version of ``event``."""
        code = self.office_code(event.originator_id)
        assert code is not None, f"event {event.event_id} precedes its office's registration"
        office = self._run.offices.get(code) or self.view.get_office(code)
        assert office is not None, f"event {event.event_id} precedes its office's registration"
        return replace(office, version=event.originator_version)

    def _revisions_of_change(self, change_id: UUID) -> list[Revision]:
        forms = self._run.changes.get(change_id)
        if forms is None:
            forms = self._run.changes[change_id] = {
                revision.rev: revision for revision in self.view.revisions_of_change(change_id)
            }
        return [forms[rev] for rev in sorted(forms)]

    def _save(
        self, event: OfficeEvent, office: OfficeRow, revisions: list[Revision], tracking: Tracking
    ) -> None:
        """Add what the event changed, and the ledger digest after it, to the run."""
        run = self._run
        run.root = next_root(run.root, tracking.notification_id, event.hash)
        run.checkpoints.append(Checkpoint(tracking.notification_id, run.root))
        run.offices[office.code] = office
        for revision in revisions:
            run.changes.setdefault(revision.change_id, {})[revision.rev] = revision
            run.changed[revision.change_id, revision.rev] = revision
        run.applied.append((revisions, tracking.notification_id))

    def office_code(self, originator_id: UUID | str) -> str | None:
        originator_id = UUID(str(originator_id))
        if originator_id not in self._codes:
            pending = self._batch.offices if self._batch else {}
            listed = [*self.view.list_offices(), *pending.values()]
            self._codes = {office_id(row.code): row.code for row in listed}
        return self._codes.get(originator_id)


class SQLiteChanges:
    """Tells in microseconds whether anyone may have committed to a SQLite file since the last
    look: ``PRAGMA data_version`` on a connection of its own, which changes whenever any other
    connection (of this process or another) commits."""

    def __init__(self, path: str) -> None:
        self._connection = sqlite3.connect(path, check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()

    def version(self) -> int:
        with self._lock:
            row = self._connection.execute("PRAGMA data_version").fetchone()
        return int(row[0])

    def close(self) -> None:
        with self._lock:
            self._connection.close()


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
        changes: SQLiteChanges | None = None,
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
