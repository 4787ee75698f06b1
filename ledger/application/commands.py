"""Commands and receipts: what callers ask of the ledger, what it answers, and the registry.

Every command carries a client request id: the same id with the same payload is answered with
the first receipt and writes nothing; the same id with another payload is refused. Each
command applies itself to its office through the office's verbs (``handle``).

``COMMANDS`` is the one list of commands: the server's RPCs and batches, the importer and the
tests learn every command from it, by its verb (``tighten``: its name in a command file and in
the proto's ``Command``) or its RPC (``RecordTightening``).
"""

from __future__ import annotations

import hashlib
from abc import abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, ClassVar
from uuid import UUID

from pydantic import Field

from ledger.domain.dates import EffectiveDate
from ledger.domain.office import Office
from ledger.domain.values import (
    ChangeKind,
    Dimension,
    Line,
    Measure,
    NewCrossing,
    NewSource,
    OfficeCode,
    Prose,
    Scope,
    Value,
)

__all__ = [
    "Command",
    "RegisterOffice",
    "RecordChange",
    "AmendChange",
    "RetractChange",
    "Receipt",
    "CommandType",
    "COMMANDS",
    "BY_VERB",
    "BY_RPC",
]

RequestId = Annotated[str, Field(min_length=1, max_length=200, pattern=r"^[\x21-\x7e]+$")]
Sources = Annotated[tuple[NewSource, ...], Field(min_length=1, max_length=50)]
# A retraction may be clerical (a reason, no source).
OptionalSources = Annotated[tuple[NewSource, ...], Field(max_length=50)]


class Command(Value):
    """Base of the commands. ``handle`` applies one to its office (``None`` for a command
    that creates the office) as the event ``event_id``, and returns the office."""

    creates_office: ClassVar[bool] = False

    request_id: RequestId
    office: OfficeCode

    def fingerprint(self) -> str:
        """A digest of the payload, request id aside, to tell a retry from a different command."""
        payload = self.model_dump_json(exclude={"request_id"})
        return hashlib.sha256(f"{type(self).__name__}:{payload}".encode()).hexdigest()

    @abstractmethod
    def handle(self, office: Office | None, event_id: UUID) -> Office:
        """Apply the command to its office (through the office's verbs), as event ``event_id``."""


class RegisterOffice(Command):
    creates_office = True

    name: Line = Field(min_length=1, max_length=200)
    crossings: tuple[NewCrossing, ...] = Field(default=(), max_length=100)

    def handle(self, office: Office | None, event_id: UUID) -> Office:
        return Office.register(self.office, self.name, self.crossings, event_id=event_id)


class _OfficeCommand(Command):
    expected_version: int | None = Field(default=None, ge=1)


class RecordChange(_OfficeCommand):
    kind: ChangeKind
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    sources: Sources
    note: Prose = Field(default="", max_length=2000)

    def handle(self, office: Office | None, event_id: UUID) -> Office:
        assert office is not None
        verb = {
            ChangeKind.OBSERVED: office.observe,
            ChangeKind.TIGHTENED: office.tighten,
            ChangeKind.LOOSENED: office.loosen,
        }[self.kind]
        verb(self.scope, self.measure, self.effective, self.sources, self.note, event_id=event_id)
        return office


class AmendChange(_OfficeCommand):
    """Correct a change: its date, the dimensions ``measure`` states (the others stay as they
    were), and the dimensions named in ``clear`` (no longer stated)."""

    change_id: UUID
    effective: EffectiveDate | None = None
    measure: Measure | None = None
    clear: tuple[Dimension, ...] = Field(default=(), max_length=3)
    reason: Prose = Field(min_length=1, max_length=2000)
    sources: Sources

    def handle(self, office: Office | None, event_id: UUID) -> Office:
        assert office is not None
        office.amend(
            self.change_id,
            self.reason,
            self.sources,
            effective=self.effective,
            measure=self.measure,
            clear=self.clear,
            event_id=event_id,
        )
        return office


class RetractChange(_OfficeCommand):
    change_id: UUID
    reason: Prose = Field(min_length=1, max_length=2000)
    sources: OptionalSources = ()

    def handle(self, office: Office | None, event_id: UUID) -> Office:
        assert office is not None
        office.retract(self.change_id, self.reason, self.sources, event_id=event_id)
        return office


class Receipt(Value):
    """Proof that a command was recorded: which event, where in the office and in the log."""

    change_id: UUID
    office: str
    office_version: int
    position: int
    recorded_at: datetime
    hash: str  # the event's hash: the next event of the office links to it


@dataclass(frozen=True)
class CommandType:
    """One command as the outside world names it, and the model that validates it."""

    verb: str  # its name in a command file and in the proto's ``Command`` (``tighten``)
    rpc: str  # the RPC that sends it alone (``RecordTightening``)
    model: type[Command]
    # Fields the verb implies (``kind``), and the message in which the wire nests some of the
    # command's fields (a change's details travel in ``change``; a command file has them flat).
    fixed: Mapping[str, Any] = field(default_factory=dict)
    nested: str | None = None

    def data(self, wire: Mapping[str, Any]) -> dict[str, Any]:
        """The command's fields from its request's plain data, flattened."""
        data = dict(wire)
        if self.nested is not None:
            data.update(data.pop(self.nested, None) or {})
        return {**data, **self.fixed}

    def field_path(self, field: str) -> str:
        """Where a field of the command sits in its request (``scope`` → ``change.scope``)."""
        if self.nested is not None and field.split(".", 1)[0].split("[", 1)[0] in _NESTED:
            return f"{self.nested}.{field}"
        return field


# The fields of a change that the wire nests (``PolicyChange`` in the proto).
_NESTED = frozenset({"scope", "measure", "effective", "sources", "note"})


def _change(verb: str, rpc: str, kind: ChangeKind) -> CommandType:
    return CommandType(verb, rpc, RecordChange, fixed={"kind": kind}, nested="change")


COMMANDS: tuple[CommandType, ...] = (
    CommandType("register", "RegisterOffice", RegisterOffice),
    _change("observe", "RecordObservation", ChangeKind.OBSERVED),
    _change("tighten", "RecordTightening", ChangeKind.TIGHTENED),
    _change("loosen", "RecordLoosening", ChangeKind.LOOSENED),
    CommandType("amend", "AmendChange", AmendChange),
    CommandType("retract", "RetractChange", RetractChange),
)
BY_VERB: dict[str, CommandType] = {command.verb: command for command in COMMANDS}
BY_RPC: dict[str, CommandType] = {command.rpc: command for command in COMMANDS}
