"""Commands that change the ledger: register, record, amend, retract, import."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Annotated, Any

import typer

from ledger.cli import parse, render
from ledger.cli.options import (
    ChannelOption,
    DirectionOption,
    ExpectedVersionOption,
    JsonOption,
    OfficeOption,
    Refused,
    RequestIdOption,
    ServerOption,
    SourceOption,
    TravellerOption,
    choice,
    connect,
    connects,
)
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_client.connection import command_message
from ledger_client.errors import LedgerClientError

__all__ = ["COMMANDS"]

_IMPORT_CHUNK = 200
_VERBS = {"observed": "observe", "tightened": "tighten", "loosened": "loosen"}
AdmissibilityOption = Annotated[
    str | None,
    typer.Option(help="prohibited, allowed, quantity-limit:N, value-limit:AMOUNT:CUR."),
]
InspectionOption = Annotated[str | None, typer.Option(click_type=choice(pb.Inspection))]
EnforcementOption = Annotated[str | None, typer.Option(click_type=choice(pb.Enforcement))]
PrecisionOption = Annotated[
    str, typer.Option(click_type=choice(pb.Precision), help="How precisely the date is known.")
]
ChangeOption = Annotated[str, typer.Option(help="The change id.")]


def _send(server: str, verb: str, data: dict[str, Any], as_json: bool) -> None:
    with connect(server) as connection:
        receipt = connection.send(verb, data)
    if as_json:
        from ledger_client.models import Receipt

        render.print_json(Receipt.model_validate(receipt))
    else:
        render.console.print(render.receipt_line(receipt))


@connects
def register(
    office: OfficeOption,
    name: Annotated[str, typer.Option(help="Display name.")],
    crossing: Annotated[
        list[str], typer.Option(help="COUNTERPART|MODE (road, rail, bridge, ferry, air).")
    ] = [],  # noqa: B006 - typer reads the default
    request_id: RequestIdOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Register a customs office."""
    crossings = [parse.crossing(text) for text in crossing]
    data = {"office": office, "name": name, "crossings": crossings, "request_id": request_id}
    _send(server, "register", data, as_json)


