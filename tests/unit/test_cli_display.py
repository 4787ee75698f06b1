"""What the CLI prints of stored text, and how it reads numbers (issue 12, row 7).

A terminal is never handed a control character or a bidirectional control as it is, and rich
markup in stored text is printed, not applied; numbers in options are ASCII digits.
"""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from typing import Any, ClassVar

import pytest
import typer
from rich.console import Console

from ledger.cli import parse, render, tables

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
        out = _printed(printed, tables.offices_table([row]))
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
            printed, tables.history_table("CN-OLDTEXT", [entry]), tables.watch_line(line)
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
        out = _printed(printed, tables.check_table("[red]title", {"items": [item]}))
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
    from ledger.cli import failures

    out = io.StringIO()
    monkeypatch.setattr(failures, "errors", Console(file=out, width=200, color_system=None))
    with pytest.raises(typer.Exit):
        raise failures.Refused("office [red]X\x1b[31m is not registered\nline 2: not JSON")
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


# Issue 13, points 1, 5, 6, 7 and 12: what the tables say, and that they read in 80 columns.

SCOPE = {
    "direction": "outbound",
    "channel": "personal-baggage",
    "traveller": "worker",
    "goods": "851660",
}
LIMIT = {"kind": "quantity-limit", "quantity": 1}
DAILY_NK = {
    "publisher": "Daily NK",
    "url": "https://www.dailynk.com/english/",
    "published": "2025-03-19",
    "grade": "B2",
}
INFORMANT = {"publisher": "Informant", "reference": "in Sinuiju", "published": "2025-04-02"}
CHANGE = "3f2a9c1b-0000-4000-8000-000000000001"
RETRACTED = "9e8d7c6b-0000-4000-8000-000000000002"
TWIN = "9e8d7c6b-1111-4000-8000-000000000003"


def _entry(version: int, type_: str, change_id: str = "", **event: Any) -> dict[str, Any]:
    found: dict[str, Any] = {
        "office_version": version,
        "type": type_,
        "recorded_at": datetime(2025, 4, 1, tzinfo=UTC),
        "event_json": json.dumps(event),
    }
    return {**found, "change_id": change_id} if change_id else found


HISTORY = [
    _entry(1, "OfficeRegistered", name="Ji'an Customs"),
    _entry(
        2,
        "PolicyTightened",
        CHANGE,
        scope=SCOPE,
        measure={"admissibility": LIMIT, "inspection": "thorough", "enforcement": "confiscation"},
        effective={"on": "2025-03-01", "precision": "early-month"},
        sources=[DAILY_NK, {**INFORMANT, "grade": "C3"}],
        note="no electronics",
    ),
    # Version 2: the enforcement restated, the inspection cleared.
    _entry(
        3,
        "ChangeAmended",
        CHANGE,
        class_version=2,
        measure={"admissibility": None, "inspection": None, "enforcement": "fine"},
        clear=["inspection"],
        reason="fined, not confiscated",
        sources=[DAILY_NK],
    ),
    # Version 1, stored before: the whole measure, so what it leaves out it clears.
    _entry(
        4,
        "ChangeAmended",
        CHANGE,
        measure={"admissibility": {"kind": "prohibited"}, "inspection": None},
        effective={"on": "2025-03-20", "precision": "day"},
        reason="it was a ban",
        sources=[DAILY_NK],
    ),
    _entry(
        5,
        "PolicyObserved",
        RETRACTED,
        scope={**SCOPE, "goods": "electronics"},
        measure={"inspection": "none"},
        effective={"on": "2024-05-01", "precision": "year"},
        sources=[DAILY_NK],
    ),
    _entry(
        6,
        "PolicyLoosened",
        TWIN,
        scope={**SCOPE, "channel": "cargo-road"},
        measure={"inspection": "light"},
        effective={"on": "2025-04-01", "precision": "month"},
        sources=[DAILY_NK],
    ),
    _entry(7, "ChangeRetracted", RETRACTED, reason="recorded against the wrong office"),
]


def _rows(out: str) -> list[list[str]]:
    """A table's printed rows, as their cells' text (stripped), lines in order."""
    return [
        [cell.strip() for cell in line.split("│")[1:-1]]
        for line in out.splitlines()
        if line.startswith("│")
    ]


