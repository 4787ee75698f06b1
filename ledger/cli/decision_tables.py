"""The decision log as people read it: decisions listed and shown, what changed between two
answers to the same question, and an event's impacts. Drawn from the replies' plain data
(``ledger_client.connection``); every text from the ledger goes through ``render.shown``.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from itertools import zip_longest
from typing import TYPE_CHECKING, Any

from ledger.cli import changes, tables
from ledger.cli.render import format_goods, shown, table, verdict

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.table import Table

__all__ = [
    "question",
    "offices",
    "asked_text",
    "answered_text",
    "answer_title",
    "answer_table",
    "replay_parts",
    "decisions_table",
    "decision_grid",
    "differences",
    "impact_table",
    "impact_line",
]

Data = dict[str, Any]

# The command that asks each question a decision may log.
_ASKED_BY = {"check": "check", "comparison": "compare"}


def question(decision: Data) -> tuple[str, Data]:
    """Which question a decision logged (``check`` or ``comparison``), and what it asked."""
    for kind in _ASKED_BY:
        if kind in decision:
            return kind, decision[kind]
    return "", {}


def offices(decision: Data) -> list[str]:
    """The offices a decision asked about."""
    kind, request = question(decision)
    if kind == "check":
        return [str(request.get("office", ""))]
    return [str(office) for office in request.get("offices", ())]


def _item(item: Data) -> str:
    return f"{format_goods(str(item.get('goods', '')))} x{item.get('quantity', 1)}"


def _as_known(request: Data) -> str:
    if request.get("known_at_position") is not None:
        return f", as recorded up to position {request['known_at_position']}"
    if request.get("known_at"):
        return f", as known at {request['known_at']} ({request.get('basis') or 'recorded'})"
    return ""


def asked_text(decision: Data) -> str:
    """The question in a line (plain text: pass it through ``shown``): ``check at CN-DANDONG
    on 2025-03-20: outbound personal-baggage worker, 8516.60 x1``."""
    kind, request = question(decision)
    who = " ".join(str(request.get(key) or "any") for key in ("direction", "channel", "traveller"))
    items = ", ".join(_item(item) for item in request.get("items", ()))
    return (
        f"{_ASKED_BY.get(kind, 'a question')} at {', '.join(offices(decision))} on "
        f"{request.get('at', '-')}{_as_known(request)}: {who}, {items}"
    )


def _when(value: object) -> str:
    return f"{value:%Y-%m-%d %H:%M:%S}" if isinstance(value, datetime) else "-"


def answered_text(answer: Data, *, lines: bool = False) -> str:
    """An answer in a few words (markup), one a line if ``lines``: a check's verdicts, with
    how many items had each; a comparison's offices in rank order (``-``: not ranked)."""
    if "check" in answer:
        counted = Counter(_named(item.get("verdict")) for item in answer["check"].get("items", ()))
        parts = [
            verdict(name) + (f" ({count} items)" if count > 1 else "")
            for name, count in counted.items()
        ]
    elif "comparison" in answer:
        parts = [
            f"{_rank(ranking)} {shown(ranking.get('office', ''))}"
            for ranking in answer["comparison"].get("rankings", ())
        ]
    else:
        parts = ["-"]
    return ("\n" if lines else ", ").join(parts)


def answer_table(title: str, answer: Data) -> Table | str:
    """An answer as ``ledger check`` or ``ledger compare`` prints it."""
    if "check" in answer:
        return tables.check_table(title, answer["check"])
    if "comparison" in answer:
        return tables.compare_table(title, answer["comparison"])
    return f"{shown(title)}: no answer"


def answer_title(decision: Data, how: str) -> str:
    """An answer's title: the question (a check's office, a comparison's crossing), then how
    it was answered."""
    kind, request = question(decision)
    if kind == "check":
        return f"{request.get('office', '')} on {request.get('at', '-')}, {how}"
    who = " ".join(str(request.get(key) or "any") for key in ("direction", "channel", "traveller"))
    return f"{who} on {request.get('at', '-')}, {how}: least restrictive first"


