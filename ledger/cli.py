"""The ``ledger`` command line.

Most commands talk to a ledger server through the client library (``--server`` or
``LEDGER_SERVER``, default ``127.0.0.1:50051``), with a token (``--token``, ``LEDGER_TOKEN``)
and TLS (``--tls-ca`` and the other ``--tls*`` options) when the server asks for them. Two
work on the database itself: ``serve`` runs the server, ``rebuild`` replays the log into a
fresh read model; ``token new`` makes a token for a server's tokens file. Human output by
default; ``--json`` prints machine-readable JSON.
"""

from __future__ import annotations

import functools
import inspect
import json
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from contextvars import ContextVar
from datetime import datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any, NamedTuple

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from ledger.application.commands import Command, RecordChange
from ledger.application.importer import parse_lines
from ledger.domain.errors import LedgerError
from ledger.domain.goods import format_goods
from ledger.domain.values import ChangeKind, Channel, Direction, Traveller
from ledger.readmodel.model import Basis
from ledger.settings import Settings
from ledger.tokens import Role, new_token, token_line
from ledger_client import (
    CheckResult,
    Digest,
    ExportedEvent,
    ItemResult,
    LedgerClient,
    LedgerClientError,
    Verdict,
    command_message,
)

__all__ = ["app", "main"]

app = typer.Typer(
    help="Customs policy ledger: what was allowed at which office, when, and what we knew then.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
# Piped output is not wrapped at 80 columns: tables stay one line per row.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)

_COLOURS = {
    Verdict.ALLOWED: "green",
    Verdict.LIMIT_EXCEEDED: "yellow",
    Verdict.PROHIBITED: "bold red",
    Verdict.UNCERTAIN: "magenta",
    Verdict.NO_RULE: "dim",
}
_VERBS = {
    ChangeKind.OBSERVED: "observe",
    ChangeKind.TIGHTENED: "tighten",
    ChangeKind.LOOSENED: "loosen",
}
_IMPORT_CHUNK = 200

ServerOption = Annotated[
    str,
    typer.Option("--server", envvar="LEDGER_SERVER", help="The ledger server, host:port."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
OfficeOption = Annotated[str, typer.Option("--office", help="Office code, e.g. CN-DANDONG.")]
AtOption = Annotated[datetime, typer.Option("--at", formats=["%Y-%m-%d"], help="Valid time.")]
DateOption = Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])]
KnownAtOption = Annotated[
    str | None,
    typer.Option(
        "--known-at",
        help="Knowledge time: a date (the end of that day, UTC) or an RFC 3339 timestamp.",
    ),
]
BasisOption = Annotated[Basis, typer.Option("--basis", help="Knowledge basis.")]
ItemOption = Annotated[
    list[str],
    typer.Option(
        "--item", help="GOODS[:QUANTITY[:VALUE:CURRENCY]], e.g. 8516.60:1 or cash:1:500:USD."
    ),
]
SourceOption = Annotated[
    list[str],
    typer.Option("--source", help="PUBLISHER|URL|PUBLISHED|GRADE[|LANGUAGE]; at least one."),
]


def main() -> None:
    app()


class Refused(typer.Exit):
    """A refusal, printed to standard error; the exit status is 2."""

    def __init__(self, message: str) -> None:
        errors.print(f"[red]error:[/red] {message}", highlight=False, markup=True)
        super().__init__(code=2)


class Connection(NamedTuple):
    """How to reach the server, besides its address: a token, and TLS."""

    token: str | None = None
    tls: bool = False
    tls_ca: Path | None = None
    tls_cert: Path | None = None
    tls_key: Path | None = None


def _connection_options(
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
) -> Connection:
    return Connection(token or None, tls, tls_ca, tls_cert, tls_key)


_CONNECTION_OPTIONS = inspect.signature(_connection_options, eval_str=True).parameters
_connection: ContextVar[Connection] = ContextVar("connection")


