"""Commands and receipts: what callers send to the ledger and what it answers.

Every command carries a client request id: the same id with the same payload is answered with
the first receipt and writes nothing; the same id with another payload is refused.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import Annotated
from uuid import UUID

from pydantic import Field

from ledger.domain.dates import EffectiveDate
from ledger.domain.values import (
    ChangeKind,
    Crossing,
    Measure,
    OfficeCode,
    Scope,
    Source,
    Text,
    Value,
)

__all__ = [
    "Command",
    "RegisterOffice",
    "RecordChange",
    "AmendChange",
    "RetractChange",
    "Receipt",
]

RequestId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
Sources = Annotated[tuple[Source, ...], Field(min_length=1, max_length=50)]


class Command(Value):
    request_id: RequestId
    office: OfficeCode

    def fingerprint(self) -> str:
        """A digest of the payload, request id aside, to tell a retry from a different command."""
        payload = self.model_dump_json(exclude={"request_id"})
        return hashlib.sha256(f"{type(self).__name__}:{payload}".encode()).hexdigest()


class RegisterOffice(Command):
    name: Text = Field(min_length=1, max_length=200)
    crossings: tuple[Crossing, ...] = Field(default=(), max_length=100)


class _OfficeCommand(Command):
    expected_version: int | None = Field(default=None, ge=1)


class RecordChange(_OfficeCommand):
    kind: ChangeKind
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    sources: Sources
    note: Text = Field(default="", max_length=2000)


class AmendChange(_OfficeCommand):
    change_id: UUID
    effective: EffectiveDate | None = None
    measure: Measure | None = None
    reason: Text = Field(min_length=1, max_length=2000)
    sources: Sources


class RetractChange(_OfficeCommand):
    change_id: UUID
    reason: Text = Field(min_length=1, max_length=2000)
    sources: Sources


class Receipt(Value):
    """Proof that a command was recorded: which event, where in the office and in the log."""

    change_id: UUID
    office: str
    office_version: int
    position: int
    recorded_at: datetime
    hash: str  # the event's hash: the next event of the office links to it
