"""The client's vocabulary: pydantic models of what the service's replies are made of.

Enum values are plain strings in the service's own vocabulary (``personal-baggage``,
``rigorous``); verdicts are upper case (``PROHIBITED``), as the service documents them. Each
reply's own model is defined beside the method that returns it (``commands``, ``queries``,
``audit``).

Dates are read as the service writes them, ``YYYY-MM-DD`` (``Day``): pydantic alone would read
``"1742428800"`` as Unix seconds.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

__all__ = [
    "Model",
    "Day",
    "DecisionId",
    "Verdict",
    "Receipt",
    "ChangeForm",
    "Amended",
    "Crossing",
    "Source",
    "Scope",
    "Admissibility",
    "Measure",
    "EffectiveDate",
    "Ruling",
    "RuleState",
    "Outcome",
    "CheckItem",
    "ItemResult",
]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def _day(value: Any) -> Any:
    if isinstance(value, str) and _DAY.fullmatch(value) is not None:
        return value
    if isinstance(value, date) and not isinstance(value, datetime):
        return value
    # A custom error: its message as written, without pydantic's "Value error, " before it.
    raise PydanticCustomError(
        "date_format",
        "{reason}",
        {"reason": f"{value!r} is not a date: expected YYYY-MM-DD, e.g. 2025-03-20"},
    )


# A date: ``YYYY-MM-DD`` in ASCII digits (or a ``date``), nothing else.
Day = Annotated[date, BeforeValidator(_day)]


def absent(value: Any) -> Any:
    """The wire's empty value (text, a message left unset) as None."""
    return value or None


# A logged decision's id in a reply; the wire's empty text (not logged) is None.
DecisionId = Annotated[UUID | None, BeforeValidator(absent)]


class Verdict(StrEnum):
    ALLOWED = "ALLOWED"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    PROHIBITED = "PROHIBITED"
    UNCERTAIN = "UNCERTAIN"
    NO_RULE = "NO_RULE"


def _upper(value: Any) -> Any:
    return value.upper().replace("-", "_") if isinstance(value, str) else value


VerdictField = Annotated[Verdict, BeforeValidator(_upper)]


class Receipt(Model):
    change_id: UUID
    office: str
    office_version: int
    position: int
    recorded_at: datetime
    hash: str


class Crossing(Model):
    counterpart: str
    mode: str


class Source(Model):
    publisher: str
    url: str | None = None  # a url, a reference, or both
    reference: str | None = None
    published: Day
    language: str = "en"
    grade: str


class Scope(Model):
    direction: str
    channel: str
    traveller: str = "any"
    goods: str


class Admissibility(Model):
    kind: str
    quantity: int | None = None
    amount: Decimal | None = None
    currency: str | None = None


class Measure(Model):
    admissibility: Admissibility | None = None
    inspection: str | None = None
    enforcement: str | None = None


class EffectiveDate(Model):
    on: Day
    precision: str = "day"


class ChangeForm(Model):
    """A change as it stood at one version of its office."""

    kind: str
    scope: Scope
    measure: Measure
    effective: EffectiveDate


class Amended(Receipt):
    """An amendment's receipt, with the change before and after it (None from a server
    before these were sent)."""

    before: ChangeForm | None = None
    after: ChangeForm | None = None


class Ruling(Model):
    dimension: str
    change_id: UUID
    kind: str
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    event_ids: tuple[UUID, ...] = ()
    sources: tuple[Source, ...] = ()


class RuleState(Model):
    admissibility: Admissibility | None = None
    inspection: str | None = None
    enforcement: str | None = None
    rulings: tuple[Ruling, ...] = ()


class Outcome(RuleState):
    verdict: VerdictField
    reason: str = ""


class CheckItem(Model):
    goods: str
    quantity: int = 1
    value: Decimal | None = None
    currency: str | None = None


class ItemResult(Model):
    item: CheckItem
    verdict: VerdictField
    inspection: str | None = None
    enforcement: str | None = None
    governing: Ruling | None = None
    event_ids: tuple[UUID, ...] = ()
    sources: tuple[Source, ...] = ()
    candidates: tuple[Outcome, ...] = ()
