"""A connection to a ledger server that speaks plain data: any method, by its name.

``Connection.call("Check", {...})`` builds the method's request message from plain data (the
proto's field names; enum values as ``personal-baggage``), sends it, and returns the reply as
plain data; ``stream`` does the same for a streaming method, ``send`` for a command named by
its verb (``tighten``). Everything is found from the service's descriptors, so a method added
to the proto can be called without a line here. ``LedgerClient`` builds typed methods on this;
the CLI uses it directly, loading no models.

Every command gets a request id (generated unless given) before its first attempt, so the
channel's automatic retries on ``UNAVAILABLE`` are safe. Refusals raise ``LedgerClientError``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterator, Mapping, Sequence
from types import TracebackType
from typing import Any, Self

import grpc
from google.protobuf.message import Message

from ledger_api.convert import from_data, to_data
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc
from ledger_client.errors import LedgerClientError
from ledger_client.security import Pem, open_channel, with_token

__all__ = ["Connection", "command_message", "new_request_id", "MAX_MESSAGE_BYTES"]

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
SERVICE = pb.DESCRIPTOR.services_by_name["PolicyLedger"]
_RETRY = {
    "methodConfig": [
        {
            "name": [{"service": SERVICE.full_name}],
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
# The method that sends each command alone, by the command's verb (the ``Command`` oneof).
_COMMANDS = {
    field.name: method.name
    for field in pb.Command.DESCRIPTOR.oneofs_by_name["command"].fields
    for method in SERVICE.methods
    if method.input_type is field.message_type
}


def new_request_id() -> str:
    """A fresh request id for a command."""
    return f"client-{uuid.uuid4()}"


def _clean(data: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in data.items() if value is not None}


def _request(rpc: str, data: Mapping[str, Any] | Message) -> Message:
    if isinstance(data, Message):
        return data
    method = SERVICE.methods_by_name.get(rpc)
    if method is None:
        raise ValueError(f"the ledger has no method {rpc!r}")
    message: Message = getattr(pb, method.input_type.name)()
    from_data(_clean(data), message)
    return message


def _message_fields(message: Any) -> dict[str, Any]:
    """A message type's fields whose values are messages, with their types."""
    return {
        name: field.message_type
        for name, field in message.fields_by_name.items()
        if field.message_type is not None
    }


def command_message(command: str, data: Mapping[str, Any]) -> pb.Command:
    """One command of a batch, from the same fields as a line of a command file.

    ``command`` is its verb (register, observe, tighten, loosen, amend, retract); ``data``
    holds the request's fields, with an observation's, tightening's or loosening's details flat
    (scope, measure, effective, sources, note), as in a command file."""
    target = pb.Command()
    field = target.DESCRIPTOR.fields_by_name.get(command)
    if field is None:
        raise ValueError(f"unknown command {command!r}: expected one of {', '.join(_COMMANDS)}")
    data = dict(data)
    # A change's details travel nested in a ``PolicyChange``; a command file has them flat.
    for name, inner in _message_fields(field.message_type).items():
        if inner.name == "PolicyChange":
            data[name] = {key: data.pop(key) for key in inner.fields_by_name if key in data}
    message = getattr(target, command)
    from_data(_clean(data), message)
    message.SetInParent()
    return target


DEFAULT_PORT = 50051
_HOST_ONLY = re.compile(r"^(?:[A-Za-z0-9.-]+|\[[0-9A-Fa-f:.]+\])$")


def with_default_port(target: str) -> str:
    """``target`` with the ledger's port when it names a host alone (``ledger.example``,
    ``[::1]``): gRPC would take 443, the HTTPS port. Targets with a scheme (``dns:``,
    ``ipv4:``, ``unix:``) or a port are left as they are."""
    return f"{target}:{DEFAULT_PORT}" if _HOST_ONLY.match(target) else target


class Connection:
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
        target = with_default_port(target)
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

    def close(self) -> None:
        self.channel.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def call(
        self,
        rpc: str,
        data: Mapping[str, Any] | Message = {},  # noqa: B006 - never mutated
        *,
        timeout: float | None = None,
    ) -> dict[str, Any]:
        """Call the unary method ``rpc`` with a request built from ``data``; the reply's data."""
        request = _request(rpc, data)
        try:
            reply = getattr(self.stub, rpc)(request, timeout=timeout or self.timeout)
        except grpc.RpcError as error:
            raise LedgerClientError.from_rpc(error) from None
        return to_data(reply)

    def stream(
        self,
        rpc: str,
        data: Mapping[str, Any] | Message = {},  # noqa: B006 - never mutated
        *,
        timeout: float | None = None,
    ) -> Iterator[Any]:
        """Call the server-streaming method ``rpc``; its replies (messages), as they come."""
        request = _request(rpc, data)
        try:
            yield from getattr(self.stub, rpc)(request, timeout=timeout)
        except grpc.RpcError as error:
            raise LedgerClientError.from_rpc(error) from None

    def send(self, command: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """Send one command, named by its verb (``tighten``), with a command file's fields
        (a request id is generated unless given); the receipt's data."""
        return dict(self.send_for_reply(command, data)["receipt"])

    def send_for_reply(self, command: str, data: Mapping[str, Any]) -> dict[str, Any]:
        """``send``, returning the whole reply's data: the receipt, and for an amendment the
        change ``before`` and ``after`` it."""
        message = command_message(
            command, {**data, "request_id": data.get("request_id") or new_request_id()}
        )
        return self.call(_COMMANDS[command], getattr(message, command))

    def import_batch(
        self,
        commands: Sequence[pb.Command],
        *,
        chunk: int = 500,
        progress: Callable[[int], None] | None = None,
    ) -> dict[str, Any]:
        """Send a batch (``command_message``) in chunks; the server stores it whole or refuses
        it whole. ``progress`` is called with the size of each chunk as it is sent. The reply's
        data: a receipt per command, and how many events were stored."""

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
        return to_data(reply)

    def health(self, service: str = "") -> str:
        """SERVING, NOT_SERVING, ... for the server ("") or one service."""
        from grpc_health.v1 import health_pb2, health_pb2_grpc

        stub = health_pb2_grpc.HealthStub(self.channel)
        try:
            reply = stub.Check(health_pb2.HealthCheckRequest(service=service), timeout=self.timeout)
        except grpc.RpcError as error:
            raise LedgerClientError.from_rpc(error) from None
        return str(health_pb2.HealthCheckResponse.ServingStatus.Name(reply.status))

    def ping(self) -> None:
        self.call("Ping")
