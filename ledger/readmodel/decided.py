"""Logged decisions on the read side: what each asked, and an index to find the decisions an
event could change without reading the others.

A decision keeps its request as the caller sent it (canonical JSON of the request's fields,
``ledger.application.decisions``); ``asked`` reads it back into the question it was.
``DecisionIndex`` follows the decision log (its own process's appends and other servers' alike:
it reads whatever was appended since it last looked) and keeps, per office, direction,
channel, traveller and HS chapter of the goods asked about, the days asked about each packed
with the decision's sequence number into one integer, sorted, so that the decisions about days
from a given one on are one range of it; and per office, its decisions' sequence numbers in
order, for listing. About 100 bytes a decision (96 MB measured for a million); the decisions
themselves stay in the store.
"""

from __future__ import annotations

import json
import re
import threading
from array import array
from bisect import bisect_right
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from typing import TYPE_CHECKING, Any

from pydantic import Field, ValidationError, ValidatorFunctionWrapHandler, field_validator
from pydantic_core import PydanticCustomError
from sortedcontainers import SortedList

from ledger.domain.dates import KnownAt
from ledger.domain.goods import hs_prefixes, normalise_goods
from ledger.domain.values import OfficeCode, Scope, Traveller, Value
from ledger.readmodel.answers import CheckRequest, CompareRequest

if TYPE_CHECKING:
    from ledger.application.decisions import Decision, Question
    from ledger.application.ports import DecisionStore

__all__ = [
    "Asked",
    "asked",
    "offices_asked",
    "DecisionIndex",
    "DecisionFilter",
    "DecisionPage",
    "page_of_decisions",
]

Asked = CheckRequest | CompareRequest
# A key is the day asked about (its ordinal) times this, plus the decision's sequence number.
_SHIFT = 2**40
# Decisions read from the store at a time while catching up.
_BATCH = 10_000
# Decisions one page of a listing looks at, at most, whatever its filters skip.
_SCAN = 5_000


def asked(decision: Decision | Question) -> Asked:
    """The question a decision asked, as the ledger read it when it answered."""
    data = json.loads(decision.request)
    if decision.rpc == "Check":
        return CheckRequest.model_validate(data)
    return CompareRequest.model_validate(data)


def offices_asked(data: dict[str, Any]) -> list[str]:
    """The offices a logged request (its plain data) asked about, each once, in order."""
    if "office" in data:
        return [data["office"]]
    return list(dict.fromkeys(data.get("offices", ())))


def _chapters(goods: str) -> set[str]:
    """The HS chapters (two digits) a canonical goods value covers; "" for a prefix shorter
    than a chapter (the ``all`` category's): every chapter."""
    return {prefix[:2] if len(prefix) >= 2 else "" for prefix in hs_prefixes(goods)}


class DecisionIndex:
    """The logged decisions' keys, followed from the store (``catch_up``)."""

    def __init__(self, store: DecisionStore) -> None:
        self.store = store
        self.sequence = 0  # the last decision indexed
        self._lock = threading.Lock()
        # (office, direction, channel) → (traveller, HS chapter) → keys
        self._by_scope: dict[tuple[str, str, str], dict[tuple[str, str], SortedList]] = {}
        self._by_office: dict[str, array[int]] = {}

    def __len__(self) -> int:
        return self.sequence

    def catch_up(self) -> None:
        """Index the decisions appended since the last look (by any server)."""
        with self._lock:
            while batch := self.store.list(self.sequence, _BATCH):
                for decision in batch:
                    self._add(decision)
                self.sequence = batch[-1].sequence

    def _add(self, decision: Decision) -> None:
        data = json.loads(decision.request)
        day = date.fromisoformat(data["at"]).toordinal()
        key = day * _SHIFT + decision.sequence
        traveller = data.get("traveller", Traveller.ANY.value)
        chapters = {
            chapter
            for item in data["items"]
            for chapter in _chapters(normalise_goods(item["goods"]))
        }
        for office in offices_asked(data):
            keys_of = self._by_scope.setdefault((office, data["direction"], data["channel"]), {})
            for chapter in chapters:
                keys = keys_of.get((traveller, chapter))
                if keys is None:
                    keys = keys_of[traveller, chapter] = SortedList()
                keys.add(key)
            self._by_office.setdefault(office, array("q")).append(decision.sequence)

    def candidates(self, office: str, scope: Scope, since: date) -> set[int]:
        """The sequence numbers of the decisions about ``office`` that ``scope`` may cover
        (its direction and channel; its traveller, or any if it names none; an HS chapter of
        its goods) and about ``since`` or a later day."""
        self.catch_up()
        travellers = list(Traveller) if scope.traveller is Traveller.ANY else [scope.traveller]
        chapters = _chapters(scope.goods)
        low = since.toordinal() * _SHIFT
        found: set[int] = set()
        with self._lock:
            keys_of = self._by_scope.get((office, scope.direction, scope.channel), {})
            for (traveller, chapter), keys in keys_of.items():
                if traveller in travellers and ("" in chapters or chapter in chapters):
                    found.update(key % _SHIFT for key in keys.irange(minimum=low))
        return found

    def of_office(self, office: str, after_sequence: int, limit: int) -> list[int]:
        """The sequence numbers of up to ``limit`` decisions about ``office`` after
        ``after_sequence``."""
        self.catch_up()
        with self._lock:
            sequences = self._by_office.get(office)
            if sequences is None:
                return []
            start = bisect_right(sequences, after_sequence)
            return list(sequences[start : start + limit])


