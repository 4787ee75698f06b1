"""Valid time: an effective date and how precisely it is known.

"Early March 2025" is the window 2025-03-01..2025-03-10: a change whose date is known only so
precisely may have taken effect on any day of its window.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from enum import StrEnum
from functools import lru_cache
from typing import Self

from pydantic import BaseModel, ConfigDict, model_validator

__all__ = ["Precision", "EffectiveDate", "ONE_DAY"]

# The day before a window is the last day on which the replaced state certainly held.
ONE_DAY = timedelta(days=1)


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

    on: date
    precision: Precision = Precision.DAY

    @model_validator(mode="after")
    def _date_lies_in_its_window(self) -> Self:
        start, end = self.window
        if not start <= self.on <= end:
            raise ValueError(
                f"{self.on} is not in the {self.precision.value} window {start}..{end}"
            )
        return self

    @property
    def window(self) -> tuple[date, date]:
        """The first and last day on which the change may have taken effect (inclusive)."""
        return _window(self.on, self.precision)

    def __str__(self) -> str:
        start, end = self.window
        return str(start) if start == end else f"{start}..{end} ({self.precision.value})"


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
