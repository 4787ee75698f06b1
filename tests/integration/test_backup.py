"""Backup and restore on SQLite and PostgreSQL: a backup taken under a write load is the
ledger as it was at the backup's position; a ledger moved SQLite → PostgreSQL → SQLite keeps
its digest, Merkle root, audits and answers; a PostgreSQL log's gaps survive the trip; and
what must not be written over is refused, changing nothing."""

from __future__ import annotations

import itertools
import shutil
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from ledger.audit.store import audit_store
from ledger.bootstrap import Ledger
from ledger.readmodel.history import HistoryRequest
from ledger.readmodel.proofs import Proofs
from ledger.settings import Settings
from ledger.storage import backup
from ledger.storage.backup import BackupRefused, Head
from ledger.storage.identity import LAYOUTS, SKIPPING
from tests.conftest import POSTGRES_URL, fresh_database, need_postgres
from tests.support import (
    burn_a_position,
    check,
    limit,
    postgres_rows,
    record,
    register,
    sqlite_rows,
    state,
)

FIXTURES = Path(__file__).parent.parent / "fixtures"
# Schema version 3: the example ledger, 40 logged decisions, corrections (fixtures/README.md).
WITH_DECISIONS = FIXTURES / "ledger-0820069.sqlite"


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        need_postgres()
    return str(request.param)


@pytest.fixture
def databases(tmp_path: Path) -> Iterator[Callable[[str], str]]:
    """``databases(kind)``: a new, empty database of that kind at each call."""
    numbers = itertools.count(1)

    def fresh(kind: str) -> str:
        if kind == "postgres":
            need_postgres()
        return stack.enter_context(fresh_database(kind, tmp_path / f"db{next(numbers)}"))

    with ExitStack() as stack:
        yield fresh


def head_of(url: str | Path) -> Head:
    """The digest and Merkle root of the ledger, opened as a server opens it."""
    database = f"sqlite:///{url}" if isinstance(url, Path) else url
    with Ledger(Settings(database_url=database)) as ledger:
        head = Proofs(ledger.reader).head()
    return Head(head["position"], head["root"], head["merkle_root"])


def back_up(url: str, out: Path, *, force: bool = False) -> Head:
    return backup.back_up(Settings(database_url=url), out, head_of, force=force)


def restore(file: Path, url: str) -> Head:
    backup.restore(file, Settings(database_url=url))
    return head_of(url)


def audit_holds(url: str | Path) -> dict[str, bool]:
    database = f"sqlite:///{url}" if isinstance(url, Path) else url
    report = audit_store(Settings(database_url=database))
    assert report.ok, report.findings
    return report.checks


def positions(url: str) -> list[int]:
    with Ledger(Settings(database_url=url)) as ledger:
        return [row.position for row in ledger.reader.export(0, 100_000)]


def write(ledger: Ledger, count: int, first: int = 0) -> None:
    for number in range(first, first + count):
        record(ledger, "observed", limit(number % 9 + 1), f"2025-{number % 12 + 1:02d}-01")


def answers(url: str) -> dict[str, Any]:
    """What the ledger answers: every office's history, and Dandong's checks and rule states
    on every tenth day of 2025."""
    days = [date(2025, 1, 1) + timedelta(days=n) for n in range(0, 365, 10)]
    with Ledger(Settings(database_url=url)) as ledger:
        offices = [office.code for office in ledger.view.list_offices()]
        return {
            "histories": {
                code: [
                    entry.model_dump(mode="json")
                    for entry in ledger.reader.history(HistoryRequest(office=code))
                ]
                for code in offices
            },
            "checks": [check(ledger, day.isoformat()).model_dump(mode="json") for day in days],
            "states": [state(ledger, day.isoformat()).model_dump(mode="json") for day in days],
            "decisions": ledger.decisions.list(0, 1_000),
            "requests": ledger.app.store.request_rows(),
        }


