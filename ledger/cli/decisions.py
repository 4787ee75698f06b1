"""The decision log: ``decisions list``, ``decisions show`` and ``decisions replay``;
``impact``, the logged decisions one event changed; and ``watch --impacts``, impacts as events
are recorded (``ledger.cli.follow``'s ``watch`` hands them to ``watch_impacts``).

A check or a comparison is logged when asked with ``--log`` (or ``--label``), or when the
server logs every call. ``decisions replay`` answers a logged decision again: as known at its
ledger position, which must give the answer logged — else the decision log and the ledger
disagree, and the command exits with status 5, as a failed audit does — and as known now.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from contextlib import suppress
from typing import Annotated, Any
from uuid import UUID

import typer

from ledger.cli import decision_tables as drawn
from ledger.cli import render
from ledger.cli.failures import AuditFailed
from ledger.cli.options import ASKED_TIME, JsonOption, ServerOption, connect, connects

__all__ = ["COMMANDS", "decisions_app", "watch_impacts"]

Data = dict[str, Any]

decisions_app = typer.Typer(
    help="The decision log: checks and comparisons kept with their answers (asked with --log).",
    no_args_is_help=True,
)
IdArgument = Annotated[
    str,
    typer.Argument(
        metavar="ID",
        help="The decision's id, as `logged as decision ...` printed it, or `ledger decisions "
        "list --full-ids` lists it.",
        show_default=False,
    ),
]
_ID_IS = (
    "expected the whole id a logged check printed (`logged as decision ...`) or `ledger "
    "decisions list --full-ids` lists, e.g. 1b4e28ba-2fa1-41d2-883f-0016d3cca427"
)


def _decision_id(text: str) -> str:
    try:
        return str(UUID(text))
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a decision id: {_ID_IS}", param_hint="ID"
        ) from None


@decisions_app.command("list")
@connects
def list_decisions(
    office: Annotated[
        str | None,
        typer.Option(
            help="Only decisions about this office: a check of it, or a comparison including it."
        ),
    ] = None,
    label: Annotated[str | None, typer.Option(help="Only decisions with this label.")] = None,
    from_: Annotated[
        str | None,
        typer.Option(
            "--from",
            click_type=ASKED_TIME,
            help="Only decisions asked at this time or after it: a date (its start, UTC) or an "
            "RFC 3339 timestamp with its offset, e.g. 2026-12-01 or 2026-12-01T10:00:00+00:00.",
        ),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(
            click_type=ASKED_TIME,
            help="Only decisions asked before this time: a date (its start, UTC) or an RFC "
            "3339 timestamp with its offset.",
        ),
    ] = None,
    from_position: Annotated[
        int, typer.Option(min=0, help="Only decisions answered at this log position or after.")
    ] = 0,
    to_position: Annotated[
        int,
        typer.Option(
            min=0, help="Only decisions answered at this log position or before; 0: no bound."
        ),
    ] = 0,
    limit: Annotated[
        int, typer.Option(min=0, help="At most this many, the first logged first; 0: all.")
    ] = 100,
    full_ids: Annotated[
        bool,
        typer.Option(
            "--full-ids",
            help="Whole ids (what show and replay take), not their first 8 characters.",
        ),
    ] = False,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Logged decisions in the order logged: who asked what, when, and the answer in brief."""
    request: Data = {
        "office": office,
        "label": label,
        "asked_from": from_,
        "asked_until": until,
        "from_position": from_position,
        "to_position": to_position,
        "page_size": min(limit, 1000) or 1000,
    }
    found: list[Data] = []
    more = False
    with connect(server) as connection:
        while True:
            reply = connection.call("ListDecisions", request)
            found += reply.get("decisions", [])
            token = reply.get("next_page_token")
            if limit and len(found) >= limit:
                more, found = len(found) > limit or bool(token), found[:limit]
                break
            if not token:
                break
            request["page_token"] = token
    if as_json:
        from ledger_client.decisions import Decision

        render.print_json([Decision.model_validate(d).model_dump(mode="json") for d in found])
        return
    if not found:
        filtered = any((office, label, from_, until, from_position, to_position))
        render.console.print(
            "no logged decision matches these filters"
            if filtered
            else "no decisions logged yet — log one with `ledger check ... --log`",
            highlight=False,
        )
        return
    table = drawn.decisions_table(found, whole_ids=full_ids)
    captions = [] if full_ids else ["ids shortened: show and replay take whole ids (--full-ids)"]
    if more:
        captions.append(f"the first {limit} shown: more may match (--limit 0 for all)")
    table.caption = "; ".join(captions) or None
    render.console.print(table)


