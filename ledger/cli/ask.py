"""Questions: offices, check, compare, state, history (following the log and the calendar is
``ledger.cli.follow``).

Each asks the server through a plain-data connection and draws the reply; ``--json`` prints the
client library's model of the same reply (loaded only then), events without the event-sourcing
library's bookkeeping.

A question asked ``--known-at`` a time before the ledger had recorded anything of an office
(on the recorded basis) answers as if nothing were known, which is right but surprising: the
command says so on standard error, and that ``--basis reported`` asks by the sources' dates
(not with ``--json``: a script reads the answer, and standard error holds only its errors).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Any

import typer

from ledger.cli import changes, parse, render, tables
from ledger.cli.failures import FAILED_CHECK
from ledger.cli.options import (
    AtOption,
    BasisOption,
    ChannelOption,
    DateOption,
    DirectionOption,
    ItemOption,
    JsonOption,
    KnownAtOption,
    KnownAtPositionOption,
    LabelOption,
    LogOption,
    OfficeOption,
    ServerOption,
    TravellerOption,
    as_known,
    as_of,
    connect,
    connects,
    logged,
)
from ledger_client.connection import Connection
from ledger_client.errors import LedgerClientError

__all__ = ["COMMANDS"]

# Verdicts that refuse an item, for --fail-on-refusal (plain data's form of the enum).
_REFUSALS = frozenset({"prohibited", "limit-exceeded"})


@connects
def offices(server: ServerOption = "127.0.0.1:50051", as_json: JsonOption = False) -> None:
    """The registered offices."""
    with connect(server) as connection:
        rows = connection.call("ListOffices").get("offices", [])
    if as_json:
        from ledger_client.queries import Office

        render.print_json([Office.model_validate(row).model_dump(mode="json") for row in rows])
    elif not rows:
        render.console.print(render.shown(tables.NO_OFFICES), highlight=False)
    else:
        render.console.print(tables.offices_table(rows))


@connects
def check(
    office: OfficeOption,
    at: AtOption,
    direction: DirectionOption,
    channel: ChannelOption,
    item: ItemOption,
    traveller: TravellerOption = "any",
    known_at: KnownAtOption = None,
    basis: BasisOption = "recorded",
    known_at_position: KnownAtPositionOption = None,
    fail_on_refusal: Annotated[
        bool,
        typer.Option(
            "--fail-on-refusal",
            help="Exit with status 1 when an item is PROHIBITED or LIMIT_EXCEEDED (as "
            "`opa eval --fail`); the output is the same.",
        ),
    ] = False,
    log: LogOption = False,
    label: LabelOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Was this allowed at that office on that date, as known then?"""
    question = parse.question(at, direction, channel, traveller, item, known_at, basis)
    question |= as_of(known_at, known_at_position) | logged(log, label)
    with connect(server) as connection:
        result = connection.call("Check", {**question, "office": office})
        began = _records_began(connection, [office], None if as_json else known_at, basis)
    if as_json:
        from ledger_client.queries import CheckResult

        render.print_json(CheckResult.model_validate(result))
    else:
        title = f"{result['office']} on {parse.day(at)}" + as_known(
            known_at, basis, known_at_position
        )
        render.console.print(tables.check_table(title, result))
        _logged_as(result)
    _hint(began, known_at)
    if fail_on_refusal and any(i["verdict"] in _REFUSALS for i in result.get("items", ())):
        raise typer.Exit(FAILED_CHECK)


