"""The ledger as one object: the application, its read model and its queries, wired together.

This is the composition root the CLI (and later the server) opens; commands go to the
application, and every save brings the projection up to date before the command returns.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.sqlite import SQLiteFactory

from ledger.application import LedgerApplication
from ledger.commands import AmendChange, Receipt, RecordChange, RegisterOffice, RetractChange
from ledger.domain.office import ChangeAmended, ChangeRetracted, OfficeEvent, PolicyChanged
from ledger.domain.values import Value
from ledger.index import RuleIndex
from ledger.projection import ProjectionFollower, RuleProjection, reported_on
from ledger.queries import (
    CheckRequest,
    CheckResult,
    CompareRequest,
    CompareResult,
    RuleQueries,
    StateRequest,
    StateResult,
)
from ledger.readmodel import Basis, Knowledge, OfficeRow, POPORuleView, RuleView, SQLiteRuleView
from ledger.settings import Settings

if TYPE_CHECKING:
    from types import TracebackType

__all__ = ["Ledger", "HistoryEntry"]


class HistoryEntry(Value):
    """One event of an office's history, with both of its knowledge times."""

    office_version: int
    type: str
    event_id: UUID
    change_id: UUID | None
    recorded_at: datetime
    reported_on: date | None
    event: dict[str, Any]


class Ledger:
    """Application + projection + queries over one database."""

    def __init__(self, settings: Settings | None = None) -> None:
        settings = settings or Settings()
        self.app = LedgerApplication(env=settings.persistence_env())
        self.view = self._construct_view()
        self.index = RuleIndex(self.view)
        self.projection = RuleProjection(self.view, self.index)
        self.follower = ProjectionFollower(self.app, self.projection)
        self.queries = RuleQueries(self.index, self.view)
        self.app.on_saved.append(self.follower.catch_up)
        self.follower.catch_up()  # events saved while no process was following

    def _construct_view(self) -> RuleView:
        factory = self.app.factory
        if isinstance(factory, SQLiteFactory):
            view = SQLiteRuleView(factory.datastore)
            view.create_table()
            return view
        return POPORuleView()

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

    def offices(self) -> list[OfficeRow]:
        self.follower.catch_up()
        return self.view.list_offices()

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
    if isinstance(event, PolicyChanged):
        return event.change_id
    if isinstance(event, ChangeAmended | ChangeRetracted):
        return event.change_id
    return None


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
