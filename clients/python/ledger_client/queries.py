"""Questions: offices, an office's history, rule states, checks, comparisons, the live log,
and rules taking effect (the changes whose window starts or ends between two dates; notices
as the server's date reaches them).

A check and a comparison are logged as a decision when asked (``log=True``, with a ``label``
of the caller's) or when the server logs every call: the result's ``decision_id`` names it
(``ledger_client.decisions``).

Every question takes ``min_position``: it is answered only once the server has the event at
that position (a receipt's, written through any server): read your own writes. Questions of
the ledger's knowledge take ``known_at`` (a time, on ``basis``) or ``known_at_position`` (what
was recorded up to and including the event at that log position), not both.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from typing import Any
from uuid import UUID

from ledger_api.convert import to_data
from ledger_client.connection import Connection
from ledger_client.models import (
    Crossing,
    Day,
    DecisionId,
    EffectiveDate,
    ItemResult,
    Measure,
    Model,
    RuleState,
    Scope,
    Source,
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
    "EffectiveEdge",
    "Upcoming",
    "EffectiveNotice",
    "effective_notices",
]

Data = dict[str, Any]
When = date | datetime | str | None


def text(value: When) -> str | None:
    """A time or day as the API's text (already text: as it is)."""
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
    decision_id: DecisionId = None  # when logged


class OfficeRanking(Model):
    rank: int = 0  # 1 is the least restrictive; ties share a rank; 0: not ranked
    office: str
    items: tuple[ItemResult, ...] = ()
    # "ranked", "uncertain" (an item is UNCERTAIN) or "unknown" (an item has NO_RULE); None
    # from a server before standings.
    standing: str | None = None


class CompareResult(Model):
    rankings: tuple[OfficeRanking, ...] = ()
    decision_id: DecisionId = None  # when logged


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


class EffectiveEdge(Model):
    """A change reaching an edge of its effective window, as known now (amended, not
    retracted)."""

    office: str
    # "starts": the window's first day, from when the change may be in force; "certain": its
    # last, from when it certainly is (a day-precise change has both on its day).
    edge: str
    on: Day
    change_id: UUID
    kind: str
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    sources: tuple[Source, ...] = ()
    position: int = 0  # of the event that made this form: the change, or its latest amendment


class Upcoming(Model):
    """One page of edges, by date, office, change, then starts before certain."""

    edges: tuple[EffectiveEdge, ...] = ()
    next_page_token: str = ""  # empty on the last page


class EffectiveNotice(Model):
    """The server's date reached an edge (``late``: the change was recorded after it had).

    Resume after this notice with ``after_date=resume_date, after_position=resume_position``:
    nothing is sent twice, nothing is missed (a notice not the last of its reply carries the
    reply before's point: resuming there sends the rest of its reply again)."""

    edge: EffectiveEdge
    late: bool = False
    resume_date: Day
    resume_position: int = 0


def effective_notices(
    replies: Iterable[Any], after_date: When = None, after_position: int = 0
) -> Iterator[EffectiveNotice]:
    """The notices of ``WatchEffective``'s replies (messages), each with its resume point;
    ``after_date`` and ``after_position``: where the watch started, if given."""
    start = text(after_date)
    previous = None if start is None else {"date": start, "position": after_position}
    for reply in replies:
        here = {"date": reply.resume_date, "position": reply.resume_position}
        count = len(reply.notices)
        for number, notice in enumerate(reply.notices, 1):
            point = here if number == count or previous is None else previous
            yield EffectiveNotice.model_validate(
                {
                    **to_data(notice),
                    "resume_date": point["date"],
                    "resume_position": point["position"],
                }
            )
        previous = here


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
            "valid_from": text(valid_from),
            "valid_to": text(valid_to),
            "known_at": text(known_at),
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
            "at": text(at),
            "known_at": text(known_at),
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
        log: bool = False,
        label: str | None = None,
    ) -> CheckResult:
        """``log``: keep the question and its answer in the decision log, with ``label``."""
        question = _question(at, direction, channel, items, traveller, known_at, basis)
        question |= {"known_at_position": known_at_position, "log": log, "label": label}
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
        log: bool = False,
        label: str | None = None,
    ) -> CompareResult:
        """``log``: keep the question and its answer in the decision log, with ``label``."""
        question = _question(at, direction, channel, items, traveller, known_at, basis)
        question |= {"known_at_position": known_at_position, "log": log, "label": label}
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

    def upcoming(
        self,
        from_date: When,
        to_date: When,
        *,
        offices: Sequence[str] = (),
        page_size: int = 0,
        page_token: str | None = None,
        min_position: int = 0,
    ) -> Upcoming:
        """One page of the changes whose window starts or ends (is certain) from ``from_date``
        (None: the server's date) to ``to_date`` (at most 10 years on), at ``offices`` (none:
        every office). ``page_token``: the previous page's ``next_page_token``."""
        request = {
            "offices": list(offices),
            "from_date": text(from_date),
            "to_date": text(to_date),
            "page_size": page_size,
            "page_token": page_token,
            "min_position": min_position,
        }
        return Upcoming.model_validate(self.call("ListUpcoming", request))

    def watch_effective(
        self,
        offices: Sequence[str] = (),
        *,
        after_date: When = None,
        after_position: int = 0,
        timeout: float | None = None,
    ) -> Iterator[EffectiveNotice]:
        """A notice each time the server's date reaches a change's window start or end, from
        ``after_date`` and ``after_position`` (a notice's resume point; None: from now), until
        ``timeout`` (None: until the caller stops iterating or the server stops). A change
        recorded after its date had passed comes at once, ``late``."""
        request = {
            "offices": list(offices),
            "after_date": text(after_date),
            "after_position": after_position,
        }
        replies = self.stream("WatchEffective", request, timeout=timeout)
        yield from effective_notices(replies, after_date, after_position)


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
        "at": text(at),
        "known_at": text(known_at),
        "basis": basis,
        "direction": direction,
        "channel": channel,
        "traveller": traveller,
        "items": [{k: v for k, v in item.items() if v is not None} for item in items],
    }
