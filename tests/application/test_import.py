"""Importing a JSONL file: all or nothing, every bad line named, re-imports store nothing."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from ledger.application.importer import ImportRefused, import_file, parse_lines
from ledger.bootstrap import Ledger
from ledger.readmodel.history import HistoryRequest
from tests.support import WORKER_BAGGAGE, source

EXAMPLE = Path(__file__).parents[2] / "examples" / "dandong-2025.jsonl"


def stored(ledger: Ledger) -> int:
    return ledger.app.recorder.max_notification_id() or 0


def write(tmp_path: Path, *lines: object) -> Path:
    path = tmp_path / "changes.jsonl"
    path.write_text(
        "\n".join(line if isinstance(line, str) else json.dumps(line) for line in lines) + "\n"
    )
    return path


REGISTER = {"ref": "dd", "command": "register", "office": "CN-DANDONG", "name": "Dandong"}
BAN = {
    "ref": "ban",
    "command": "tighten",
    "office": "CN-DANDONG",
    "scope": WORKER_BAGGAGE,
    "measure": {"admissibility": {"kind": "prohibited"}},
    "effective": {"on": "2025-03-01", "precision": "early-month"},
    "sources": [source()],
}


class TestImport:
    def test_the_example_ledger_imports_whole(self, any_ledger: Ledger) -> None:
        receipts = import_file(any_ledger.app, EXAMPLE)
        lines = [line for line in EXAMPLE.read_text().splitlines() if line.strip()]
        assert len(receipts) == len(lines)
        assert stored(any_ledger) == len(lines)
        assert {o.code for o in any_ledger.reader.offices()} == {
            "CN-DANDONG",
            "CN-HUNCHUN",
            "CN-CHANGBAI",
        }

    def test_importing_the_same_file_again_stores_nothing_new(self, any_ledger: Ledger) -> None:
        first = import_file(any_ledger.app, EXAMPLE)
        count = stored(any_ledger)
        assert import_file(any_ledger.app, EXAMPLE) == first
        assert stored(any_ledger) == count

    def test_a_batch_counts_only_the_events_it_stored(self, any_ledger: Ledger) -> None:
        commands = [command for _, command in parse_lines(EXAMPLE.read_text().splitlines())]
        first = any_ledger.app.execute_batch(commands[:4])
        assert first.stored == 4
        again = any_ledger.app.execute_batch(commands)  # the first four are retries
        assert again.stored == len(commands) - 4
        assert again.receipts[:4] == first.receipts
        assert any_ledger.app.execute_batch(commands).stored == 0

    def test_every_bad_line_is_named_and_nothing_is_stored(
        self, any_ledger: Ledger, tmp_path: Path
    ) -> None:
        bad_date = {**BAN, "ref": "b2", "effective": {"on": "2025-02-30"}}
        no_sources = {**BAN, "ref": "b3", "sources": []}
        path = write(tmp_path, REGISTER, BAN, "{not json", bad_date, no_sources, {"command": "x"})
        with pytest.raises(ImportRefused) as refused:
            import_file(any_ledger.app, path)
        lines = [line for line, _ in refused.value.errors]
        assert lines == [3, 4, 5, 6]
        assert "effective.on" in str(refused.value)
        assert "sources" in str(refused.value)
        assert stored(any_ledger) == 0

    def test_a_line_the_ledger_refuses_fails_the_whole_file(
        self, any_ledger: Ledger, tmp_path: Path
    ) -> None:
        tightening_that_loosens = {
            **BAN,
            "ref": "wrong-way",
            "measure": {"admissibility": {"kind": "allowed"}},
            "effective": {"on": "2025-04-01"},
        }
        unknown_office = {**BAN, "ref": "elsewhere", "office": "CN-HUNCHUN"}
        path = write(tmp_path, REGISTER, BAN, tightening_that_loosens, unknown_office)
        with pytest.raises(ImportRefused) as refused:
            import_file(any_ledger.app, path)
        assert [line for line, _ in refused.value.errors] == [3, 4]
        assert "tightening" in refused.value.errors[0][1]
        assert "CN-HUNCHUN" in refused.value.errors[1][1]
        assert stored(any_ledger) == 0

    def test_an_amendment_names_its_change_by_ref(self, any_ledger: Ledger, tmp_path: Path) -> None:
        correction = {
            "command": "amend",
            "office": "CN-DANDONG",
            "change": "ban",
            "effective": {"on": "2025-02-01", "precision": "month"},
            "reason": "the ban started in February",
            "sources": [source("2025-04-02")],
        }
        import_file(any_ledger.app, write(tmp_path, REGISTER, BAN, correction))
        events = any_ledger.app.office_events("CN-DANDONG")
        assert type(events[-1]).__name__ == "ChangeAmended"
        assert events[-1].change_id == events[1].event_id

    def test_an_empty_file_is_refused(self, any_ledger: Ledger, tmp_path: Path) -> None:
        with pytest.raises(ImportRefused, match="no commands"):
            import_file(any_ledger.app, write(tmp_path, "# only a comment"))


class TestHistory:
    def test_history_filters_on_valid_and_knowledge_time(self, any_ledger: Ledger) -> None:
        import_file(any_ledger.app, EXAMPLE)
        everything = any_ledger.reader.history(HistoryRequest(office="CN-DANDONG"))
        assert [e.type for e in everything][:2] == ["OfficeRegistered", "PolicyObserved"]
        march = any_ledger.reader.history(
            HistoryRequest(
                office="CN-DANDONG", valid_from=date(2025, 3, 5), valid_to=date(2025, 3, 5)
            )
        )
        assert [e.type for e in march] == ["OfficeRegistered", "PolicyTightened"]
        reported = any_ledger.reader.history(
            HistoryRequest(office="CN-DANDONG", known_at=date(2025, 3, 1), basis="reported")
        )
        assert [e.type for e in reported] == ["OfficeRegistered", "PolicyObserved"]
        assert all(e.reported_on is None or e.reported_on <= date(2025, 3, 1) for e in reported)