def replay_parts(replayed: Data) -> list[Table | str]:
    """A replay, to print in order (markup and tables): the decision and its logged answer;
    whether the ledger, asked again as known then, gives that answer (the log holds) or not;
    and whether the answer has changed since, with what changed and the answer now."""
    decision = replayed["decision"]
    logged = decision.get("answer", {})
    position, now_position = decision.get("position", 0), replayed.get("now_position", 0)
    parts: list[Table | str] = [
        f"decision {shown(decision['decision_id'])} (number {decision.get('sequence', 0)} in "
        f"the log): {shown(asked_text(decision))}",
        answer_table(answer_title(decision, f"as logged, answered at position {position}"), logged),
    ]
    if replayed.get("matches"):
        parts.append(
            f"then: [green]the log holds[/] — answered again as known at position {position}, "
            "the ledger gives the answer logged"
        )
    else:
        then = replayed.get("then", {})
        parts.append(
            f"then: [bold red]the log does not match[/] — answered again as known at position "
            f"{position}, the ledger gives another answer than the one logged:"
        )
        parts += _changes(logged, then)
        parts.append(
            answer_table(answer_title(decision, f"answered again at position {position}"), then)
        )
    if not replayed.get("changed"):
        parts.append(
            f"now: unchanged — as known now, at position {now_position}, the answer is the one "
            "logged"
        )
        return parts
    now = replayed.get("now", {})
    parts.append(
        f"now: [yellow]changed since[/] — as known now, at position {now_position}, the answer "
        "differs from the one logged:"
    )
    parts += _changes(logged, now)
    parts.append(
        answer_table(answer_title(decision, f"as known now, at position {now_position}"), now)
    )
    return parts


def _changes(before: Data, after: Data) -> list[Table | str]:
    lines = differences(before, after) or ["(in details not shown here: see --json)"]
    return [f"  {line}" for line in lines]


def decisions_table(decisions: list[Data], *, whole_ids: bool = False) -> Table:
    """One row per decision, in the order logged: its id and number in the log, when and by
    whom it was asked, its label, the question (what, for which date, where), and the answer
    in a few words with the ledger position it was given at. Stacked, so that it reads in 80
    columns."""
    ids = [str(decision["decision_id"]) for decision in decisions]
    short = dict(zip(ids, ids, strict=True)) if whole_ids else changes.abbreviate(ids)
    drawn = table(
        "logged decisions",
        *("decision", "asked (UTC)", "label", "question", "answer"),
        # Whole ids fold rather than crop the answer on a narrow terminal.
        whole={"decision": 0 if whole_ids else changes.SHORT + 2, "asked (UTC)": 10},
    )
    for decision in decisions:
        kind, request = question(decision)
        asked = _when(decision.get("asked_at")).replace(" ", "\n")
        if decision.get("asked_by"):
            asked += f"\nby {shown(decision['asked_by'])}"
        drawn.add_row(
            f"{shown(short[str(decision['decision_id'])])}\n#{decision.get('sequence', 0)}",
            asked,
            shown(decision.get("label") or "-"),
            "\n".join(
                [f"{_ASKED_BY.get(kind, '-')} on {shown(request.get('at', '-'))}"]
                + [shown(office) for office in offices(decision)]
            ),
            f"{answered_text(decision.get('answer', {}), lines=True)}\n"
            f"[dim]at position {decision.get('position', 0)}[/]",
        )
    return drawn


def decision_grid(decision: Data) -> Table:
    """A decision's particulars, a line each: what was asked, when, by whom, at which ledger
    position, the events behind the answer, and its link in the log's chain."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True, style="bold")
    grid.add_column(overflow="fold")
    asked = _when(decision.get("asked_at")) + " UTC"
    if decision.get("asked_by"):
        asked += f" by {decision['asked_by']}"
    events = [str(event) for event in decision.get("event_ids", ())]
    short = ", ".join(event[: changes.SHORT] for event in events[:10])
    more = f" and {len(events) - 10} more" if len(events) > 10 else ""
    rows = [
        (
            "decision",
            f"{decision['decision_id']} (number {decision.get('sequence', 0)} in the log)",
        ),
        ("asked", asked),
        *([("label", decision["label"])] if decision.get("label") else []),
        ("question", asked_text(decision)),
        (
            "answered",
            f"as known at ledger position {decision.get('position', 0)}, digest "
            f"{decision.get('digest', '-')}",
        ),
        ("events", f"{len(events)} behind the answer" + (f": {short}{more}" if events else "")),
        ("hash", str(decision.get("hash", "-"))),
        ("links to", f"{decision.get('prev_hash', '-')} (the hash of the decision before)"),
    ]
    for name, text in rows:
        grid.add_row(name, shown(text))
    return grid


def _named(value: object) -> str:
    """A verdict's name as the service documents it: ``no-rule`` is ``NO_RULE``."""
    return str(value or "-").upper().replace("-", "_")


