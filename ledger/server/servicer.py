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
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import Any, TypeVar

import grpc
from google.protobuf.message import Message
from pydantic import BaseModel, ValidationError

from ledger.application.commands import BY_RPC, BY_VERB, COMMANDS, Command, CommandType
from ledger.bootstrap import Ledger
from ledger.domain.values import Source
from ledger.readmodel.answers import Ruling
from ledger.readmodel.history import HistoryRequest
from ledger.server.errors import Invalid, abort, refusals, violations
from ledger.server.queries import QUERIES, PinnedDigest, Query
from ledger.tokens import Role
from ledger_api.convert import Shared, from_data, from_model, to_data
from ledger_api.ledger.v1 import ledger_pb2 as pb

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

# The role each method needs: commands record, questions and the live log read, the audit
# trail is the auditor's. A method missing here is refused to every token (``TokenAuth``).
ROLES: dict[str, Role] = {
    **{command.rpc: Role.RECORDER for command in COMMANDS},
    **{name: query.role for name, query in QUERIES.items()},
    "ImportCommands": Role.RECORDER,
    "GetHistory": Role.READER,
    "Watch": Role.READER,
    "Ping": Role.READER,
    "GetDigest": Role.AUDITOR,
    "VerifyDigest": Role.AUDITOR,
    "ExportLedger": Role.AUDITOR,
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


def _history_event(data: dict[str, Any]) -> pb.HistoryEvent:
    event = pb.HistoryEvent()
    from_data(data, event)
    return event


def _message_class(descriptor: Any) -> type[Message]:
    message: type[Message] = getattr(pb, descriptor.name)
    return message


class PolicyLedgerServicer:
    """The gRPC face of one ``Ledger``: ``handler()`` serves every method of the service."""

    def __init__(
        self, ledger: Ledger, stopping: threading.Event | None = None, max_watches: int = 8
    ) -> None:
        self.ledger = ledger
        self.reader = ledger.reader
        self.stopping = stopping or threading.Event()
        self.max_watches = max_watches
        self._watches = threading.BoundedSemaphore(max_watches)
        # Result parts that answers share (rulings are built once per change and dimension):
        # their messages are built once too.
        self._shared = Shared((Ruling, Source))

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
            with refusals(context):
                receipt = self.ledger.app.execute(_command(command, to_data(request)))
            message = reply()
            from_model(receipt, message.receipt)  # type: ignore[attr-defined]
            return message

        return run

    def _run_query(
        self, query: Query, reply: type[Message]
    ) -> Callable[[Message, grpc.ServicerContext], Message]:
        def run(request: Message, context: grpc.ServicerContext) -> Message:
            with refusals(context):
                data = self._caught_up(to_data(request), context)
                asked = None if query.request is None else _validate(query.request, data)
                result = query.answer(self.reader, asked)
            return self._reply(result, reply())

        return run

    def _caught_up(self, data: dict[str, Any], context: grpc.ServicerContext) -> dict[str, Any]:
        """Wait, within the call's deadline, until the read model has the request's
        ``min_position``; returns the rest of the request."""
        position = data.pop("min_position", 0)
        if position < 0:
            raise Invalid([("min_position", "must be 0 or a position of the log")])
        remaining = context.time_remaining()
        # Answer a little before the deadline, so the caller hears why rather than a timeout.
        self.reader.wait_for_position(position, None if remaining is None else remaining - 0.1)
        return data

    # The rest of the service.

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
            for number, message in enumerate(chunks):
                try:
                    commands.append(_batch_command(message, number))
                except Invalid as error:
                    invalid.extend(error.violations)
            if invalid:
                raise Invalid(invalid)
            executed = self.ledger.app.execute_batch(commands)
        return pb.ImportCommandsResponse(
            receipts=[from_model(receipt, pb.Receipt()) for receipt in executed.receipts],
            stored=executed.stored,
        )

    def GetHistory(
        self, request: pb.GetHistoryRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.GetHistoryResponse]:
        with refusals(context):
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

    def GetDigest(
        self, request: pb.GetDigestRequest, context: grpc.ServicerContext
    ) -> pb.GetDigestResponse:
        digest = self.reader.digest()
        return pb.GetDigestResponse(digest=pb.Digest(position=digest.position, root=digest.root))

    def VerifyDigest(
        self, request: pb.VerifyDigestRequest, context: grpc.ServicerContext
    ) -> pb.VerifyDigestResponse:
        with refusals(context):
            pinned = _validate(PinnedDigest, to_data(request.pinned), "pinned")
            current = self.reader.verify_digest(pinned.position, pinned.root)
        return pb.VerifyDigestResponse(
            current=pb.Digest(position=current.position, root=current.root)
        )

    def ExportLedger(
        self, request: pb.ExportLedgerRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ExportLedgerResponse]:
        with refusals(context):
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