@decisions_app.command("show")
@connects
def show(
    decision_id: IdArgument,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """A logged decision: the question, who asked it and when, and the answer as logged."""
    wanted = _decision_id(decision_id)
    with connect(server) as connection:
        decision = connection.call("GetDecision", {"decision_id": wanted})["decision"]
    if as_json:
        from ledger_client.decisions import Decision

        render.print_json(Decision.model_validate(decision))
        return
    render.console.print(drawn.decision_grid(decision))
    title = drawn.answer_title(
        decision, f"as logged, answered at position {decision.get('position', 0)}"
    )
    render.console.print(drawn.answer_table(title, decision.get("answer", {})))


@decisions_app.command("replay")
@connects
def replay(
    decision_id: IdArgument,
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """Answer a logged decision again: as known at its ledger position (it must give the
    answer logged: exit status 5 if not) and as known now (what changed since, if anything)."""
    wanted = _decision_id(decision_id)
    with connect(server) as connection:
        replayed = connection.call("ReplayDecision", {"decision_id": wanted})
    decision = replayed["decision"]
    if as_json:
        from ledger_client.decisions import Replay

        render.print_json(Replay.model_validate(replayed))
    else:
        for part in drawn.replay_parts(replayed):
            render.console.print(part, highlight=False)
    if not replayed.get("matches"):
        raise AuditFailed(
            f"decision {wanted}: answered again as known at position "
            f"{decision.get('position', 0)}, the ledger does not give the answer logged: the "
            "decision log and the ledger disagree"
        )


@connects
def impact(
    position: Annotated[
        int,
        typer.Argument(
            min=1,
            metavar="POSITION",
            help="The event's log position, as a receipt or `ledger watch` shows it.",
            show_default=False,
        ),
    ],
    server: ServerOption = "127.0.0.1:50051",
    as_json: JsonOption = False,
) -> None:
    """The logged decisions whose answer the event at this log position changed: each one's
    verdicts before and after it."""
    with connect(server) as connection:
        report = connection.call("GetImpact", {"position": position})
    if as_json:
        from ledger_client.decisions import ImpactReport

        render.print_json(ImpactReport.model_validate(report))
        return
    impacts, candidates = report.get("impacts", []), report.get("candidates", 0)
    event = f"{report.get('event_type', '')} at {report.get('office', '')}"
    render.console.print(
        f"event at position {position}: {render.shown(event)}, event "
        f"{render.shown(report.get('event_id', ''))}",
        highlight=False,
    )
    if not impacts:
        render.console.print(
            f"no logged decision changed: {candidates} that could depend on the event were "
            "answered again, each as before",
            highlight=False,
        )
        return
    title = (
        f"{len(impacts)} of the {candidates} logged decisions that could depend on the event "
        "changed"
    )
    render.console.print(drawn.impact_table(title, impacts))


def watch_impacts(
    after: int, offices: list[str], count: int | None, server: str, as_json: bool
) -> None:
    """``watch --impacts``: each impact as a line (JSON: an object a line, with where to resume
    after it), and, when stopped, the command that goes on from there."""
    resume = [after]
    request = {"after_position": after, "offices": offices}
    with connect(server) as connection, suppress(KeyboardInterrupt):
        _follow(connection.stream("WatchImpacts", request), resume, count, as_json)
    if not as_json:
        again = "".join(f" --office {office}" for office in offices)
        render.errors.print(
            render.shown(f"to go on from here: ledger watch --impacts --after {resume[0]}{again}"),
            highlight=False,
        )


def _follow(replies: Iterable[Any], resume: list[int], count: int | None, as_json: bool) -> None:
    """Print each impact of ``replies``, keeping in ``resume[0]`` where to resume whenever the
    watch stops (``ledger_client.decisions.resume_points``)."""
    from ledger_api.convert import to_data
    from ledger_client.decisions import Impact, resume_points

    seen = 0
    for reply in replies:
        points = resume_points(reply, resume[0])
        for impact, here in zip(reply.impacts, points, strict=True):
            data = to_data(impact)
            if as_json:
                found = Impact.model_validate({**data, "resume_position": here})
                print(json.dumps(found.model_dump(mode="json")), flush=True)
            else:
                render.console.print(drawn.impact_line(data), highlight=False)
            seen += 1
            if count is not None and seen >= count:
                resume[0] = here
                return
        resume[0] = max(resume[0], reply.resume_position)


COMMANDS = {"impact": impact}