def _rank(ranking: Data) -> str:
    """An office's place in a comparison: its rank, or ``-`` when not ranked."""
    ranked = tables.standing(ranking) == "ranked" and ranking.get("rank")
    return str(ranking["rank"]) if ranked else "-"


def differences(before: Data, after: Data) -> list[str]:
    """What differs between two answers to the same question, a line each (markup): an
    item's verdict, inspection or enforcement, and an office's rank in a comparison."""
    if "check" in before and "check" in after:
        return _items_differ("", before["check"].get("items", ()), after["check"].get("items", ()))
    if "comparison" in before and "comparison" in after:
        was = {r.get("office", ""): r for r in before["comparison"].get("rankings", ())}
        now = {r.get("office", ""): r for r in after["comparison"].get("rankings", ())}
        lines = []
        for office in dict.fromkeys([*was, *now]):
            old, new = was.get(office, {}), now.get(office, {})
            if _rank(old) != _rank(new) or not old or not new:
                lines.append(f"{shown(office)} rank: {_rank(old)} → {_rank(new)}")
            lines += _items_differ(f"{office} ", old.get("items", ()), new.get("items", ()))
        return lines
    return [] if before == after else ["the answer is of another kind"]


def _items_differ(prefix: str, before: Iterable[Data], after: Iterable[Data]) -> list[str]:
    lines = []
    none: Data = {}
    was: Data
    now: Data
    for was, now in zip_longest(before, after, fillvalue=none):
        name = shown(prefix + _item(now.get("item") or was.get("item") or {}))
        if _named(was.get("verdict")) != _named(now.get("verdict")):
            lines.append(
                f"{name}: {verdict(_named(was.get('verdict')))} → "
                f"{verdict(_named(now.get('verdict')))}"
            )
        for dimension in ("inspection", "enforcement"):
            old, new = was.get(dimension, "-"), now.get(dimension, "-")
            if old != new:
                lines.append(f"{name} {dimension}: {shown(old)} → {shown(new)}")
    return lines


def impact_table(title: str, impacts: list[Data]) -> Table:
    """One row per decision an event changed: its id and label, the question (what, for
    which date, where), and each verdict before → after the event."""
    drawn = table(title, "decision", "question", "before → after")
    for impact in impacts:
        decision = impact.get("decision", {})
        kind, request = question(decision)
        changed = differences(impact.get("before", {}), impact.get("after", {}))
        drawn.add_row(
            "\n".join([shown(impact.get("decision_id", "")), shown(decision.get("label") or "")]),
            "\n".join(
                [f"{_ASKED_BY.get(kind, '-')} on {shown(request.get('at', '-'))}"]
                + [shown(office) for office in offices(decision)]
            ),
            "\n".join(changed) or "changed in details not shown here: see --json",
        )
    return drawn


def impact_line(impact: Data) -> str:
    """An impact as a watch prints it: the event, the decision, what changed (markup)."""
    decision = impact.get("decision", {})
    changed = differences(impact.get("before", {}), impact.get("after", {}))
    return (
        f"{impact.get('position', 0):>8} {shown(impact.get('event_type', '')):<16} "
        f"{shown(impact.get('office', '')):<14} decision {shown(impact.get('decision_id', ''))} "
        f"({shown(', '.join(offices(decision)))} on {shown(question(decision)[1].get('at', '-'))}"
        f"): {'; '.join(changed) or 'changed'}"
    )
