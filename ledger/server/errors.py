"""Domain refusals to gRPC status codes, in one place, with ``google.rpc`` details.

Bad input is ``INVALID_ARGUMENT`` with a ``BadRequest`` naming each offending field; nothing a
caller sends should surface as ``UNKNOWN`` or ``INTERNAL``.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import grpc
from eventsourcing.persistence import PersistenceError
from google.protobuf import any_pb2
from google.protobuf.message import DecodeError
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from pydantic import BaseModel, ValidationError

from ledger.application.app import BatchRefused
from ledger.domain.errors import (
    AlreadyExists,
    Conflict,
    Exhausted,
    InvalidRequest,
    LedgerError,
    NotFound,
    OfficeNotFound,
    PreconditionFailed,
    StorageFault,
    Unavailable,
    plain,
)
from ledger.storage.faults import storage_fault

V = TypeVar("V", bound=BaseModel)

__all__ = ["refusals", "abort", "Invalid", "RefuseUndecodable"]

# A status travels in the trailers, which a client refuses beyond 8 KiB by default (gRPC's
# ``grpc.max_metadata_size``): a refusal naming a thousand bad items, or quoting a huge value,
# would reach the caller as RESOURCE_EXHAUSTED with no field named. These keep the message
# and the field violations well inside it, even percent-encoded and in base64.
_MAX_MESSAGE_BYTES = 800
_MAX_FIELDS_BYTES = 1800
_MAX_DESCRIPTION = 300

# Each kind of refusal is one status code; a refusal of no kind is a failed precondition.
_CODES: dict[type[LedgerError], grpc.StatusCode] = {
    NotFound: grpc.StatusCode.NOT_FOUND,
    AlreadyExists: grpc.StatusCode.ALREADY_EXISTS,
    InvalidRequest: grpc.StatusCode.INVALID_ARGUMENT,
    PreconditionFailed: grpc.StatusCode.FAILED_PRECONDITION,
    Conflict: grpc.StatusCode.ABORTED,
    Unavailable: grpc.StatusCode.UNAVAILABLE,
    Exhausted: grpc.StatusCode.RESOURCE_EXHAUSTED,
}


class Invalid(Exception):
    """Bad input found by the adapter itself: (field, description) pairs."""

    def __init__(self, violations: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {description}" for field, description in violations))
        self.violations = violations


def validated(model: type[V], data: Mapping[str, Any], prefix: str = "") -> V:
    """``data`` validated into ``model``, or refused naming each field (under ``prefix``)."""
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise Invalid(violations(error, prefix)) from None


def violations(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """pydantic's errors as (field path, message); paths use the proto's field names, messages
    are plain words (``ledger.domain.errors.plain``)."""
    details = error.errors()
    found = []
    for detail in details:
        if detail["type"] == "too_short" and _has_inner(detail["loc"], details):
            continue  # the list is short only because its bad items were dropped
        path = ""
        for part in (prefix, *detail["loc"]):
            if part == "":
                continue
            path += f"[{part}]" if isinstance(part, int) else f".{part}" if path else str(part)
        found.append((path or "request", plain(detail)))
    return found


def abort(
    context: grpc.ServicerContext,
    code: grpc.StatusCode,
    message: str,
    fields: Sequence[tuple[str, str]] = (),
) -> NoReturn:
    status = status_pb2.Status(
        code=getattr(code_pb2, code.name), message=_cut(message, _MAX_MESSAGE_BYTES)
    )
    if fields:
        detail = any_pb2.Any()
        detail.Pack(_bad_request(fields))
        status.details.append(detail)
    context.abort_with_status(rpc_status.to_status(status))
    raise AssertionError("abort_with_status returns only by raising")  # pragma: no cover


def _cut(text: str, limit: int) -> str:
    """``text`` in at most ``limit`` bytes of UTF-8, marked when cut."""
    encoded = text.encode()
    if len(encoded) <= limit:
        return text
    return encoded[: limit - 3].decode(errors="ignore") + "..."


def _bad_request(fields: Sequence[tuple[str, str]]) -> error_details_pb2.BadRequest:
    """The violations that fit the trailers, first first; the rest are counted."""
    request = error_details_pb2.BadRequest()
    for number, (field, text) in enumerate(fields):
        violation = error_details_pb2.BadRequest.FieldViolation(
            field=_cut(field, _MAX_DESCRIPTION), description=_cut(text, _MAX_DESCRIPTION)
        )
        if request.ByteSize() + violation.ByteSize() > _MAX_FIELDS_BYTES:
            request.field_violations.add(
                field="request", description=f"... and {len(fields) - number} more"
            )
            break
        request.field_violations.append(violation)
    return request


def _has_inner(loc: tuple[Any, ...], details: list[Any]) -> bool:
    return any(len(d["loc"]) > len(loc) and d["loc"][: len(loc)] == loc for d in details)


@contextmanager
def refusals(
    context: grpc.ServicerContext,
    on_fault: Callable[[StorageFault], None] | None = None,
    offices: Callable[[], Iterable[str]] | None = None,
) -> Iterator[None]:
    """Turn the ledger's refusals into statuses, and the database's faults into theirs
    (``on_fault`` hears of each); anything else is a bug and stays INTERNAL. An office not
    found is told the nearest of the registered ``offices``' codes, when one is near."""
    try:
        yield
    except ValidationError as error:
        fields = violations(error)
        abort(context, grpc.StatusCode.INVALID_ARGUMENT, _summary(fields), fields)
    except Invalid as error:
        abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(error), error.violations)
    except LedgerError as error:
        if isinstance(error, StorageFault) and on_fault is not None:
            on_fault(error)
        if isinstance(error, OfficeNotFound) and offices is not None:
            error = error.suggesting(offices())
        abort(context, _code(error), str(error), error.fields)
    except (PersistenceError, sqlite3.Error) as error:
        fault = storage_fault(error)
        if fault is None:
            raise
        if on_fault is not None:
            on_fault(fault)
        abort(context, _code(fault), str(fault))


