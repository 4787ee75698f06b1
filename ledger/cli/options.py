"""What the commands share: their options, the connection to a server, and how they fail.

A command that talks to a server takes the connection options (``--token``, ``--tls`` and the
``--tls-*`` files) besides its own, by the ``connects`` decorator, and opens its connection with
``connect``.

How commands fail, and their exit statuses, is ``ledger.cli.failures``.
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from contextvars import ContextVar
from datetime import datetime
from pathlib import Path
from typing import Annotated, Any, NamedTuple, TypeVar, overload

import click
import typer

from ledger.cli import parse
from ledger.cli.failures import Refused, Unreachable, Usage, errors_as_json, reset_errors
from ledger_api.convert import enum_value
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_client.connection import Connection
from ledger_client.errors import LedgerClientError

__all__ = [
    "as_of",
    "as_known",
    "connects",
    "connect",
    "ServerOption",
    "DatabaseOption",
    "JsonOption",
    "OfficeOption",
    "DAY",
    "AtOption",
    "DateOption",
    "KNOWN_AT",
    "ASKED_TIME",
    "KnownAtOption",
    "KnownAtPositionOption",
    "EFFECTIVE",
    "OnOption",
    "OptionalOnOption",
    "BasisOption",
    "DirectionOption",
    "ChannelOption",
    "TravellerOption",
    "ItemOption",
    "SourceOption",
    "OptionalSourceOption",
    "RequestIdOption",
    "ExpectedVersionOption",
    "LogOption",
    "LabelOption",
    "logged",
    "choice",
]

ServerOption = Annotated[
    str,
    typer.Option("--server", envvar="LEDGER_SERVER", help="The ledger server, host:port."),
]
# The database itself, for the commands that work on it rather than through a server.
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database",
        help="The database: sqlite:///PATH or postgresql://USER:PASSWORD@HOST:PORT/DATABASE"
        "[?schema=NAME]; overrides LEDGER_DATABASE_URL.",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
OfficeOption = Annotated[str, typer.Option("--office", help="Office code, e.g. CN-DANDONG.")]


class _Day(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.3
    """A date, ``YYYY-MM-DD`` in ASCII digits: click's own reads any script's digits."""

    name = "YYYY-MM-DD"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, datetime):
            return value
        text = str(value)
        if not _DAY.fullmatch(text):
            self.fail(f"{text!r} is not a date: expected YYYY-MM-DD, e.g. 2025-03-20", param, ctx)
        try:
            return datetime.strptime(text, "%Y-%m-%d")
        except ValueError:
            self.fail(
                f"{text} is not a day of the calendar: expected YYYY-MM-DD, e.g. 2025-03-20",
                param,
                ctx,
            )


_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", re.ASCII)
DAY = _Day()
AtOption = Annotated[datetime, typer.Option("--at", click_type=DAY, help="Valid time.")]
DateOption = Annotated[datetime | None, typer.Option(click_type=DAY)]


class _Checked(click.ParamType):  # type: ignore[type-arg]  # generic only from click 8.3
    """Text in a form ``check`` accepts (it raises ``ValueError`` saying what is wrong), kept
    as text: the server reads it."""

    def __init__(self, name: str, check: Callable[[str], object]) -> None:
        self.name = name
        self.check = check

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        text = str(value)
        try:
            self.check(text)
        except ValueError as error:
            self.fail(str(error), param, ctx)
        return text


KNOWN_AT = _Checked("DATE|TIMESTAMP", parse.known_at)
ASKED_TIME = _Checked("DATE|TIMESTAMP", parse.asked_time)
EFFECTIVE = _Checked("YYYY-MM-DD|YYYY-MM|YYYY-Qn|YYYY", parse.period)
KnownAtOption = Annotated[
    str | None,
    typer.Option(
        "--known-at",
        click_type=KNOWN_AT,
        help="Knowledge time: a date (the end of that day, UTC) or an RFC 3339 timestamp with "
        "its offset, e.g. 2025-03-20 or 2025-03-20T12:00:00+00:00.",
    ),
]
KnownAtPositionOption = Annotated[
    int | None,
    typer.Option(
        "--known-at-position",
        min=0,
        help="Knowledge as of a log position: what the ledger had recorded up to and including "
        "the event there (a receipt's or a watch event's position), e.g. 4811. Not with "
        "--known-at.",
        show_default=False,
    ),
]
_ON_HELP = (
    "a day (YYYY-MM-DD), or a month (2025-04), a quarter (2018-Q2) or a year (2018) when known "
    "only so precisely: the precision follows, unless --precision narrows a month"
)
OnOption = Annotated[
    str, typer.Option("--on", click_type=EFFECTIVE, help=f"Effective date: {_ON_HELP}.")
]
OptionalOnOption = Annotated[
    str | None,
    typer.Option("--on", click_type=EFFECTIVE, help=f"The corrected date: {_ON_HELP}."),
]
ItemOption = Annotated[
    list[str],
    typer.Option(
        "--item", help="GOODS[:QUANTITY[:VALUE:CURRENCY]], e.g. 8516.60:1 or cash:1:500:USD."
    ),
]
_SOURCE_HELP = (
    "PUBLISHER|URL-OR-REFERENCE|PUBLISHED|GRADE[|LANGUAGE]: a URL, or where the source can be "
    "found in words (an informant, an interview, a notice on paper)"
)
SourceOption = Annotated[list[str], typer.Option("--source", help=f"{_SOURCE_HELP}; at least one.")]
OptionalSourceOption = Annotated[
    list[str] | None, typer.Option("--source", help=f"{_SOURCE_HELP}; none for a clerical one.")
]
RequestIdOption = Annotated[str | None, typer.Option(help="Reuse to retry safely.")]
ExpectedVersionOption = Annotated[
    int | None, typer.Option(help="Refuse unless the office is at this version.")
]
LogOption = Annotated[
    bool,
    typer.Option(
        "--log",
        help="Keep the question and its answer in the ledger's decision log; the decision's "
        "id is printed after the answer (see `ledger decisions show ID`).",
    ),
]
LabelOption = Annotated[
    str | None,
    typer.Option(
        help="A label kept with the logged decision, up to 200 characters, e.g. a case number "
        "(implies --log).",
        show_default=False,
    ),
]


def logged(log: bool, label: str | None) -> dict[str, Any]:
    """A question's request fields for --log and --label: a label logs the decision."""
    return {"log": log or label is not None, "label": label}


