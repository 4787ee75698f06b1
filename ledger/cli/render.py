"""What the CLI prints: tables for people, JSON for machines.

Tables are drawn from a reply's plain data (``ledger_client.connection``: enum values as
``personal-baggage``, fields left out when unset); JSON is the client's models of the same
reply, as the client library returns them, so both read the same whether a script uses the
library or the CLI.

Text that comes from the ledger (names, publishers, notes: whatever a caller once stored) is
printed through ``shown``: a terminal is never handed a control character (ESC starts its
escape sequences) or a bidirectional control as it is, but its escape (``\\x1b``,
``\\u202e``), and rich markup in it (``[red]``) is printed, not applied. JSON escapes them too.
"""

from __future__ import annotations

import json
import re
import sys
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.highlighter import JSONHighlighter
from rich.markup import escape

if TYPE_CHECKING:
    from pydantic import BaseModel
    from rich.table import Table

__all__ = [
    "console",
    "errors",
    "visible",
    "shown",
    "shown_lines",
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


# Characters a terminal must not be handed as they are: control characters (C0, DEL, C1),
# line and paragraph separators, and the bidirectional controls that reorder what is shown.
# The JSON encoder escapes C0 itself (in strings: the line breaks between are its layout).
_SPECIAL = r"\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_UNPRINTABLE = re.compile(rf"[\x00-\x1f{_SPECIAL}]")
_UNPRINTABLE_IN_JSON = re.compile(f"[{_SPECIAL}]")

# Piped output is not wrapped at 80 columns: tables stay one line per row.
console = Console(width=None if sys.stdout.isatty() else 160)
errors = Console(stderr=True)


def _escaped(found: re.Match[str]) -> str:
    code = ord(found.group())
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"


def visible(text: object) -> str:
    """``text`` with each unprintable character as its escape: ESC as ``\\x1b``, U+202E as
    ``\\u202e``."""
    return _UNPRINTABLE.sub(_escaped, str(text))


def shown(text: object) -> str:
    """Text from the ledger or a caller, as rich markup that prints it: unprintable characters
    as escapes, and markup in it (``[red]``) printed rather than applied."""
    return escape(visible(text))


def shown_lines(text: object) -> str:
    """``shown``, line by line: a message's own line breaks stay line breaks."""
    return "\n".join(shown(line) for line in str(text).split("\n"))


def print_json(value: BaseModel | list[Any] | dict[str, Any]) -> None:
    data = value if isinstance(value, (list, dict)) else value.model_dump(mode="json")
    # Non-ASCII text stays readable; what a terminal would act on is escaped, as JSON.
    text = json.dumps(data, indent=2, ensure_ascii=False, default=str)
    text = _UNPRINTABLE_IN_JSON.sub(lambda found: f"\\u{ord(found.group()):04x}", text)
    highlighted = JSONHighlighter()(text)
    highlighted.no_wrap = True
    highlighted.overflow = None
    console.print(highlighted, soft_wrap=True)


def _table(title: str, *columns: str) -> Table:
    from rich.table import Table

    table = Table(title=shown(title))
    for column in columns:
        table.add_column(column)
    return table


def verdict(value: str) -> str:
    """A verdict as the service documents it (``LIMIT_EXCEEDED``), coloured."""
    name = value.upper().replace("-", "_")
    return f"[{_COLOURS.get(name, 'default')}]{shown(name)}[/]"


def format_goods(goods: str) -> str:
    """Human form of goods: ``851660`` is ``8516.60``; categories (``electronics``) unchanged."""
    if not (goods.isascii() and goods.isdigit()) or len(goods) <= 4:
        return goods
    return ".".join([goods[:4], goods[4:6], *([goods[6:]] if len(goods) > 6 else [])])


def receipt_line(receipt: Data) -> str:
    return (
        f"recorded {shown(receipt['change_id'])} at {shown(receipt['office'])} "
        f"v{receipt['office_version']}, position {receipt['position']}, "
        f"{receipt['recorded_at']:%Y-%m-%d %H:%M:%S} UTC"
    )


def check_table(title: str, result: Data) -> Table:
    table = _table(title, "item", "verdict", "inspection", "enforcement", "because", "sources")
    for item in result.get("items", ()):
        asked = item["item"]
        table.add_row(
            shown(f"{format_goods(asked['goods'])} x{asked.get('quantity', 1)}"),
            verdict(item["verdict"]),
            shown(item.get("inspection", "-")),
            shown(item.get("enforcement", "-")),
            _because(item),
            "\n".join(
                shown(f"{s['publisher']} {s['published']} {s['grade']}") for s in item["sources"]
            ),
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
        reasons.append(shown(candidate.get("reason", "") + where))
    return "\n".join(reasons)


def compare_table(title: str, result: Data) -> Table:
    table = _table(title, "rank", "office", "verdicts", "inspection", "enforcement")
    for ranking in result.get("rankings", ()):
        items = ranking.get("items", ())
        table.add_row(
            str(ranking["rank"]),
            shown(ranking["office"]),
            ", ".join(verdict(i["verdict"]) for i in items),
            shown(", ".join(i.get("inspection", "-") for i in items)),
            shown(", ".join(i.get("enforcement", "-") for i in items)),
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
            label = shown(
                f"{s['direction']}/{s['channel']}/{s['traveller']}/{format_goods(s['goods'])}"
            )
            if uncertain:
                label = (
                    (label + "  [magenta]uncertain:[/] not yet in force")
                    if number == 0
                    else "  if in force"
                )
            admissible = rule.get("admissibility")
            table.add_row(
                label,
                "-" if admissible is None else shown(_admissible_text(admissible)),
                shown(rule.get("inspection", "-")),
                shown(rule.get("enforcement", "-")),
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
            shown(entry["type"]),
            entry["recorded_at"].strftime("%Y-%m-%d %H:%M:%S"),
            shown(entry.get("reported_on", "")),
            what(json.loads(entry["event_json"])),
        )
    return table


def offices_table(offices: list[Data]) -> Table:
    table = _table("offices", "code", "name", "version", "changes", "crossings")
    for row in offices:
        crossings = ", ".join(f"{c['counterpart']} ({c['mode']})" for c in row.get("crossings", ()))
        table.add_row(
            shown(row["code"]),
            shown(row["name"]),
            str(row["version"]),
            str(row.get("changes", 0)),
            shown(crossings),
        )
    return table


def checks_table(title: str, checks: dict[str, bool]) -> Table:
    table = _table(title, "check", "result")
    for name, passed in checks.items():
        table.add_row(name, "[green]holds[/]" if passed else "[bold red]broken[/]")
    return table


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
        f"{scope['direction']}/{scope['channel']}/{scope['traveller']}/{format_goods(scope['goods'])}"
        if scope
        else "",
        f"from {effective['on']} ({effective['precision']})" if effective else "",
        str(event.get("reason") or event.get("note") or event.get("name") or ""),
    ]
    return shown(" ".join(part for part in parts if part))
