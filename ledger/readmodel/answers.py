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
from pydantic_core import PydanticCustomError

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
    "AsKnown",
    "Verdict",
    "Standing",
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


class Standing(StrEnum):
    """Where an office stands in a comparison: ranked only when every answer is known."""

    RANKED = "ranked"
    UNCERTAIN = "uncertain"  # some item is UNCERTAIN, none NO_RULE
    UNKNOWN = "unknown"  # some item has NO_RULE

    @classmethod
    def of(cls, verdicts: set[Verdict]) -> Standing:
        if Verdict.NO_RULE in verdicts:
            return cls.UNKNOWN
        if Verdict.UNCERTAIN in verdicts:
            return cls.UNCERTAIN
        return cls.RANKED


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


class AsKnown(Value):
    """Knowledge: as known at a time on a basis, or as recorded up to a log position."""

    known_at: KnownAt | None = None
    basis: Basis = Basis.RECORDED
    known_at_position: int | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _one_knowledge(self) -> Self:
        if self.known_at_position is None:
            return self
        if self.known_at is not None:
            raise PydanticCustomError(
                "knowledge_twice",
                "known_at and known_at_position both say what was known: give one, a time "
                "(known_at, e.g. 2025-03-20) or a log position (known_at_position, e.g. 4812)",
            )
        if self.basis is not Basis.RECORDED:
            raise PydanticCustomError(
                "position_basis",
                "known_at_position counts the ledger's own log, so it asks on the recorded "
                "basis: leave basis unset (or recorded), or ask with known_at on the reported "
                "basis",
            )
        return self

    @property
    def knowledge(self) -> Knowledge:
        return Knowledge.of(self.known_at, self.basis, self.known_at_position)


class Question(AsKnown):
    """What every question asks: a valid time, and what was known."""

    at: Day


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
    rank: int  # 1 is the least restrictive; ties share a rank; 0 when not ranked
    office: str
    result: CheckResult
    standing: Standing = Standing.RANKED


class CompareResult(Value):
    """Ranked offices, least restrictive first; then the uncertain, then the unknown (by code)."""

    offices: tuple[OfficeRanking, ...]


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
