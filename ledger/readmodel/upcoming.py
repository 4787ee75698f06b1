"""Questions of valid time: the changes taking effect between two dates, and what a watch of
effective dates announces; and the server's date they are asked against.

``UpcomingRequest`` and ``WatchEffectiveRequest`` are validated at the edge, as every
request is; ``Reader.upcoming`` and ``Reader.effective_due`` answer them from the
``EffectiveIndex`` (``ledger.readmodel.effective``).

A watch keeps a ``Cursor``: the server's date it has announced up to, and the log position
up to which it considered changes. Moving it from (D, P) to (T, Q) announces the edges in
(D, T] of forms recorded up to P, and the edges up to T of forms recorded in (P, Q] (late
when on or before D); so a watch resumed from a cursor sends nothing twice and misses nothing.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple
from uuid import UUID

from pydantic import Field, field_validator
from pydantic_core import PydanticCustomError

from ledger.domain.dates import Day, EffectiveDate
from ledger.domain.errors import InvalidRequest, Unavailable
from ledger.domain.values import ChangeKind, Measure, OfficeCode, Scope, Source, Value
from ledger.readmodel.effective import Edge, EdgeKey

if TYPE_CHECKING:
    from ledger.readmodel.model import Revision

__all__ = [
    "ServerClock",
    "ClockUnreadable",
    "FieldRefused",
    "UpcomingRequest",
    "EffectiveEdge",
    "UpcomingResult",
    "WatchEffectiveRequest",
    "EffectiveNotice",
    "Cursor",
    "page_token",
    "MAX_OFFICES",
    "MAX_PAGE",
    "DEFAULT_PAGE",
    "MAX_YEARS",
]

log = logging.getLogger("ledger.readmodel")

MAX_OFFICES = 500
MAX_PAGE = 1000
DEFAULT_PAGE = 100
MAX_YEARS = 10
# The databases' positions are signed 64-bit.
_MAX_POSITION = 2**63 - 2
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)


class ClockUnreadable(Unavailable):
    """The file that holds the server's date cannot be read as a date, and none was read
    before."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(
            f"the server's date is read from LEDGER_TODAY_FILE {path}, which {reason}: write a "
            "date there, YYYY-MM-DD, e.g. 2025-06-01"
        )


class ServerClock:
    """The server's date: fixed (``LEDGER_TODAY``), read from a file at each look
    (``LEDGER_TODAY_FILE``: a test moves it without restarting the server), or else today's
    date in UTC. A file that cannot be read keeps the date last read from it (with a warning
    in the log), and refuses until one was."""

    def __init__(self, fixed: date | None = None, file: Path | None = None) -> None:
        self.fixed = fixed
        self.file = file
        self._last: date | None = None
        self._warned = ""

    def today(self) -> date:
        if self.fixed is not None:
            return self.fixed
        if self.file is None:
            return datetime.now(UTC).date()
        try:
            text = self.file.read_text(encoding="utf-8").strip()
            if not _DAY.fullmatch(text):
                raise ValueError(f"holds {text[:40]!r}, not a date")
            day = date.fromisoformat(text)
        except (OSError, ValueError) as error:
            reason = str(error) if isinstance(error, ValueError) else f"cannot be read ({error})"
            last = self._last
            if last is None:
                raise ClockUnreadable(self.file, reason) from None
            if reason != self._warned:
                log.warning("LEDGER_TODAY_FILE %s %s: the date stays %s", self.file, reason, last)
                self._warned = reason
            return last
        self._last, self._warned = day, ""
        return day


