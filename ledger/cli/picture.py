"""Pictures of the ledger: ``timeline`` draws offices' timelines to a file, ``report`` writes one
self-contained HTML page of every office (``ledger.cli.chart`` draws, ``ledger.cli.report``
writes the page). The plotting libraries load only when a command runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ledger.cli import parse, render
from ledger.cli.failures import Usage
from ledger.cli.options import (
    BasisOption,
    DateOption,
    JsonOption,
    KnownAtOption,
    KnownAtPositionOption,
    ServerOption,
    as_known,
    as_of,
    choice,
    connect,
    connects,
)
from ledger_api.ledger.v1 import ledger_pb2 as pb

__all__ = ["COMMANDS"]

# Offices in one timeline request (the server's bound).
_OFFICES_PER_REQUEST = 100


def _out(path: Path, formats: dict[str, str], example: str) -> Path:
    if path.suffix.lower() not in formats:
        accepted = ", ".join(f"{suffix} ({what})" for suffix, what in formats.items())
        raise Usage(
            f"--out {path}: the file's suffix picks what is written, and "
            f"{path.suffix or 'no suffix'} is not one of {accepted}; e.g. --out {example}"
        )
    return path


def _write(path: Path, data: bytes) -> None:
    try:
        path.write_bytes(data)
    except OSError as error:
        raise Usage(f"--out {path}: cannot write it: {error.strerror or error}") from None


@connects
def timeline(
    office: Annotated[list[str], typer.Option(help="Office code (repeat for several).")],
    out: Annotated[
        Path,
        typer.Option(help="The file to draw to: .svg, .png, .pdf or .html (hover for details)."),
    ],
    valid_from: DateOption = None,
    valid_to: DateOption = None,
    direction: Annotated[
        str | None, typer.Option(click_type=choice(pb.Direction), help="Only this direction.")
    ] = None,
    channel: Annotated[
        str | None, typer.Option(click_type=choice(pb.Channel), help="Only this channel.")
    ] = None,
    traveller: Annotated[
        str | None,
        typer.Option(
            click_type=choice(pb.Traveller), help="Only this traveller's rules (and any's)."
        ),
    ] = None,
    goods: Annotated[
        str | None,
        typer.Option(help="Only rules of goods within or around these, e.g. 8516.60 or food."),
    ] = None,
    known_at: KnownAtOption = None,
    basis: BasisOption = "recorded",
    known_at_position: KnownAtPositionOption = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Draw offices' timelines: a band per scope and dimension coloured by strictness, uncertain
    windows faded, markers where changes take effect and where they were first reported."""
    from ledger.cli import chart
    from ledger_client.client import LedgerClient

    path = _out(out, chart.FORMATS, "dandong.svg")
    with connect(server, LedgerClient) as client:
        drawn_from = client.timeline(
            office,
            valid_from=parse.day(valid_from),
            valid_to=parse.day(valid_to),
            direction=direction,
            channel=channel,
            traveller=traveller,
            goods=goods,
            known_at=known_at,
            basis=basis,
            **as_of(known_at, known_at_position),
        )
        names = {row.code: row.name for row in client.list_offices() if row.code in office}
    rows = chart.rows(
        drawn_from, valid_from.date() if valid_from else None, valid_to.date() if valid_to else None
    )
    known = as_known(known_at, basis, known_at_position) or ", as known now"
    title = "Strictness of customs rules over time" + known
    subtitle = f"ledger position {drawn_from.position}, digest {drawn_from.digest[:16]}"
    spec = chart.chart(rows, title, subtitle, names)
    _write(path, chart.drawn_as(spec, path.suffix.lower()))
    if as_json:
        render.print_json(
            {
                "out": str(path),
                "position": drawn_from.position,
                "digest": drawn_from.digest,
                "bands": len(rows.bands),
                "markers": len(rows.markers),
            }
        )
    else:
        render.console.print(
            f"drew {len(rows.bands)} bands and {len(rows.markers)} markers to {path} "
            f"(ledger position {drawn_from.position})",
            highlight=False,
        )


@connects
def report(
    out: Annotated[Path, typer.Option(help="The HTML file to write, e.g. report.html.")],
    office: Annotated[
        list[str] | None, typer.Option(help="Office code (repeat); default: every office.")
    ] = None,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Write one self-contained HTML page (it opens offline): offices and their crossings, each
    office's timeline, its history with sources and grades, amendments and retractions marked,
    and the ledger digest it was made at, to check later with `ledger audit --remote
    --expect-digest`."""
    from ledger.cli import chart
    from ledger.cli.report import Report, write_report
    from ledger_client.client import LedgerClient

    path = _out(out, {".html": "an HTML page"}, "report.html")
    with connect(server, LedgerClient) as client:
        listed = client.list_offices()
        codes = list(dict.fromkeys(office or [row.code for row in listed]))
        known = {row.code for row in listed}
        missing = [code for code in codes if code not in known]
        if missing:
            raise Usage(f"--office {missing[0]}: no such office; `ledger offices` lists them")
        if not codes:
            raise Usage("the ledger has no office yet: register one first (`ledger register`)")
        timelines = []
        position: int | None = None
        for start in range(0, len(codes), _OFFICES_PER_REQUEST):
            part = client.timeline(
                codes[start : start + _OFFICES_PER_REQUEST], known_at_position=position
            )
            position = part.position
            timelines.append(part)
        histories = {
            code: [
                event.model_dump(mode="json")
                for event in client.history(code, known_at_position=position)
            ]
            for code in codes
        }
    made = Report.of(listed, codes, timelines, histories)
    html = write_report(made, chart)
    _write(path, html.encode())
    if as_json:
        render.print_json(
            {"out": str(path), "position": made.position, "digest": made.digest, "offices": codes}
        )
    else:
        render.console.print(
            f"wrote the report of {len(codes)} offices to {path}, at ledger position "
            f"{made.position}: check it later with `ledger audit --remote --expect-digest "
            f"{made.position}:{made.digest}`",
            highlight=False,
        )


COMMANDS = {"timeline": timeline, "report": report}
