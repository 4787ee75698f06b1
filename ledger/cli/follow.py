"""Following: the log as it is recorded (``watch``), and the calendar — the changes taking
effect between two dates (``upcoming``) and as the server's date reaches them (``watch
--effective``); ``watch --impacts`` follows the logged decisions events change
(``ledger.cli.decisions``).

Both watches run until Ctrl-C (or ``--count``); ``--json`` prints one object a line, a notice
with where to resume after it.
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer

from ledger.cli import changes, decisions, parse, render, tables
from ledger.cli.failures import Usage
from ledger.cli.options import DAY, JsonOption, ServerOption, connect, connects
from ledger_api.convert import to_data

if TYPE_CHECKING:
    from rich.table import Table

__all__ = ["COMMANDS"]


@connects
def upcoming(
    to: Annotated[
        datetime,
        typer.Option("--to", click_type=DAY, help="The last date, at most 10 years after --from."),
    ],
    from_: Annotated[
        datetime | None,
        typer.Option("--from", click_type=DAY, help="The first date; default: the server's date."),
    ] = None,
    office: Annotated[
        list[str] | None,
        typer.Option("--office", help="Only this office (repeat); default: every office."),
    ] = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """The changes taking effect between two dates: each change (as known now: amended, not
    retracted) on the first day of its window (starts: it may be in force from then) and on
    the last (certain: it is in force from then), by date."""
    request: dict[str, Any] = {
        "offices": office or [],
        "from_date": parse.day(from_),
        "to_date": parse.day(to),
        "page_size": 1000,
    }
    edges: list[dict[str, Any]] = []
    with connect(server) as connection:
        while True:
            reply = connection.call("ListUpcoming", request)
            edges += reply.get("edges", [])
            if not reply.get("next_page_token"):
                break
            request["page_token"] = reply["next_page_token"]
    if as_json:
        from ledger_client.queries import EffectiveEdge

        render.print_json([EffectiveEdge.model_validate(e).model_dump(mode="json") for e in edges])
        return
    first = parse.day(from_) or "the server's date"
    span = f"from {first} to {parse.day(to)}"
    if not edges:
        render.console.print(f"nothing takes effect {span}", highlight=False)
        return
    render.console.print(_upcoming_table(f"taking effect {span}", edges))


def _upcoming_table(title: str, edges: list[dict[str, Any]]) -> Table:
    short = changes.abbreviate(edge["change_id"] for edge in edges)
    drawn = render.table(
        title,
        *("on", "edge", "office", "change", "what", "sources"),
        whole={"change": max(len(s) for s in short.values()), "on": 10},
    )
    drawn.caption = "starts: the first day it may be in force; certain: from then it is in force"
    for edge in edges:
        drawn.add_row(
            edge["on"],
            edge["edge"],
            render.shown(edge["office"]),
            render.shown(short[edge["change_id"]]),
            _edge_what(edge),
            render.shown("; ".join(render.source_text(s) for s in edge.get("sources", ()))),
        )
    return drawn


def _edge_what(edge: dict[str, Any]) -> str:
    """``tightened outbound/... prohibited, effective 2025-06-01`` (as rich markup)."""
    return render.shown(
        f"{edge.get('kind', '')} {render.scope_text(edge.get('scope') or {})}: "
        f"{render.measure_text(edge.get('measure'))}, effective "
        f"{render.effective_text(edge.get('effective'))}"
    )


@connects
def watch(
    after: Annotated[
        int, typer.Option(help="Start after this global position (0: the beginning).")
    ] = 0,
    count: Annotated[
        int | None, typer.Option(help="Stop after this many events (of those shown).")
    ] = None,
    office: Annotated[
        list[str] | None, typer.Option("--office", help="Only this office's events (repeat).")
    ] = None,
    type_: Annotated[
        list[str] | None,
        typer.Option(
            "--type",
            help="Only events of this type (repeat): registered, observed, tightened, "
            "loosened, amended, retracted, or the type's name (PolicyTightened).",
        ),
    ] = None,
    effective: Annotated[
        bool,
        typer.Option(
            "--effective",
            help="Follow effective dates, not the log: a notice when the server's date reaches "
            "a change's window start or end; a change recorded after that date is announced "
            "at once, marked late. --after-date and --after resume after a notice.",
        ),
    ] = False,
    after_date: Annotated[
        datetime | None,
        typer.Option(
            "--after-date",
            click_type=DAY,
            help="With --effective: resume after this server date (a notice's resume_date; "
            "--after: its resume_position).",
        ),
    ] = None,
    impacts: Annotated[
        bool,
        typer.Option(
            "--impacts",
            help="Follow the logged decisions that recorded events change: each one's verdicts "
            "before and after the event (--office: decisions about that office). --after "
            "resumes after a log position, as printed when the watch stops.",
        ),
    ] = False,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Follow the log: past events, then new ones as they are recorded (Ctrl-C stops); with
    --effective, the rules taking effect as the server's date reaches them; with --impacts,
    the logged decisions events change."""
    if impacts:
        if effective or after_date is not None or type_:
            raise Usage(
                "--impacts follows the logged decisions that recorded events change: not with "
                "--effective, --after-date or --type (--office and --after choose what to follow)"
            )
        decisions.watch_impacts(after, office or [], count, server, as_json)
        return
    if effective or after_date is not None:
        _watch_effective(effective, office or [], type_, after_date, after, count, server, as_json)
        return
    if as_json:
        from ledger_client.queries import WatchEvent
    offices = {code.upper() for code in office or ()}
    types = {changes.event_type(text) for text in type_ or ()}
    seen = 0
    with connect(server) as connection, suppress(KeyboardInterrupt):
        for reply in connection.stream("Watch", {"after_position": after}):
            for event in reply.events:
                if (offices and event.office.upper() not in offices) or (
                    types and event.type not in types
                ):
                    continue
                data = to_data(event)
                if as_json:
                    print(json.dumps(render.event_json(WatchEvent, data)), flush=True)
                else:
                    render.console.print(tables.watch_line(data))
                seen += 1
                if count is not None and seen >= count:
                    return


