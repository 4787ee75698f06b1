"""A ledger's database is what it claims to be (``ledger.storage.identity``).

A new ledger is made only where there is none, and marked; a ledger of the code before the
marker is recognised by its tables and columns and gets the marker; anything else is refused
in words, with nothing written to it; servers opening an empty database together make one
ledger; and a SQLite file deleted or replaced under a ledger takes no more writes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import shutil
import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.audit.store import audit_store
from ledger.bootstrap import Ledger
from ledger.domain.errors import StorageUnavailable
from ledger.settings import Settings
from ledger.storage.identity import (
    APPLICATION,
    POSTGRES_V1,
    SQLITE_V1,
    Found,
    NotALedger,
    State,
    judge,
)
from tests.conftest import POSTGRES_URL
from tests.support import amend, check, limit, postgres_rows, record, register, sqlite_rows

FIXTURE = Path(__file__).parent.parent / "fixtures" / "ledger-2f2dd9f.sqlite"
MARKER = [("application", APPLICATION), ("schema_version", "5")]
# A ledger of this version brought back to schema version 1's tables and marker.
TO_V1 = (
    "DROP TABLE ledger_decisions, ledger_merkle_nodes, ledger_signed_checkpoints; "
    "DROP INDEX ledger_events_requests_by_event; "
    "ALTER TABLE ledger_rule_revisions DROP COLUMN position_from, DROP COLUMN position_until"
)
TO_V1_SQLITE = "ALTER TABLE rule_revisions DROP COLUMN position_from"
TO_V1_SQLITE_DECISIONS = "DROP TABLE decisions"
TO_V1_SQLITE_MERKLE = "DROP TABLE merkle_nodes"
TO_V1_SQLITE_SIGNED = "DROP TABLE signed_checkpoints"
TO_V1_SQLITE_EVENT_INDEX = "DROP INDEX request_ids_by_event"
VERSION_1 = "UPDATE ledger_meta SET value = '1' WHERE key = 'schema_version'"


def opened_state(url: str) -> State:
    with Ledger(Settings(database_url=url)) as ledger:
        return ledger.factory.state  # type: ignore[no-any-return]


def folder_state(path: Path) -> dict[str, str]:
    """Every file beside ``path``, and a hash of its bytes: what "nothing written" compares."""
    return {
        entry.name: hashlib.sha256(entry.read_bytes()).hexdigest()
        for entry in sorted(path.parent.iterdir())
        if entry.is_file()
    }


@pytest.fixture
def old_ledger(tmp_path: Path) -> Path:
    """A copy of the ledger file written by the code before the marker (never the original)."""
    copy = tmp_path / "old" / FIXTURE.name
    copy.parent.mkdir()
    shutil.copy(FIXTURE, copy)
    return copy


def refused(url: str) -> str:
    with pytest.raises(NotALedger) as raised:
        Ledger(Settings(database_url=url))
    return str(raised.value)


class TestANewLedger:
    def test_a_missing_file_becomes_a_marked_ledger(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.sqlite"
        assert opened_state(f"sqlite:///{path}") is State.NEW
        assert sqlite_rows(path, "SELECT * FROM ledger_meta ORDER BY key") == MARKER
        assert sqlite_rows(path, "PRAGMA journal_mode") == [("wal",)]
        assert opened_state(f"sqlite:///{path}") is State.MARKED

    def test_an_empty_file_becomes_a_ledger(self, tmp_path: Path) -> None:
        path = tmp_path / "ledger.sqlite"
        path.touch()
        assert opened_state(f"sqlite:///{path}") is State.NEW
        assert sqlite_rows(path, "SELECT * FROM ledger_meta ORDER BY key") == MARKER

    def test_an_empty_schema_becomes_a_marked_ledger(self, postgres_url: str) -> None:
        assert opened_state(postgres_url) is State.NEW
        assert postgres_rows(postgres_url, "SELECT * FROM ledger_meta ORDER BY key") == MARKER
        assert opened_state(postgres_url) is State.MARKED

    @pytest.mark.parametrize("backend", ["sqlite", "postgres"])
    def test_ledgers_opened_together_on_an_empty_database_make_one_between_them(
        self, backend: str, request: pytest.FixtureRequest
    ) -> None:
        url = str(request.getfixturevalue(f"{backend}_url"))
        barrier = threading.Barrier(6)
        results: list[Any] = []

        def open_one() -> None:
            barrier.wait()
            try:
                results.append(opened_state(url))
            except Exception as error:  # the assertion below shows it
                results.append(error)

        threads = [threading.Thread(target=open_one) for _ in range(6)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(result.value for result in results) == ["marked"] * 5 + ["new"], results


class TestALedgerWrittenBeforeTheMarker:
    def test_the_stored_fixture_is_recognised_and_marked_and_the_original_left_alone(
        self, old_ledger: Path
    ) -> None:
        original = folder_state(FIXTURE)
        assert opened_state(f"sqlite:///{old_ledger}") is State.UNMARKED
        assert sqlite_rows(old_ledger, "SELECT * FROM ledger_meta ORDER BY key") == MARKER
        assert opened_state(f"sqlite:///{old_ledger}") is State.MARKED
        assert folder_state(FIXTURE) == original

    def test_the_store_audit_reads_it_without_marking_it(self, old_ledger: Path) -> None:
        assert audit_store(Settings(database_url=f"sqlite:///{old_ledger}")).ok
        tables = sqlite_rows(old_ledger, "SELECT name FROM sqlite_master WHERE type = 'table'")
        assert ("ledger_meta",) not in tables

    def test_a_postgres_ledger_without_the_marker_gets_it(self, postgres_url: str) -> None:
        with Ledger(Settings(database_url=postgres_url)) as ledger:
            register(ledger)
        postgres_rows(postgres_url, f"DROP TABLE ledger_meta; {TO_V1}")
        assert opened_state(postgres_url) is State.UNMARKED
        assert postgres_rows(postgres_url, "SELECT * FROM ledger_meta ORDER BY key") == MARKER

    def test_another_applications_tables_may_share_its_postgres_schema(
        self, postgres_url: str
    ) -> None:
        opened_state(postgres_url)
        postgres_rows(postgres_url, f"DROP TABLE ledger_meta; {TO_V1}; CREATE TABLE users (id int)")
        assert opened_state(postgres_url) is State.UNMARKED


class TestWhatIsRefused:
    """Each refusal says what the database holds, and leaves it as it was."""

    @pytest.fixture
    def foreign(self, tmp_path: Path) -> Path:
        path = tmp_path / "app.db"
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
            db.commit()
        return path

    def assert_refused(self, path: Path, expected: str) -> None:
        before = folder_state(path)
        message = refused(f"sqlite:///{path}")
        assert expected in message, message
        assert folder_state(path) == before

    def test_another_applications_file(self, foreign: Path) -> None:
        self.assert_refused(
            foreign,
            "is not a ledger database: it holds the table users and no ledger marker; point "
            "LEDGER_DATABASE_URL at a ledger, or at a new file",
        )

    def test_a_ledger_file_with_a_table_of_its_own_added(self, old_ledger: Path) -> None:
        sqlite_rows(old_ledger, "CREATE TABLE notes (text TEXT)")
        self.assert_refused(old_ledger, "it holds the tables digests, notes, offices,")

    def test_a_ledger_table_with_other_columns(self, old_ledger: Path) -> None:
        sqlite_rows(old_ledger, "ALTER TABLE digests ADD COLUMN signed TEXT")
        self.assert_refused(
            old_ledger,
            "it holds tables named as a ledger's, but digests has the columns position "
            "INTEGER, root TEXT, signed TEXT where a ledger's has position INTEGER, root TEXT",
        )

    def test_a_ledger_of_a_newer_schema_version(self, old_ledger: Path) -> None:
        opened_state(f"sqlite:///{old_ledger}")
        sqlite_rows(old_ledger, "UPDATE ledger_meta SET value = '6' WHERE key = 'schema_version'")
        self.assert_refused(
            old_ledger, "is a ledger of schema version 6; this code reads versions 1 to 5"
        )

    def test_a_marker_naming_another_application(self, foreign: Path) -> None:
        sqlite_rows(foreign, "CREATE TABLE ledger_meta (key TEXT, value TEXT)")
        sqlite_rows(foreign, "INSERT INTO ledger_meta VALUES ('application', 'wiki')")
        self.assert_refused(foreign, "its ledger_meta table names the application 'wiki'")

    def test_a_file_that_is_not_a_sqlite_database(self, tmp_path: Path) -> None:
        path = tmp_path / "notes.txt"
        path.write_text("dear diary\n" * 100)
        self.assert_refused(path, "it is not a SQLite database")

    def test_a_damaged_sqlite_file(self, tmp_path: Path, old_ledger: Path) -> None:
        path = tmp_path / "damaged.sqlite"
        path.write_bytes(old_ledger.read_bytes()[:100] + b"\xff" * 8000)
        self.assert_refused(path, "SQLite cannot read its tables")

    def test_a_folder(self, tmp_path: Path) -> None:
        (tmp_path / "folder").mkdir()
        assert "it is a folder" in refused(f"sqlite:///{tmp_path / 'folder'}")

    def test_a_partial_ledger_in_a_postgres_schema(self, postgres_url: str) -> None:
        opened_state(postgres_url)
        postgres_rows(postgres_url, "DROP TABLE ledger_meta, ledger_digests")
        assert "some of a ledger's tables" in refused(postgres_url)

    def test_a_postgres_schema_of_another_application(self, postgres_url: str) -> None:
        postgres_rows(postgres_url, "CREATE TABLE users (id int)")
        assert "it holds the table users and no ledger marker" in refused(postgres_url)
        assert postgres_rows(
            postgres_url, "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
        ) == [("users",)]

    def test_a_postgres_schema_that_does_not_exist(self) -> None:
        if not POSTGRES_URL:
            pytest.skip("needs LEDGER_TEST_POSTGRES_URL")
        assert "there is no schema nowhere_" in refused(f"{POSTGRES_URL}?schema=nowhere_")


class TestJudge:
    def test_nothing_is_new_and_an_exact_old_layout_is_unmarked(self) -> None:
        assert judge(Found(), SQLITE_V1, "x", "y") is State.NEW
        assert judge(Found(SQLITE_V1), SQLITE_V1, "x", "y") is State.UNMARKED
        assert judge(Found({}, dict(MARKER)), SQLITE_V1, "x", "y") is State.MARKED

    def test_other_tables_beside_an_old_layout_are_allowed_only_where_asked(self) -> None:
        shared = Found({**POSTGRES_V1, "users": ("id integer",)})
        assert judge(shared, POSTGRES_V1, "x", "y", others_allowed=True) is State.UNMARKED
        with pytest.raises(NotALedger):
            judge(shared, POSTGRES_V1, "x", "y")

    def test_a_long_list_of_tables_is_cut_short(self) -> None:
        found = Found({f"t{n:02}": ("id integer",) for n in range(30)})
        with pytest.raises(NotALedger, match="t07 and 22 more, and no ledger marker"):
            judge(found, SQLITE_V1, "x", "y")


class TestALedgerOfSchemaVersion1:
    """Version 2 added the log positions of each revision to the read model: a ledger of
    version 1 is migrated when a server opens it (the read model rebuilt), with the same
    digest and answers, and then answers as of a position."""

    @pytest.mark.parametrize("backend", ["sqlite", "postgres"])
    def test_it_is_migrated_with_the_same_digest_and_answers(
        self, backend: str, request: pytest.FixtureRequest
    ) -> None:
        url = str(request.getfixturevalue(f"{backend}_url"))
        with Ledger(Settings(database_url=url)) as ledger:
            register(ledger)
            first = record(ledger, "tightened", limit(1), "2025-03-01")
            amended = amend(ledger, first.change_id, measure=limit(3))
            # A second correction: the first form's end must stay at the first correction.
            amend(ledger, first.change_id, measure=limit(4))
            before = (ledger.reader.digest(), check(ledger, "2025-03-20", quantity=2).verdict)
        if backend == "sqlite":
            path = url.removeprefix("sqlite:///")
            sqlite_rows(path, TO_V1_SQLITE_DECISIONS)
            sqlite_rows(path, TO_V1_SQLITE_MERKLE)
            sqlite_rows(path, TO_V1_SQLITE_SIGNED)
            sqlite_rows(path, TO_V1_SQLITE_EVENT_INDEX)
            sqlite_rows(path, f"{TO_V1_SQLITE}")
            sqlite_rows(path, "ALTER TABLE rule_revisions DROP COLUMN position_until")
            sqlite_rows(path, VERSION_1)
        else:
            postgres_rows(url, f"{TO_V1}; {VERSION_1}")
        with Ledger(Settings(database_url=url)) as ledger:  # the server that migrates it
            assert ledger.factory.state is State.OLD
            after = (ledger.reader.digest(), check(ledger, "2025-03-20", quantity=2).verdict)
            assert after == before
            # As recorded up to the tightening: the limit of one; up to the first correction,
            # three; the forms' log positions were rebuilt by the migration.
            verdicts = [
                check(ledger, "2025-03-20", quantity=q, known_at_position=p).verdict
                for p, q in ((first.position, 2), (amended.position, 3), (amended.position, 4))
            ]
            assert verdicts == ["LIMIT_EXCEEDED", "ALLOWED", "LIMIT_EXCEEDED"]
            # A correction written after the migration reads the forms back from the tables.
            last = amend(ledger, first.change_id, measure=limit(5))
            forms = ledger.view.revisions_of_change(first.change_id)
            assert [(r.position_from, r.position_until) for r in forms] == [
                (first.position, amended.position),
                (amended.position, amended.position + 1),
                (amended.position + 1, last.position),
                (last.position, None),
            ]
        assert opened_state(url) is State.MARKED
        assert audit_store(Settings(database_url=url)).ok

    def test_the_stored_fixture_of_version_1_is_migrated_and_the_original_left_alone(
        self, tmp_path: Path
    ) -> None:
        fixture = FIXTURE.with_name("ledger-d103cf5.sqlite")
        original = folder_state(fixture)
        copy = tmp_path / fixture.name
        shutil.copy(fixture, copy)
        assert opened_state(f"sqlite:///{copy}") is State.OLD
        assert sqlite_rows(copy, "SELECT * FROM ledger_meta ORDER BY key") == MARKER
        positions = sqlite_rows(copy, "SELECT count(*) FROM rule_revisions WHERE position_from > 0")
        assert positions[0][0] > 0
        assert folder_state(fixture) == original

    def test_the_store_audit_reads_it_as_it_is(self, sqlite_url: str) -> None:
        with Ledger(Settings(database_url=sqlite_url)) as ledger:
            register(ledger)
            record(ledger, "tightened", limit(1), "2025-03-01")
        path = sqlite_url.removeprefix("sqlite:///")
        sqlite_rows(path, TO_V1_SQLITE_DECISIONS)
        sqlite_rows(path, TO_V1_SQLITE_MERKLE)
        sqlite_rows(path, TO_V1_SQLITE_SIGNED)
        sqlite_rows(path, TO_V1_SQLITE_EVENT_INDEX)
        sqlite_rows(path, TO_V1_SQLITE)
        sqlite_rows(path, "ALTER TABLE rule_revisions DROP COLUMN position_until")
        sqlite_rows(path, VERSION_1)
        assert audit_store(Settings(database_url=sqlite_url)).ok
        assert sqlite_rows(path, "SELECT value FROM ledger_meta WHERE key = 'schema_version'") == [
            ("1",)
        ]


class TestAFileGoneUnderTheLedger:
    @pytest.fixture
    def ledger(self, sqlite_url: str) -> Iterator[Ledger]:
        with Ledger(Settings(database_url=sqlite_url)) as opened:
            register(opened)
            yield opened

    def path(self, ledger: Ledger) -> Path:
        return Path(ledger.app.recorder.datastore.pool.db_name)

    def test_a_write_after_the_file_is_deleted_is_unavailable(self, ledger: Ledger) -> None:
        self.path(ledger).unlink()
        with pytest.raises(StorageUnavailable, match="was deleted or moved away"):
            record(ledger, "observed", limit(1), "2024-01-01")

    def test_writes_resume_when_the_file_is_moved_back(self, ledger: Ledger) -> None:
        path = self.path(ledger)
        path.rename(path.with_suffix(".away"))
        with pytest.raises(StorageUnavailable):
            record(ledger, "observed", limit(1), "2024-01-01")
        path.with_suffix(".away").rename(path)
        record(ledger, "observed", limit(2), "2024-01-01")
        assert len(ledger.app.office_events("CN-DANDONG")) == 2

    def test_a_write_after_the_file_is_replaced_is_unavailable(
        self, ledger: Ledger, tmp_path: Path
    ) -> None:
        path = self.path(ledger)
        shutil.copy(path, tmp_path / "copy")
        os.replace(tmp_path / "copy", path)
        with pytest.raises(StorageUnavailable, match="replaced"):
            record(ledger, "observed", limit(1), "2024-01-01")