@connects
def compare(
    office: Annotated[list[str], typer.Option(help="Office codes to compare (repeat).")],
    at: AtOption,
    direction: DirectionOption,
    channel: ChannelOption,
    item: ItemOption,
    traveller: TravellerOption = "any",
    known_at: KnownAtOption = None,
    basis: BasisOption = "recorded",
    known_at_position: KnownAtPositionOption = None,
    log: LogOption = False,
    label: LabelOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """The same check across offices, least restrictive first; offices whose answer is unknown
    or uncertain after them, unranked."""
    question = parse.question(at, direction, channel, traveller, item, known_at, basis)
    question |= as_of(known_at, known_at_position) | logged(log, label)
    with connect(server) as connection:
        result = connection.call("CompareOffices", {**question, "offices": office})
        began = _records_began(connection, office, None if as_json else known_at, basis)
    if as_json:
        from ledger_client.queries import CompareResult

        render.print_json(CompareResult.model_validate(result))
    else:
        title = (
            f"{direction} {channel} {traveller} on {parse.day(at)}"
            + as_known(known_at, basis, known_at_position)
            + ": least restrictive first; offices whose answer is unknown or uncertain are "
            "listed after, unranked"
        )
        render.console.print(tables.compare_table(title, result))
        _logged_as(result)
    _hint(began, known_at)


@connects
def state(
    office: OfficeOption,
    at: AtOption,
    known_at: KnownAtOption = None,
    basis: BasisOption = "recorded",
    known_at_position: KnownAtPositionOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Every scope's rule at an office on a date, as known then."""
    request: dict[str, object] = {
        "office": office,
        "at": parse.day(at),
        "known_at": known_at,
        "basis": basis,
        **as_of(known_at, known_at_position),
    }
    with connect(server) as connection:
        result = connection.call("GetRuleState", request)
        began = _records_began(connection, [office], None if as_json else known_at, basis)
    if as_json:
        from ledger_client.queries import RuleStateResult

        render.print_json(RuleStateResult.model_validate(result))
    else:
        render.console.print(tables.state_table(result))
    _hint(began, known_at)


@connects
def history(
    office: OfficeOption,
    valid_from: DateOption = None,
    valid_to: DateOption = None,
    known_at: KnownAtOption = None,
    basis: BasisOption = "recorded",
    known_at_position: KnownAtPositionOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Everything recorded for an office, filtered on both time axes: each change by its short
    id (what amend and retract take), what it says, from when, on whose word, and what became
    of it."""
    request = {
        "office": office,
        "valid_from": parse.day(valid_from),
        "valid_to": parse.day(valid_to),
        "known_at": known_at,
        "basis": basis,
        **as_of(known_at, known_at_position),
    }
    with connect(server) as connection:
        events = changes.history(connection, request)
        began = _records_began(connection, [office], None if as_json else known_at, basis)
    if as_json:
        from ledger_client.queries import HistoryEvent

        render.print_json([render.event_json(HistoryEvent, event) for event in events])
    else:
        render.console.print(tables.history_table(office, events))
    _hint(began, known_at)


def _logged_as(result: dict[str, Any]) -> None:
    """The logged decision's id, after the answer (a server that logs every call logs it
    unasked)."""
    if result.get("decision_id"):
        render.console.print(
            f"logged as decision {render.shown(result['decision_id'])}", highlight=False
        )


def _known_at(text: str) -> datetime | None:
    """A knowledge time as the ledger reads it: a date is the end of that day, UTC."""
    try:
        return datetime.combine(date.fromisoformat(text), time.max, UTC)
    except ValueError:
        pass
    try:
        instant = datetime.fromisoformat(text.upper())
    except ValueError:
        return None
    return instant if instant.utcoffset() is not None else None


def _records_began(
    connection: Connection, offices: list[str], known_at: str | None, basis: str
) -> dict[str, datetime]:
    """The offices asked about that the ledger registered only after ``known_at`` (recorded
    basis), with when: one more call, and only when a knowledge time is given."""
    instant = None if known_at is None or basis != "recorded" else _known_at(known_at)
    if instant is None:
        return {}
    try:
        if len(offices) == 1:
            found: list[dict[str, Any]] = [
                connection.call("GetOffice", {"office": offices[0]})["office"]
            ]
        else:
            found = connection.call("ListOffices").get("offices", [])
    except LedgerClientError:
        return {}  # a hint is not worth a failure
    asked = set(offices)
    return {
        row["code"]: row["registered_at"]
        for row in found
        if row["code"] in asked and row["registered_at"] > instant
    }


def _hint(began: dict[str, datetime], known_at: str | None) -> None:
    """Say that a knowledge time lies before everything recorded of the offices asked."""
    if not began:
        return
    codes = ", ".join(began)
    first = min(began.values())
    them = "it" if len(began) == 1 else "them"
    render.errors.print(
        f"hint: nothing had been recorded for {render.shown(codes)} by "
        f"{render.shown(known_at)}: the ledger's records of {them} begin at "
        f"{first:%Y-%m-%d %H:%M:%S} UTC. --known-at is the ledger's own time (--basis "
        "recorded); --basis reported asks by the sources' publication dates.",
        highlight=False,
    )


COMMANDS = {
    "offices": offices,
    "check": check,
    "compare": compare,
    "state": state,
    "history": history,
}