class TestWords:
    @pytest.mark.parametrize(
        ("measure", "clear", "said"),
        [
            (
                {"admissibility": LIMIT, "inspection": "thorough", "enforcement": "confiscation"},
                (),
                "at most 1; thorough inspection; confiscation",
            ),
            ({"admissibility": {"kind": "prohibited"}}, (), "prohibited"),
            (
                {"admissibility": {"kind": "value-limit", "amount": "500", "currency": "USD"}},
                (),
                "at most 500 USD",
            ),
            ({"inspection": "none", "enforcement": "none"}, (), "no inspection; no enforcement"),
            ({"enforcement": "fine"}, ("inspection",), "fine; clears inspection"),
            (None, (), "-"),
        ],
    )
    def test_a_measure_is_said_in_words(
        self, measure: dict[str, Any] | None, clear: tuple[str, ...], said: str
    ) -> None:
        assert render.measure_text(measure, clear) == said

    @pytest.mark.parametrize(
        ("on", "precision", "said"),
        [
            ("2025-03-20", "day", "2025-03-20"),
            ("2025-03-01", "early-month", "2025-03-01..03-10 (early-month)"),
            ("2025-03-15", "mid-month", "2025-03-11..03-20 (mid-month)"),
            ("2024-02-21", "late-month", "2024-02-21..02-29 (late-month)"),
            ("2025-04-01", "month", "2025-04-01..04-30 (month)"),
            ("2018-05-01", "quarter", "2018-04-01..06-30 (quarter)"),
            ("2024-01-01", "year", "2024-01-01..12-31 (year)"),
        ],
    )
    def test_an_effective_date_is_said_as_its_window(
        self, on: str, precision: str, said: str
    ) -> None:
        assert render.effective_text({"on": on, "precision": precision}) == said

    def test_a_source_without_url_is_said_by_publisher_date_and_grade(self) -> None:
        assert render.source_text({**INFORMANT, "grade": "C3"}) == "Informant 2025-04-02 C3"


class TestAmendment:
    BEFORE: ClassVar[dict[str, Any]] = {
        "kind": "tightened",
        "scope": SCOPE,
        "measure": {
            "admissibility": LIMIT,
            "inspection": "thorough",
            "enforcement": "confiscation",
        },
        "effective": {"on": "2025-03-01", "precision": "early-month"},
    }

    def test_the_change_is_shown_before_and_after_line_by_line(self) -> None:
        after = {**self.BEFORE, "measure": {**self.BEFORE["measure"], "enforcement": "fine"}}
        assert render.amendment_rows(self.BEFORE, after) == [
            (
                "measure",
                "at most 1; thorough inspection; confiscation",
                "at most 1; thorough inspection; fine",
            ),
            ("effective", "2025-03-01..03-10 (early-month)", "unchanged"),
        ]

    def test_a_corrected_date_and_a_cleared_dimension_show_in_the_after_column(
        self, printed: io.StringIO
    ) -> None:
        after = {
            **self.BEFORE,
            "measure": {"admissibility": LIMIT, "enforcement": "confiscation"},
            "effective": {"on": "2025-03-03", "precision": "day"},
        }
        out = _printed(printed, render.amendment_table(self.BEFORE, after))
        lines = [" ".join(line.split()) for line in out.splitlines()]
        assert lines == [
            "measure at most 1; thorough inspection; confiscation → at most 1; confiscation",
            "effective 2025-03-01..03-10 (early-month) → 2025-03-03",
        ]