@connects
def record(
    kind: Annotated[
        str, typer.Argument(click_type=choice(pb.ChangeKind), help="What the change claims.")
    ],
    office: OfficeOption,
    direction: DirectionOption,
    channel: ChannelOption,
    goods: Annotated[str, typer.Option(help="An HS code or a category.")],
    on: Annotated[datetime, typer.Option(formats=["%Y-%m-%d"], help="Effective date.")],
    source: SourceOption,
    traveller: TravellerOption = "any",
    precision: PrecisionOption = "day",
    admissibility: AdmissibilityOption = None,
    inspection: InspectionOption = None,
    enforcement: EnforcementOption = None,
    note: str = "",
    expected_version: ExpectedVersionOption = None,
    request_id: RequestIdOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Record an observation, a tightening or a loosening."""
    data = {
        "office": office,
        "scope": {
            "direction": direction,
            "channel": channel,
            "traveller": traveller,
            "goods": goods,
        },
        "measure": parse.measure(admissibility, inspection, enforcement) or {},
        "effective": {"on": parse.day(on), "precision": precision},
        "sources": [parse.source(text) for text in source],
        "note": note,
        "expected_version": expected_version,
        "request_id": request_id,
    }
    _send(server, _VERBS[kind], data, as_json)


@connects
def amend(
    office: OfficeOption,
    change: ChangeOption,
    reason: Annotated[str, typer.Option(help="Why the change is corrected.")],
    source: SourceOption,
    on: Annotated[
        datetime | None, typer.Option(formats=["%Y-%m-%d"], help="The corrected date.")
    ] = None,
    precision: PrecisionOption = "day",
    admissibility: AdmissibilityOption = None,
    inspection: InspectionOption = None,
    enforcement: EnforcementOption = None,
    expected_version: ExpectedVersionOption = None,
    request_id: RequestIdOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Correct an earlier change's effective date or measure."""
    data = {
        "office": office,
        "change_id": change,
        "reason": reason,
        "sources": [parse.source(text) for text in source],
        "effective": None if on is None else {"on": parse.day(on), "precision": precision},
        "measure": parse.measure(admissibility, inspection, enforcement),
        "expected_version": expected_version,
        "request_id": request_id,
    }
    _send(server, "amend", data, as_json)


@connects
def retract(
    office: OfficeOption,
    change: ChangeOption,
    reason: Annotated[str, typer.Option(help="Why the change is withdrawn.")],
    source: SourceOption,
    expected_version: ExpectedVersionOption = None,
    request_id: RequestIdOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Withdraw an earlier change."""
    data = {
        "office": office,
        "change_id": change,
        "reason": reason,
        "sources": [parse.source(text) for text in source],
        "expected_version": expected_version,
        "request_id": request_id,
    }
    _send(server, "retract", data, as_json)


@connects
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A JSONL file.")],
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Store a JSONL file of commands whole, or nothing (naming every bad line)."""
    from ledger_api.commands import read_lines

    with file.open(encoding="utf-8") as text:
        read, errors = read_lines(text)
    unreadable = dict(errors)
    if 0 in unreadable:
        raise Refused(f"{file} refused, nothing stored: {unreadable[0]}")
    # A line that is no command still takes its place in the batch, as an empty command the
    # server refuses: nothing is stored, and the server names every other bad line too.
    lines: list[int] = sorted([*(command.line for command in read), *unreadable])
    commands = {command.line: command for command in read}
    messages = []
    for number in lines:
        try:
            found = commands.get(number)
            messages.append(
                pb.Command() if found is None else command_message(found.verb, found.data)
            )
        except ValueError as error:
            unreadable[number] = str(error)
            messages.append(pb.Command())
    result = _import(server, file, lines, messages, unreadable)
    if as_json:
        from ledger_client.commands import ImportResult

        receipts = ImportResult.model_validate(result).receipts
        render.print_json([receipt.model_dump(mode="json") for receipt in receipts])
    else:
        count, stored = len(result.get("receipts", ())), result.get("stored", 0)
        render.console.print(f"{file}: {count} commands, {stored} new events stored")


def _import(
    server: str,
    file: Path,
    lines: list[int],
    messages: list[pb.Command],
    unreadable: dict[int, str],
) -> dict[str, Any]:
    from rich.progress import Progress

    with connect(server) as connection, Progress(console=render.errors, transient=True) as bar:
        task = bar.add_task(f"importing {file.name}", total=len(messages))
        try:
            return connection.import_batch(
                messages, chunk=_IMPORT_CHUNK, progress=lambda sent: bar.advance(task, sent)
            )
        except LedgerClientError as error:
            named = [(n, text) for n, text in _lines(lines, error.fields) if n not in unreadable]
            found = sorted([*named, *unreadable.items()], key=lambda entry: entry[0])
            reasons = [f"line {number}: {text}" for number, text in found]
            raise Refused(
                f"{file} refused, nothing stored:\n" + "\n".join(reasons or [error.message])
            ) from None


def _lines(lines: list[int], fields: list[tuple[str, str]]) -> list[tuple[int, str]]:
    """``commands[3].tighten.change.scope.goods`` → command 3's line, and ``change.scope.goods``
    with what is wrong with it."""
    found = []
    for field, text in fields:
        if field.startswith("commands["):
            index = int(field[len("commands[") : field.index("]")])
            if 0 <= index < len(lines):
                path = field.split(".", 2)[2] if field.count(".") >= 2 else ""
                found.append((lines[index], f"{path}: {text}" if path else text))
    return found


COMMANDS = {
    "register": register,
    "record": record,
    "amend": amend,
    "retract": retract,
    "import": import_,
}
