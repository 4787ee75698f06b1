"""Questions: offices, an office's history, rule states, checks, comparisons, the live log.

Every question takes ``min_position``: it is answered only once the server has the event at
that position (a receipt's, written through any server): read your own writes. Questions of
the ledger's knowledge take ``known_at`` (a time, on ``basis``) or ``known_at_position`` (what
was recorded up to and including the event at that log position), not both.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ledger_api.convert import to_data
from ledger_client.connection import Connection
from ledger_client.models import (
    Crossing,
    ItemResult,
    Model,
    RuleState,
    Scope,
)

__all__ = [
    "Queries",
    "Office",
    "CheckResult",
    "OfficeRanking",
    "CompareResult",
    "ScopeState",
    "RuleStateResult",
    "HistoryEvent",
    "WatchEvent",
]

Data = dict[str, Any]
When = date | datetime | str | None


def _text(value: When) -> str | None:
    return None if value is None else value.isoformat() if not isinstance(value, str) else value


class Office(Model):
    code: str
    name: str
    crossings: tuple[Crossing, ...] = ()
    version: int
    registered_at: datetime
    changes: int = 0


class CheckResult(Model):
    office: str
    items: tuple[ItemResult, ...] = ()


class OfficeRanking(Model):
    rank: int = 0  # 1 is the least restrictive; ties share a rank; 0: not ranked
    office: str
    items: tuple[ItemResult, ...] = ()
    # "ranked", "uncertain" (an item is UNCERTAIN) or "unknown" (an item has NO_RULE); None
    # from a server before standings.
    standing: str | None = None


class CompareResult(Model):
    rankings: tuple[OfficeRanking, ...] = ()


class ScopeState(Model):
    scope: Scope
    uncertain: bool = False
    states: tuple[RuleState, ...] = ()


class RuleStateResult(Model):
    office: str
    at: date
    scopes: tuple[ScopeState, ...] = ()


class HistoryEvent(Model):
    office_version: int
    type: str
    event_id: UUID
    change_id: UUID | None = None
    recorded_at: datetime
    reported_on: date | None = None
    event_json: str

    @property
    def event(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.event_json)
        return decoded


class WatchEvent(Model):
    position: int
    office: str
    office_version: int
    type: str
    event_id: UUID
    recorded_at: datetime
    event_json: str

    @property
    def event(self) -> dict[str, Any]:
        decoded: dict[str, Any] = json.loads(self.event_json)
        return decoded


class Queries(Connection):
    """The questions, each returning its model."""

    def get_office(self, office: str, *, min_position: int = 0) -> Office:
        reply = self.call("GetOffice", {"office": office, "min_position": min_position})
        return Office.model_validate(reply["office"])

    def list_offices(self, *, min_position: int = 0) -> list[Office]:
        reply = self.call("ListOffices", {"min_position": min_position})
        return [Office.model_validate(office) for office in reply.get("offices", ())]

    def history(
        self,
        office: str,
        *,
        valid_from: When = None,
        valid_to: When = None,
        known_at: When = None,
        basis: str | None = None,
        known_at_position: int | None = None,
        batch_size: int = 0,
        min_position: int = 0,
    ) -> Iterator[HistoryEvent]:
        request = {
            "office": office,
            "min_position": min_position,
            "valid_from": _text(valid_from),
            "valid_to": _text(valid_to),
            "known_at": _text(known_at),
            "basis": basis,
            "known_at_position": known_at_position,
            "batch_size": batch_size,
        }
        for reply in self.stream("GetHistory", request, timeout=self.timeout):
            for event in reply.events:
                yield HistoryEvent.model_validate(to_data(event))

    def rule_state(
        self,
        office: str,
        at: When,
        *,
        known_at: When = None,
        basis: str | None = None,
        known_at_position: int | None = None,
        min_position: int = 0,
    ) -> RuleStateResult:
        request = {
            "office": office,
            "at": _text(at),
            "known_at": _text(known_at),
            "basis": basis,
            "known_at_position": known_at_position,
            "min_position": min_position,
        }
        return RuleStateResult.model_validate(self.call("GetRuleState", request))

    def check(
        self,
        office: str,
        at: When,
        *,
        direction: str,
        channel: str,
        items: Sequence[Data],
        traveller: str | None = None,
        known_at: When = None,
        basis: str | None = None,
        known_at_position: int | None = None,
        min_position: int = 0,
    ) -> CheckResult:
        question = _question(at, direction, channel, items, traveller, known_at, basis)
        question["known_at_position"] = known_at_position
        request = {**question, "office": office, "min_position": min_position}
        return CheckResult.model_validate(self.call("Check", request))

    def compare(
        self,
        offices: Sequence[str],
        at: When,
        *,
        direction: str,
        channel: str,
        items: Sequence[Data],
        traveller: str | None = None,
        known_at: When = None,
        basis: str | None = None,
        known_at_position: int | None = None,
        min_position: int = 0,
    ) -> CompareResult:
        question = _question(at, direction, channel, items, traveller, known_at, basis)
        question["known_at_position"] = known_at_position
        request = {**question, "offices": list(offices), "min_position": min_position}
        return CompareResult.model_validate(self.call("CompareOffices", request))

    def watch(
        self, after_position: int = 0, *, batch_size: int = 0, timeout: float | None = None
    ) -> Iterator[WatchEvent]:
        """Events after ``after_position``: those recorded, then new ones, until ``timeout``
        (None: until the caller stops iterating or the server stops)."""
        request = {"after_position": after_position, "batch_size": batch_size}
        for reply in self.stream("Watch", request, timeout=timeout):
            for event in reply.events:
                yield WatchEvent.model_validate(to_data(event))


def _question(
    at: When,
    direction: str,
    channel: str,
    items: Sequence[Data],
    traveller: str | None,
    known_at: When,
    basis: str | None,
) -> Data:
    """What a check and a comparison both ask."""
    return {
        "at": _text(at),
        "known_at": _text(known_at),
        "basis": basis,
        "direction": direction,
        "channel": channel,
        "traveller": traveller,
        "items": [{k: v for k, v in item.items() if v is not None} for item in items],
    }