class TestTheTables:
    def test_every_table_and_column_of_this_schema_version_is_paired(self) -> None:
        assert [t.sqlite for t in backup.TABLES] == list(LAYOUTS["sqlite"])
        assert [t.postgres for t in backup.TABLES] == list(LAYOUTS["postgres"])
        for table in backup.TABLES:
            sqlite = {c.split()[0] for c in LAYOUTS["sqlite"][table.sqlite]}
            postgres = {c.split()[0] for c in LAYOUTS["postgres"][table.postgres]}
            position = {"rowid"} if "notification_id" in postgres - sqlite else set()
            assert {lite for lite, _ in table.columns} == sqlite | position
            assert {pg for _, pg in table.columns} == postgres
        assert [t.sqlite for t in backup.TABLES if t.position] == ["stored_events"]


class TestABackupUnderLoad:
    def test_it_restores_to_the_digest_the_ledger_had_at_its_position(
        self, backend: str, databases: Callable[[str], str], tmp_path: Path
    ) -> None:
        """A writer records events without pause while the backup is taken; the restored
        ledger is the live one as it was at the backup's position, on either backend."""
        url = databases(backend)
        with Ledger(Settings(database_url=url)) as live:
            register(live)
            written, stop = [0], threading.Event()
            more = threading.Condition()

            def writer() -> None:
                while not stop.is_set():
                    write(live, 1, first=written[0])
                    with more:
                        written[0] += 1
                        more.notify_all()

            def wait_for(count: int) -> None:
                with more:
                    assert more.wait_for(lambda: written[0] >= count, timeout=120), written

            thread = threading.Thread(target=writer, name="writer")
            thread.start()
            try:
                wait_for(30)
                before = written[0]
                file = tmp_path / "backup.sqlite"
                taken = back_up(url, file)
                wait_for(written[0] + 20)  # and it goes on writing after the backup
            finally:
                stop.set()
                thread.join()
            final = live.reader.digest()
            assert 1 + before <= taken.position < final.position  # mid-load, not its end
            checkpoint = live.view.checkpoint_at(taken.position)
            assert checkpoint is not None and checkpoint.root == taken.root
            at = Proofs(live.reader).head(taken.position)
            assert at["merkle_root"] == taken.merkle_root
        assert backup.head_of(file) == taken
        audit_holds(file)
        for kind in {backend, "sqlite"}:
            restored_url = databases(kind)
            assert restore(file, restored_url) == taken
            audit_holds(restored_url)


class TestMovingBetweenBackends:
    def test_sqlite_to_postgres_to_sqlite_keeps_digest_audits_and_answers(
        self, tmp_path: Path, databases: Callable[[str], str]
    ) -> None:
        need_postgres()
        source = tmp_path / "source.sqlite"
        shutil.copy(WITH_DECISIONS, source)
        url = f"sqlite:///{source}"
        with Ledger(Settings(database_url=url)) as ledger:  # migrated to this schema version
            write(ledger, 5)
        head, asked = head_of(url), answers(url)
        assert len(asked["decisions"]) == 40 and head.position == 21

        first = tmp_path / "first.sqlite"
        assert back_up(url, first) == head
        postgres = databases("postgres")
        assert restore(first, postgres) == head
        second = tmp_path / "second.sqlite"
        assert back_up(postgres, second) == head
        again = databases("sqlite")
        assert restore(second, again) == head

        for moved in (postgres, again):
            checks = audit_holds(moved)
            assert checks["decisions"] and checks["read model"]
            assert answers(moved) == asked
        for file in (first, second):
            audit_holds(file)
            assert sqlite_rows(file, "SELECT * FROM ledger_meta WHERE key = ?", SKIPPING[0]) == []
        assert positions(again) == positions(url) == list(range(1, 22))

    def test_a_postgres_log_with_a_gap_keeps_it_on_both_backends(
        self, postgres_url: str, databases: Callable[[str], str], tmp_path: Path
    ) -> None:
        with Ledger(Settings(database_url=postgres_url)) as ledger:
            register(ledger)
            burn_a_position(postgres_url)  # a write rolled back took position 2
            write(ledger, 3)
        assert positions(postgres_url) == [1, 3, 4, 5]
        head = head_of(postgres_url)

        file = tmp_path / "backup.sqlite"
        assert back_up(postgres_url, file) == head
        assert sqlite_rows(file, "SELECT rowid FROM stored_events ORDER BY rowid") == [
            (1,),
            (3,),
            (4,),
            (5,),
        ]
        assert sqlite_rows(file, "SELECT value FROM ledger_meta WHERE key = ?", SKIPPING[0]) == [
            (SKIPPING[1],)
        ]
        audit_holds(file)  # its positions may skip: the marker says so
        for kind in ("postgres", "sqlite"):
            restored = databases(kind)
            assert restore(file, restored) == head
            assert positions(restored) == [1, 3, 4, 5]
            audit_holds(restored)
            with Ledger(Settings(database_url=restored)) as ledger:
                write(ledger, 1)  # the next position follows the last: 6, not 2
            assert positions(restored) == [1, 3, 4, 5, 6]
            audit_holds(restored)