def as_of(known_at: str | None, position: int | None) -> dict[str, int]:
    """The request's log position, if asked; with --known-at too, a usage error."""
    if position is None:
        return {}
    if known_at is not None:
        raise Usage(
            "--known-at and --known-at-position both say what was known: give one, a time "
            "(--known-at 2025-03-20) or a log position (--known-at-position 4811)"
        )
    return {"known_at_position": position}


def as_known(known_at: str | None, basis: str, position: int | None) -> str:
    """How a title says what was known: at a time on a basis, or up to a position."""
    if position is not None:
        return f", as recorded up to position {position}"
    return f", as known at {known_at} ({basis})" if known_at else ""


def choice(enum: Any) -> click.Choice[str]:
    """The values of one of the API's enums, as the CLI takes them (``personal-baggage``)."""
    values = [enum_value(enum.DESCRIPTOR, number) for number in enum.values()]
    return click.Choice([str(value) for value in values if value is not None])


def _enum_option(enum: Any, help: str, *names: str) -> Any:
    return typer.Option(*names, click_type=choice(enum), help=help, show_default=True)


DirectionOption = Annotated[
    str, _enum_option(pb.Direction, "outbound leaves the office's country, inbound enters it.")
]
ChannelOption = Annotated[str, _enum_option(pb.Channel, "How goods cross.")]
TravellerOption = Annotated[str, _enum_option(pb.Traveller, "Who carries the goods.")]
BasisOption = Annotated[
    str,
    _enum_option(
        pb.Basis,
        "Knowledge basis: recorded (the ledger's own time) or reported (the sources').",
        "--basis",
    ),
]


class Reach(NamedTuple):
    """How to reach the server, besides its address: a token, and TLS."""

    token: str | None = None
    tls: bool = False
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None


def _reach(
    token: Annotated[
        str | None,
        typer.Option(
            envvar="LEDGER_TOKEN",
            show_default=False,
            help="Bearer token for a server that checks them (`ledger token new`).",
        ),
    ] = None,
    tls: Annotated[
        bool, typer.Option("--tls", envvar="LEDGER_TLS", help="TLS, trusting the system's CAs.")
    ] = False,
    tls_ca: Annotated[
        Path | None,
        typer.Option(envvar="LEDGER_TLS_CA", help="TLS, trusting the CA certificates in this PEM."),
    ] = None,
    tls_cert: Annotated[
        Path | None,
        typer.Option(envvar="LEDGER_CLIENT_TLS_CERT", help="Client certificate (PEM): mutual TLS."),
    ] = None,
    tls_key: Annotated[
        Path | None,
        typer.Option(envvar="LEDGER_CLIENT_TLS_KEY", help="The client certificate's key (PEM)."),
    ] = None,
) -> Reach:
    return Reach(token or None, tls, tls_ca, tls_cert, tls_key)


_REACH_OPTIONS = inspect.signature(_reach, eval_str=True).parameters
_reached: ContextVar[Reach] = ContextVar("reach")


def connects(command: Callable[..., None]) -> Callable[..., None]:
    """A command that talks to a server: it takes the connection options too (typer reads
    them from the signature), and ``connect`` connects with them; its errors are JSON when
    it is given ``--json``. Declared once here rather than repeated on every command."""

    @functools.wraps(command)
    def run(**options: Any) -> None:
        chosen = {name: options.pop(name) for name in _REACH_OPTIONS}
        reset = _reached.set(_reach(**chosen))
        as_json = errors_as_json(bool(options.get("as_json", False)))
        try:
            command(**options)
        finally:
            reset_errors(as_json)
            _reached.reset(reset)

    own = inspect.signature(command, eval_str=True)
    parameters = [*own.parameters.values(), *_REACH_OPTIONS.values()]
    run.__signature__ = own.replace(parameters=parameters)  # type: ignore[attr-defined]  # typer reads it
    return run


C = TypeVar("C", bound=Connection)


@overload
def connect(server: str) -> AbstractContextManager[Connection]: ...


@overload
def connect(server: str, kind: type[C]) -> AbstractContextManager[C]: ...


def connect(server: str, kind: type[Connection] = Connection) -> AbstractContextManager[Any]:
    """A connection (``kind``: ``Connection`` for plain data, ``LedgerClient`` for models)
    whose refusals exit with status 3, bad input caught before sending with 2, and a server
    not there or not answering with 4."""
    return _connect(server, kind)


@contextmanager
def _connect(server: str, kind: type[Connection]) -> Iterator[Connection]:
    reach = _reached.get(Reach())
    try:
        opened = kind(
            server,
            token=reach.token,
            tls=reach.tls,
            root_certificates=reach.tls_ca,
            client_cert=reach.tls_cert,
            client_key=reach.tls_key,
        )
    except (OSError, ValueError) as error:
        raise Usage(str(error)) from None
    with opened as connection:
        try:
            yield connection
        except LedgerClientError as error:
            if error.unreachable:
                raise Unreachable(connection.target, error) from None
            raise Refused.by_ledger(error) from None
        except ValueError as error:
            raise Usage(str(error)) from None
