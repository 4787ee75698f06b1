"""The questions the ledger answers and its answers, as values: checks, comparisons, states.

Requests are validated here, at the edge: dates as ``Day``, knowledge times as ``KnownAt``,
values as ``Amount`` (no epoch seconds, no timestamps without an offset, ASCII digits only).
Results are built from values the ledger validated when they were recorded, so
``ledger.readmodel.queries`` constructs them without validating them again.
"""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Self
from uuid import UUID

from pydantic import Field, model_validator

from ledger.domain.dates import Day, EffectiveDate, KnownAt
from ledger.domain.values import (
    Admissibility,
    Amount,
    ChangeKind,
    Channel,
    CurrencyCode,
    Dimension,
    Direction,
    Enforcement,
    Goods,
    Inspection,
    Measure,
    OfficeCode,
    Scope,
    Source,
    Traveller,
    Value,
)
from ledger.readmodel.model import Basis, Knowledge

__all__ = [
    "Verdict",
    "CheckItem",
    "Question",
    "Check",
    "CheckRequest",
    "CompareRequest",
    "StateRequest",
    "Ruling",
    "RuleState",
    "Outcome",
    "ItemResult",
    "CheckResult",
    "OfficeRanking",
    "CompareResult",
    "ScopeState",
    "StateResult",
]


class Verdict(StrEnum):
    ALLOWED = "ALLOWED"
    NO_RULE = "NO_RULE"
    UNCERTAIN = "UNCERTAIN"
    LIMIT_EXCEEDED = "LIMIT_EXCEEDED"
    PROHIBITED = "PROHIBITED"

    @property
    def severity(self) -> int:
        """Declaration order is the order of restrictiveness used to rank offices."""
        return list(Verdict).index(self)


class CheckItem(Value):
    goods: Goods
    quantity: int = Field(default=1, ge=0, le=1_000_000_000)
    value: Amount | None = None
    currency: CurrencyCode | None = None

    @model_validator(mode="after")
    def _value_has_currency(self) -> Self:
        if (self.value is None) != (self.currency is None):
            raise ValueError("value and currency go together")
        return self


class Question(Value):
    """What every question asks: a valid time, and a knowledge time on a basis."""

    at: Day
    known_at: KnownAt | None = None
    basis: Basis = Basis.RECORDED

    @property
    def knowledge(self) -> Knowledge:
        return Knowledge.of(self.known_at, self.basis)


class StateRequest(Question):
    office: OfficeCode


class Check(Question):
    """What a check and a comparison both ask."""

    direction: Direction
    channel: Channel
    traveller: Traveller = Traveller.ANY
    items: tuple[CheckItem, ...] = Field(min_length=1, max_length=1000)


class CheckRequest(Check):
    office: OfficeCode


class CompareRequest(Check):
    offices: tuple[OfficeCode, ...] = Field(min_length=1, max_length=500)


class Ruling(Value):
    """The change that governs one dimension, with its sources."""

    dimension: Dimension
    change_id: UUID
    kind: ChangeKind
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    event_ids: tuple[UUID, ...]
    sources: tuple[Source, ...]


class RuleState(Value):
    admissibility: Admissibility | None = None
    inspection: Inspection | None = None
    enforcement: Enforcement | None = None
    rulings: tuple[Ruling, ...] = ()


class Outcome(RuleState):
    """One candidate answer for an item."""

    verdict: Verdict
    reason: str


class ItemResult(Value):
    item: CheckItem
    verdict: Verdict
    inspection: Inspection | None
    enforcement: Enforcement | None
    governing: Ruling | None
    event_ids: tuple[UUID, ...]
    sources: tuple[Source, ...]
    candidates: tuple[Outcome, ...]  # one, or (not yet in force, in force) when UNCERTAIN


class CheckResult(Value):
    office: str
    at: date
    known_at: date | datetime | None
    basis: Basis
    items: tuple[ItemResult, ...]


class OfficeRanking(Value):
    rank: int
    office: str
    result: CheckResult


class CompareResult(Value):
    offices: tuple[OfficeRanking, ...]  # least restrictive first


class ScopeState(Value):
    scope: Scope
    uncertain: bool
    states: tuple[RuleState, ...]  # one, or (not yet in force, in force) when uncertain


class StateResult(Value):
    office: str
    at: date
    known_at: date | datetime | None
    basis: Basis
    scopes: tuple[ScopeState, ...]
