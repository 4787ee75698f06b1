"""``LedgerClient``: typed calls to the ledger's gRPC service.

Pass ``token=`` for a server that checks tokens, and ``tls=True`` or ``root_certificates=``
(with ``client_cert=`` and ``client_key=`` for mutual TLS) for one that speaks TLS.

Every command gets a request id (generated unless given) before its first attempt, so the
channel's automatic retries on ``UNAVAILABLE`` are safe: a retry of a command that was in
fact recorded returns the first receipt. Refusals raise ``LedgerClientError`` with the
status code and the fields the server named.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from datetime import date, datetime
from types import TracebackType
from typing import Any, Literal, TypeVar

import grpc
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from pydantic import BaseModel

from ledger_api.convert import from_data, to_data
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc
from ledger_api.verify import GENESIS, ChainVerifier
from ledger_client.models import (
    CheckResult,
    CompareResult,
    Digest,
    ExportedEvent,
    HistoryEvent,
    ImportResult,
    Office,
    Receipt,
    RemoteAudit,
    RuleStateResult,
    WatchEvent,
)
from ledger_client.security import Pem, open_channel, with_token

__all__ = ["LedgerClient", "LedgerClientError", "command_message", "MAX_MESSAGE_BYTES"]

M = TypeVar("M", bound=BaseModel)
Kind = Literal["observed", "tightened", "loosened"]
Data = dict[str, Any]
When = date | datetime | str | None

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_SERVICE = "ledger.v1.PolicyLedger"
_RETRY = {
    "methodConfig": [
        {
            "name": [{"service": _SERVICE}],
            "retryPolicy": {
                "maxAttempts": 5,
                "initialBackoff": "0.1s",
                "maxBackoff": "2s",
                "backoffMultiplier": 2,
                "retryableStatusCodes": ["UNAVAILABLE"],
            },
        }
    ]
}

_OPTIONS = [
    ("grpc.service_config", json.dumps(_RETRY)),
    # Several servers behind one target (ipv4:HOST1:PORT,HOST2:PORT or a DNS name with several
    # addresses): spread the calls over them.
    ("grpc.lb_policy_name", "round_robin"),
    ("grpc.enable_retries", 1),
    ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
    ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
]


class LedgerClientError(Exception):
    """A call the service refused: its status code, message and offending fields."""

    def __init__(self, code: grpc.StatusCode, message: str, fields: list[tuple[str, str]]) -> None:
        super().__init__(f"{code.name}: {message}")
        self.code = code
        self.message = message
        self.fields = fields

    @classmethod
    def from_rpc(cls, error: grpc.RpcError) -> LedgerClientError:
        fields = []
        status = rpc_status.from_call(error)
        for detail in status.details if status else ():
            bad_request = error_details_pb2.BadRequest()
            if detail.Unpack(bad_request):
                fields += [(v.field, v.description) for v in bad_request.field_violations]
        return cls(error.code(), error.details() or "", fields)


def _text(value: When) -> str | None:
    return None if value is None else value.isoformat() if not isinstance(value, str) else value


def _clean(data: Data) -> Data:
    return {key: value for key, value in data.items() if value is not None}


def command_message(command: str, data: Data) -> pb.Command:
    """One command of a batch, from the same fields as a line of an import file.

    ``command`` is register, observe, tighten, loosen, amend or retract; ``data`` holds the
    request's fields, with an observation's, tightening's or loosening's details flat (scope,
    measure, effective, sources, note), as in the file.
    """
    target = pb.Command()
    if command in ("observe", "tighten", "loosen"):
        details = {
            key: data[key]
            for key in ("scope", "measure", "effective", "sources", "note")
            if key in data
        }
        rest = {key: value for key, value in data.items() if key not in details}
        data = {**rest, "change": details}
    field = target.DESCRIPTOR.fields_by_name.get(command)
    if field is None:
        raise ValueError(f"unknown command {command!r}")
    from_data(_clean(data), getattr(target, command))
    getattr(target, command).SetInParent()
    return target


class LedgerClient:
    """A connection to a ledger server."""

    def __init__(
        self,
        target: str = "127.0.0.1:50051",
        *,
        timeout: float = 30.0,
        token: str | None = None,
        tls: bool = False,
        root_certificates: Pem | None = None,
        client_cert: Pem | None = None,
        client_key: Pem | None = None,
        channel: grpc.Channel | None = None,
    ) -> None:
        """``token`` is sent with every call. TLS is on with ``tls=True`` (the system's
        trusted roots) or with ``root_certificates``; ``client_cert`` and ``client_key`` are
        the client's own, for mutual TLS. Each is PEM bytes, or the path of a PEM file.
        ``channel`` replaces the whole set-up (a ``token`` is still added to it)."""
        self.target = target
        self.timeout = timeout
        if channel is not None:
            if tls or root_certificates or client_cert or client_key:
                raise ValueError("give either a channel or TLS settings, not both")
            self.channel = channel if token is None else with_token(channel, token)
        else:
            self.channel = open_channel(
                target,
                _OPTIONS,
                token=token,
                tls=tls,
                root_certificates=root_certificates,
                client_cert=client_cert,
                client_key=client_key,
            )
        self.stub = ledger_pb2_grpc.PolicyLedgerStub(self.channel)  # type: ignore[no-untyped-call]
        self.health_stub = health_pb2_grpc.HealthStub(self.channel)

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> LedgerClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, method: Callable[..., Any], request: Message, **kwargs: Any) -> Any:
        try:
            return method(request, timeout=kwargs.pop("timeout", self.timeout), **kwargs)
        except grpc.RpcError as error:
            raise LedgerClientError.from_rpc(error) from None

    def _stream(
        self, method: Callable[..., Any], request: Message, timeout: float | None
    ) -> Iterator[Any]:
        try:
            yield from method(request, timeout=timeout)
        except grpc.RpcError as error:
            raise LedgerClientError.from_rpc(error) from None

    @staticmethod
    def _model(model: type[M], message: Message) -> M:
        return model.model_validate(to_data(message))

    # Health and baseline.

    def health(self, service: str = "") -> str:
        """SERVING, NOT_SERVING, ... for the server ("") or one service."""
        reply = self._call(self.health_stub.Check, health_pb2.HealthCheckRequest(service=service))
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    def ping(self) -> None:
        self._call(self.stub.Ping, pb.PingRequest())

    # Commands.

    def register_office(
        self,
        office: str,
        name: str,
        crossings: Sequence[Data] = (),
        *,
        request_id: str | None = None,
    ) -> Receipt:
        request = from_data(
            {
                "request_id": request_id or _new_id(),
                "office": office,
                "name": name,
                "crossings": list(crossings),
            },
            pb.RegisterOfficeRequest(),
        )
        return self._model(Receipt, self._call(self.stub.RegisterOffice, request).receipt)

    def record(
        self,
        kind: Kind,
        office: str,
        *,
        scope: Data,
        measure: Data,
        effective: Data,
        sources: Sequence[Data],
        note: str = "",
        expected_version: int | None = None,
        request_id: str | None = None,
    ) -> Receipt:
        """Record an observation, a tightening or a loosening."""
        rpc, message = {
            "observed": (self.stub.RecordObservation, pb.RecordObservationRequest),
            "tightened": (self.stub.RecordTightening, pb.RecordTighteningRequest),
            "loosened": (self.stub.RecordLoosening, pb.RecordLooseningRequest),
        }[kind]
        data = {
            "request_id": request_id or _new_id(),
            "office": office,
            "expected_version": expected_version,
            "change": {
                "scope": scope,
                "measure": measure,
                "effective": effective,
                "sources": list(sources),
                "note": note,
            },
        }
        return self._model(Receipt, self._call(rpc, from_data(_clean(data), message())).receipt)

    def amend(
        self,
        office: str,
        change_id: uuid.UUID | str,
        *,
        reason: str,
        sources: Sequence[Data],
        effective: Data | None = None,
        measure: Data | None = None,
        expected_version: int | None = None,
        request_id: str | None = None,
    ) -> Receipt:
        data = {
            "request_id": request_id or _new_id(),
            "office": office,
            "expected_version": expected_version,
            "change_id": str(change_id),
            "effective": effective,
            "measure": measure,
            "reason": reason,
            "sources": list(sources),
        }
        request = from_data(_clean(data), pb.AmendChangeRequest())
        return self._model(Receipt, self._call(self.stub.AmendChange, request).receipt)

    def retract(
        self,
        office: str,
        change_id: uuid.UUID | str,
        *,
        reason: str,
        sources: Sequence[Data],
        expected_version: int | None = None,
        request_id: str | None = None,
    ) -> Receipt:
        data = {
            "request_id": request_id or _new_id(),
            "office": office,
            "expected_version": expected_version,
            "change_id": str(change_id),
            "reason": reason,
            "sources": list(sources),
        }
        request = from_data(_clean(data), pb.RetractChangeRequest())
        return self._model(Receipt, self._call(self.stub.RetractChange, request).receipt)

    def import_commands(
        self,
        commands: Sequence[pb.Command],
        *,
        chunk: int = 500,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        """Send a batch in chunks; the server stores it whole or refuses it whole.

        ``progress`` is called with the number of commands in each chunk as it is sent.
        """

        def chunks() -> Iterator[pb.ImportCommandsRequest]:
            for start in range(0, len(commands), chunk):
                part = commands[start : start + chunk]
                yield pb.ImportCommandsRequest(commands=part)
                if progress is not None:
                    progress(len(part))

        try:
            reply = self.stub.ImportCommands(chunks(), timeout=self.timeout * 10)
        except grpc.RpcError as error:
            raise LedgerClientError.from_rpc(error) from None
        return self._model(ImportResult, reply)

    # Queries.

    def get_office(self, office: str, *, min_position: int = 0) -> Office:
        """``min_position`` (any query): answer only once the server has the event at that
        position, e.g. a receipt's, written through any server."""
        request = pb.GetOfficeRequest(office=office, min_position=min_position)
        return self._model(Office, self._call(self.stub.GetOffice, request).office)

    def list_offices(self, *, min_position: int = 0) -> list[Office]:
        reply = self._call(self.stub.ListOffices, pb.ListOfficesRequest(min_position=min_position))
        return [self._model(Office, office) for office in reply.offices]

    def history(
        self,
        office: str,
        *,
        valid_from: When = None,
        valid_to: When = None,
        known_at: When = None,
        basis: str | None = None,
        batch_size: int = 0,
        min_position: int = 0,
    ) -> Iterator[HistoryEvent]:
        data = {
            "office": office,
            "min_position": min_position,
            "valid_from": _text(valid_from),
            "valid_to": _text(valid_to),
            "known_at": _text(known_at),
            "basis": basis,
            "batch_size": batch_size,
        }
        request = from_data(_clean(data), pb.GetHistoryRequest())
        for reply in self._stream(self.stub.GetHistory, request, self.timeout):
            for event in reply.events:
                yield self._model(HistoryEvent, event)

    def rule_state(
        self,
        office: str,
        at: When,
        *,
        known_at: When = None,
        basis: str | None = None,
        min_position: int = 0,
    ) -> RuleStateResult:
        data = {
            "office": office,
            "at": _text(at),
            "known_at": _text(known_at),
            "basis": basis,
            "min_position": min_position,
        }
        reply = self._call(
            self.stub.GetRuleState, from_data(_clean(data), pb.GetRuleStateRequest())
        )
        return self._model(RuleStateResult, reply)

    def check(
        self,
        office: str,
        at: When,
        *,
        direction: str,
        channel: str,
        items: Sequence[Data],
        traveller: str | None = None,
        known_at: When = None,
        basis: str | None = None,
        min_position: int = 0,
    ) -> CheckResult:
        data = self._question(at, direction, channel, items, traveller, known_at, basis)
        request = from_data(
            {**data, "office": office, "min_position": min_position}, pb.CheckRequest()
        )
        reply = self._call(self.stub.Check, request)
        return self._model(CheckResult, reply)

    def compare(
        self,
        offices: Sequence[str],
        at: When,
        *,
        direction: str,
        channel: str,
        items: Sequence[Data],
        traveller: str | None = None,
        known_at: When = None,
        basis: str | None = None,
        min_position: int = 0,
    ) -> CompareResult:
        data = self._question(at, direction, channel, items, traveller, known_at, basis)
        data = {**data, "offices": list(offices), "min_position": min_position}
        request = from_data(data, pb.CompareOfficesRequest())
        return self._model(CompareResult, self._call(self.stub.CompareOffices, request))

    @staticmethod
    def _question(
        at: When,
        direction: str,
        channel: str,
        items: Sequence[Data],
        traveller: str | None,
        known_at: When,
        basis: str | None,
    ) -> Data:
        return _clean(
            {
                "at": _text(at),
                "known_at": _text(known_at),
                "basis": basis,
                "direction": direction,
                "channel": channel,
                "traveller": traveller,
                "items": [_clean(dict(item)) for item in items],
            }
        )

    def get_digest(self) -> Digest:
        return self._model(Digest, self._call(self.stub.GetDigest, pb.GetDigestRequest()).digest)

    def verify_digest(self, pinned: Digest) -> Digest:
        """The digest now, if ``pinned`` is a prefix of the ledger (the server's word for it)."""
        request = pb.VerifyDigestRequest(
            pinned=pb.Digest(position=pinned.position, root=pinned.root)
        )
        return self._model(Digest, self._call(self.stub.VerifyDigest, request).current)

    def export(self, after_position: int = 0, *, batch_size: int = 0) -> Iterator[ExportedEvent]:
        """The log exactly as stored, in order, from ``after_position``."""
        request = pb.ExportLedgerRequest(after_position=after_position, batch_size=batch_size)
        for reply in self._stream(self.stub.ExportLedger, request, None):
            for event in reply.events:
                yield ExportedEvent(
                    position=event.position,
                    office_id=event.office_id,
                    office_version=event.office_version,
                    type=event.type,
                    stored_json=event.stored_json,
                )

    def audit(
        self,
        *,
        expect: Digest | None = None,
        progress: Callable[[ExportedEvent], None] | None = None,
    ) -> RemoteAudit:
        """Replay the whole log here, trusting nothing the server says.

        Every hash is recomputed from the stored bytes, every link, version and position is
        checked, and the digest is recomputed: it must equal the server's current digest, and,
        if ``expect`` was pinned earlier, reach the pinned root at the pinned position.
        """
        server = self.get_digest()
        keep = frozenset({expect.position}) if expect else frozenset()
        # Positions must increase; on PostgreSQL they may skip numbers a lost race used up.
        verifier = ChainVerifier(contiguous=False, keep_roots_at=keep)
        for event in self.export():
            if event.position > server.position:
                break  # written after the digest was read: checked next time
            verifier.add(
                event.position, event.office_id, event.office_version, event.type, event.stored_json
            )
            if progress is not None:
                progress(event)
        problems = [str(problem) for problem in verifier.problems]
        mine = Digest(position=verifier.position, root=verifier.root)
        if mine != server:
            problems.append(f"the replay gives digest {mine}, the server says {server}")
        if expect is not None:
            reached = GENESIS if expect.position == 0 else verifier.roots.get(expect.position)
            if reached is None:
                problems.append(
                    f"the pinned digest {expect} is beyond the log, which ends at position "
                    f"{verifier.position}: events were removed"
                )
            elif reached != expect.root:
                problems.append(
                    f"at position {expect.position} the replay gives root {reached}, not the "
                    f"pinned {expect.root}: the log up to the pinned digest was rewritten"
                )
        return RemoteAudit(
            ok=not problems,
            events=verifier.events,
            offices=verifier.offices,
            digest=mine,
            server_digest=server,
            pinned=expect,
            problems=tuple(problems),
        )

    def watch(
        self, after_position: int = 0, *, batch_size: int = 0, timeout: float | None = None
    ) -> Iterator[WatchEvent]:
        """Events after ``after_position``: those recorded, then new ones, until ``timeout``
        (None: until the caller stops iterating or the server stops)."""
        request = pb.WatchRequest(after_position=after_position, batch_size=batch_size)
        for reply in self._stream(self.stub.Watch, request, timeout):
            for event in reply.events:
                yield self._model(WatchEvent, event)


def _new_id() -> str:
    return f"client-{uuid.uuid4()}"