class TestWhatIsRefused:
    def test_a_restore_into_a_database_holding_a_ledger_changes_nothing(
        self, backend: str, databases: Callable[[str], str], tmp_path: Path
    ) -> None:
        source = databases("sqlite")
        with Ledger(Settings(database_url=source)) as ledger:
            register(ledger)
            write(ledger, 4)
        file = tmp_path / "backup.sqlite"
        back_up(source, file)

        target = databases(backend)
        with Ledger(Settings(database_url=target)) as ledger:
            register(ledger, "CN-HUNCHUN")
        before, rows = head_of(target), _rows(target)
        with pytest.raises(
            BackupRefused, match=r"holds a ledger \(schema version \d+\): a restore"
        ):
            backup.restore(file, Settings(database_url=target))
        assert (head_of(target), _rows(target)) == (before, rows)
        audit_holds(target)

    def test_a_restore_into_a_database_holding_other_tables_changes_nothing(
        self, backend: str, databases: Callable[[str], str], tmp_path: Path
    ) -> None:
        source = databases("sqlite")
        Ledger(Settings(database_url=source)).close()
        file = tmp_path / "backup.sqlite"
        back_up(source, file)
        target = databases(backend)
        if backend == "sqlite":
            path = Path(target.removeprefix("sqlite:///"))
            sqlite_rows(path, "CREATE TABLE users (name TEXT)")
            held = path.read_bytes()
        else:
            postgres_rows(target, "CREATE TABLE users (name text)")
        with pytest.raises(BackupRefused, match="holds the table users: a restore writes only"):
            backup.restore(file, Settings(database_url=target))
        if backend == "sqlite":
            assert path.read_bytes() == held
            assert sorted(p.name for p in path.parent.iterdir()) == [path.name]
        else:
            tables = "SELECT table_name FROM information_schema.tables WHERE table_schema = "
            schema = target.rsplit("schema=", 1)[1]
            assert postgres_rows(target, f"{tables}'{schema}'") == [("users",)]

    def test_a_restore_into_a_schema_that_does_not_exist_says_to_make_it(
        self, tmp_path: Path, databases: Callable[[str], str]
    ) -> None:
        need_postgres()
        source = databases("sqlite")
        Ledger(Settings(database_url=source)).close()
        file = tmp_path / "backup.sqlite"
        back_up(source, file)
        missing = f"{POSTGRES_URL}?schema=nowhere_{uuid.uuid4().hex[:8]}"
        made = r"there is no schema nowhere_\w+; make it first \(CREATE SCHEMA nowhere_"
        with pytest.raises(BackupRefused, match=made):
            backup.restore(file, Settings(database_url=missing))

    def test_a_backup_onto_an_existing_file_needs_force(
        self, sqlite_url: str, tmp_path: Path
    ) -> None:
        with Ledger(Settings(database_url=sqlite_url)) as ledger:
            register(ledger)
        out = tmp_path / "out" / "backup.sqlite"
        out.parent.mkdir()
        out.write_bytes(b"last week's notes")
        with pytest.raises(BackupRefused, match=r"backup\.sqlite exists: name a new file, or give"):
            back_up(sqlite_url, out)
        assert out.read_bytes() == b"last week's notes"
        assert back_up(sqlite_url, out, force=True) == head_of(sqlite_url)
        assert backup.examine(out).current
        assert [p.name for p in out.parent.iterdir()] == ["backup.sqlite"]  # no partial left

    def test_a_backup_onto_the_ledgers_own_file_is_refused(self, sqlite_url: str) -> None:
        Ledger(Settings(database_url=sqlite_url)).close()
        own = Path(sqlite_url.removeprefix("sqlite:///"))
        held = own.read_bytes()
        with pytest.raises(BackupRefused, match="is the ledger's own file: name another file"):
            back_up(sqlite_url, own, force=True)
        assert own.read_bytes() == held
        assert sorted(p.name for p in own.parent.iterdir()) == [own.name]

    def test_a_backup_of_an_empty_database_is_refused(self, tmp_path: Path) -> None:
        with pytest.raises(Exception, match="holds no ledger: the file is missing or empty"):
            back_up(f"sqlite:///{tmp_path / 'none.sqlite'}", tmp_path / "backup.sqlite")
        assert [p.name for p in tmp_path.iterdir()] == []

    @pytest.mark.parametrize(
        ("content", "said"),
        [
            (None, "does not exist: name a backup file `ledger backup --out FILE` wrote"),
            (b"", "is not a ledger: it is empty; name a backup file"),
            (b"office,limit\nCN-DANDONG,2\n", "is not a ledger: it is not a SQLite database"),
            ("users", "is not a ledger: it holds the table users; name a backup file"),
        ],
    )
    def test_a_file_that_is_not_a_backup_is_refused_plainly(
        self, content: bytes | str | None, said: str, tmp_path: Path
    ) -> None:
        file = tmp_path / "file.sqlite"
        if isinstance(content, bytes):
            file.write_bytes(content)
        elif content is not None:
            sqlite_rows(file, f"CREATE TABLE {content} (name TEXT)")
        target = tmp_path / "target.sqlite"
        with pytest.raises(BackupRefused, match=said):
            backup.examine(file)
        with pytest.raises(BackupRefused, match=said):
            backup.restore(file, Settings(database_url=f"sqlite:///{target}"))
        assert not target.exists()
        left = [] if content is None else ["file.sqlite"]
        assert sorted(p.name for p in tmp_path.iterdir()) == left

    def test_an_older_backup_is_found_older_and_read_as_it_is(self, tmp_path: Path) -> None:
        copy = tmp_path / "old.sqlite"
        shutil.copy(WITH_DECISIONS, copy)
        held = copy.read_bytes()
        examined = backup.examine(copy)
        assert (examined.version, examined.current) == (3, False)
        assert copy.read_bytes() == held
        assert sorted(p.name for p in tmp_path.iterdir()) == ["old.sqlite"]


def _rows(url: str) -> list[Any]:
    """Every row of the ledger's tables, for comparing a database before and after."""
    rows: list[Any] = []
    for table in backup.TABLES:
        if url.startswith("sqlite:///"):
            path = Path(url.removeprefix("sqlite:///"))
            rows.append(sqlite_rows(path, f"SELECT * FROM {table.sqlite} ORDER BY 1, 2"))
        else:
            rows.append(postgres_rows(url, f"SELECT * FROM {table.postgres} ORDER BY 1, 2"))
    return rows