class TestCheckTable:
    ITEM: ClassVar[dict[str, Any]] = {
        "item": {"goods": "8516.60", "quantity": 1},
        "verdict": "uncertain",
        "governing": {
            "kind": "tightened",
            "effective": {"on": "2025-03-01", "precision": "early-month"},
        },
        "sources": [DAILY_NK],
        "candidates": [
            {"verdict": "allowed", "inspection": "light", "reason": "1 within the limit of 2"},
            {
                "verdict": "prohibited",
                "inspection": "thorough",
                "enforcement": "confiscation",
                "reason": "prohibited",
                "rulings": [
                    {
                        "dimension": "admissibility",
                        "kind": "tightened",
                        "effective": {"on": "2025-03-01", "precision": "early-month"},
                        "sources": [DAILY_NK],
                    }
                ],
            },
        ],
    }

    def test_an_uncertain_item_shows_each_candidate_labelled(self, printed: io.StringIO) -> None:
        out = _printed(printed, tables.check_table("CN-X", {"items": [self.ITEM]}))
        rows = _rows(out)
        assert rows[0][:4] == ["8516.60 x1", "UNCERTAIN", "-", "-"]
        assert "window of a tightened change, 2025-03-01..03-10" in rows[0][4]
        assert rows[1][:4] == ["as before 2025-03-01 (not yet in force)", "ALLOWED", "light", "-"]
        assert rows[1][4] == "1 within the limit of 2"
        assert rows[2][:4] == [
            "as from 2025-03-10 (in force)",
            "PROHIBITED",
            "thorough",
            "confiscation",
        ]
        assert rows[2][4] == "prohibited (tightened from 2025-03-01, early-month)"
        assert rows[3] == ["", "", "", "", "Daily NK 2025-03-19 B2"]  # its source, below

    def test_without_the_governing_change_the_labels_name_the_window(
        self, printed: io.StringIO
    ) -> None:
        item = {key: value for key, value in self.ITEM.items() if key != "governing"}
        out = _printed(printed, tables.check_table("CN-X", {"items": [item]}))
        assert "as before the window (not yet in force)" in out
        assert "as from the window's end (in force)" in out


class TestCompareTable:
    @staticmethod
    def _ranking(office: str, verdict: str, rank: int = 0, **more: Any) -> dict[str, Any]:
        item = {"item": {"goods": "8471.30", "quantity": 2}, "verdict": verdict}
        found = {"office": office, "items": [item], **more}
        return {**found, "rank": rank} if rank else found

    def test_ranked_offices_come_first_then_the_uncertain_then_the_unknown_unranked(
        self, printed: io.StringIO
    ) -> None:
        rankings = [
            self._ranking("CN-A", "allowed", 1, standing="ranked"),
            self._ranking("CN-B", "allowed", 1, standing="ranked"),
            self._ranking("CN-C", "prohibited", 3, standing="ranked"),
            self._ranking("CN-D", "uncertain", standing="uncertain"),
            self._ranking("CN-E", "no-rule", standing="unknown"),
        ]
        out = _printed(printed, tables.compare_table("t", {"rankings": rankings}))
        rows = [row[:4] for row in _rows(out)]
        assert rows == [
            ["1", "CN-A", "8471.30 x2", "ALLOWED"],
            ["1", "CN-B", "8471.30 x2", "ALLOWED"],
            ["3", "CN-C", "8471.30 x2", "PROHIBITED"],
            ["", "uncertain — not ranked", "", ""],
            ["-", "CN-D", "8471.30 x2", "UNCERTAIN"],
            ["", "unknown — no rule recorded, not ranked", "", ""],
            ["-", "CN-E", "8471.30 x2", "NO_RULE"],
        ]

    def test_from_a_server_before_standings_the_verdicts_say_who_is_not_ranked(
        self, printed: io.StringIO
    ) -> None:
        rankings = [
            self._ranking("CN-E", "no-rule", 1),
            self._ranking("CN-A", "allowed", 2),
            self._ranking("CN-D", "uncertain", 3),
        ]
        out = _printed(printed, tables.compare_table("t", {"rankings": rankings}))
        rows = [row[:2] for row in _rows(out)]
        assert rows == [
            ["2", "CN-A"],
            ["", "uncertain — not ranked"],
            ["-", "CN-D"],
            ["", "unknown — no rule recorded, not ranked"],
            ["-", "CN-E"],
        ]


