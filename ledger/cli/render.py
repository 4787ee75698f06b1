"""What the CLI prints: tables for people, JSON for machines.

Tables are drawn from a reply's plain data (``ledger_client.connection``: enum values as
``personal-baggage``, fields left out when unset); JSON is the client's models of the same
reply, as the client library returns them, so both read the same whether a script uses the
library or the CLI.
"""

from __future__ import annotations

import json
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.table import Table

__all__ = [
    "console",
    "errors",
    "print_json",
    "format_goods",
    "receipt_line",
    "check_table",
    "compare_table",
    "state_table",
    "history_table",
    "offices_table",
    "watch_line",
    "checks_table",
    "verdict",
]

Data = dict[str, Any]

_COLOURS = {
    "ALLOWED": "green",
    "LIMIT_EXCEEDED": "yellow",
    "PROHIBITED": "bold red",
    "UNCERTAIN": "magenta",
    "NO_RULE": "dim",
}


# Piped output is not wrapped at 80 columns: tables stay one line per row.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)


def print_json(value: BaseModel | list[Any] | dict[str, Any]) -> None:
    if isinstance(value, (list, dict)):
        console.print_json(json.dumps(value, default=str))
    else:
        console.print_json(value.model_dump_json())


def _table(title: str, *columns: str) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for column in columns:
        table.add_column(column)
    return table


def verdict(value: str) -> str:
    """A verdict as the service documents it (``LIMIT_EXCEEDED``), coloured."""
    name = value.upper().replace("-", "_")
    return f"[{_COLOURS.get(name, 'default')}]{name}[/]"


def format_goods(goods: str) -> str:
    """Human form of goods: ``851660`` is ``8516.60``; categories (``electronics``) unchanged."""
    if not goods.isdigit() or len(goods) <= 4:
        return goods
    return ".".join([goods[:4], goods[4:6], *([goods[6:]] if len(goods) > 6 else [])])


def receipt_line(receipt: Data) -> str:
    return (
        f"recorded {receipt['change_id']} at {receipt['office']} v{receipt['office_version']}, "
        f"position {receipt['position']}, {receipt['recorded_at']:%Y-%m-%d %H:%M:%S} UTC"
    )


def check_table(title: str, result: Data) -> Table:
    table = _table(title, "item", "verdict", "inspection", "enforcement", "because", "sources")
    for item in result.get("items", ()):
        asked = item["item"]
        table.add_row(
            f"{format_goods(asked['goods'])} x{asked.get('quantity', 1)}",
            verdict(item["verdict"]),
            item.get("inspection", "-"),
            item.get("enforcement", "-"),
            _because(item),
            "\n".join(f"{s['publisher']} {s['published']} {s['grade']}" for s in item["sources"]),
        )
    return table


def _because(item: Data) -> str:
    reasons = []
    for candidate in item.get("candidates", ()):
        rulings = candidate.get("rulings", ())
        rule = next((r for r in rulings if r["dimension"] == "admissibility"), None)
        where = ""
        if rule is not None:
            effective = rule["effective"]
            where = f" ({rule['kind']} from {effective['on']}, {effective['precision']})"
        reasons.append(candidate.get("reason", "") + where)
    return "\n".join(reasons)


def compare_table(title: str, result: Data) -> Table:
    table = _table(title, "rank", "office", "verdicts", "inspection", "enforcement")
    for ranking in result.get("rankings", ()):
        items = ranking.get("items", ())
        table.add_row(
            str(ranking["rank"]),
            ranking["office"],
            ", ".join(verdict(i["verdict"]) for i in items),
            ", ".join(i.get("inspection", "-") for i in items),
            ", ".join(i.get("enforcement", "-") for i in items),
        )
    return table


def state_table(result: Data) -> Table:
    table = _table(
        f"{result['office']} on {result['at']}",
        "scope",
        "admissibility",
        "inspection",
        "enforcement",
    )
    for scope in result.get("scopes", ()):
        s = scope["scope"]
        uncertain = scope.get("uncertain", False)
        for number, rule in enumerate(scope.get("states", ())):
            label = f"{s['direction']}/{s['channel']}/{s['traveller']}/{format_goods(s['goods'])}"
            if uncertain:
                label = (
                    (label + "  [magenta]uncertain:[/] not yet in force")
                    if number == 0
                    else "  if in force"
                )
            admissible = rule.get("admissibility")
            table.add_row(
                label,
                "-" if admissible is None else _admissible_text(admissible),
                rule.get("inspection", "-"),
                rule.get("enforcement", "-"),
            )
    return table


def _admissible_text(admissibility: Data) -> str:
    if admissibility.get("quantity") is not None:
        return f"at most {admissibility['quantity']}"
    if admissibility.get("amount"):
        return f"at most {admissibility['amount']} {admissibility['currency']}"
    return str(admissibility["kind"])


def history_table(office: str, events: list[Data]) -> Table:
    table = _table(f"history of {office}", "v", "event", "recorded", "reported", "what")
    for entry in events:
        table.add_row(
            str(entry["office_version"]),
            entry["type"],
            entry["recorded_at"].strftime("%Y-%m-%d %H:%M:%S"),
            str(entry.get("reported_on", "")),
            what(json.loads(entry["event_json"])),
        )
    return table


def offices_table(offices: list[Data]) -> Table:
    table = _table("offices", "code", "name", "version", "changes", "crossings")
    for row in offices:
        crossings = ", ".join(f"{c['counterpart']} ({c['mode']})" for c in row.get("crossings", ()))
        table.add_row(
            row["code"], row["name"], str(row["version"]), str(row.get("changes", 0)), crossings
        )
    return table


def checks_table(title: str, checks: dict[str, bool]) -> Table:
    table = _table(title, "check", "result")
    for name, passed in checks.items():
        table.add_row(name, "[green]holds[/]" if passed else "[bold red]broken[/]")
    return table


def watch_line(event: Data) -> str:
    return (
        f"{event['position']:>8} {event['office']:<14} v{event['office_version']:<4} "
        f"{event['type']:<18} {what(json.loads(event['event_json']))}"
    )


def what(event: Data) -> str:
    """An event in a few words: its scope, its date, and its reason, note or name."""
    scope = event.get("scope")
    effective = event.get("effective")
    parts = [
        f"{scope['direction']}/{scope['channel']}/{scope['traveller']}/{format_goods(scope['goods'])}"
        if scope
        else "",
        f"from {effective['on']} ({effective['precision']})" if effective else "",
        str(event.get("reason") or event.get("note") or event.get("name") or ""),
    ]
    return " ".join(part for part in parts if part)