def _connects(command: Callable[..., None]) -> Callable[..., None]:
    """A command that talks to a server: it takes the connection options too, and ``_client``
    connects with them. Defined once here rather than repeated on every command."""

    @functools.wraps(command)
    def run(**options: Any) -> None:
        chosen = {name: options.pop(name) for name in _CONNECTION_OPTIONS}
        reset = _connection.set(_connection_options(**chosen))
        try:
            command(**options)
        finally:
            _connection.reset(reset)

    own = inspect.signature(command, eval_str=True)
    parameters = [*own.parameters.values(), *_CONNECTION_OPTIONS.values()]
    run.__signature__ = own.replace(parameters=parameters)  # type: ignore[attr-defined]  # typer reads it
    return run


@contextmanager
def _client(server: str) -> Iterator[LedgerClient]:
    """A client whose refusals (and bad input caught before sending) exit with status 2."""
    connection = _connection.get(Connection())
    try:
        opened = LedgerClient(
            server,
            token=connection.token,
            tls=connection.tls,
            root_certificates=connection.tls_ca,
            client_cert=connection.tls_cert,
            client_key=connection.tls_key,
        )
    except (OSError, ValueError) as error:
        raise Refused(str(error)) from None
    with opened as client:
        try:
            yield client
        except (LedgerClientError, ValueError) as error:
            raise _refusal(error) from None


def _refusal(error: LedgerClientError | ValueError) -> Refused:
    """A refusal by the server (its status and fields), or bad input caught before sending."""
    if not isinstance(error, LedgerClientError):
        return Refused(str(error))
    lines = [f"{error.code.name}: {error.message}"]
    lines += [f"  {field}: {text}" for field, text in error.fields if field not in error.message]
    return Refused("\n".join(lines))


def _print_json(value: BaseModel | list[Any] | dict[str, Any]) -> None:
    if isinstance(value, BaseModel):
        console.print_json(value.model_dump_json())
    else:
        console.print_json(json.dumps(value, default=str))


def _item(text: str) -> dict[str, Any]:
    goods, *rest = text.split(":")
    if len(rest) not in (0, 1, 3):
        raise typer.BadParameter(
            f"{text!r}: expected GOODS[:QUANTITY[:VALUE:CURRENCY]]", param_hint="--item"
        )
    item: dict[str, Any] = {"goods": goods}
    try:
        if rest:
            item["quantity"] = int(rest[0])
        if len(rest) == 3:
            item["value"], item["currency"] = str(Decimal(rest[1])), rest[2]
    except (ValueError, ArithmeticError):
        raise typer.BadParameter(
            f"{text!r}: quantity must be a whole number, value a decimal", param_hint="--item"
        ) from None
    return item


def _source(text: str) -> dict[str, str]:
    parts = text.split("|")
    if len(parts) not in (4, 5):
        raise typer.BadParameter(
            f"{text!r}: expected PUBLISHER|URL|PUBLISHED|GRADE[|LANGUAGE]", param_hint="--source"
        )
    return dict(zip(("publisher", "url", "published", "grade", "language"), parts, strict=False))


def _admissibility(text: str | None) -> dict[str, Any] | None:
    """prohibited | allowed | quantity-limit:N | value-limit:AMOUNT:CURRENCY"""
    if text is None:
        return None
    kind, *rest = text.split(":")
    if kind == "quantity-limit" and len(rest) == 1:
        return {"kind": kind, "quantity": int(rest[0]) if rest[0].isdigit() else rest[0]}
    if kind == "value-limit" and len(rest) == 2:
        return {"kind": kind, "amount": rest[0], "currency": rest[1]}
    if rest:
        raise typer.BadParameter(
            f"{text!r}: expected quantity-limit:N or value-limit:AMOUNT:CURRENCY",
            param_hint="--admissibility",
        )
    return {"kind": kind}


def _measure(
    admissibility: str | None, inspection: str | None, enforcement: str | None
) -> dict[str, Any] | None:
    measure = {
        "admissibility": _admissibility(admissibility),
        "inspection": inspection,
        "enforcement": enforcement,
    }
    stated = {key: value for key, value in measure.items() if value is not None}
    return stated or None


def _day(value: datetime | None) -> str | None:
    return None if value is None else value.date().isoformat()


