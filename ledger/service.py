"""The ledger as one object: the application, its read model and its queries, wired together.

This is the composition root the CLI (and later the server) opens; commands go to the
application, and every save brings the projection up to date before the command returns.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from datetime import date, datetime
from typing import TYPE_CHECKING, Any, cast
from uuid import UUID

from eventsourcing.postgres import PostgresFactory
from eventsourcing.sqlite import SQLiteFactory

from ledger.application import LedgerApplication
from ledger.commands import (
    AmendChange,
    Command,
    Receipt,
    RecordChange,
    RegisterOffice,
    RetractChange,
)
from ledger.domain.chain import GENESIS
from ledger.domain.errors import LedgerError, OfficeNotFound
from ledger.domain.events import ChangeAmended, OfficeEvent, OfficeRegistered, PolicyChanged
from ledger.domain.office import Office
from ledger.domain.values import OfficeCode, Value
from ledger.index import RuleIndex
from ledger.persistence import ExportRow
from ledger.projection import ProjectionFollower, RuleProjection, SQLiteChanges, reported_on
from ledger.queries import (
    CheckRequest,
    CheckResult,
    CompareRequest,
    CompareResult,
    RuleQueries,
    StateRequest,
    StateResult,
)
from ledger.readmodel import (
    Basis,
    Checkpoint,
    Knowledge,
    OfficeRow,
    POPORuleView,
    RuleView,
    SQLiteRuleView,
)
from ledger.settings import Settings

if TYPE_CHECKING:
    from types import TracebackType


__all__ = ["Ledger", "HistoryEntry", "HistoryRequest", "LogEvent", "DigestMismatch", "NotYet"]


class HistoryEntry(Value):
    """One event of an office's history, with both of its knowledge times."""

    office_version: int
    type: str
    event_id: UUID
    change_id: UUID | None
    recorded_at: datetime
    reported_on: date | None
    event: dict[str, Any]


class HistoryRequest(Value):
    """An office's history, filtered on valid time and knowledge time."""

    office: OfficeCode
    valid_from: date | None = None
    valid_to: date | None = None
    known_at: date | datetime | None = None
    basis: Basis = Basis.RECORDED


class LogEvent(Value):
    """One event of the whole log, at its global position."""

    position: int
    office: str
    office_version: int
    type: str
    event_id: UUID
    recorded_at: datetime
    event_json: str


class DigestMismatch(LedgerError):
    """A pinned digest that is not a prefix of the ledger."""


class NotYet(LedgerError):
    """The read model has not reached a position the caller asked to read after."""

    def __init__(self, wanted: int, reached: int) -> None:
        super().__init__(
            f"this server's read model is at position {reached}, not yet at {wanted}: "
            "try again, with a longer deadline, or ask another server"
        )


