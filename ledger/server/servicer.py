"""``ledger.v1.PolicyLedger``: each method converts its request, asks the ledger, converts back.

Conversions go through ``ledger_api.convert`` (descriptor-driven, shared with the client);
refusals become statuses in ``ledger.server.errors``. Nothing here decides anything.
"""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from pydantic import BaseModel, Field, ValidationError

from ledger.commands import AmendChange, Command, RecordChange, RegisterOffice, RetractChange
from ledger.domain.values import ChangeKind, OfficeCode, Source, Value
from ledger.queries import CheckRequest, CompareRequest, Ruling, StateRequest
from ledger.readmodel import Checkpoint, OfficeRow
from ledger.server.errors import Invalid, abort, refusals, violations
from ledger.service import HistoryRequest, Ledger
from ledger_api.convert import from_data, from_model, to_data
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc

__all__ = ["PolicyLedgerServicer", "DEFAULT_BATCH", "MAX_BATCH", "MAX_IMPORT"]

DEFAULT_BATCH = 1000
MAX_BATCH = 10_000
# Commands in one import at most: the batch is held in memory and stored in one transaction,
# and its reply (a receipt per command) must stay far below the 16 MiB message limit.
MAX_IMPORT = 10_000
# The databases' positions are signed 64-bit: a read "after" the largest one would overflow.
_MAX_AFTER = 2**63 - 2
# The events of one streamed reply (history, watch, export) stay under this many bytes, however
# many ``batch_size`` allows: an event may hold ~0.5 MB (50 sources of 2000-character URLs),
# and a reply beyond the 16 MiB message limit could never be sent.
_PAGE_BYTES = 4 * 1024 * 1024
# A watch with nothing to send re-reads the log this often (in seconds): saves by this
# process wake it at once, saves by another process sharing the database within this delay.
_WATCH_POLL = 0.25

M = TypeVar("M", bound=Message)
V = TypeVar("V", bound=BaseModel)
T = TypeVar("T")

_CHANGE_FIELD = re.compile(r"^(scope|measure|effective|sources|note)\b")
_IMPORT_KINDS = {
    "register": None,
    "observe": ChangeKind.OBSERVED,
    "tighten": ChangeKind.TIGHTENED,
    "loosen": ChangeKind.LOOSENED,
    "amend": None,
    "retract": None,
}


# Result parts that answers share (rulings are built once per change and dimension): their
# messages are built once too.
_SHARED = (Ruling, Source)


def _reply(model: BaseModel | dict[str, Any], message: M) -> M:
    """Fill a reply message from a result model (or its plain data)."""
    if isinstance(model, BaseModel):
        return from_model(model, message, _SHARED)
    from_data(model, message)
    return message


def _validate(model: type[V], data: dict[str, Any], prefix: str = "") -> V:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise Invalid(violations(error, prefix)) from None


def _record_change(request: Message, kind: ChangeKind) -> RecordChange:
    """The change's details travel in a nested ``change``; the command has them flat."""
    data = to_data(request)
    change = data.pop("change", {})
    try:
        return RecordChange.model_validate({**data, **change, "kind": kind})
    except ValidationError as error:
        raise Invalid(
            [
                (f"change.{field}" if re.match(_CHANGE_FIELD, field) else field, text)
                for field, text in violations(error)
            ]
        ) from None


def _command(command: pb.Command, number: int) -> Command:
    """One command of a batch, refused with the path of its field in the batch."""
    which = command.WhichOneof("command")
    prefix = f"commands[{number}]"
    if which is None:
        raise Invalid(
            [
                (
                    prefix,
                    "a command must be one of register, observe, tighten, loosen, amend, retract",
                )
            ]
        )
    request = getattr(command, which)
    prefix = f"{prefix}.{which}"
    kind = _IMPORT_KINDS[which]
    if kind is not None:
        try:
            return _record_change(request, kind)
        except Invalid as invalid:
            raise Invalid(
                [(f"{prefix}.{field}", text) for field, text in invalid.violations]
            ) from None
    models: dict[str, type[Command]] = {
        "register": RegisterOffice,
        "amend": AmendChange,
        "retract": RetractChange,
    }
    model = models[which]
    return _validate(model, to_data(request), prefix)


class OfficeRequest(Value):
    office: OfficeCode


class PinnedDigest(Value):
    position: int = Field(default=0, ge=0)
    root: str = Field(pattern=r"^[0-9a-f]{64}$")


def _digest(checkpoint: Checkpoint) -> pb.Digest:
    return pb.Digest(position=checkpoint.position, root=checkpoint.root)


def _office(row: OfficeRow) -> dict[str, Any]:
    return {**asdict(row), "crossings": [c.model_dump(mode="json") for c in row.crossings]}


def _once(action: Callable[[], object]) -> Callable[[], None]:
    """``action``, run on the first call only, whichever thread makes it."""
    lock, done = threading.Lock(), [False]

    def run() -> None:
        with lock:
            if done[0]:
                return
            done[0] = True
        action()

    return run


def _check_after(position: int) -> None:
    if not 0 <= position <= _MAX_AFTER:
        raise Invalid([("after_position", "must be 0 or a position of the log")])


