"""The SQLite follower's test for commits by others, read through SQLite's C API with the GIL
held (``ledger.storage.sqlite_version``), against the pragma as the ``sqlite3`` module reads it."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.storage import sqlite_version
from ledger.storage.sqlite import SQLiteDataVersion
from ledger.storage.sqlite_version import NativeDataVersion, native_data_version


@pytest.fixture
def database(tmp_path: Path) -> Iterator[tuple[str, sqlite3.Connection]]:
    path = str(tmp_path / "ledger.sqlite")
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    writer.execute("CREATE TABLE t (x)")
    yield path, writer
    writer.close()


@pytest.fixture
def native(database: tuple[str, sqlite3.Connection]) -> Iterator[NativeDataVersion]:
    found = native_data_version(database[0])
    assert found is not None, "SQLite's library could not be loaded through ctypes"
    yield found
    found.close()


class TestNativeDataVersion:
    def test_it_stays_while_nobody_commits_and_moves_when_another_connection_does(
        self, database: tuple[str, sqlite3.Connection], native: NativeDataVersion
    ) -> None:
        _, writer = database
        first = native.version()
        assert native.version() == first
        writer.execute("INSERT INTO t VALUES (1)")
        second = native.version()
        assert second != first
        assert native.version() == second

    def test_it_moves_as_the_sqlite3_modules_pragma_does(
        self, database: tuple[str, sqlite3.Connection], native: NativeDataVersion
    ) -> None:
        path, writer = database
        module = SQLiteDataVersion(path)
        try:
            seen = []
            for value in range(5):
                before = (native.version(), module.version())
                if value % 2:
                    writer.execute("INSERT INTO t VALUES (?)", (value,))
                after = (native.version(), module.version())
                seen.append((before[0] != after[0], before[1] != after[1]))
            assert seen == [(bool(value % 2), bool(value % 2)) for value in range(5)]
        finally:
            module.close()

    def test_threads_may_look_at_once(
        self, database: tuple[str, sqlite3.Connection], native: NativeDataVersion
    ) -> None:
        _, writer = database
        errors: list[BaseException] = []

        def look() -> None:
            try:
                for _ in range(2000):
                    native.version()
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=look) for _ in range(8)]
        for thread in threads:
            thread.start()
        for number in range(50):
            writer.execute("INSERT INTO t VALUES (?)", (number,))
        for thread in threads:
            thread.join()
        assert errors == []
        before = native.version()
        writer.execute("INSERT INTO t VALUES (0)")
        assert native.version() != before

    def test_a_look_while_another_holds_the_statement_is_new_and_does_not_wait(
        self, native: NativeDataVersion
    ) -> None:
        native._lock.acquire()  # another thread between two of its C calls
        try:
            assert len({native.version() for _ in range(3)}) == 3
        finally:
            native._lock.release()
        assert native.version() == native.version()

    def test_once_closed_every_look_is_new(self, native: NativeDataVersion) -> None:
        native.close()
        assert len({native.version() for _ in range(3)}) == 3

    def test_it_calls_the_copy_of_sqlite_the_sqlite3_module_loaded(self) -> None:
        found = sqlite_version._mapped_sqlite()
        assert found is not None
        assert "libsqlite3" in found
        library = sqlite_version._library()
        assert library is not None
        assert library._name == found

    def test_without_the_library_the_sqlite3_module_is_used(
        self, database: tuple[str, sqlite3.Connection], monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(sqlite_version, "_mapped_sqlite", lambda: None)
        assert native_data_version(database[0]) is None

    def test_a_file_that_cannot_be_opened_gives_none(self, tmp_path: Path) -> None:
        assert native_data_version(str(tmp_path / "missing" / "ledger.sqlite")) is None