class Ledger:
    """Application + projection + queries over one database."""

    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.app = LedgerApplication(env=settings.persistence_env())
        self.view = self._construct_view()
        self.index = RuleIndex(self.view, budget=settings.index_revisions)
        self.projection = RuleProjection(self.view, self.index)
        self.changes = self._construct_changes()
        self.follower = ProjectionFollower(self.app, self.projection, self.changes)
        self.queries = RuleQueries(self.index, self.view)
        self.app.on_saved.append(self.follower.catch_up)
        self.follower.catch_up()  # events saved while no process was following
        self._saved = threading.Condition()
        self.app.on_saved.append(self._announce)

    def _announce(self) -> None:
        with self._saved:
            self._saved.notify_all()

    def follow(self) -> None:
        """Another process wrote: bring the read model up to date and wake the watches."""
        self.follower.catch_up()
        self._announce()

    def _construct_changes(self) -> SQLiteChanges | None:
        factory = self.app.factory
        if isinstance(factory, SQLiteFactory):
            return SQLiteChanges(factory.datastore.pool.db_name)
        return None

    def _construct_view(self) -> RuleView:
        factory = self.app.factory
        if isinstance(factory, SQLiteFactory):
            view: RuleView = SQLiteRuleView(factory.datastore)
        elif isinstance(factory, PostgresFactory):
            from ledger.postgres import PostgresRuleView

            view = PostgresRuleView(factory.datastore)
        else:
            return POPORuleView()
        view.create_table()
        return view

    # Commands: each returns once the read model includes its event.

    def register_office(self, command: RegisterOffice) -> Receipt:
        return self.app.register_office(command)

    def record_change(self, command: RecordChange) -> Receipt:
        return self.app.record_change(command)

    def amend_change(self, command: AmendChange) -> Receipt:
        return self.app.amend_change(command)

    def retract_change(self, command: RetractChange) -> Receipt:
        return self.app.retract_change(command)

    # Queries: each first follows what other processes wrote to the same database.

    def state(self, request: StateRequest) -> StateResult:
        self.follower.catch_up()
        return self.queries.state(request)

    def check(self, request: CheckRequest) -> CheckResult:
        self.follower.catch_up()
        return self.queries.check(request)

    def compare(self, request: CompareRequest) -> CompareResult:
        self.follower.catch_up()
        return self.queries.compare(request)

    def execute_batch(self, commands: Sequence[Command]) -> list[Receipt]:
        return self.app.execute_batch(commands)

    def offices(self) -> list[OfficeRow]:
        self.follower.catch_up()
        return self.view.list_offices()

    def office(self, code: str) -> OfficeRow:
        self.follower.catch_up()
        row = self.view.get_office(code)
        if row is None:
            raise OfficeNotFound(code)
        return row

    def log(self, after: int, limit: int) -> list[LogEvent]:
        """Up to ``limit`` events after global position ``after``, in log order."""
        self.follower.catch_up()  # so that the offices of these events are known
        notifications = self.app.recorder.select_notifications(after + 1, limit)
        events = []
        for notification in notifications:
            event = cast("OfficeEvent", self.app.mapper.to_domain_event(notification))
            events.append(
                LogEvent(
                    position=notification.id,
                    office=self._office_of(event),
                    office_version=notification.originator_version,
                    type=type(event).__name__,
                    event_id=event.event_id,
                    recorded_at=event.recorded_at,
                    event_json=event.model_dump_json(),
                )
            )
        return events

    def _office_of(self, event: OfficeEvent) -> str:
        if isinstance(event, OfficeRegistered):
            return event.code
        code = self.projection.office_code(event.originator_id)
        if code is None:  # registered after the catch-up above, by another process
            code = cast("Office", self.app.repository.get(event.originator_id)).code
        return code

    def wait_for_position(self, position: int, timeout: float | None) -> None:
        """Return once the read model includes the event at ``position``; ``NotYet`` if it
        has not within ``timeout`` seconds (None: do not wait)."""
        if position <= self.projection.index.position:
            return
        deadline = time.monotonic() + (timeout or 0)
        while True:
            self.follower.catch_up()
            reached = self.follower.position
            if position <= reached:
                return
            left = deadline - time.monotonic()
            if left <= 0:
                raise NotYet(position, reached)
            with self._saved:
                self._saved.wait(min(left, 0.05))

    def digest(self) -> Checkpoint:
        """The ledger digest now (position 0 and the genesis root for an empty ledger)."""
        self.follower.catch_up()
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
        return self.app.requests.export_rows(after, limit)

    def wait_for_events(self, after: int, timeout: float) -> None:
        """Return once an event after ``after`` may exist, or after ``timeout`` seconds.

        Saves by this process wake waiters at once; another process's saves to the same
        database are seen at the next timeout.
        """
        with self._saved:
            if (self.app.recorder.max_notification_id() or 0) <= after:
                self._saved.wait(timeout)

    def history_of(self, request: HistoryRequest) -> list[HistoryEntry]:
        return self.history(
            request.office,
            valid_from=request.valid_from,
            valid_to=request.valid_to,
            known_at=request.known_at,
            basis=request.basis,
        )

    def history(
        self,
        office: str,
        *,
        valid_from: date | None = None,
        valid_to: date | None = None,
        known_at: date | datetime | None = None,
        basis: Basis = Basis.RECORDED,
    ) -> list[HistoryEntry]:
        """The office's events in the order recorded, filtered on both time axes.

        Valid time keeps changes whose effective window (in any of its forms) meets
        ``valid_from..valid_to``, with their amendments and retractions; knowledge time keeps
        events known at ``known_at`` on ``basis``.
        """
        events = self.app.office_events(office)
        windows: dict[UUID, list[tuple[date, date]]] = {}
        for event in events:
            if isinstance(event, PolicyChanged):
                windows[event.change_id] = [event.effective.window]
            elif isinstance(event, ChangeAmended) and event.effective is not None:
                windows[event.change_id].append(event.effective.window)
        knowledge = Knowledge.of(known_at, basis)
        low, high = valid_from or date.min, valid_to or date.max
        entries = []
        for event in events:
            change_id = _change_of(event)
            if change_id is not None and not any(
                start <= high and low <= end for start, end in windows[change_id]
            ):
                continue
            entry = _entry(event, change_id)
            if _known(entry, knowledge):
                entries.append(entry)
        return entries

    def rebuild(self) -> int:
        """Replay the whole log into a fresh read model; returns the events replayed."""
        return self.follower.rebuild()

    def close(self) -> None:
        if self.changes is not None:
            self.changes.close()
        self.app.close()

    def __enter__(self) -> Ledger:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _change_of(event: OfficeEvent) -> UUID | None:
    """The change an event records, amends or retracts (none for a registration)."""
    change_id: UUID | None = getattr(event, "change_id", None)
    return change_id


def _entry(event: OfficeEvent, change_id: UUID | None) -> HistoryEntry:
    sources = getattr(event, "sources", ())
    return HistoryEntry(
        office_version=event.originator_version,
        type=type(event).__name__,
        event_id=event.event_id,
        change_id=change_id,
        recorded_at=event.recorded_at,
        reported_on=reported_on(sources) if sources else None,
        event=event.model_dump(mode="json"),
    )


def _known(entry: HistoryEntry, knowledge: Knowledge) -> bool:
    """A registration cites no sources: on the REPORTED basis the office is simply there."""
    if knowledge.at is None:
        return True
    if knowledge.basis is Basis.RECORDED:
        return entry.recorded_at <= knowledge.at
    return entry.reported_on is None or entry.reported_on <= knowledge.at.date()
