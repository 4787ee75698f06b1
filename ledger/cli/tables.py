"""The questions' answers as tables: offices, check, compare, state and history, and a watch's
lines. Drawn from the replies' plain data; every text from the ledger goes through
``render.shown``.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from ledger.cli import changes
from ledger.cli.render import (
    admissible_text,
    effective_text,
    format_goods,
    measure_text,
    scope_text,
    shown,
    source_text,
    table,
    verdict,
    visible,
    window,
)

if TYPE_CHECKING:
    from collections.abc import Iterable

    from rich.table import Table

__all__ = [
    "offices_table",
    "check_table",
    "compare_table",
    "state_table",
    "history_table",
    "watch_line",
    "what",
    "standing",
    "NO_OFFICES",
]

Data = dict[str, Any]

NO_OFFICES = (
    "no offices registered yet — register one with "
    "`ledger register --office CN-DANDONG --name 'Dandong Customs'`, "
    "or import the example: `ledger import examples/dandong-2025.jsonl`"
)
_GROUPS = {
    "uncertain": "uncertain — not ranked",
    "unknown": "unknown — no rule recorded, not ranked",
}


def offices_table(offices: list[Data]) -> Table:
    drawn = table(
        "offices",
        *("code", "name", "version", "changes", "crossings"),
        whole={"code": _widest(row["code"] for row in offices)},
    )
    for row in offices:
        crossings = ", ".join(f"{c['counterpart']} ({c['mode']})" for c in row.get("crossings", ()))
        drawn.add_row(
            shown(row["code"]),
            shown(row["name"]),
            str(row["version"]),
            str(row.get("changes", 0)),
            shown(crossings),
        )
    return drawn


def _widest(texts: Iterable[str]) -> int:
    """The width of the longest of ``texts`` as printed (0 for none), up to 40: a longer one
    folds rather than leave no room to the other columns."""
    return min(40, max((len(visible(text)) for text in texts), default=0))


def _sources(sources: Iterable[Data]) -> str:
    seen = dict.fromkeys(source_text(source) for source in sources)
    return "\n".join(shown(text) for text in seen)


def check_table(title: str, result: Data) -> Table:
    """One row per item: its verdict, inspection and enforcement, and why (the reason, then
    the sources in grey). An UNCERTAIN item is followed by its two candidates, labelled: the
    rule as before the change's window (not yet in force), and as from its end (in force)."""
    items = result.get("items", ())
    answers = [*items, *(c for item in items for c in item.get("candidates", ()))]
    drawn = table(
        title,
        *("item", "verdict", "inspection", "enforcement", "because"),
        # A verdict, an inspection or an enforcement is one word: never broken.
        whole={
            column: _widest([column, *(str(a.get(column, "-")) for a in answers)])
            for column in ("verdict", "inspection", "enforcement")
        },
    )
    for item in items:
        asked = item["item"]
        uncertain = _named(item["verdict"]) == "UNCERTAIN"
        candidates = item.get("candidates", ())
        drawn.add_row(
            shown(f"{format_goods(asked['goods'])} x{asked.get('quantity', 1)}"),
            verdict(item["verdict"]),
            shown(item.get("inspection", "-")),
            shown(item.get("enforcement", "-")),
            _in_window(item)
            if uncertain
            else _with_sources(list(map(_reason, candidates)), item.get("sources", ())),
        )
        if not uncertain:
            continue
        for label, candidate in zip(_candidate_labels(item), candidates, strict=False):
            rulings = candidate.get("rulings", ())
            drawn.add_row(
                f"  [italic]{label}[/]",
                verdict(candidate["verdict"]),
                shown(candidate.get("inspection", "-")),
                shown(candidate.get("enforcement", "-")),
                _with_sources(
                    [_reason(candidate)],
                    (source for ruling in rulings for source in ruling.get("sources", ())),
                ),
            )
    return drawn


def _with_sources(reasons: list[str], sources: Iterable[Data]) -> str:
    cited = _sources(sources)
    return "\n".join([*reasons, *([f"[dim]{cited}[/]"] if cited else [])])


def _named(value: str) -> str:
    """A verdict's name as the service documents it: ``no-rule`` is ``NO_RULE``."""
    return value.upper().replace("-", "_")


def _candidate_labels(item: Data) -> tuple[str, str]:
    effective = item.get("governing", {}).get("effective")
    try:
        start, end = window(effective["on"], effective.get("precision", "day"))
    except (TypeError, KeyError, ValueError):
        return "as before the window (not yet in force)", "as from the window's end (in force)"
    return f"as before {start} (not yet in force)", f"as from {end} (in force)"


def _in_window(item: Data) -> str:
    governing = item.get("governing")
    if not governing:
        return "the date lies in a change's window"
    return shown(
        f"the date lies in the window of a {governing['kind']} change, "
        f"{effective_text(governing.get('effective'))}"
    )


def _reason(candidate: Data) -> str:
    rulings = candidate.get("rulings", ())
    rule = next((r for r in rulings if r["dimension"] == "admissibility"), None)
    where = ""
    if rule is not None:
        effective = rule["effective"]
        where = f" ({rule['kind']} from {effective['on']}, {effective['precision']})"
    return shown(candidate.get("reason", "") + where)


def standing(ranking: Data) -> str:
    """``ranked``, ``uncertain`` or ``unknown``: as the server says, or, from a server before
    standings, as its verdicts say."""
    given = ranking.get("standing")
    if given:
        return str(given)
    verdicts = {_named(item["verdict"]) for item in ranking.get("items", ())}
    return (
        "unknown" if "NO_RULE" in verdicts else "uncertain" if "UNCERTAIN" in verdicts else "ranked"
    )


