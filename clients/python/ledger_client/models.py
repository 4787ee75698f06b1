"""What the client returns: pydantic models of the service's replies (not raw protobuf).

Enum values are plain strings in the service's own vocabulary (``personal-baggage``,
``rigorous``); verdicts are upper case (``PROHIBITED``), as the service documents them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, BeforeValidator, ConfigDict

__all__ = [
    "Verdict",
    "Receipt",
    "Crossing",
    "Office",
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
    "CheckResult",
    "OfficeRanking",
    "CompareResult",
    "ScopeState",
    "RuleStateResult",
    "HistoryEvent",
    "WatchEvent",
    "ImportResult",
    "Digest",
    "ExportedEvent",
    "RemoteAudit",
]


class Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


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


class Office(Model):
    code: str
    name: str
    crossings: tuple[Crossing, ...] = ()
    version: int
    registered_at: datetime
    changes: int = 0


class Source(Model):
    publisher: str
    url: str
    published: date
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
    on: date
    precision: str = "day"


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


class CheckResult(Model):
    office: str
    items: tuple[ItemResult, ...] = ()


class OfficeRanking(Model):
    rank: int
    office: str
    items: tuple[ItemResult, ...] = ()


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


class Digest(Model):
    """The ledger digest after the event at ``position``; pin it to check the ledger later."""

    position: int
    root: str

    def __str__(self) -> str:
        return f"{self.position}:{self.root}"

    @classmethod
    def parse(cls, text: str) -> Digest:
        """``POSITION:ROOT``, as ``str()`` writes it."""
        position, _, root = text.partition(":")
        return cls(position=int(position), root=root)


class ExportedEvent(Model):
    position: int
    office_id: str
    office_version: int
    type: str
    stored_json: bytes


class RemoteAudit(Model):
    """What a client-side replay of the whole log found."""

    ok: bool
    events: int
    offices: int
    digest: Digest
    server_digest: Digest
    pinned: Digest | None = None
    problems: tuple[str, ...] = ()


class ImportResult(Model):
    receipts: tuple[Receipt, ...] = ()
    stored: int = 0