def _code(error: LedgerError) -> grpc.StatusCode:
    """A refusal's status: its kind's; a batch's, its refusals' if they agree."""
    if isinstance(error, BatchRefused):
        codes = {_code(refusal) for _, refusal in error.errors}
        return codes.pop() if len(codes) == 1 else grpc.StatusCode.FAILED_PRECONDITION
    for kind, code in _CODES.items():
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.FAILED_PRECONDITION


def _summary(fields: list[tuple[str, str]]) -> str:
    return "; ".join(f"{field}: {text}" for field, text in fields)


class _Undecodable:
    """What a request's deserializer returns for bytes that are no message of its type."""

    def __init__(self, error: DecodeError) -> None:
        self.error = error


class RefuseUndecodable(grpc.ServerInterceptor):  # type: ignore[misc]
    """Bytes that are not a valid message of the request's type are ``INVALID_ARGUMENT``.

    gRPC itself answers them with ``INTERNAL`` ("Exception deserializing request!"), which
    says the server failed; here the caller sent them wrong, and is told so.
    """

    def __init__(self) -> None:
        # Each method's wrapped handler, built on its first call: wrapping on every call was a
        # tenth of an empty call's cost.
        self._wrapped: dict[str, tuple[Any, Any]] = {}

    def intercept_service(
        self, continuation: Callable[[Any], Any], handler_call_details: Any
    ) -> Any:
        handler = continuation(handler_call_details)
        if handler is None:  # no such method (not remembered: callers choose the names)
            return None
        method = handler_call_details.method
        wrapped = self._wrapped.get(method)
        if wrapped is None or wrapped[0] is not handler:
            wrapped = self._wrapped[method] = (handler, self._wrap(method, handler))
        return wrapped[1]

    @staticmethod
    def _wrap(method: str, handler: Any) -> Any:
        parse = handler.request_deserializer
        if parse is None:
            return handler

        def tolerant(data: bytes) -> Any:
            try:
                return parse(data)
            except DecodeError as error:
                return _Undecodable(error)

        def refuse(context: grpc.ServicerContext, request: _Undecodable) -> NoReturn:
            text = f"not a valid request message for {method}: {request.error}"
            abort(context, grpc.StatusCode.INVALID_ARGUMENT, text, [("request", text)])

        def one(behaviour: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
            def checked(request: Any, context: grpc.ServicerContext) -> Any:
                if isinstance(request, _Undecodable):
                    refuse(context, request)
                return behaviour(request, context)

            return checked

        def many(behaviour: Callable[[Any, Any], Any]) -> Callable[[Any, Any], Any]:
            def each(requests: Iterator[Any], context: grpc.ServicerContext) -> Iterator[Any]:
                for request in requests:
                    if isinstance(request, _Undecodable):
                        refuse(context, request)
                    yield request

            return lambda requests, context: behaviour(each(requests, context), context)

        wrap = many if handler.request_streaming else one
        kind = {
            (False, False): "unary_unary",
            (False, True): "unary_stream",
            (True, False): "stream_unary",
            (True, True): "stream_stream",
        }[handler.request_streaming, handler.response_streaming]
        return handler._replace(
            request_deserializer=tolerant, **{kind: wrap(getattr(handler, kind))}
        )
