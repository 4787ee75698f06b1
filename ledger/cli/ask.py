"""Questions: offices, check, compare, state, history, watch.

Each asks the server through a plain-data connection and draws the reply; ``--json`` prints the
client library's model of the same reply (loaded only then).
"""

from __future__ import annotations

import json
from contextlib import suppress
from typing import Annotated

import typer

from ledger.cli import parse, render
from ledger.cli.options import (
    AtOption,
    BasisOption,
    ChannelOption,
    DateOption,
    DirectionOption,
    ItemOption,
    JsonOption,
    KnownAtOption,
    OfficeOption,
    ServerOption,
    TravellerOption,
    connect,
    connects,
)
from ledger_api.convert import to_data

__all__ = ["COMMANDS"]


@connects
def offices(server: ServerOption = "127.0.0.1:50051", as_json: JsonOption = False) -> None:
    """The registered offices."""
    with connect(server) as connection:
        rows = connection.call("ListOffices").get("offices", [])
    if as_json:
        from ledger_client.queries import Office

        render.print_json([Office.model_validate(row).model_dump(mode="json") for row in rows])
    else:
        render.console.print(render.offices_table(rows))


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
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Was this allowed at that office on that date, as known then?"""
    question = parse.question(at, direction, channel, traveller, item, known_at, basis)
    with connect(server) as connection:
        result = connection.call("Check", {**question, "office": office})
    if as_json:
        from ledger_client.queries import CheckResult

        render.print_json(CheckResult.model_validate(result))
    else:
        title = f"{result['office']} on {parse.day(at)}" + (
            f", as known at {known_at} ({basis})" if known_at else ""
        )
        render.console.print(render.check_table(title, result))


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
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """The same check across offices, least restrictive first."""
    question = parse.question(at, direction, channel, traveller, item, known_at, basis)
    with connect(server) as connection:
        result = connection.call("CompareOffices", {**question, "offices": office})
    if as_json:
        from ledger_client.queries import CompareResult

        render.print_json(CompareResult.model_validate(result))
    else:
        title = f"{direction} {channel} {traveller} on {parse.day(at)}, least restrictive first"
        render.console.print(render.compare_table(title, result))


@connects
def state(
    office: OfficeOption,
    at: AtOption,
    known_at: KnownAtOption = None,
    basis: BasisOption = "recorded",
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Every scope's rule at an office on a date, as known then."""
    request = {"office": office, "at": parse.day(at), "known_at": known_at, "basis": basis}
    with connect(server) as connection:
        result = connection.call("GetRuleState", request)
    if as_json:
        from ledger_client.queries import RuleStateResult

        render.print_json(RuleStateResult.model_validate(result))
    else:
        render.console.print(render.state_table(result))


@connects
def history(
    office: OfficeOption,
    valid_from: DateOption = None,
    valid_to: DateOption = None,
    known_at: KnownAtOption = None,
    basis: BasisOption = "recorded",
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Everything recorded for an office, with its sources, filtered on both time axes."""
    request = {
        "office": office,
        "valid_from": parse.day(valid_from),
        "valid_to": parse.day(valid_to),
        "known_at": known_at,
        "basis": basis,
    }
    with connect(server) as connection:
        events = [
            to_data(event)
            for reply in connection.stream("GetHistory", request, timeout=connection.timeout)
            for event in reply.events
        ]
    if as_json:
        from ledger_client.queries import HistoryEvent

        render.print_json([_with_event(HistoryEvent, event) for event in events])
    else:
        render.console.print(render.history_table(office, events))


@connects
def watch(
    after: Annotated[
        int, typer.Option(help="Start after this global position (0: the beginning).")
    ] = 0,
    count: Annotated[int | None, typer.Option(help="Stop after this many events.")] = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Follow the log: past events, then new ones as they are recorded (Ctrl-C stops)."""
    if as_json:
        from ledger_client.queries import WatchEvent
    seen = 0
    with connect(server) as connection, suppress(KeyboardInterrupt):
        for reply in connection.stream("Watch", {"after_position": after}):
            for event in reply.events:
                data = to_data(event)
                if as_json:
                    print(json.dumps(_with_event(WatchEvent, data)), flush=True)
                else:
                    render.console.print(render.watch_line(data))
                seen += 1
                if count is not None and seen >= count:
                    return


def _with_event(model: type, data: dict[str, object]) -> dict[str, object]:
    """An event's JSON as the client library has it, with its content decoded."""
    event = model.model_validate(data)  # type: ignore[attr-defined]
    dumped: dict[str, object] = event.model_dump(mode="json", exclude={"event_json"})
    return {**dumped, "event": event.event}


COMMANDS = {
    "offices": offices,
    "check": check,
    "compare": compare,
    "state": state,
    "history": history,
    "watch": watch,
}