class TestHistoryTable:
    def test_each_row_says_what_to_act_on(self, printed: io.StringIO) -> None:
        out = _printed(printed, tables.history_table("CN-X", HISTORY))
        rows = _rows(out)
        first = {row[0]: row for row in rows if row[0]}  # each event's first line
        assert first["1"][1:4] == ["", "registered", "Ji'an Customs"]
        assert first["2"][1:4] == [
            "3f2a9c1b",
            "tightened",
            "outbound/personal-baggage/worker/8516.60",
        ]
        assert first["3"][1:3] == ["→ 3f2a9c1b", "amended"]
        assert first["5"][1] == "9e8d7c6b-0"  # 9e8d7c6b is shared by two of its changes
        assert first["6"][1] == "9e8d7c6b-1"
        assert first["7"][1:4] == [
            "→ 9e8d7c6b-0",
            "retracted",
            "outbound/personal-baggage/worker/electronics",
        ]
        column = {
            version: [row[3] for row in rows[rows.index(first[version]) :][:4]] for version in first
        }
        assert column["2"] == [
            "outbound/personal-baggage/worker/8516.60",
            "at most 1; thorough inspection; confiscation",
            "from 2025-03-01..03-10 (early-month)",
            "no electronics",
        ]
        assert column["3"][1:3] == ["fine; clears inspection", "fined, not confiscated"]
        assert column["4"][1:3] == [
            "prohibited; clears inspection; clears enforcement",
            "from 2025-03-20",
        ]
        assert column["7"][1] == "recorded against the wrong office"

    def test_a_change_says_what_became_of_it_and_its_sources(self, printed: io.StringIO) -> None:
        rows = _rows(_printed(printed, tables.history_table("CN-X", HISTORY)))
        starts = [index for index, row in enumerate(rows) if row[0]]
        kinds = {rows[i][0]: [row[2] for row in rows[i : i + 2]] for i in starts}
        assert kinds["2"] == ["tightened", "amended 2x"]
        assert kinds["5"] == ["observed", "retracted"]
        assert kinds["6"][1] == "" and kinds["3"][1] == ""  # nothing became of them
        sources = [row[4] for row in rows[starts[1] : starts[2]] if row[4]]
        assert sources == ["Daily NK 2025-03-19 B2", "Informant 2025-04-02 C3"]

    def test_in_80_columns_tables_wrap_and_no_id_is_cut(self) -> None:
        output = io.StringIO()
        narrow = Console(file=output, width=80)
        narrow.print(tables.history_table("CN-X", HISTORY))
        narrow.print(
            tables.compare_table(
                "t", {"rankings": [TestCompareTable._ranking("CN-LONGER-OFFICE-CODE", "no-rule")]}
            )
        )
        narrow.print(tables.check_table("CN-X", {"items": [TestCheckTable.ITEM]}))
        out = output.getvalue()
        assert max(len(line) for line in out.splitlines()) <= 80
        assert "…" not in out
        for short in (
            "3f2a9c1b",
            "→ 3f2a9c1b",
            "9e8d7c6b-0",
            "→ 9e8d7c6b-0",
            "CN-LONGER-OFFICE-CODE",
        ):
            assert short in out
        assert out.count("confiscation") == 2  # wrapped, not cut, nor broken
        assert "PROHIBITED" in out and "as before" in out


def test_watch_and_history_json_leave_out_the_librarys_bookkeeping() -> None:
    from ledger.cli.render import event_json
    from ledger_client.queries import WatchEvent

    stored = {
        "originator_topic": "ledger.domain.office:Office",
        "originator_id": "3c6f0c34-e80a-57f6-b51d-50495e5f7474",
        "originator_version": 2,
        "timestamp": "2025-04-01T00:00:00Z",
        "event_id": CHANGE,
        "prev_hash": "0" * 64,
        "scope": SCOPE,
        "note": "kept",
    }
    data = {
        "position": 9,
        "office": "CN-X",
        "office_version": 2,
        "type": "PolicyObserved",
        "event_id": CHANGE,
        "recorded_at": datetime(2025, 4, 1, tzinfo=UTC),
        "event_json": json.dumps(stored),
    }
    shown = event_json(WatchEvent, data)
    assert shown["event"] == {
        "event_id": CHANGE,
        "prev_hash": "0" * 64,
        "scope": SCOPE,
        "note": "kept",
    }
    assert (shown["office"], shown["office_version"], shown["position"]) == ("CN-X", 2, 9)
    assert "event_json" not in shown
