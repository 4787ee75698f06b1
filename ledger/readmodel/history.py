"""An office's history, and the whole log, read from the events themselves.

The history of an office is its events in the order recorded, filtered on both time axes; the
log is every event in global order (what ``Watch`` streams). Both read the event store, not
the rule index: they are about what was recorded, not about the rules it implies.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ledger.domain.dates import Day
from ledger.domain.events import OfficeEvent, OfficeRegistered
from ledger.domain.values import OfficeCode, Value
from ledger.readmodel.answers import AsKnown
from ledger.readmodel.model import Basis, Knowledge
from ledger.readmodel.projection import reported_on

__all__ = ["HistoryEntry", "HistoryRequest", "LogEvent", "history", "log_event", "change_of"]


class HistoryEntry(Value):
    """One event of an office's history, with both of its knowledge times."""

    office_version: int
    type: str
    event_id: UUID
    change_id: UUID | None
    recorded_at: datetime
    reported_on: date | None
    event: dict[str, Any]


class HistoryRequest(AsKnown):
    """An office's history, filtered on valid time and knowledge time."""

    office: OfficeCode
    valid_from: Day | None = None
    valid_to: Day | None = None


class LogEvent(Value):
    """One event of the whole log, at its global position."""

    position: int
    office: str
    office_version: int
    type: str
    event_id: UUID
    recorded_at: datetime
    event_json: str


def history(
    events: list[OfficeEvent], request: HistoryRequest, positions: Sequence[int] = ()
) -> list[HistoryEntry]:
    """The office's ``events`` (in the order recorded), filtered on both time axes.

    Valid time keeps changes whose effective window (in any of its forms) meets
    ``valid_from..valid_to``, with their amendments and retractions; knowledge time keeps
    events known at ``known_at`` on ``basis``, or, with ``known_at_position``, those at
    ``positions`` (each event's log position, in the same order) up to it.
    """
    if request.known_at_position is not None:
        kept = sum(1 for position in positions if position <= request.known_at_position)
        events = events[:kept]
    windows: dict[UUID, list[tuple[date, date]]] = {}
    for event in events:
        change_id = change_of(event)
        if change_id is not None:
            windows.setdefault(change_id, []).extend(event.windows())
    knowledge = request.knowledge
    low, high = request.valid_from or date.min, request.valid_to or date.max
    entries = []
    for event in events:
        change_id = change_of(event)
        if change_id is not None and not any(
            start <= high and low <= end for start, end in windows[change_id]
        ):
            continue
        entry = _entry(event, change_id)
        if _known(entry, knowledge):
            entries.append(entry)
    return entries


def log_event(position: int, office: str, event: OfficeEvent) -> LogEvent:
    """``event``, as the log shows it at ``position``."""
    return LogEvent(
        position=position,
        office=office,
        office_version=event.originator_version,
        type=type(event).__name__,
        event_id=event.event_id,
        recorded_at=event.recorded_at,
        # As stored: an event of an earlier version shows as it was written.
        event_json=event.stored_json().decode(),
    )


def change_of(event: OfficeEvent) -> UUID | None:
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
        event=json.loads(event.stored_json()),
    )


def _known(entry: HistoryEntry, knowledge: Knowledge) -> bool:
    """On the REPORTED basis a registration (which cites no sources) is simply there, and a
    clerical retraction (none either) is known from the day it was recorded."""
    if knowledge.at is None:  # now, or up to a position (the events were cut there)
        return True
    if knowledge.basis is Basis.RECORDED:
        return entry.recorded_at <= knowledge.at
    if entry.reported_on is None:
        registered = entry.type == OfficeRegistered.__name__
        return registered or entry.recorded_at.date() <= knowledge.at.date()
    return entry.reported_on <= knowledge.at.date()
