"""What the CLI prints: the consoles, text from the ledger made safe, JSON for machines, and
the words a change is told in (its scope, measure, effective window, sources). The questions'
tables are in ``ledger.cli.tables``.

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

import calendar
import json
import os
import re
import sys
from datetime import date
from typing import TYPE_CHECKING, Any

from rich.console import Console
from rich.highlighter import JSONHighlighter
from rich.markup import escape

if TYPE_CHECKING:
    from collections.abc import Iterable

    from pydantic import BaseModel
    from rich.table import Table

__all__ = [
    "console",
    "errors",
    "visible",
    "shown",
    "shown_lines",
    "print_json",
    "event_json",
    "BOOKKEEPING",
    "table",
    "verdict",
    "format_goods",
    "scope_text",
    "admissible_text",
    "measure_text",
    "window",
    "effective_text",
    "source_text",
    "receipt_line",
    "amendment_rows",
    "amendment_table",
    "checks_table",
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

# Piped output is 160 columns wide unless COLUMNS says otherwise (rich reads it): tables wrap
# their cells to the width, and ids fold rather than being cut.
console = Console(width=None if sys.stdout.isatty() or "COLUMNS" in os.environ else 160)
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


def table(title: str, *columns: str, whole: dict[str, int] | None = None) -> Table:
    """A table whose cells wrap to the console's width; a word too long for its column is
    folded onto the next line, never cut. The ``whole`` columns (ids, office codes) are kept
    at least as wide as given, the longest of their values, so none is broken across lines."""
    from rich.table import Table

    drawn = Table(title=shown(title))
    widths = whole or {}
    for column in columns:
        drawn.add_column(column, overflow="fold", min_width=widths.get(column))
    return drawn


def verdict(value: str) -> str:
    """A verdict as the service documents it (``LIMIT_EXCEEDED``), coloured."""
    name = value.upper().replace("-", "_")
    return f"[{_COLOURS.get(name, 'default')}]{shown(name)}[/]"


def format_goods(goods: str) -> str:
    """Human form of goods: ``851660`` is ``8516.60``; categories (``electronics``) unchanged."""
    if not (goods.isascii() and goods.isdigit()) or len(goods) <= 4:
        return goods
    return ".".join([goods[:4], goods[4:6], *([goods[6:]] if len(goods) > 6 else [])])


def scope_text(scope: Data) -> str:
    """``outbound/personal-baggage/worker/8516.60`` (plain text: pass it through ``shown``)."""
    parts = [str(scope.get(key) or "any") for key in ("direction", "channel", "traveller")]
    return "/".join([*parts, format_goods(str(scope.get("goods", "")))])


def admissible_text(admissibility: Data) -> str:
    """``at most 2``, ``at most 500 USD``, ``prohibited``, ``allowed``."""
    if admissibility.get("quantity") is not None:
        return f"at most {admissibility['quantity']}"
    if admissibility.get("amount"):
        return f"at most {admissibility['amount']} {admissibility['currency']}"
    return str(admissibility["kind"])


def measure_text(measure: Data | None, clear: Iterable[str] = ()) -> str:
    """What a measure states, ``at most 1; thorough inspection; confiscation``, and the
    dimensions an amendment clears (``clears inspection``); ``-`` for nothing."""
    measure = measure or {}
    parts = []
    if measure.get("admissibility"):
        parts.append(admissible_text(measure["admissibility"]))
    inspection, enforcement = measure.get("inspection"), measure.get("enforcement")
    if inspection:
        parts.append("no inspection" if inspection == "none" else f"{inspection} inspection")
    if enforcement:
        parts.append("no enforcement" if enforcement == "none" else str(enforcement))
    parts += [f"clears {dimension}" for dimension in clear]
    return "; ".join(parts) or "-"


def window(on: str, precision: str) -> tuple[date, date]:
    """The first and last day on which a change dated ``on`` to ``precision`` may have taken
    effect (as the ledger reads it: early March is 2025-03-01..2025-03-10)."""
    day = date.fromisoformat(on)
    last = calendar.monthrange(day.year, day.month)[1]
    if precision == "early-month":
        return day.replace(day=1), day.replace(day=10)
    if precision == "mid-month":
        return day.replace(day=11), day.replace(day=20)
    if precision == "late-month":
        return day.replace(day=21), day.replace(day=last)
    if precision == "month":
        return day.replace(day=1), day.replace(day=last)
    if precision == "quarter":
        first = 3 * ((day.month - 1) // 3) + 1
        end = date(day.year, first + 2, 1)
        return date(day.year, first, 1), end.replace(
            day=calendar.monthrange(end.year, end.month)[1]
        )
    if precision == "year":
        return date(day.year, 1, 1), date(day.year, 12, 31)
    return day, day


def effective_text(effective: Data | None) -> str:
    """An effective date as its window: ``2025-03-20``, ``2025-03-01..03-10 (early-month)``;
    ``-`` for none."""
    if not effective or not effective.get("on"):
        return "-"
    precision = str(effective.get("precision") or "day")
    try:
        start, end = window(str(effective["on"]), precision)
    except ValueError:  # not a date this CLI reads: as the ledger sent it
        return f"{effective['on']} ({precision})"
    if start == end:
        return start.isoformat()
    return f"{start}..{end:%m-%d} ({precision})"


def source_text(source: Data) -> str:
    """``Daily NK 2025-03-19 B2``: who, when, and how reliable (a source may have a URL, a
    reference in words, or both; neither is shown here)."""
    return " ".join(
        str(source[key]) for key in ("publisher", "published", "grade") if source.get(key)
    )


def receipt_line(receipt: Data) -> str:
    return (
        f"recorded {shown(receipt['change_id'])} at {shown(receipt['office'])} "
        f"v{receipt['office_version']}, position {receipt['position']}, "
        f"{receipt['recorded_at']:%Y-%m-%d %H:%M:%S} UTC"
    )


def amendment_rows(before: Data, after: Data) -> list[tuple[str, str, str]]:
    """An amended change before and after, line by line (plain text: pass it through
    ``shown``): ``("measure", "at most 1; ...; confiscation", "at most 1; ...; fine")``,
    and ``unchanged`` where the amendment left the line as it was."""
    rows = []
    for label, text in (("measure", measure_text), ("effective", effective_text)):
        was, now = text(before.get(label)), text(after.get(label))
        rows.append((label, was, "unchanged" if now == was else now))
    return rows


def amendment_table(before: Data, after: Data) -> Table:
    """``amendment_rows`` as a grid: label, before, arrow, after."""
    from rich.table import Table

    grid = Table.grid(padding=(0, 2))
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    grid.add_column(no_wrap=True)
    grid.add_column(overflow="fold")
    for label, was, now in amendment_rows(before, after):
        grid.add_row(label, shown(was), "→", shown(now))
    return grid


def checks_table(title: str, checks: dict[str, bool]) -> Table:
    drawn = table(title, "check", "result")
    for name, passed in checks.items():
        drawn.add_row(name, "[green]holds[/]" if passed else "[bold red]broken[/]")
    return drawn


# The event-sourcing library's bookkeeping in an event's JSON: its own ids, versions and
# timestamp (the event's office, version and recorded time are beside it).
BOOKKEEPING = frozenset({"originator_topic", "originator_id", "originator_version", "timestamp"})


def event_json(model: type, data: dict[str, object]) -> dict[str, object]:
    """An event's JSON as the client library has it, with its content decoded, less the
    event-sourcing library's bookkeeping (its own ids, versions and timestamp: the event's
    office, version and recorded time are beside it)."""
    event = model.model_validate(data)  # type: ignore[attr-defined]
    dumped: dict[str, object] = event.model_dump(mode="json", exclude={"event_json"})
    content = {key: value for key, value in event.event.items() if key not in BOOKKEEPING}
    return {**dumped, "event": content}
