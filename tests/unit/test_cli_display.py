"""What the CLI prints of stored text, and how it reads numbers (issue 12, row 7).

A terminal is never handed a control character or a bidirectional control as it is, and rich
markup in stored text is printed, not applied; numbers in options are ASCII digits.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any

import pytest
import typer
from rich.console import Console

from ledger.cli import parse, render

RAW = ("\x1b", "\x07", "\x85", "\x9b", "\u202e", "\u2066", "\u200f", "\u2028")


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What ``render.console`` prints, as a pipe would receive it."""
    output = io.StringIO()
    monkeypatch.setattr(render, "console", Console(file=output, width=200))
    return output


def _printed(output: io.StringIO, *renderables: Any) -> str:
    for renderable in renderables:
        render.console.print(renderable)
    return output.getvalue()


class TestShown:
    @pytest.mark.parametrize(
        ("text", "shown"),
        [
            ("\x1b[31mRed", "\\x1b[31mRed"),
            ("a\x85b\x9bc", "a\\x85b\\x9bc"),
            ("\u202eevil\u202c", "\\u202eevil\\u202c"),
            ("\u2066x\u2069\u200f\u061c", "\\u2066x\\u2069\\u200f\\u061c"),
            ("line\nnext\ttab\x7f", "line\\x0anext\\x09tab\\x7f"),
        ],
    )
    def test_unprintable_characters_are_shown_as_escapes(self, text: str, shown: str) -> None:
        assert render.visible(text) == shown

    def test_markup_in_text_is_printed_not_applied(self, printed: io.StringIO) -> None:
        out = _printed(printed, render.shown("[red]x[/red] [bold]y"))
        assert out == "[red]x[/red] [bold]y\n"

    def test_text_of_any_script_is_left_as_it_is(self) -> None:
        text = "\u4e39\u4e1c\u6d77\u5173 \u0645\u06cc\u200c\u062e\u0648\u0627\u0645"
        assert render.shown(text) == text


class TestTables:
    def test_offices_print_stored_names_escaped(self, printed: io.StringIO) -> None:
        row = {
            "code": "CN-OLDTEXT",
            "name": "\x1b[31mRed\x1b[0m \u202eevil [bold]x[/bold]",
            "version": 1,
            "crossings": [{"counterpart": "Sinuiju\x85KP", "mode": "bridge"}],
        }
        out = _printed(printed, render.offices_table([row]))
        assert not [char for char in out if char in RAW]
        assert "\\x1b[31mRed\\x1b[0m \\u202eevil [bold]x[/bold]" in out
        assert "Sinuiju\\x85KP (bridge)" in out

    def test_history_and_watch_print_stored_notes_escaped(self, printed: io.StringIO) -> None:
        event = {"name": "ignored", "note": "seen\x1b[2J\u2028at the bridge"}
        entry = {
            "office_version": 2,
            "type": "PolicyObserved",
            "recorded_at": datetime(2025, 3, 20, tzinfo=UTC),
            "reported_on": "2025-03-19",
            "event_json": json.dumps(event),
        }
        line = {**entry, "position": 7, "office": "CN-OLDTEXT"}
        out = _printed(
            printed, render.history_table("CN-OLDTEXT", [entry]), render.watch_line(line)
        )
        assert not [char for char in out if char in RAW]
        assert out.count("seen\\x1b[2J\\u2028at the bridge") == 2

    def test_checks_print_stored_publishers_escaped(self, printed: io.StringIO) -> None:
        source = {"publisher": "\x1b]8;;https://x/\x07Daily", "published": "2025-03-19"}
        item = {
            "item": {"goods": "851660", "quantity": 1},
            "verdict": "PROHIBITED",
            "sources": [{**source, "grade": "B2"}],
            "candidates": [{"reason": "prohibited \u202e"}],
        }
        out = _printed(printed, render.check_table("[red]title", {"items": [item]}))
        assert not [char for char in out if char in RAW]
        assert "\\x1b]8;;https://x/\\x07Daily" in out
        assert "[red]title" in out


class TestJson:
    def test_json_escapes_what_a_terminal_acts_on_and_keeps_other_text(
        self, printed: io.StringIO
    ) -> None:
        data = {"name": "a\u202eb\x85c\x1bd\u2028 \u4e39\u4e1c", "n": [1, 2]}
        render.print_json(data)
        out = printed.getvalue()
        assert not [char for char in out if char in RAW]
        assert "\\u202e" in out
        assert "\\u0085" in out
        assert "\u4e39\u4e1c" in out
        assert json.loads(out) == data


class TestParse:
    @pytest.mark.parametrize(
        "text",
        ["8516.60:\uff11\uff12", "8516.60:\u0661\u0662", "cash:1:\u0661\u0662:USD", "85:1.5"],
    )
    def test_an_item_in_other_digits_is_a_bad_parameter(self, text: str) -> None:
        with pytest.raises(typer.BadParameter, match="ASCII digits"):
            parse.item(text)

    @pytest.mark.parametrize(
        "text", ["quantity-limit:\uff11\uff12", "value-limit:\u0661\u0662:USD", "quantity-limit:x"]
    )
    def test_a_limit_in_other_digits_is_a_bad_parameter(self, text: str) -> None:
        with pytest.raises(typer.BadParameter, match="ASCII digits"):
            parse.measure(text, None, None)

    def test_ascii_numbers_read_as_before(self) -> None:
        assert parse.item("8516.60:3") == {"goods": "8516.60", "quantity": 3}
        assert parse.item("cash:1:500.00:USD") == {
            "goods": "cash",
            "quantity": 1,
            "value": "500.00",
            "currency": "USD",
        }
        assert parse.measure("quantity-limit:2", "light", None) == {
            "admissibility": {"kind": "quantity-limit", "quantity": 2},
            "inspection": "light",
        }


def test_a_refusal_shows_what_it_quotes_and_keeps_its_own_lines(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from ledger.cli import options

    out = io.StringIO()
    monkeypatch.setattr(options, "errors", Console(file=out, width=200, color_system=None))
    with pytest.raises(typer.Exit):
        raise options.Refused("office [red]X\x1b[31m is not registered\nline 2: not JSON")
    printed = out.getvalue()
    assert "\x1b" not in printed and "\\x1b[31m" in printed
    assert "[red]X" in printed  # quoted as sent, not applied
    assert printed.splitlines()[1] == "line 2: not JSON"


@pytest.mark.parametrize(
    "typed",
    ["\uff12\uff10\uff12\uff15-03-20", "\u0662\u0660\u0662\u0665-03-20", "20250320", "2025-3-20"],
)
def test_a_date_option_takes_ascii_yyyy_mm_dd_only(typed: str) -> None:
    from click import BadParameter

    from ledger.cli.options import DAY

    with pytest.raises(BadParameter, match="expected YYYY-MM-DD"):
        DAY.convert(typed, None, None)
    assert DAY.convert("2025-03-20", None, None) == datetime(2025, 3, 20)
    with pytest.raises(BadParameter, match="not a day of the calendar"):
        DAY.convert("2025-02-30", None, None)