def _watch_effective(
    effective: bool,
    offices: list[str],
    types: list[str] | None,
    after_date: datetime | None,
    after: int,
    count: int | None,
    server: str,
    as_json: bool,
) -> None:
    """``watch --effective``: each notice as a line (JSON: an object a line, with where to
    resume after it)."""
    if not effective:
        raise Usage("--after-date resumes a watch of effective dates: add --effective")
    if types:
        raise Usage("--type chooses events of the log: not with --effective (use --office)")
    if after and after_date is None:
        raise Usage(
            "with --effective, --after resumes together with --after-date: give both, as a "
            "notice's resume_date and resume_position (--after-date 2025-06-01 --after 42)"
        )
    from ledger_client.queries import effective_notices

    start = parse.day(after_date)
    request = {"offices": offices, "after_date": start, "after_position": after}
    seen = 0
    with connect(server) as connection, suppress(KeyboardInterrupt):
        replies = connection.stream("WatchEffective", request)
        for notice in effective_notices(replies, start, after):
            if as_json:
                print(json.dumps(notice.model_dump(mode="json")), flush=True)
            else:
                edge = notice.edge.model_dump(mode="json")
                late = " [bold yellow]late[/]" if notice.late else ""
                render.console.print(
                    f"{edge['on']} {edge['edge']:<7} {render.shown(edge['office']):<14} "
                    f"{render.shown(changes.abbreviate([edge['change_id']])[edge['change_id']])} "
                    f"{_edge_what(edge)}{late}",
                    highlight=False,
                )
            seen += 1
            if count is not None and seen >= count:
                return


COMMANDS = {
    "upcoming": upcoming,
    "watch": watch,
}