class DecisionFilter(Value):
    """Which logged decisions to list, and the page; every filter given must hold."""

    office: OfficeCode | None = None
    label: str | None = Field(default=None, max_length=200)
    asked_from: KnownAt | None = None  # a date: from the start of that day (UTC)
    asked_until: KnownAt | None = None  # before this; a date: before that day starts
    from_position: int = Field(default=0, ge=0)
    to_position: int = Field(default=0, ge=0)  # 0: no bound
    page_size: int = Field(default=0, ge=0, le=1000)  # 0: 100
    page_token: str | None = None

    @field_validator("asked_from", "asked_until", mode="wrap")
    @classmethod
    def _a_time(cls, value: Any, read: ValidatorFunctionWrapHandler) -> Any:
        try:
            return read(value)
        except ValidationError:
            raise PydanticCustomError(
                "asked_format",
                "{value} is not a time: expected a date YYYY-MM-DD (from the start of that day, "
                "UTC) or an RFC 3339 timestamp with its offset, e.g. 2026-12-01 or "
                "2026-12-01T09:00:00Z",
                {"value": repr(value)},
            ) from None

    @field_validator("page_token")
    @classmethod
    def _a_token(cls, value: str | None) -> str | None:
        if value is not None and not re.fullmatch(r"[0-9]{1,18}", value):
            raise PydanticCustomError(
                "page_token",
                "{value} is not a page token this server gave: pass a reply's next_page_token "
                "as it came, or leave it empty for the first page",
                {"value": repr(value)},
            )
        return value

    def admits(self, decision: Decision) -> bool:
        low, high = _instant(self.asked_from), _instant(self.asked_until)
        return (
            (self.label is None or decision.label == self.label)
            and (low is None or decision.asked_at >= low)
            and (high is None or decision.asked_at < high)
            and decision.position >= self.from_position
            and (not self.to_position or decision.position <= self.to_position)
        )


def _instant(when: date | datetime | None) -> datetime | None:
    if when is None or isinstance(when, datetime):
        return when
    return datetime.combine(when, time.min, UTC)


@dataclass(frozen=True, slots=True)
class DecisionPage:
    decisions: tuple[Decision, ...]
    next_page_token: str  # empty on the last page


def page_of_decisions(index: DecisionIndex, asked: DecisionFilter) -> DecisionPage:
    """One page of the decisions ``asked`` admits, in the order logged. A page looks at
    ``_SCAN`` decisions at most: it may hold fewer than its size when the filters skip many
    (its token then goes on from the last one looked at)."""
    size = asked.page_size or 100
    after = int(asked.page_token or 0)
    if asked.office is None:
        index.catch_up()
        looked = index.store.list(after, _SCAN)
    else:
        looked = index.store.by_sequences(index.of_office(asked.office, after, _SCAN))
    found = []
    for decision in looked:
        if asked.admits(decision):
            found.append(decision)
            if len(found) == size:
                break
        after = decision.sequence
    else:
        more = len(looked) == _SCAN
        return DecisionPage(tuple(found), str(after) if more else "")
    last = found[-1].sequence
    return DecisionPage(tuple(found), str(last) if last < index.sequence else "")