class FieldRefused(InvalidRequest):
    """A request field the read side refuses, once it knows what it needs to judge it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return ((self.field, str(self)),)


def _refuse(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, "{reason}", {"reason": message})


def page_token(key: EdgeKey) -> str:
    """An opaque token for the page after ``key``."""
    text = f"{key.day}:{key.edge}:{key.change:032x}:{key.office}"
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


def _after(token: str) -> EdgeKey:
    """The key a token was made of; ``ValueError`` if it is no token of ours."""
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
        day, edge, change, office = text.split(":", 3)
        key = EdgeKey(int(day), office, int(change, 16), int(edge))
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise ValueError(token) from None
    if not (0 < key.day <= date.max.toordinal() and key.edge in (1, 2) and office):
        raise ValueError(token)
    return key


_TOKEN_IS = (
    "is not a page token this server gave: pass the previous response's next_page_token as "
    "it is, or leave page_token empty for the first page"
)


class UpcomingRequest(Value):
    """The edges between two dates (``from_date`` empty: the server's date), one page."""

    offices: tuple[OfficeCode, ...] = Field(default=(), max_length=MAX_OFFICES)
    from_date: Day | None = None
    to_date: Day | None = Field(default=None, validate_default=True)
    page_size: int = 0
    page_token: str = ""

    @field_validator("to_date")
    @classmethod
    def _to_date_given(cls, value: date | None) -> date | None:
        if value is None:
            raise _refuse(
                "to_date_missing",
                "to_date is required: the last date to list, YYYY-MM-DD, at most "
                f"{MAX_YEARS} years after from_date, e.g. 2025-06-30",
            )
        return value

    @field_validator("page_size")
    @classmethod
    def _page_size_bounded(cls, value: int) -> int:
        if not 0 <= value <= MAX_PAGE:
            raise _refuse(
                "page_size",
                f"{value} is not a page size: 1 to {MAX_PAGE} edges, or 0 for {DEFAULT_PAGE}, "
                "e.g. 500",
            )
        return value

    @field_validator("page_token")
    @classmethod
    def _page_token_ours(cls, value: str) -> str:
        if value:
            try:
                _after(value)
            except ValueError:
                shown = value if len(value) <= 40 else value[:37] + "..."
                raise _refuse("page_token", f"{shown!r} {_TOKEN_IS}") from None
        return value

    @property
    def size(self) -> int:
        return self.page_size or DEFAULT_PAGE

    @property
    def after(self) -> EdgeKey | None:
        return _after(self.page_token) if self.page_token else None

    def window(self, today: date | None) -> tuple[date, date]:
        """The first and last date asked (the first: ``today`` unless given); refused when
        the last is before the first, or more than ``MAX_YEARS`` after it."""
        first = self.from_date or today
        last = self.to_date
        assert first is not None, "today is given when from_date is not"
        assert last is not None, "to_date is required"
        named = "from_date" if self.from_date else "from_date (empty: the server's date)"
        if last < first:
            raise FieldRefused(
                "to_date",
                f"to_date {last} is before {named} {first}: give a last date on or after the "
                f"first, e.g. {first + timedelta(days=30)}",
            )
        bound = _years_after(first, MAX_YEARS)
        if last > bound:
            raise FieldRefused(
                "to_date",
                f"to_date {last} is more than {MAX_YEARS} years after {named} {first}: ask up "
                f"to {bound} at most (e.g. to_date {bound}), and the rest in another request",
            )
        return first, last


def _years_after(day: date, years: int) -> date:
    if day.year + years > date.max.year:
        return date.max
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, into a year that has none
        return day.replace(year=day.year + years, day=28)


class EffectiveEdge(Value):
    """A change reaching one edge of its window, as its reply (``EffectiveEdge``) has it."""

    office: str
    edge: Edge
    on: date
    change_id: UUID
    kind: ChangeKind
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    sources: tuple[Source, ...]
    position: int

    @classmethod
    def of(cls, key: EdgeKey, revision: Revision) -> EffectiveEdge:
        """Built, not validated: the revision was validated when recorded."""
        return cls.model_construct(
            office=revision.office,
            edge=key.kind,
            on=key.on,
            change_id=revision.change_id,
            kind=revision.kind,
            scope=revision.scope,
            measure=revision.measure,
            effective=revision.effective,
            sources=revision.sources,
            position=revision.position_from,
        )


class UpcomingResult(Value):
    edges: tuple[EffectiveEdge, ...]
    next_page_token: str = ""


class WatchEffectiveRequest(Value):
    """Where a watch of effective dates starts: after a date and a log position (a previous
    response's resume point), or from the server's date now and the end of the log."""

    offices: tuple[OfficeCode, ...] = Field(default=(), max_length=MAX_OFFICES)
    after_date: Day | None = None
    after_position: int = 0

    @field_validator("after_position")
    @classmethod
    def _position_bounded(cls, value: int) -> int:
        if not 0 <= value <= _MAX_POSITION:
            raise _refuse(
                "after_position",
                f"{value} is not a log position: 0 or more, as a response's resume_position "
                "gives it, e.g. 42",
            )
        return value

    def start(self, today: date, end: int) -> Cursor:
        """The cursor to start from; ``end``: the log's last position now."""
        if self.after_date is None:
            if self.after_position:
                raise FieldRefused(
                    "after_position",
                    "after_position resumes together with after_date: give both, as a "
                    "response's resume_date and resume_position (e.g. after_date 2025-06-01, "
                    "after_position 42), or neither to start from now",
                )
            return Cursor(today, end)
        if self.after_position > end:
            raise FieldRefused(
                "after_position",
                f"after_position {self.after_position} is beyond the end of the log, which is "
                f"at position {end}: resume with a resume_position this ledger gave",
            )
        return Cursor(self.after_date, self.after_position)


class Cursor(NamedTuple):
    """How far a watch of effective dates has gone: the server's date it announced up to,
    and the log position up to which it considered changes."""

    day: date
    position: int


class EffectiveNotice(Value):
    edge: EffectiveEdge
    late: bool
