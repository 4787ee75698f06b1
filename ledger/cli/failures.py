"""How a command fails: its exit status, and its message on standard error.

Exit statuses, the same for every command:

- 0 (``OK``): done.
- 1 (``FAILED_CHECK``): ``check --fail-on-refusal`` answered PROHIBITED or LIMIT_EXCEEDED.
- 2 (``USAGE``): bad input, caught before anything was sent: click's own usage errors, and an
  option's value in the wrong form (``--source``, ``--item``, a date, ``--expect-digest``).
- 3 (``REFUSED``): refused by the ledger, which did nothing: INVALID_ARGUMENT,
  FAILED_PRECONDITION, ABORTED, ALREADY_EXISTS, NOT_FOUND (and PERMISSION_DENIED,
  UNAUTHENTICATED).
- 4 (``UNAVAILABLE``): no server at the address, or it could not answer (UNAVAILABLE,
  DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, a server failure); and a write whose call failed
  without the ledger's decision (``unanswered``): it may or may not have been stored, and the
  command says so, and how to send it again under the same request id.
- 5 (``AUDIT_FAILED``): ``ledger audit`` found the log rewritten, a check broken, or a pinned
  digest not reached.

The message goes to standard error; with ``--json``, as one JSON object:
``{"code": ..., "message": ..., "fields": [{"field": ..., "description": ...}]}``, where
``code`` is the gRPC status's name, or ``USAGE``, ``UNREACHABLE``, ``OUTCOME_UNKNOWN``,
``AUDIT_FAILED``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar, Token

import grpc
import typer

from ledger.cli.render import errors, shown_lines
from ledger_client.errors import LedgerClientError

__all__ = [
    "OK",
    "FAILED_CHECK",
    "USAGE",
    "REFUSED",
    "UNAVAILABLE",
    "AUDIT_FAILED",
    "Failed",
    "Refused",
    "Usage",
    "OutcomeUnknown",
    "Unreachable",
    "AuditFailed",
    "print_error",
    "errors_as_json",
    "reset_errors",
    "unanswered",
]


# Exit statuses: one table, for every command.
OK = 0
FAILED_CHECK = 1  # a check whose verdict is a refusal, when asked (``--fail-on-refusal``)
USAGE = 2
REFUSED = 3
UNAVAILABLE = 4
AUDIT_FAILED = 5

# The statuses by which the ledger refuses a call it decided on (exit 3); any other means the
# server could not answer (exit 4): unavailable, out of time, busy or failed.
_REFUSALS = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.ABORTED,
        grpc.StatusCode.ALREADY_EXISTS,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.OUT_OF_RANGE,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
    }
)
_REFUSAL_NAMES = frozenset(code.name for code in _REFUSALS)

# Whether the command runs with --json: its errors are then one JSON object on standard error.
_as_json: ContextVar[bool] = ContextVar("as_json", default=False)


def errors_as_json(as_json: bool) -> Token[bool]:
    """From now on (until ``reset_errors(token)``), errors are JSON if ``as_json``."""
    return _as_json.set(as_json)


def reset_errors(token: Token[bool]) -> None:
    _as_json.reset(token)


def print_error(
    code: str, message: str, fields: Sequence[tuple[str, str]] = (), human: str | None = None
) -> None:
    """An error on standard error: ``{"code", "message", "fields"}`` with --json, else
    ``human`` (or the message) after "error:"."""
    if _as_json.get():
        described = [{"field": field, "description": text} for field, text in fields]
        found = {"code": code, "message": message, "fields": described}
        # ASCII only: nothing in it a terminal would act on, whatever the message quotes.
        sys.stderr.write(json.dumps(found) + "\n")
        return
    # The message may quote what a caller sent or the ledger holds: shown, not applied.
    text = shown_lines(message if human is None else human)
    errors.print(f"[red]error:[/red] {text}", highlight=False, markup=True)


class Failed(typer.Exit):
    """A command that fails: ``code`` (a gRPC status's name, or ``USAGE``, ``UNREACHABLE``,
    ``OUTCOME_UNKNOWN``, ``AUDIT_FAILED``) and the message on standard error, and ``status``."""

    def __init__(
        self,
        code: str,
        message: str,
        status: int,
        fields: Sequence[tuple[str, str]] = (),
        human: str | None = None,
    ) -> None:
        print_error(code, message, fields, human)
        self.code = code
        self.message = message
        super().__init__(code=status)


class Refused(Failed):
    """A refusal. ``code`` names a gRPC status: the ledger refused (exit status 3), or could
    not answer (4). Without it, the refusal is the ledger's when a call's ``LedgerClientError``
    is being handled, with that error's status and fields; else it is the command line's own,
    bad input caught before sending (``USAGE``, exit status 2)."""

    def __init__(
        self,
        message: str,
        code: str | None = None,
        fields: Sequence[tuple[str, str]] = (),
        human: str | None = None,
    ) -> None:
        handled = sys.exc_info()[1]
        if code is None and isinstance(handled, LedgerClientError):
            code, fields = handled.code.name, fields or handled.fields
        code = code or "USAGE"
        status = USAGE if code == "USAGE" else REFUSED if code in _REFUSAL_NAMES else UNAVAILABLE
        super().__init__(code, message, status, fields, human)

    @classmethod
    def by_ledger(cls, error: LedgerClientError) -> Refused:
        """The ledger's refusal (or its failure to answer): its status, message and fields."""
        human = "\n".join(
            [f"{error.code.name}: {error.message}"]
            + [f"  {f}: {text}" for f, text in error.fields if f not in error.message]
        )
        return cls(error.message, error.code.name, error.fields, human)


class Usage(Failed):
    """Bad input caught before sending anything: exit status 2."""

    def __init__(self, message: str) -> None:
        super().__init__("USAGE", message, USAGE)


class Unreachable(Failed):
    """No server at the address: nothing was sent. The exit status is 4."""

    def __init__(self, target: str, error: LedgerClientError) -> None:
        super().__init__(
            "UNREACHABLE",
            f"no ledger server at {target} — start one with `make run` (or `ledger serve`), "
            f"or point LEDGER_SERVER (or --server) at one ({error.message})",
            UNAVAILABLE,
        )


class OutcomeUnknown(Failed):
    """A write that may or may not have been stored (``doubt`` says what), printed to standard
    error with how to ``retry`` it safely; the exit status is 4."""

    def __init__(self, error: LedgerClientError, doubt: str, retry: str) -> None:
        why = f"{error.code.name}: {error.message}" if error.message else error.code.name
        super().__init__(
            "OUTCOME_UNKNOWN",
            f"the outcome is unknown: the server did not answer ({why}), so {doubt}.\n{retry}",
            UNAVAILABLE,
        )


class AuditFailed(Failed):
    """An audit that found the log, or the rule states, not as they should be: exit status 5."""

    def __init__(self, message: str) -> None:
        super().__init__("AUDIT_FAILED", message, AUDIT_FAILED)


@contextmanager
def unanswered(doubt: str, retry: str) -> Iterator[None]:
    """Inside, a write the ledger refused goes on to ``connect`` (exit status 3: nothing was
    stored); one whose call failed without the ledger's decision ends the command with
    ``OutcomeUnknown``."""
    try:
        yield
    except LedgerClientError as error:
        # A connection refused now may follow an attempt that reached a server before (the
        # client retries): for a write, only the ledger's own refusal says nothing was stored.
        if error.refused:
            raise
        raise OutcomeUnknown(error, doubt, retry) from None