def compare_table(title: str, result: Data) -> Table:
    """The ranked offices with their rank, then those whose answer is uncertain, then those
    the ledger has no rule for: each group under its label, unranked (``-``)."""
    rows = result.get("rankings", ())
    drawn = table(
        title,
        *("rank", "office", "item", "verdict", "inspection", "enforcement"),
        whole={"office": _widest(ranking["office"] for ranking in rows)},
    )
    groups: dict[str, list[Data]] = {"ranked": [], "uncertain": [], "unknown": []}
    for ranking in rows:
        groups.setdefault(standing(ranking), []).append(ranking)
    for name, rankings in groups.items():
        if not rankings:
            continue
        if name in _GROUPS:
            drawn.add_section()
            drawn.add_row("", f"[italic]{_GROUPS[name]}[/]")
        for ranking in rankings:
            items = ranking.get("items", ())
            ranked = name == "ranked" and ranking.get("rank")
            drawn.add_row(
                str(ranking["rank"]) if ranked else "-",
                shown(ranking["office"]),
                "\n".join(shown(_asked(i["item"])) for i in items),
                "\n".join(verdict(i["verdict"]) for i in items),
                "\n".join(shown(i.get("inspection", "-")) for i in items),
                "\n".join(shown(i.get("enforcement", "-")) for i in items),
            )
    return drawn


def _asked(item: Data) -> str:
    """An item as the caller wrote its goods, with its quantity."""
    return f"{item['goods']} x{item.get('quantity', 1)}"


def state_table(result: Data) -> Table:
    drawn = table(
        f"{result['office']} on {result['at']}",
        "scope",
        "admissibility",
        "inspection",
        "enforcement",
    )
    for scope in result.get("scopes", ()):
        uncertain = scope.get("uncertain", False)
        for number, rule in enumerate(scope.get("states", ())):
            label = shown(scope_text(scope["scope"]))
            if uncertain:
                label = (
                    (label + "  [magenta]uncertain:[/] not yet in force")
                    if number == 0
                    else "  if in force"
                )
            admissible = rule.get("admissibility")
            drawn.add_row(
                label,
                "-" if admissible is None else shown(admissible_text(admissible)),
                shown(rule.get("inspection", "-")),
                shown(rule.get("enforcement", "-")),
            )
    return drawn


def history_table(office: str, events: list[Data]) -> Table:
    """Every event of an office's history as something to act on: the change's short id (for
    an amendment or a retraction, ``→`` the change it targets), its kind and what became of it
    since (``retracted``, ``amended 2x``), what it says (scope, measure, effective window, note
    or reason), and on whose word. Stacked in a few columns, so that it reads in 80."""
    short = changes.abbreviate(event["change_id"] for event in events if event.get("change_id"))
    since = changes.standing(events)
    scopes: dict[str, Data] = {}
    drawn = table(
        f"history of {office}",
        "v",
        "change",
        "kind",
        "what",
        "sources",
        whole={"change": _widest(f"→ {short_id}" for short_id in short.values())},
    )
    for entry in events:
        event = json.loads(entry["event_json"])
        change_id = entry.get("change_id") or ""
        acts_on = entry["type"] in ("ChangeAmended", "ChangeRetracted")
        if entry["type"] in changes.CHANGE_TYPES and change_id:
            scopes[change_id] = event.get("scope") or {}
        drawn.add_row(
            str(entry["office_version"]),
            shown(f"→ {short[change_id]}" if acts_on else short.get(change_id, "")),
            "\n".join(
                [shown(changes.kind_of(entry["type"]))]
                + (
                    [f"[magenta]{shown(since[change_id])}[/]"]
                    if change_id in since and not acts_on
                    else []
                )
            ),
            _what(entry["type"], event, scopes.get(change_id) if acts_on else event.get("scope")),
            _sources(event.get("sources", ())),
        )
    return drawn


def _what(event_type: str, event: Data, scope: Data | None) -> str:
    lines = [scope_text(scope)] if scope else []
    stated = _stated(event_type, event)
    lines += [stated] if stated else []
    if event.get("effective"):
        lines.append(f"from {effective_text(event['effective'])}")
    said = event.get("note") or event.get("reason") or event.get("name")
    return "\n".join([*map(shown, lines), *([f"[dim]{shown(said)}[/]"] if said else [])])


def _stated(event_type: str, event: Data) -> str:
    """What an event states of its change's measure (an amendment: what it corrects), as
    plain text."""
    if event_type == "ChangeAmended":
        measure = event.get("measure")
        clear = event.get("clear")
        if clear is None and event.get("class_version", 1) == 1 and measure is not None:
            # A version 1 amendment replaced the whole measure: what it left out, it cleared.
            clear = [
                d for d in ("admissibility", "inspection", "enforcement") if not measure.get(d)
            ]
        return "" if measure is None and not clear else measure_text(measure, clear or ())
    if event_type in changes.CHANGE_TYPES:
        return measure_text(event.get("measure"))
    return ""


def watch_line(event: Data) -> str:
    return (
        f"{event['position']:>8} {shown(event['office']):<14} v{event['office_version']:<4} "
        f"{shown(event['type']):<18} {what(json.loads(event['event_json']))}"
    )


def what(event: Data) -> str:
    """An event in a few words: its scope, its date, and its reason, note or name (as rich
    markup that prints them, ``shown``)."""
    scope = event.get("scope")
    effective = event.get("effective")
    parts = [
        scope_text(scope) if scope else "",
        f"from {effective['on']} ({effective['precision']})" if effective else "",
        str(event.get("reason") or event.get("note") or event.get("name") or ""),
    ]
    return shown(" ".join(part for part in parts if part))
