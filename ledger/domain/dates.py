"""Valid time: an effective date and how precisely it is known; and how dates and instants
are written.

"Early March 2025" is the window 2025-03-01..2025-03-10: a change whose date is known only so
precisely may have taken effect on any day of its window.

A date is ``YYYY-MM-DD`` (``Day``); a knowledge time is an RFC 3339 timestamp with its offset,
or a date meaning the end of that day, UTC (``KnownAt``). Nothing else is read as one: pydantic
alone would take ``"20250320"`` or ``1742428800`` for Unix seconds, a timestamp without an
offset for local time, and digits of any script.
"""

from __future__ import annotations

import calendar
import re
from datetime import date, datetime, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Annotated, Self

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator
from pydantic_core import PydanticCustomError

__all__ = ["Precision", "EffectiveDate", "ONE_DAY", "Day", "KnownAt"]

# The day before a window is the last day on which the replaced state certainly held.
ONE_DAY = timedelta(days=1)

_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
_TIMESTAMP = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt]([0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?)"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?",
    re.ASCII,
)
_DAYS_ARE = "expected YYYY-MM-DD in ASCII digits, e.g. 2025-03-20"
_KNOWN_AT_IS = (
    "expected an RFC 3339 timestamp with its offset, e.g. 2025-03-20T12:00:00Z or "
    "2025-03-20T12:00:00+08:00, or a date YYYY-MM-DD (the end of that day, UTC)"
)


def _quoted(value: object) -> str:
    """The offending input, short and with anything unprintable escaped (``repr``)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _refuse(kind: str, message: str) -> PydanticCustomError:
    return PydanticCustomError(kind, "{reason}", {"reason": message})


def _calendar_day(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise _refuse("date_format", f"{text} is not a day of the calendar: {_DAYS_ARE}") from None


def _day(value: object) -> object:
    """A date, or its text ``YYYY-MM-DD``; not a datetime, a number or other text."""
    if isinstance(value, str):  # first: every stored event's dates are text
        # The shape checked by hand, not by the pattern: every stored event's dates pass here.
        if len(value) == 10 and value[4] == value[7] == "-" and value.isascii():
            try:
                return date.fromisoformat(value)  # digits only, in that shape
            except ValueError:
                pass
        if _DAY.fullmatch(value):
            return _calendar_day(value)
    elif isinstance(value, datetime):
        raise _refuse("date_format", f"a time of day is not a date: {_DAYS_ARE}")
    elif isinstance(value, date):
        return value
    raise _refuse("date_format", f"{_quoted(value)} is not a date: {_DAYS_ARE}")


def _known_at(value: object) -> object:
    """A date (the end of that day, UTC), or an instant with its offset; text as RFC 3339."""
    if isinstance(value, datetime):
        if value.utcoffset() is None:
            raise _refuse("known_at_format", f"a time without an offset: {_KNOWN_AT_IS}")
        return value
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        if _DAY.fullmatch(value):
            return _calendar_day(value)
        timestamp = _TIMESTAMP.fullmatch(value)
        if timestamp is not None and timestamp.group(3) is None:
            raise _refuse("known_at_format", f"{_quoted(value)} has no offset: {_KNOWN_AT_IS}")
        if timestamp is not None:
            _calendar_day(timestamp.group(1))
            try:
                return datetime.fromisoformat(value.upper())
            except ValueError:
                raise _refuse(
                    "known_at_format", f"{_quoted(value)} is not a valid time: {_KNOWN_AT_IS}"
                ) from None
    raise _refuse("known_at_format", f"{_quoted(value)} is not a knowledge time: {_KNOWN_AT_IS}")


# A valid-time date: ``2025-03-20`` (or a ``date``).
Day = Annotated[date, BeforeValidator(_day)]
# A knowledge time: ``2025-03-20T12:00:00Z``, ``2025-03-20T12:00:00+08:00`` (or an aware
# ``datetime``), or ``2025-03-20``, the end of that day (UTC) (or a ``date``).
KnownAt = Annotated[date | datetime, BeforeValidator(_known_at)]


class Precision(StrEnum):
    """How precisely an effective date is known; each precision is a closed window."""

    DAY = "day"
    EARLY_MONTH = "early-month"
    MID_MONTH = "mid-month"
    LATE_MONTH = "late-month"
    MONTH = "month"
    QUARTER = "quarter"
    YEAR = "year"


class EffectiveDate(BaseModel):
    """Valid time: a date and its precision. ``early March 2025`` is 2025-03-01..2025-03-10."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    on: Day
    precision: Precision = Precision.DAY

    @model_validator(mode="after")
    def _date_lies_in_its_window(self) -> Self:
        start, end = self.window
        if not start <= self.on <= end:
            holds = next(part for part in _PARTS if _window(self.on, part)[1] >= self.on)
            raise _refuse(
                "effective_window",
                f"{self.on} is not in the {self.precision.value} window {start}..{end}: "
                f"{self.precision.value} covers {_PARTS[self.precision]} of a month, and "
                f"{self.on} is {holds.value}; give a day in the window, e.g. {start}, or "
                f"precision {holds.value}",
            )
        return self

    @property
    def window(self) -> tuple[date, date]:
        """The first and last day on which the change may have taken effect (inclusive)."""
        return _window(self.on, self.precision)

    def __str__(self) -> str:
        start, end = self.window
        return str(start) if start == end else f"{start}..{end} ({self.precision.value})"


# The precisions narrower than a month, and the days each covers: a date can fall outside
# only these windows.
_PARTS = {
    Precision.EARLY_MONTH: "days 1-10",
    Precision.MID_MONTH: "days 11-20",
    Precision.LATE_MONTH: "days 21 to the end",
}


@lru_cache(maxsize=65536)
def _window(on: date, precision: Precision) -> tuple[date, date]:
    """``EffectiveDate.window``, worked out once per date and precision."""
    last_of_month = calendar.monthrange(on.year, on.month)[1]
    match precision:
        case Precision.DAY:
            return on, on
        case Precision.EARLY_MONTH:
            return on.replace(day=1), on.replace(day=10)
        case Precision.MID_MONTH:
            return on.replace(day=11), on.replace(day=20)
        case Precision.LATE_MONTH:
            return on.replace(day=21), on.replace(day=last_of_month)
        case Precision.MONTH:
            return on.replace(day=1), on.replace(day=last_of_month)
        case Precision.QUARTER:
            first_month = 3 * ((on.month - 1) // 3) + 1
            start = date(on.year, first_month, 1)
            end = date(on.year, first_month + 2, 1)
            return start, end.replace(day=calendar.monthrange(end.year, end.month)[1])
        case Precision.YEAR:
            return date(on.year, 1, 1), date(on.year, 12, 31)
    raise AssertionError(precision)  # pragma: no cover - the match is exhaustive
