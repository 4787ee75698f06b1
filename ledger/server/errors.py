"""Domain refusals to gRPC status codes, in one place, with ``google.rpc`` details.

Bad input is ``INVALID_ARGUMENT`` with a ``BadRequest`` naming each offending field; nothing a
caller sends should surface as ``UNKNOWN`` or ``INTERNAL``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NoReturn

import grpc
from google.protobuf import any_pb2
from google.rpc import code_pb2, error_details_pb2, status_pb2
from grpc_status import rpc_status
from pydantic import ValidationError

from ledger.application import (
    BatchRefused,
    OfficeAlreadyRegistered,
    OfficeNotFound,
    RequestIdReused,
    VersionConflict,
)
from ledger.domain.office import (
    ChangeAlreadyRetracted,
    ChangeNotFound,
    DirectionViolation,
    LedgerError,
    NothingToAmend,
)
from ledger.queries import ValueRequired
from ledger.service import DigestMismatch, NotYet

__all__ = ["refusals", "abort", "Invalid"]

_CODES: dict[type[LedgerError], grpc.StatusCode] = {
    OfficeNotFound: grpc.StatusCode.NOT_FOUND,
    ChangeNotFound: grpc.StatusCode.NOT_FOUND,
    OfficeAlreadyRegistered: grpc.StatusCode.ALREADY_EXISTS,
    RequestIdReused: grpc.StatusCode.ALREADY_EXISTS,
    DirectionViolation: grpc.StatusCode.FAILED_PRECONDITION,
    ChangeAlreadyRetracted: grpc.StatusCode.FAILED_PRECONDITION,
    NothingToAmend: grpc.StatusCode.INVALID_ARGUMENT,
    ValueRequired: grpc.StatusCode.INVALID_ARGUMENT,
    VersionConflict: grpc.StatusCode.ABORTED,
    DigestMismatch: grpc.StatusCode.FAILED_PRECONDITION,
    NotYet: grpc.StatusCode.UNAVAILABLE,
}


class Invalid(Exception):
    """Bad input found by the adapter itself: (field, description) pairs."""

    def __init__(self, violations: list[tuple[str, str]]) -> None:
        super().__init__("; ".join(f"{field}: {description}" for field, description in violations))
        self.violations = violations


def violations(error: ValidationError, prefix: str = "") -> list[tuple[str, str]]:
    """pydantic's errors as (field path, message); paths use the proto's field names."""
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
        found.append((path or "request", detail["msg"]))
    return found


def abort(
    context: grpc.ServicerContext,
    code: grpc.StatusCode,
    message: str,
    fields: Sequence[tuple[str, str]] = (),
) -> NoReturn:
    status = status_pb2.Status(code=getattr(code_pb2, code.name), message=message)
    if fields:
        detail = any_pb2.Any()
        detail.Pack(
            error_details_pb2.BadRequest(
                field_violations=[
                    error_details_pb2.BadRequest.FieldViolation(field=field, description=text)
                    for field, text in fields
                ]
            )
        )
        status.details.append(detail)
    context.abort_with_status(rpc_status.to_status(status))
    raise AssertionError("abort_with_status returns only by raising")  # pragma: no cover


def _has_inner(loc: tuple[Any, ...], details: list[Any]) -> bool:
    return any(len(d["loc"]) > len(loc) and d["loc"][: len(loc)] == loc for d in details)


@contextmanager
def refusals(context: grpc.ServicerContext) -> Iterator[None]:
    """Turn the ledger's refusals into statuses; anything else is a bug and stays INTERNAL."""
    try:
        yield
    except ValidationError as error:
        fields = violations(error)
        abort(context, grpc.StatusCode.INVALID_ARGUMENT, _summary(fields), fields)
    except Invalid as error:
        abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(error), error.violations)
    except BatchRefused as refused:
        fields = [(f"commands[{number}]", str(error)) for number, error in refused.errors]
        codes = {_code(error) for _, error in refused.errors}
        code = codes.pop() if len(codes) == 1 else grpc.StatusCode.FAILED_PRECONDITION
        abort(context, code, f"the batch was refused, nothing was stored: {refused}", fields)
    except ValueRequired as error:
        abort(context, _code(error), str(error), [(f"items[{error.number - 1}].value", str(error))])
    except LedgerError as error:
        abort(context, _code(error), str(error))


def _code(error: LedgerError) -> grpc.StatusCode:
    for kind, code in _CODES.items():
        if isinstance(error, kind):
            return code
    return grpc.StatusCode.FAILED_PRECONDITION


def _summary(fields: list[tuple[str, str]]) -> str:
    return "; ".join(f"{field}: {text}" for field, text in fields)
