"""The ``ledger`` command line: import, check, compare, state, history and rebuild.

It opens the ledger in-process on ``LEDGER_DATABASE_URL`` (default ``sqlite:///var/ledger.sqlite``).
Human output by default; ``--json`` prints machine-readable JSON.
"""

from __future__ import annotations

import json
import sys
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console
from rich.table import Table

from ledger.domain.goods import format_goods
from ledger.domain.office import LedgerError
from ledger.domain.values import Channel, Direction, Traveller
from ledger.importer import import_file
from ledger.queries import (
    CheckItem,
    CheckRequest,
    CheckResult,
    CompareRequest,
    StateRequest,
    Verdict,
)
from ledger.readmodel import Basis
from ledger.service import Ledger
from ledger.settings import Settings

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

JsonOption = Annotated[bool, typer.Option("--json", help="Print machine-readable JSON.")]
AtOption = Annotated[datetime, typer.Option("--at", formats=["%Y-%m-%d"], help="Valid time.")]
KnownAtOption = Annotated[
    datetime | None,
    typer.Option(
        "--known-at",
        formats=["%Y-%m-%d", "%Y-%m-%dT%H:%M:%S%z", "%Y-%m-%dT%H:%M:%S"],
        help="Knowledge time: only what was known then (a date means the end of that day, UTC).",
    ),
]
BasisOption = Annotated[Basis, typer.Option("--basis", help="Knowledge basis.")]
ItemOption = Annotated[
    list[str],
    typer.Option(
        "--item", help="GOODS[:QUANTITY[:VALUE:CURRENCY]], e.g. 8516.60:1 or luxury:1:500:USD."
    ),
]


def main() -> None:
    app()


def _open() -> Ledger:
    return Ledger(Settings())


def _fail(message: str) -> typer.Exit:
    errors.print(f"[red]error:[/red] {message}", highlight=False)
    return typer.Exit(code=2)


def _print_json(value: BaseModel | list[Any]) -> None:
    if isinstance(value, BaseModel):
        console.print_json(value.model_dump_json())
    else:
        console.print_json(json.dumps(value, default=str))


def _item(text: str) -> CheckItem:
    goods, *rest = text.split(":")
    fields: dict[str, Any] = {"goods": goods}
    if rest:
        fields["quantity"] = rest[0]
    if len(rest) == 3:
        fields["value"], fields["currency"] = Decimal(rest[1]), rest[2]
    elif len(rest) not in (0, 1):
        raise typer.BadParameter(f"{text!r}: expected GOODS[:QUANTITY[:VALUE:CURRENCY]]")
    return CheckItem.model_validate(fields)


def _known(known_at: datetime | None) -> date | datetime | None:
    if known_at is None:
        return None
    return (
        known_at.date()
        if known_at.time() == datetime.min.time() and known_at.tzinfo is None
        else known_at
    )


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="A JSONL file.")],
    as_json: JsonOption = False,
) -> None:
    """Validate a JSONL file of commands, then store it whole, or nothing."""
    with _open() as ledger:
        try:
            before = ledger.app.recorder.max_notification_id() or 0
            receipts = import_file(ledger.app, file)
            stored = (ledger.app.recorder.max_notification_id() or 0) - before
        except LedgerError as refused:
            raise _fail(f"{file} refused, nothing stored:\n{refused}") from None
    if as_json:
        _print_json([receipt.model_dump(mode="json") for receipt in receipts])
    else:
        console.print(f"{file}: {len(receipts)} commands, {stored} new events stored")


@app.command()
def check(
    office: Annotated[str, typer.Option(help="Office code, e.g. CN-DANDONG.")],
    at: AtOption,
    direction: Annotated[Direction, typer.Option()],
    channel: Annotated[Channel, typer.Option()],
    item: ItemOption,
    traveller: Annotated[Traveller, typer.Option()] = Traveller.ANY,
    known_at: KnownAtOption = None,
    basis: BasisOption = Basis.RECORDED,
    as_json: JsonOption = False,
) -> None:
    """Was this allowed at that office on that date, as known then?"""
    with _open() as ledger:
        try:
            request = CheckRequest(
                office=office,
                at=at.date(),
                known_at=_known(known_at),
                basis=basis,
                direction=direction,
                channel=channel,
                traveller=traveller,
                items=tuple(_item(text) for text in item),
            )
            result = ledger.check(request)
        except (ValidationError, LedgerError) as error:
            raise _fail(str(error)) from None
    if as_json:
        _print_json(result)
    else:
        console.print(_check_table(result))


@app.command()
def compare(
    office: Annotated[list[str], typer.Option(help="Office codes to compare (repeat).")],
    at: AtOption,
    direction: Annotated[Direction, typer.Option()],
    channel: Annotated[Channel, typer.Option()],
    item: ItemOption,
    traveller: Annotated[Traveller, typer.Option()] = Traveller.ANY,
    known_at: KnownAtOption = None,
    basis: BasisOption = Basis.RECORDED,
    as_json: JsonOption = False,
) -> None:
    """The same check across offices, least restrictive first."""
    with _open() as ledger:
        try:
            request = CompareRequest(
                offices=tuple(office),
                at=at.date(),
                known_at=_known(known_at),
                basis=basis,
                direction=direction,
                channel=channel,
                traveller=traveller,
                items=tuple(_item(text) for text in item),
            )
            result = ledger.compare(request)
        except (ValidationError, LedgerError) as error:
            raise _fail(str(error)) from None
    if as_json:
        _print_json(result)
        return
    table = Table(
        title=f"{request.direction} {request.channel} {request.traveller} on {request.at}"
    )
    for column in ("rank", "office", "verdicts", "inspection", "enforcement"):
        table.add_column(column)
    for ranking in result.offices:
        items = ranking.result.items
        table.add_row(
            str(ranking.rank),
            ranking.office,
            ", ".join(f"[{_COLOURS[i.verdict]}]{i.verdict}[/]" for i in items),
            ", ".join(str(i.inspection or "-") for i in items),
            ", ".join(str(i.enforcement or "-") for i in items),
        )
    console.print(table)