def _pages(items: Iterable[T], size: int, weight: Callable[[T], int]) -> Iterator[list[T]]:
    """``items`` in pages of at most ``size`` and, past the first item, ``_PAGE_BYTES``."""
    page: list[T] = []
    total = 0
    for item in items:
        bytes_ = weight(item)
        if page and (len(page) >= size or total + bytes_ > _PAGE_BYTES):
            yield page
            page, total = [], 0
        page.append(item)
        total += bytes_
    if page:
        yield page


def _batch_size(requested: int) -> int:
    if requested == 0:
        return DEFAULT_BATCH
    if not 1 <= requested <= MAX_BATCH:
        raise Invalid(
            [("batch_size", f"must be between 1 and {MAX_BATCH}, or 0 for {DEFAULT_BATCH}")]
        )
    return requested


class PolicyLedgerServicer(ledger_pb2_grpc.PolicyLedgerServicer):
    """The gRPC face of one ``Ledger``."""

    def __init__(
        self, ledger: Ledger, stopping: threading.Event | None = None, max_watches: int = 8
    ) -> None:
        self.ledger = ledger
        self.stopping = stopping or threading.Event()
        self.max_watches = max_watches
        self._watches = threading.BoundedSemaphore(max_watches)

    # Commands.

    def RegisterOffice(
        self, request: pb.RegisterOfficeRequest, context: grpc.ServicerContext
    ) -> pb.RegisterOfficeResponse:
        with refusals(context):
            command = _validate(RegisterOffice, to_data(request))
            receipt = self.ledger.register_office(command)
        return pb.RegisterOfficeResponse(receipt=_reply(receipt, pb.Receipt()))

    def RecordObservation(
        self, request: pb.RecordObservationRequest, context: grpc.ServicerContext
    ) -> pb.RecordObservationResponse:
        with refusals(context):
            receipt = self.ledger.record_change(_record_change(request, ChangeKind.OBSERVED))
        return pb.RecordObservationResponse(receipt=_reply(receipt, pb.Receipt()))

    def RecordTightening(
        self, request: pb.RecordTighteningRequest, context: grpc.ServicerContext
    ) -> pb.RecordTighteningResponse:
        with refusals(context):
            receipt = self.ledger.record_change(_record_change(request, ChangeKind.TIGHTENED))
        return pb.RecordTighteningResponse(receipt=_reply(receipt, pb.Receipt()))

    def RecordLoosening(
        self, request: pb.RecordLooseningRequest, context: grpc.ServicerContext
    ) -> pb.RecordLooseningResponse:
        with refusals(context):
            receipt = self.ledger.record_change(_record_change(request, ChangeKind.LOOSENED))
        return pb.RecordLooseningResponse(receipt=_reply(receipt, pb.Receipt()))

    def AmendChange(
        self, request: pb.AmendChangeRequest, context: grpc.ServicerContext
    ) -> pb.AmendChangeResponse:
        with refusals(context):
            receipt = self.ledger.amend_change(_validate(AmendChange, to_data(request)))
        return pb.AmendChangeResponse(receipt=_reply(receipt, pb.Receipt()))

    def RetractChange(
        self, request: pb.RetractChangeRequest, context: grpc.ServicerContext
    ) -> pb.RetractChangeResponse:
        with refusals(context):
            receipt = self.ledger.retract_change(_validate(RetractChange, to_data(request)))
        return pb.RetractChangeResponse(receipt=_reply(receipt, pb.Receipt()))

    def ImportCommands(
        self, request_iterator: Iterable[pb.ImportCommandsRequest], context: grpc.ServicerContext
    ) -> pb.ImportCommandsResponse:
        with refusals(context):
            chunks: list[pb.Command] = []
            for chunk in request_iterator:
                chunks.extend(chunk.commands)
                if len(chunks) > MAX_IMPORT:
                    raise Invalid(
                        [("commands", f"a batch holds at most {MAX_IMPORT} commands: split it")]
                    )
            if not chunks:
                raise Invalid([("commands", "the batch holds no commands")])
            commands, invalid = [], []
            for number, command in enumerate(chunks):
                try:
                    commands.append(_command(command, number))
                except Invalid as error:
                    invalid.extend(error.violations)
            if invalid:
                raise Invalid(invalid)
            before = self.ledger.app.recorder.max_notification_id() or 0
            receipts = self.ledger.execute_batch(commands)
            stored = (self.ledger.app.recorder.max_notification_id() or 0) - before
        return pb.ImportCommandsResponse(
            receipts=[_reply(receipt, pb.Receipt()) for receipt in receipts], stored=stored
        )

    # Queries.

    def _caught_up(self, data: dict[str, Any], context: grpc.ServicerContext) -> dict[str, Any]:
        """Wait, within the call's deadline, until the read model has the request's
        ``min_position``; returns the rest of the request."""
        position = data.pop("min_position", 0)
        if position < 0:
            raise Invalid([("min_position", "must be 0 or a position of the log")])
        remaining = context.time_remaining()
        # Answer a little before the deadline, so the caller hears why rather than a timeout.
        self.ledger.wait_for_position(position, None if remaining is None else remaining - 0.1)
        return data

    def GetOffice(
        self, request: pb.GetOfficeRequest, context: grpc.ServicerContext
    ) -> pb.GetOfficeResponse:
        with refusals(context):
            data = self._caught_up(to_data(request), context)
            row = self.ledger.office(_validate(OfficeRequest, data).office)
        return pb.GetOfficeResponse(office=_reply(_office(row), pb.Office()))

    def ListOffices(
        self, request: pb.ListOfficesRequest, context: grpc.ServicerContext
    ) -> pb.ListOfficesResponse:
        with refusals(context):
            self._caught_up(to_data(request), context)
            rows = self.ledger.offices()
        return pb.ListOfficesResponse(offices=[_reply(_office(row), pb.Office()) for row in rows])

    def GetHistory(
        self, request: pb.GetHistoryRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.GetHistoryResponse]:
        with refusals(context):
            data = self._caught_up(to_data(request), context)
            size = _batch_size(data.pop("batch_size", 0))
            entries = self.ledger.history_of(_validate(HistoryRequest, data))
        events = (
            {
                **entry.model_dump(mode="json", exclude={"event"}),
                "event_json": json.dumps(entry.event),
            }
            for entry in entries
        )
        for page in _pages(events, size, lambda event: len(event["event_json"])):
            if not context.is_active():
                return
            yield pb.GetHistoryResponse(events=[_reply(e, pb.HistoryEvent()) for e in page])

    def GetRuleState(
        self, request: pb.GetRuleStateRequest, context: grpc.ServicerContext
    ) -> pb.GetRuleStateResponse:
        with refusals(context):
            data = self._caught_up(to_data(request), context)
            result = self.ledger.state(_validate(StateRequest, data))
        return _reply(result, pb.GetRuleStateResponse())

    def Check(self, request: pb.CheckRequest, context: grpc.ServicerContext) -> pb.CheckResponse:
        with refusals(context):
            data = self._caught_up(to_data(request), context)
            result = self.ledger.check(_validate(CheckRequest, data))
        return _reply(result, pb.CheckResponse())

    def CompareOffices(
        self, request: pb.CompareOfficesRequest, context: grpc.ServicerContext
    ) -> pb.CompareOfficesResponse:
        with refusals(context):
            data = self._caught_up(to_data(request), context)
            result = self.ledger.compare(_validate(CompareRequest, data))
        rankings = [
            {"rank": r.rank, "office": r.office, "items": r.result.model_dump(mode="json")["items"]}
            for r in result.offices
        ]
        return _reply({"rankings": rankings}, pb.CompareOfficesResponse())

    def Watch(
        self, request: pb.WatchRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchResponse]:
        with refusals(context):
            size = _batch_size(request.batch_size)
            _check_after(request.after_position)
        if not self._watches.acquire(blocking=False):
            abort(
                context,
                grpc.StatusCode.RESOURCE_EXHAUSTED,
                f"{self.max_watches} watches are open, the most this server allows; "
                "try again later, or another server",
            )
        # A cancelled call may leave this generator suspended until it is collected: the
        # place is given back when the call ends, however it ends.
        release = _once(self._watches.release)
        if not context.add_callback(release):
            release()
        try:
            position = request.after_position
            while context.is_active() and not self.stopping.is_set():
                events = self.ledger.log(position, size)
                if events:
                    position = events[-1].position
                    for page in _pages(events, size, lambda e: len(e.event_json.encode())):
                        yield pb.WatchResponse(events=[_reply(e, pb.WatchEvent()) for e in page])
                else:
                    self.ledger.wait_for_events(position, _WATCH_POLL)
        finally:
            release()

    def GetDigest(
        self, request: pb.GetDigestRequest, context: grpc.ServicerContext
    ) -> pb.GetDigestResponse:
        return pb.GetDigestResponse(digest=_digest(self.ledger.digest()))

    def VerifyDigest(
        self, request: pb.VerifyDigestRequest, context: grpc.ServicerContext
    ) -> pb.VerifyDigestResponse:
        with refusals(context):
            pinned = _validate(PinnedDigest, to_data(request.pinned), "pinned")
            current = self.ledger.verify_digest(pinned.position, pinned.root)
        return pb.VerifyDigestResponse(current=_digest(current))

    def ExportLedger(
        self, request: pb.ExportLedgerRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ExportLedgerResponse]:
        with refusals(context):
            size = _batch_size(request.batch_size)
            _check_after(request.after_position)
        position = request.after_position
        while context.is_active() and (batch := self.ledger.export(position, size)):
            position = batch[-1].position
            for page in _pages(batch, size, lambda row: len(row.stored_json)):
                reply = pb.ExportLedgerResponse()
                add = reply.events.add
                for row in page:
                    add(
                        position=row.position,
                        office_id=row.office_id,
                        office_version=row.office_version,
                        type=row.type,
                        stored_json=row.stored_json,
                    )
                yield reply

    def Ping(self, request: pb.PingRequest, context: grpc.ServicerContext) -> pb.PingResponse:
        return pb.PingResponse()
