"""``ledger.v1.PolicyLedger``: every method of the service, served from tables.

Commands come from the application's registry (``COMMANDS``: each RPC validates its request
into its command and executes it), questions from ``ledger.server.queries``; the import and
the digests are written out here, the reading streams in ``ledger.server.streams`` and the
decision log's methods in ``ledger.server.decision_rpcs``. Requests and replies are converted
by ``ledger_api.convert``, refusals become statuses in ``ledger.server.errors``. Nothing here
decides anything.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any

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
from ledger.readmodel.proofs import Proofs
from ledger.readmodel.signed import CheckpointsRequest
from ledger.server.budget import AnswerBudget, check_lookups
from ledger.server.decision_log import LOGGED, DecisionLog, DecisionMessages
from ledger.server.decision_rpcs import DecisionRPCs
from ledger.server.errors import Invalid, refusals, validated, violations
from ledger.server.limits import LongCalls
from ledger.server.queries import QUERIES, PinnedDigest, Query
from ledger.server.streams import DEFAULT_BATCH, MAX_BATCH, StreamRPCs
from ledger.settings import Settings
from ledger.tokens import Role
from ledger_api.convert import Shared, from_data, from_model, to_data
from ledger_api.ledger.v1 import ledger_pb2 as pb

if TYPE_CHECKING:
    from ledger.server.auth import Tokens
    from ledger.server.health import ServingState

__all__ = ["PolicyLedgerServicer", "SERVICE", "ROLES", "DEFAULT_BATCH", "MAX_BATCH", "MAX_IMPORT"]

SERVICE = pb.DESCRIPTOR.services_by_name["PolicyLedger"]
# Commands in one import at most: the batch is held in memory and stored in one transaction,
# and its reply (a receipt per command) must stay far below the 16 MiB message limit.
MAX_IMPORT = 10_000
# The role each method needs: commands record, questions and the live log read, the audit
# trail is the auditor's. A method missing here is refused to every token (``TokenAuth``).
ROLES: dict[str, Role] = {
    **{command.rpc: Role.RECORDER for command in COMMANDS},
    **{name: query.role for name, query in QUERIES.items()},
    "ImportCommands": Role.RECORDER,
    "GetHistory": Role.READER,
    "GetTimeline": Role.READER,
    "Watch": Role.READER,
    "WatchEffective": Role.READER,
    "Ping": Role.READER,
    "GetDigest": Role.AUDITOR,
    # Signed tree heads: what a reader checks an answer's proofs against.
    "ListCheckpoints": Role.READER,
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


def _message_class(descriptor: Any) -> type[Message]:
    message: type[Message] = getattr(pb, descriptor.name)
    return message


class PolicyLedgerServicer(StreamRPCs, DecisionRPCs):
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
                asked = None if query.request is None else validated(query.request, data)
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

    def GetDigest(
        self, request: pb.GetDigestRequest, context: grpc.ServicerContext
    ) -> pb.GetDigestResponse:
        head = Proofs(self.reader).head()
        checkpoint = self.ledger.signed.latest(at_most=head["position"])
        return pb.GetDigestResponse(digest=pb.Digest(**head), checkpoint=checkpoint)

    def ListCheckpoints(
        self, request: pb.ListCheckpointsRequest, context: grpc.ServicerContext
    ) -> pb.ListCheckpointsResponse:
        with self._refusals(context):
            asked = validated(CheckpointsRequest, to_data(request))
            page = self.ledger.signed.page(asked)
        return pb.ListCheckpointsResponse(
            checkpoints=[pb.SignedCheckpoint(size=size, note=note) for size, note in page]
        )

    def VerifyDigest(
        self, request: pb.VerifyDigestRequest, context: grpc.ServicerContext
    ) -> pb.VerifyDigestResponse:
        with self._refusals(context):
            pinned = validated(PinnedDigest, to_data(request.pinned), "pinned")
            current = self.reader.verify_digest(pinned.position, pinned.root)
        return pb.VerifyDigestResponse(
            current=pb.Digest(**Proofs(self.reader).head(current.position))
        )

    def Ping(self, request: pb.PingRequest, context: grpc.ServicerContext) -> pb.PingResponse:
        return pb.PingResponse()
