"""Commands that change the ledger: register, record, amend, retract, import.

Each write goes out under a request id, which the ledger stores once: a command's own
(``--request-id``, else a fresh one made here, before sending), and each line of an import
file's, derived from its ``ref`` or its content. So when the server does not answer (the
connection dropped, the server died), the command says the outcome is unknown and how to send
the same write again, and a retry stores whatever was not stored, once.

A change is named by its id or a unique prefix of it, as ``ledger history`` shows it
(``ledger.cli.changes``). An amendment's receipt comes with the change before and after it.
"""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Annotated, Any

import click
import typer
from click.core import ParameterSource

from ledger.cli import changes, parse, render
from ledger.cli.failures import OutcomeUnknown, Refused, Usage, unanswered
from ledger.cli.options import (
    ChannelOption,
    DirectionOption,
    ExpectedVersionOption,
    JsonOption,
    OfficeOption,
    OnOption,
    OptionalOnOption,
    OptionalSourceOption,
    RequestIdOption,
    ServerOption,
    SourceOption,
    TravellerOption,
    choice,
    connect,
    connects,
)
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_client.connection import Connection, command_message, new_request_id
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
ChangeOption = Annotated[
    str,
    typer.Option(
        help="The change id, or a unique prefix of it (at least 4 hex digits), as "
        "`ledger history` shows it."
    ),
]
# The method that sends each command, by its verb: the one whose request is the command's.
_REQUESTS = {
    method.input_type.full_name: method.name
    for method in pb.DESCRIPTOR.services_by_name["PolicyLedger"].methods
}
_RPCS = {
    verb: _REQUESTS[field.message_type.full_name]
    for verb, field in pb.Command.DESCRIPTOR.fields_by_name.items()
    if field.message_type is not None
}


def _change(connection: Connection, office: str, text: str) -> str:
    """The change ``text`` names at ``office`` (a prefix is looked up; see ``changes``): one
    the office does not have is refused as the ledger refuses an unknown id; an ambiguous
    prefix is the caller's to lengthen."""
    try:
        return changes.resolve(connection, office, text)
    except changes.UnknownChange as unknown:
        raise Refused(str(unknown), "NOT_FOUND") from None
    except changes.AmbiguousChange as ambiguous:
        raise Usage(str(ambiguous)) from None


def _send(server: str, verb: str, data: dict[str, Any], as_json: bool) -> None:
    given = data.get("request_id")
    # Chosen here rather than by the client, so that it can be shown when no answer comes.
    request_id = given or new_request_id()
    same = "the same " if given else ""
    again = f"again with {same}--request-id {request_id}"
    retry = (
        f"Run the same command {again}: the ledger stores a request id once, and answers "
        "a retry of a stored one with its first receipt."
    )
    doubt = "the command may have been stored, or not"
    with connect(server) as connection:
        if data.get("change_id"):
            data = {**data, "change_id": _change(connection, data["office"], data["change_id"])}
        message = command_message(verb, {**data, "request_id": request_id})
        with unanswered(doubt, retry):
            reply = connection.call(_RPCS[verb], getattr(message, verb))
    receipt = reply["receipt"]
    if as_json:
        from ledger_client.models import Receipt

        render.print_json(Receipt.model_validate(receipt))
        return
    render.console.print(render.receipt_line(receipt))
    if "before" in reply and "after" in reply:
        render.console.print(render.amendment_table(reply["before"], reply["after"]))


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
    on: OnOption,
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
        "effective": parse.effective(on, precision),
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
    on: OptionalOnOption = None,
    precision: PrecisionOption = "day",
    admissibility: AdmissibilityOption = None,
    inspection: InspectionOption = None,
    enforcement: EnforcementOption = None,
    clear: Annotated[
        list[str] | None,
        typer.Option(
            click_type=choice(pb.Dimension),
            help="A dimension the change no longer states (repeatable).",
        ),
    ] = None,
    expected_version: ExpectedVersionOption = None,
    request_id: RequestIdOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Correct an earlier change: its effective date, the dimensions given (the others stay
    as they were), or --clear a dimension."""
    data = {
        "office": office,
        "change_id": change,
        "reason": reason,
        "sources": [parse.source(text) for text in source],
        "effective": parse.effective(on, precision),
        "measure": parse.measure(admissibility, inspection, enforcement),
        "clear": list(clear or ()),
        "expected_version": expected_version,
        "request_id": request_id,
    }
    _send(server, "amend", data, as_json)


@connects
def retract(
    office: OfficeOption,
    change: ChangeOption,
    reason: Annotated[str, typer.Option(help="Why the change is withdrawn.")],
    source: OptionalSourceOption = None,
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
        "sources": [parse.source(text) for text in source or ()],
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
            if not error.refused and not unreadable:
                raise _unknown(error, server, file) from None
            named = [(n, text) for n, text in _lines(lines, error.fields) if n not in unreadable]
            found = sorted([*named, *unreadable.items()], key=lambda entry: entry[0])
            reasons = [f"line {number}: {text}" for number, text in found]
            if not error.refused:
                # The batch held lines the server refuses whatever else it does with it.
                reasons.append(f"(the server did not answer, {error}: other lines unchecked)")
            raise Refused(
                f"{file} refused, nothing stored:\n" + "\n".join(reasons or [error.message])
            ) from None


def _unknown(error: LedgerClientError, server: str, file: Path) -> OutcomeUnknown:
    """An import the server may have stored: its request ids are the file's own, so the same
    import again stores what is missing and recognises what is not."""
    again = ["ledger", "import", str(file.resolve())]
    context = click.get_current_context(silent=True)
    if (
        context is not None
        and context.get_parameter_source("server") is ParameterSource.COMMANDLINE
    ):
        again += ["--server", server]
    return OutcomeUnknown(
        error,
        f"{file} may have been stored (whole), or not (nothing of it)",
        "Run the same import again, with the file unchanged: each line's request id comes "
        "from its ref or its content, so lines already stored are recognised and not stored "
        'twice ("0 new events stored" then says the first import went through):\n'
        f"  {shlex.join(again)}",
    )


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