@app.command()
def state(
    office: Annotated[str, typer.Option(help="Office code.")],
    at: AtOption,
    known_at: KnownAtOption = None,
    basis: BasisOption = Basis.RECORDED,
    as_json: JsonOption = False,
) -> None:
    """Every scope's rule at an office on a date, as known then."""
    with _open() as ledger:
        try:
            request = StateRequest(
                office=office, at=at.date(), known_at=_known(known_at), basis=basis
            )
            result = ledger.state(request)
        except (ValidationError, LedgerError) as error:
            raise _fail(str(error)) from None
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"{result.office} on {result.at}")
    for column in ("scope", "admissibility", "inspection", "enforcement"):
        table.add_column(column)
    for scope in result.scopes:
        for number, rule in enumerate(scope.states):
            label = str(scope.scope) if number == 0 else "  (if in force)"
            if scope.uncertain and number == 0:
                label += "  [magenta]uncertain:[/] not yet in force"
            table.add_row(
                label,
                str(rule.admissibility or "-"),
                str(rule.inspection or "-"),
                str(rule.enforcement or "-"),
            )
    console.print(table)


@app.command()
def history(
    office: Annotated[str, typer.Option(help="Office code.")],
    valid_from: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    valid_to: Annotated[datetime | None, typer.Option(formats=["%Y-%m-%d"])] = None,
    known_at: KnownAtOption = None,
    basis: BasisOption = Basis.RECORDED,
    as_json: JsonOption = False,
) -> None:
    """Everything recorded for an office, with its sources, filtered on both time axes."""
    with _open() as ledger:
        try:
            entries = ledger.history(
                office,
                valid_from=valid_from.date() if valid_from else None,
                valid_to=valid_to.date() if valid_to else None,
                known_at=_known(known_at),
                basis=basis,
            )
        except LedgerError as error:
            raise _fail(str(error)) from None
    if as_json:
        _print_json([entry.model_dump(mode="json") for entry in entries])
        return
    table = Table(title=f"history of {office}")
    for column in ("v", "event", "recorded", "reported", "what"):
        table.add_column(column)
    for entry in entries:
        event = entry.event
        what = " ".join(
            str(part)
            for part in (
                _scope_text(event.get("scope")),
                _effective_text(event.get("effective")),
                event.get("reason") or event.get("note") or event.get("name") or "",
            )
            if part
        )
        table.add_row(
            str(entry.office_version),
            entry.type,
            entry.recorded_at.strftime("%Y-%m-%d %H:%M:%S"),
            str(entry.reported_on or ""),
            what,
        )
    console.print(table)


@app.command()
def offices(as_json: JsonOption = False) -> None:
    """The registered offices."""
    with _open() as ledger:
        rows = ledger.offices()
    if as_json:
        _print_json(
            [
                {"code": r.code, "name": r.name, "version": r.version, "changes": r.changes}
                for r in rows
            ]
        )
        return
    table = Table(title="offices")
    for column in ("code", "name", "version", "changes"):
        table.add_column(column)
    for row in rows:
        table.add_row(row.code, row.name, str(row.version), str(row.changes))
    console.print(table)


@app.command()
def rebuild() -> None:
    """Replay the whole log into a fresh read model."""
    with _open() as ledger:
        replayed = ledger.rebuild()
    console.print(f"read model rebuilt from {replayed} events")


def _check_table(result: CheckResult) -> Table:
    known = f", as known at {result.known_at} ({result.basis})" if result.known_at else ""
    table = Table(title=f"{result.office} on {result.at}{known}")
    for column in ("item", "verdict", "inspection", "enforcement", "because", "sources"):
        table.add_column(column)
    for item in result.items:
        because = "\n".join(
            candidate.reason
            + (f" ({rule.kind} {rule.effective})" if (rule := _admissibility(candidate)) else "")
            for candidate in item.candidates
        )
        table.add_row(
            f"{format_goods(item.item.goods)} x{item.item.quantity}",
            f"[{_COLOURS[item.verdict]}]{item.verdict}[/]",
            str(item.inspection or "-"),
            str(item.enforcement or "-"),
            because,
            "\n".join(f"{s.publisher} {s.published} {s.grade}" for s in item.sources),
        )
    return table


def _admissibility(candidate: Any) -> Any:
    return next((r for r in candidate.rulings if r.dimension == "admissibility"), None)


def _scope_text(scope: dict[str, Any] | None) -> str:
    if not scope:
        return ""
    goods = format_goods(scope["goods"])
    return f"{scope['direction']}/{scope['channel']}/{scope['traveller']}/{goods}"


def _effective_text(effective: dict[str, Any] | None) -> str:
    if not effective:
        return ""
    return f"from {effective['on']} ({effective['precision']})"