# Commands that change the ledger.


@app.command()
@_connects
def register(
    office: OfficeOption,
    name: Annotated[str, typer.Option(help="Display name.")],
    crossing: Annotated[
        list[str], typer.Option(help="COUNTERPART|MODE (road, rail, bridge, ferry, air).")
    ] = [],  # noqa: B006 - typer reads the default
    request_id: Annotated[str | None, typer.Option(help="Reuse to retry safely.")] = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Register a customs office."""
    crossings = [
        dict(zip(("counterpart", "mode"), c.split("|", 1), strict=False)) for c in crossing
    ]
    with _client(server) as client:
        receipt = client.register_office(office, name, crossings, request_id=request_id)
    _print_receipt(receipt, as_json)


@app.command()
@_connects
def record(
    kind: Annotated[ChangeKind, typer.Argument(help="observed, tightened or loosened.")],
    office: OfficeOption,
    direction: Annotated[Direction, typer.Option()],
    channel: Annotated[Channel, typer.Option()],
    goods: Annotated[str, typer.Option(help="An HS code or a category.")],
    on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Effective date.")],
    source: SourceOption,
    traveller: Annotated[Traveller, typer.Option()] = Traveller.ANY,
    precision: Annotated[str, typer.Option(help="day, early-month, ..., year.")] = "day",
    admissibility: Annotated[
        str | None,
        typer.Option(help="prohibited, allowed, quantity-limit:N, value-limit:AMOUNT:CUR."),
    ] = None,
    inspection: Annotated[str | None, typer.Option()] = None,
    enforcement: Annotated[str | None, typer.Option()] = None,
    note: str = "",
    expected_version: Annotated[
        int | None, typer.Option(help="Refuse unless the office is at this version.")
    ] = None,
    request_id: Annotated[str | None, typer.Option(help="Reuse to retry safely.")] = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Record an observation, a tightening or a loosening."""
    with _client(server) as client:
        receipt = client.record(
            kind.value,
            office,
            scope={
                "direction": direction,
                "channel": channel,
                "traveller": traveller,
                "goods": goods,
            },
            measure=_measure(admissibility, inspection, enforcement) or {},
            effective={"on": _day(on), "precision": precision},
            sources=[_source(text) for text in source],
            note=note,
            expected_version=expected_version,
            request_id=request_id,
        )
    _print_receipt(receipt, as_json)


@app.command()
@_connects
def amend(
    office: OfficeOption,
    change: Annotated[str, typer.Option(help="The change id.")],
    reason: Annotated[str, typer.Option()],
    source: SourceOption,
    on: DateOption = None,
    precision: Annotated[str, typer.Option()] = "day",
    admissibility: Annotated[str | None, typer.Option()] = None,
    inspection: Annotated[str | None, typer.Option()] = None,
    enforcement: Annotated[str | None, typer.Option()] = None,
    expected_version: Annotated[int | None, typer.Option()] = None,
    request_id: Annotated[str | None, typer.Option()] = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Correct an earlier change's effective date or measure."""
    effective = None if on is None else {"on": _day(on), "precision": precision}
    with _client(server) as client:
        receipt = client.amend(
            office,
            change,
            reason=reason,
            sources=[_source(text) for text in source],
            effective=effective,
            measure=_measure(admissibility, inspection, enforcement),
            expected_version=expected_version,
            request_id=request_id,
        )
    _print_receipt(receipt, as_json)


@app.command()
@_connects
def retract(
    office: OfficeOption,
    change: Annotated[str, typer.Option(help="The change id.")],
    reason: Annotated[str, typer.Option()],
    source: SourceOption,
    expected_version: Annotated[int | None, typer.Option()] = None,
    request_id: Annotated[str | None, typer.Option()] = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Withdraw an earlier change."""
    with _client(server) as client:
        receipt = client.retract(
            office,
            change,
            reason=reason,
            sources=[_source(text) for text in source],
            expected_version=expected_version,
            request_id=request_id,
        )
    _print_receipt(receipt, as_json)


@app.command("import")
@_connects
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A JSONL file.")],
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Validate a JSONL file of commands, then store it whole through the API, or nothing."""
    try:
        with file.open(encoding="utf-8") as text:
            numbered = parse_lines(text)
    except LedgerError as refused:
        raise Refused(f"{file} refused, nothing stored:\n{refused}") from None
    messages = [_message(command) for _, command in numbered]
    with _client(server) as client, Progress(console=errors, transient=True) as progress:
        task = progress.add_task(f"importing {file.name}", total=len(messages))
        try:
            result = client.import_commands(
                messages,
                chunk=_IMPORT_CHUNK,
                progress=lambda sent: progress.advance(task, sent),
            )
        except LedgerClientError as error:
            lines = [f"line {_line(numbered, field)}: {text}" for field, text in error.fields]
            raise Refused(
                f"{file} refused, nothing stored:\n" + "\n".join(lines or [error.message])
            ) from None
    if as_json:
        _print_json([receipt.model_dump(mode="json") for receipt in result.receipts])
    else:
        console.print(f"{file}: {len(result.receipts)} commands, {result.stored} new events stored")


def _message(command: Command) -> Any:
    data = command.model_dump(mode="json")
    if isinstance(command, RecordChange):
        return command_message(_VERBS[command.kind], data)
    name = {"RegisterOffice": "register", "AmendChange": "amend", "RetractChange": "retract"}
    return command_message(name[type(command).__name__], data)


def _line(numbered: list[tuple[int, Command]], field: str) -> str:
    """``commands[3].tighten.change.scope`` → the line number of command 3, and the field."""
    if field.startswith("commands["):
        index = int(field[len("commands[") : field.index("]")])
        if 0 <= index < len(numbered):
            return str(numbered[index][0])
    return "?"


# Questions.


@app.command()
@_connects
def offices(server: ServerOption = "127.0.0.1:50051", as_json: JsonOption = False) -> None:
    """The registered offices."""
    with _client(server) as client:
        rows = client.list_offices()
    if as_json:
        _print_json([row.model_dump(mode="json") for row in rows])
        return
    table = Table(title="offices")
    for column in ("code", "name", "version", "changes", "crossings"):
        table.add_column(column)
    for row in rows:
        crossings = ", ".join(f"{c.counterpart} ({c.mode})" for c in row.crossings)
        table.add_row(row.code, row.name, str(row.version), str(row.changes), crossings)
    console.print(table)


def _question(
    at: datetime,
    direction: Direction,
    channel: Channel,
    traveller: Traveller,
    items: list[str],
    known_at: str | None,
    basis: Basis,
) -> dict[str, Any]:
    """What a check and a comparison both ask, as the client takes it."""
    return {
        "at": _day(at),
        "direction": direction,
        "channel": channel,
        "traveller": traveller,
        "items": [_item(text) for text in items],
        "known_at": known_at,
        "basis": basis,
    }


@app.command()
@_connects
def check(
    office: OfficeOption,
    at: AtOption,
    direction: Annotated[Direction, typer.Option()],
    channel: Annotated[Channel, typer.Option()],
    item: ItemOption,
    traveller: Annotated[Traveller, typer.Option()] = Traveller.ANY,
    known_at: KnownAtOption = None,
    basis: BasisOption = Basis.RECORDED,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Was this allowed at that office on that date, as known then?"""
    question = _question(at, direction, channel, traveller, item, known_at, basis)
    with _client(server) as client:
        result = client.check(office, **question)
    if as_json:
        _print_json(result)
    else:
        title = f"{result.office} on {_day(at)}" + (
            f", as known at {known_at} ({basis})" if known_at else ""
        )
        console.print(_check_table(title, result))


@app.command()
@_connects
def compare(
    office: Annotated[list[str], typer.Option(help="Office codes to compare (repeat).")],
    at: AtOption,
    direction: Annotated[Direction, typer.Option()],
    channel: Annotated[Channel, typer.Option()],
    item: ItemOption,
    traveller: Annotated[Traveller, typer.Option()] = Traveller.ANY,
    known_at: KnownAtOption = None,
    basis: BasisOption = Basis.RECORDED,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """The same check across offices, least restrictive first."""
    question = _question(at, direction, channel, traveller, item, known_at, basis)
    with _client(server) as client:
        result = client.compare(office, **question)
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"{direction} {channel} {traveller} on {_day(at)}, least restrictive first")
    for column in ("rank", "office", "verdicts", "inspection", "enforcement"):
        table.add_column(column)
    for ranking in result.rankings:
        items = ranking.items
        table.add_row(
            str(ranking.rank),
            ranking.office,
            ", ".join(f"[{_COLOURS[i.verdict]}]{i.verdict}[/]" for i in items),
            ", ".join(i.inspection or "-" for i in items),
            ", ".join(i.enforcement or "-" for i in items),
        )
    console.print(table)


@app.command()
@_connects
def state(
    office: OfficeOption,
    at: AtOption,
    known_at: KnownAtOption = None,
    basis: BasisOption = Basis.RECORDED,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Every scope's rule at an office on a date, as known then."""
    with _client(server) as client:
        result = client.rule_state(office, _day(at), known_at=known_at, basis=basis)
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"{result.office} on {result.at}")
    for column in ("scope", "admissibility", "inspection", "enforcement"):
        table.add_column(column)
    for scope in result.scopes:
        s = scope.scope
        for number, rule in enumerate(scope.states):
            label = f"{s.direction}/{s.channel}/{s.traveller}/{format_goods(s.goods)}"
            if scope.uncertain:
                label = (
                    (label + "  [magenta]uncertain:[/] not yet in force")
                    if number == 0
                    else "  if in force"
                )
            admissible = rule.admissibility
            table.add_row(
                label,
                "-" if admissible is None else _admissible_text(admissible.model_dump()),
                rule.inspection or "-",
                rule.enforcement or "-",
            )
    console.print(table)


@app.command()
@_connects
def history(
    office: OfficeOption,
    valid_from: DateOption = None,
    valid_to: DateOption = None,
    known_at: KnownAtOption = None,
    basis: BasisOption = Basis.RECORDED,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Everything recorded for an office, with its sources, filtered on both time axes."""
    with _client(server) as client:
        events = list(
            client.history(
                office,
                valid_from=_day(valid_from),
                valid_to=_day(valid_to),
                known_at=known_at,
                basis=basis,
            )
        )
    if as_json:
        _print_json(
            [
                {**e.model_dump(mode="json", exclude={"event_json"}), "event": e.event}
                for e in events
            ]
        )
        return
    table = Table(title=f"history of {office}")
    for column in ("v", "event", "recorded", "reported", "what"):
        table.add_column(column)
    for entry in events:
        table.add_row(
            str(entry.office_version),
            entry.type,
            entry.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(entry.reported_on or ""),
            _what(entry.event),
        )
    console.print(table)


@app.command()
@_connects
def watch(
    after: Annotated[
        int, typer.Option(help="Start after this global position (0: the beginning).")
    ] = 0,
    count: Annotated[int | None, typer.Option(help="Stop after this many events.")] = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Follow the log: past events, then new ones as they are recorded (Ctrl-C stops)."""
    with _client(server) as client, suppress(KeyboardInterrupt):
        for number, event in enumerate(client.watch(after), start=1):
            if as_json:
                data = {
                    **event.model_dump(mode="json", exclude={"event_json"}),
                    "event": event.event,
                }
                print(json.dumps(data), flush=True)
            else:
                console.print(
                    f"{event.position:>8} {event.office:<14} v{event.office_version:<4} "
                    f"{event.type:<18} {_what(event.event)}"
                )
            if count is not None and number >= count:
                break


@app.command()
@_connects
def digest(server: ServerOption = "127.0.0.1:50051", as_json: JsonOption = False) -> None:
    """The ledger digest now, POSITION:ROOT: pin it, and check the ledger against it later."""
    with _client(server) as client:
        current = client.get_digest()
    if as_json:
        _print_json(current)
    else:
        console.print(str(current), highlight=False)


@app.command()
@_connects
def audit(
    store: Annotated[bool, typer.Option("--store", help="Read the database itself.")] = False,
    remote: Annotated[
        bool, typer.Option("--remote", help="Replay the server's log here, trusting nothing.")
    ] = False,
    expect_digest: Annotated[
        str | None,
        typer.Option(help="POSITION:ROOT pinned earlier: the log must still lead to it."),
    ] = None,
    sample: Annotated[
        int, typer.Option(min=0, help="Dates per office at which to compare rule states.")
    ] = 20,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Replay the whole history and check nobody rewrote it; exit status 0 only if all holds."""
    if store == remote:
        raise Refused("say where to audit: --store (the database) or --remote (a server)")
    if store:
        _audit_store(expect_digest, as_json)
    else:
        _audit_remote(server, expect_digest, sample, as_json)


def _audit_store(expect_digest: str | None, as_json: bool) -> None:
    from ledger.audit.store import audit_store

    if expect_digest is not None:
        raise Refused("--expect-digest checks a server's log: use it with --remote")
    with Progress(console=errors, transient=True) as progress:
        task = progress.add_task("replaying the store", total=None)
        try:
            report = audit_store(
                Settings(), lambda done, total: progress.update(task, completed=done, total=total)
            )
        except LedgerError as error:
            raise Refused(str(error)) from None
    if as_json:
        _print_json(report)
    else:
        table = Table(title=f"store audit: {report.events} events, {report.offices} offices")
        table.add_column("check")
        table.add_column("result")
        for name, passed in report.checks.items():
            table.add_row(name, "[green]holds[/]" if passed else "[bold red]broken[/]")
        console.print(table)
        console.print(f"digest {report.digest.position}:{report.digest.root}", highlight=False)
        for finding in report.findings[:20]:
            where = ", ".join(
                f"{k} {v}"
                for k, v in (
                    ("position", finding.position),
                    ("office", finding.office),
                    ("version", finding.version),
                )
                if v is not None
            )
            console.print(f"[red]{finding.check}[/]: {where}: {finding.what}", highlight=False)
        if report.findings_total > 20:
            console.print(f"... and {report.findings_total - 20} more")
    if not report.ok:
        raise typer.Exit(code=1)


def _audit_remote(server: str, expect_digest: str | None, sample: int, as_json: bool) -> None:
    from ledger.audit.remote import compare_rule_states

    try:
        pinned = None if expect_digest is None else Digest.parse(expect_digest)
    except ValueError as error:
        raise Refused(f"--expect-digest: expected POSITION:ROOT ({error})") from None
    events: list[ExportedEvent] = []
    with _client(server) as client:
        with Progress(console=errors, transient=True) as progress:
            task = progress.add_task(
                "replaying the server's log", total=client.get_digest().position
            )

            def seen(event: ExportedEvent) -> None:
                events.append(event)
                progress.advance(task)

            result = client.audit(expect=pinned, progress=seen)
        compared, problems = (
            compare_rule_states(events, client.rule_state, sample) if result.ok else (0, [])
        )
    ok = result.ok and not problems
    if as_json:
        _print_json(
            {
                **result.model_dump(mode="json"),
                "ok": ok,
                "rule_states_compared": compared,
                "problems": [*result.problems, *problems],
            }
        )
    else:
        verdict = "[green]holds[/]" if ok else "[bold red]broken[/]"
        console.print(f"remote audit of {server}: {verdict}")
        console.print(
            f"{result.events} events, {result.offices} offices; digest {result.digest}",
            highlight=False,
        )
        if pinned is not None:
            console.print(f"pinned digest {pinned}: {'reached' if result.ok else 'NOT reached'}")
        console.print(f"rule states compared with the server's: {compared}")
        for problem in [*result.problems, *problems][:20]:
            console.print(f"[red]problem[/]: {problem}", highlight=False)
    if not ok:
        raise typer.Exit(code=1)


# The database itself.


@app.command()
def serve(
    example: Annotated[
        Path | None,
        typer.Option(
            exists=True,
            dir_okay=False,
            help="Import this JSONL file when starting on an empty ledger.",
        ),
    ] = None,
) -> None:
    """Run the gRPC server (LEDGER_LISTEN, LEDGER_DATABASE_URL) until SIGTERM or SIGINT."""
    from ledger.server.serve import serve as run_server

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    settings = Settings()
    if example is not None:
        settings = settings.model_copy(update={"example": str(example)})
    try:
        run_server(settings)
    except (ValidationError, LedgerError, RuntimeError, OSError) as error:
        raise Refused(str(error)) from None


@app.command()
def rebuild() -> None:
    """Replay the whole log into a fresh read model (on LEDGER_DATABASE_URL, server stopped)."""
    from ledger.bootstrap import Ledger

    with Ledger(Settings()) as ledger:
        replayed = ledger.rebuild()
    console.print(f"read model rebuilt from {replayed} events")


# Tokens.

token_app = typer.Typer(help="Bearer tokens for a server's tokens file.", no_args_is_help=True)
app.add_typer(token_app, name="token")


@token_app.command("new")
def token_new(
    role: Annotated[Role, typer.Option(help="What the token may do.")],
    name: Annotated[str, typer.Option(help="Who holds it, for the server's messages.")] = "",
    as_json: JsonOption = False,
) -> None:
    """A fresh random token, and the line for the server's LEDGER_TOKENS_FILE (its hash only)."""
    name = name.strip()
    if ";" in name or "\n" in name:
        raise Refused("--name: one line, without ; (it separates the entries of LEDGER_TOKENS)")
    token = new_token()
    line = token_line(role, token, name)
    if as_json:
        _print_json({"role": role.value, "name": name, "token": token, "line": line})
        return
    errors.print("The token, for its holder (--token or LEDGER_TOKEN); it is not kept anywhere:")
    print(token)
    errors.print("The line for the server's tokens file (LEDGER_TOKENS_FILE or LEDGER_TOKENS):")
    print(line)


# Human output.


def _print_receipt(receipt: BaseModel, as_json: bool) -> None:
    if as_json:
        _print_json(receipt)
    else:
        data = receipt.model_dump()
        console.print(
            f"recorded {data['change_id']} at {data['office']} v{data['office_version']}, "
            f"position {data['position']}, {data['recorded_at']:%Y-%m-%d %H:%M:%S} UTC"
        )


def _check_table(title: str, result: CheckResult) -> Table:
    table = Table(title=title)
    for column in ("item", "verdict", "inspection", "enforcement", "because", "sources"):
        table.add_column(column)
    for item in result.items:
        table.add_row(
            f"{format_goods(item.item.goods)} x{item.item.quantity}",
            f"[{_COLOURS[item.verdict]}]{item.verdict}[/]",
            item.inspection or "-",
            item.enforcement or "-",
            _because(item),
            "\n".join(f"{s.publisher} {s.published} {s.grade}" for s in item.sources),
        )
    return table


def _because(item: ItemResult) -> str:
    reasons = []
    for candidate in item.candidates:
        rule = next((r for r in candidate.rulings if r.dimension == "admissibility"), None)
        where = (
            f" ({rule.kind} from {rule.effective.on}, {rule.effective.precision})" if rule else ""
        )
        reasons.append(candidate.reason + where)
    return "\n".join(reasons)


def _admissible_text(admissibility: dict[str, Any]) -> str:
    if admissibility.get("quantity") is not None:
        return f"at most {admissibility['quantity']}"
    if admissibility.get("amount") is not None:
        return f"at most {admissibility['amount']} {admissibility['currency']}"
    return str(admissibility["kind"])


def _what(event: dict[str, Any]) -> str:
    scope = event.get("scope")
    effective = event.get("effective")
    parts = [
        f"{scope['direction']}/{scope['channel']}/{scope['traveller']}/{format_goods(scope['goods'])}"
        if scope
        else "",
        f"from {effective['on']} ({effective['precision']})" if effective else "",
        str(event.get("reason") or event.get("note") or event.get("name") or ""),
    ]
    return " ".join(part for part in parts if part)
