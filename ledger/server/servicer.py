"""``ledger.v1.PolicyLedger``: every method of the service, served from tables.

Commands come from the application's registry (``COMMANDS``: each RPC validates its request
into its command and executes it), questions from ``ledger.server.queries``; the streams
(history, watch, export, import) are written out here. Requests and replies are converted by
``ledger_api.convert``, refusals become statuses in ``ledger.server.errors``. Nothing here
decides anything.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, TypeVar

import grpc
from google.protobuf.message import Message
from pydantic import BaseModel, ValidationError

from ledger.application.commands import (
    BY_RPC,
    BY_VERB,
    COMMANDS,
    AmendChange,
    Command,
    CommandType,
)
from ledger.bootstrap import Ledger
from ledger.domain.errors import StorageFault
from ledger.domain.values import Source
from ledger.readmodel.answers import Check, Ruling
from ledger.readmodel.history import HistoryRequest
from ledger.readmodel.upcoming import Cursor, WatchEffectiveRequest
from ledger.server.budget import AnswerBudget, check_lookups
from ledger.server.decision_log import LOGGED, DecisionLog, DecisionMessages
from ledger.server.decision_rpcs import DecisionRPCs
from ledger.server.errors import Invalid, refusals, violations
from ledger.server.limits import LongCalls
from ledger.server.queries import QUERIES, PinnedDigest, Query
from ledger.settings import Settings
from ledger.tokens import Role
from ledger_api.convert import Shared, from_data, from_model, to_data
from ledger_api.ledger.v1 import ledger_pb2 as pb

if TYPE_CHECKING:
    from ledger.server.auth import Tokens
    from ledger.server.health import ServingState

__all__ = ["PolicyLedgerServicer", "SERVICE", "ROLES", "DEFAULT_BATCH", "MAX_BATCH", "MAX_IMPORT"]

SERVICE = pb.DESCRIPTOR.services_by_name["PolicyLedger"]
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
# A watch of effective dates looks at the server's date at least this often (in seconds), and
# at once when an event is saved; with nothing to announce, it tells a new resume point when
# the date moves, and when only the log position moved, at most this often.
_EFFECTIVE_TICK = 1.0
_EFFECTIVE_QUIET = 5.0

# The role each method needs: commands record, questions and the live log read, the audit
# trail is the auditor's. A method missing here is refused to every token (``TokenAuth``).
ROLES: dict[str, Role] = {
    **{command.rpc: Role.RECORDER for command in COMMANDS},
    **{name: query.role for name, query in QUERIES.items()},
    "ImportCommands": Role.RECORDER,
    "GetHistory": Role.READER,
    "Watch": Role.READER,
    "WatchEffective": Role.READER,
    "Ping": Role.READER,
    "GetDigest": Role.AUDITOR,
    "VerifyDigest": Role.AUDITOR,
    "ExportLedger": Role.AUDITOR,
    # The decision log: what was answered is read like the ledger; exported to auditors.
    "GetDecision": Role.READER,
    "ListDecisions": Role.READER,
    "ReplayDecision": Role.READER,
    "GetImpact": Role.READER,
    "WatchImpacts": Role.READER,
    "ExportDecisions": Role.AUDITOR,
}

V = TypeVar("V", bound=BaseModel)
T = TypeVar("T")


def _validate(model: type[V], data: Mapping[str, Any], prefix: str = "") -> V:
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise Invalid(violations(error, prefix)) from None


def _command(command: CommandType, data: Mapping[str, Any], prefix: str = "") -> Command:
    """A command from its request's data, refused naming each field where the request has it
    (under ``prefix``, the request's own path in a batch)."""
    try:
        return command.model.model_validate(command.data(data))
    except ValidationError as error:
        found = []
        for field, text in violations(error):
            path = "" if field == "request" else command.field_path(field)
            found.append((".".join(part for part in (prefix, path) if part) or "request", text))
        raise Invalid(found) from None


def _batch_command(message: pb.Command, number: int) -> Command:
    """One command of a batch, refused with the path of its field in the batch."""
    verb = message.WhichOneof("command")
    if verb is None:
        raise Invalid([(f"commands[{number}]", f"a command must be one of {', '.join(BY_VERB)}")])
    return _command(BY_VERB[verb], to_data(getattr(message, verb)), f"commands[{number}].{verb}")


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


def _history_event(data: dict[str, Any]) -> pb.HistoryEvent:
    event = pb.HistoryEvent()
    from_data(data, event)
    return event


def _message_class(descriptor: Any) -> type[Message]:
    message: type[Message] = getattr(pb, descriptor.name)
    return message


class PolicyLedgerServicer(DecisionRPCs):
    """The gRPC face of one ``Ledger``: ``handler()`` serves every method of the service."""

    def __init__(
        self,
        ledger: Ledger,
        settings: Settings | None = None,
        *,
        stopping: threading.Event | None = None,
        long_calls: LongCalls | None = None,
        serving: ServingState | None = None,
        tokens: Tokens | None = None,
    ) -> None:
        self.ledger = ledger
        self.reader = ledger.reader
        self.settings = settings or Settings(database_url="memory://")
        self.stopping = stopping or threading.Event()
        self.serving = serving
        long_calls = long_calls or LongCalls(self.settings)
        self._watches = long_calls.places("watches", self.settings.watch_limit)
        self._waiters = long_calls.places(
            "calls waiting for a min_position", self.settings.waiter_limit
        )
        # Result parts that answers share (rulings are built once per change and dimension):
        # their messages are built once too.
        self._shared = Shared((Ruling, Source))
        self.decision_log = DecisionLog(ledger, self.settings, tokens)
        self.decision_messages = DecisionMessages(self._shared)

    def handler(self) -> grpc.GenericRpcHandler:
        """Every method of ``ledger.v1.PolicyLedger``; one the tables lack stops the server
        from starting, rather than failing its callers."""
        handlers = {}
        for method in SERVICE.methods:
            request = _message_class(method.input_type)
            reply = _message_class(method.output_type)
            name = method.name
            if name in BY_RPC:
                behaviour = self._run_command(BY_RPC[name], reply)
            elif name in QUERIES:
                behaviour = self._run_query(QUERIES[name], reply)
            else:
                behaviour = getattr(self, name)
            make = {
                (False, False): grpc.unary_unary_rpc_method_handler,
                (False, True): grpc.unary_stream_rpc_method_handler,
                (True, False): grpc.stream_unary_rpc_method_handler,
            }[method.client_streaming, method.server_streaming]
            handlers[name] = make(
                behaviour,
                request_deserializer=request.FromString,
                response_serializer=reply.SerializeToString,
            )
        return grpc.method_handlers_generic_handler(SERVICE.full_name, handlers)

    def _refusals(self, context: grpc.ServicerContext) -> AbstractContextManager[None]:
        return refusals(context, self._fault, self._office_codes)

    def _office_codes(self) -> list[str]:
        """The registered offices' codes: an office not found is told the nearest."""
        return [row.code for row in self.reader.view.list_offices()]

    def _fault(self, error: StorageFault) -> None:
        if self.serving is not None:
            self.serving.storage_fault(error)

    def _wrote(self) -> None:
        if self.serving is not None:
            self.serving.wrote()

    def _reply(self, result: BaseModel | Mapping[str, Any], message: Message) -> Message:
        """Fill a reply message from a result model (or its plain data)."""
        if isinstance(result, BaseModel):
            return from_model(result, message, self._shared)
        from_data(dict(result), message)
        return message

    # Commands and questions, from their tables.

    def _run_command(
        self, command: CommandType, reply: type[Message]
    ) -> Callable[[Message, grpc.ServicerContext], Message]:
        def run(request: Message, context: grpc.ServicerContext) -> Message:
            with self._refusals(context):
                asked = _command(command, to_data(request))
                receipt = self.ledger.app.execute(asked)
            self._wrote()
            message = reply()
            from_model(receipt, message.receipt)  # type: ignore[attr-defined]
            if isinstance(message, pb.AmendChangeResponse) and isinstance(asked, AmendChange):
                self._before_and_after(asked, receipt.office_version, message)
            return message

        return run

    def _run_query(
        self, query: Query, reply: type[Message]
    ) -> Callable[[Message, grpc.ServicerContext], Message]:
        name = next(name for name, entry in QUERIES.items() if entry is query)

        def run(request: Message, context: grpc.ServicerContext) -> Message:
            with self._refusals(context):
                data = self._caught_up(to_data(request), context)
                label = self.decision_log.wanted(data) if name in LOGGED else None
                asked = None if query.request is None else _validate(query.request, data)
                budget = None
                if isinstance(asked, Check):
                    check_lookups(asked, self.settings.max_lookups)
                    budget = AnswerBudget(asked, self._shared, context.is_active)
                if label is None:
                    result = query.answer(self.reader, asked, budget)
                else:  # answered from the log up to one position, logged with it
                    self.reader.catch_up()
                    position = self.reader.index.position
                    result = query.answer(self.reader, asked, budget, position)
            if self.serving is not None:
                self.serving.read()
            message = self._reply(result, reply())
            if query.as_written is not None:
                query.as_written(request, message)
            if label is not None:
                with self._refusals(context):
                    logged = self.decision_log.log(
                        name, data, message, result, position, label, context
                    )
                message.decision_id = str(logged)  # type: ignore[attr-defined]
            return message

        return run

    def _before_and_after(
        self, amendment: AmendChange, version: int, reply: pb.AmendChangeResponse
    ) -> None:
        """The amended change as it stood before and after the amendment (at its office's
        versions around it: the same for a retry that returns an earlier receipt)."""
        app = self.ledger.app
        for form, at in ((reply.before, version - 1), (reply.after, version)):
            change = app.change_at(amendment.office, amendment.change_id, at)
            if change is not None:
                fields = {"kind", "scope", "measure", "effective"}
                from_data(change.model_dump(mode="json", include=fields), form)

    def _caught_up(self, data: dict[str, Any], context: grpc.ServicerContext) -> dict[str, Any]:
        """Wait until the read model has the request's ``min_position``: within the call's
        deadline and ``LEDGER_MAX_WAIT_SECONDS``, while the caller still waits, and in one of
        the few places for waiting calls. Returns the rest of the request."""
        position = data.pop("min_position", 0)
        if position < 0:
            raise Invalid([("min_position", "must be 0 or a position of the log")])
        known = data.get("known_at_position")
        if isinstance(known, int) and position < known <= self.reader.log_end():
            position = known  # a question as of a position needs the read model there
        if position <= self.reader.index.position:
            return data
        release = self._waiters.take_or_refuse(context)
        try:
            remaining = context.time_remaining()
            # Answer a little before the deadline, so the caller hears why, not a timeout.
            wait = self.settings.max_wait_seconds
            if remaining is not None:
                wait = min(wait, remaining - 0.1)
            self.reader.wait_for_position(position, wait, context.is_active)
        finally:
            release()
        return data

    # The rest of the service.

    def ImportCommands(
        self, request_iterator: Iterable[pb.ImportCommandsRequest], context: grpc.ServicerContext
    ) -> pb.ImportCommandsResponse:
        with self._refusals(context):
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
            for number, message in enumerate(chunks):
                try:
                    commands.append(_batch_command(message, number))
                except Invalid as error:
                    invalid.extend(error.violations)
            if invalid:
                raise Invalid(invalid)
            executed = self.ledger.app.execute_batch(commands)
        self._wrote()
        return pb.ImportCommandsResponse(
            receipts=[from_model(receipt, pb.Receipt()) for receipt in executed.receipts],
            stored=executed.stored,
        )

    def GetHistory(
        self, request: pb.GetHistoryRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.GetHistoryResponse]:
        with self._refusals(context):
            data = self._caught_up(to_data(request), context)
            size = _batch_size(data.pop("batch_size", 0))
            entries = self.reader.history(_validate(HistoryRequest, data))
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
            yield pb.GetHistoryResponse(events=[_history_event(e) for e in page])

    def Watch(
        self, request: pb.WatchRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchResponse]:
        with self._refusals(context):
            size = _batch_size(request.batch_size)
            _check_after(request.after_position)
        release = self._watches.take_or_refuse(context)
        try:
            position = request.after_position
            while context.is_active() and not self.stopping.is_set():
                events = self.reader.log(position, size)
                if events:
                    position = events[-1].position
                    for page in _pages(events, size, lambda e: len(e.event_json.encode())):
                        yield pb.WatchResponse(
                            events=[from_model(e, pb.WatchEvent(), self._shared) for e in page]
                        )
                else:
                    self.reader.wait_for_events(position, _WATCH_POLL)
        finally:
            release()

    def WatchEffective(
        self, request: pb.WatchEffectiveRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchEffectiveResponse]:
        with self._refusals(context):
            asked = _validate(WatchEffectiveRequest, to_data(request))
            cursor = self.reader.effective_start(asked)
        offices = frozenset(asked.offices) or None
        release = self._watches.take_or_refuse(context)
        try:
            sent: Cursor | None = None
            sent_at = 0.0
            while context.is_active() and not self.stopping.is_set():
                end = self.reader.log_end()
                before = cursor
                with self._refusals(context):
                    notices, cursor = self.reader.effective_due(offices, cursor)
                now = time.monotonic()
                moved = sent is None or cursor.day != sent.day
                quiet = now - sent_at < _EFFECTIVE_QUIET
                if notices or moved or (cursor != sent and not quiet):
                    yield from self._effective_replies(notices, before, cursor)
                    sent, sent_at = cursor, now
                self.reader.wait_for_events(end, _EFFECTIVE_TICK)
        finally:
            release()

    def _effective_replies(
        self, notices: list[Any], before: Cursor, after: Cursor
    ) -> Iterator[pb.WatchEffectiveResponse]:
        """The notices of one tick in replies of bounded size; the last carries the new resume
        point, the others the one before the tick (resuming there misses nothing)."""
        messages = [from_model(notice, pb.EffectiveNotice(), self._shared) for notice in notices]
        pages = list(_pages(messages, MAX_BATCH, lambda message: message.ByteSize())) or [[]]
        for number, page in enumerate(pages, 1):
            cursor = after if number == len(pages) else before
            yield pb.WatchEffectiveResponse(
                notices=page,
                resume_date=cursor.day.isoformat(),
                resume_position=cursor.position,
            )

    def GetDigest(
        self, request: pb.GetDigestRequest, context: grpc.ServicerContext
    ) -> pb.GetDigestResponse:
        digest = self.reader.digest()
        return pb.GetDigestResponse(digest=pb.Digest(position=digest.position, root=digest.root))

    def VerifyDigest(
        self, request: pb.VerifyDigestRequest, context: grpc.ServicerContext
    ) -> pb.VerifyDigestResponse:
        with self._refusals(context):
            pinned = _validate(PinnedDigest, to_data(request.pinned), "pinned")
            current = self.reader.verify_digest(pinned.position, pinned.root)
        return pb.VerifyDigestResponse(
            current=pb.Digest(position=current.position, root=current.root)
        )

    def ExportLedger(
        self, request: pb.ExportLedgerRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ExportLedgerResponse]:
        with self._refusals(context):
            size = _batch_size(request.batch_size)
            _check_after(request.after_position)
        position = request.after_position
        while context.is_active() and (batch := self.reader.export(position, size)):
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
