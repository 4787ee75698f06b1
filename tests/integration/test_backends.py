"""SQLite and PostgreSQL for real: durability, resuming the projection, rebuilds, racing writers,
and two processes sharing one database."""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from uuid import UUID

import psycopg
import pytest
from eventsourcing.persistence import IntegrityError
from pydantic import ValidationError

from ledger.application.app import LedgerApplication, VersionConflict
from ledger.application.commands import RecordChange
from ledger.application.importer import import_file
from ledger.application.ports import RequestRecord
from ledger.audit.store import audit_store
from ledger.bootstrap import Ledger
from ledger.domain.dates import EffectiveDate
from ledger.domain.values import Measure, Scope, Source
from ledger.readmodel.answers import Verdict
from ledger.settings import Settings
from ledger.storage import environment
from tests.conftest import POSTGRES_URL
from tests.support import (
    DANDONG,
    PROHIBITED,
    WORKER_BAGGAGE,
    amend,
    check,
    limit,
    record,
    register,
    source,
)

EXAMPLE = Path(__file__).parents[2] / "examples" / "dandong-2025.jsonl"


@pytest.fixture(params=["sqlite", "postgres"])
def durable_url(request: pytest.FixtureRequest) -> str:
    """A database that outlives its ledger objects, on each durable backend."""
    return str(request.getfixturevalue(f"{request.param}_url"))


def open_ledger(url: str) -> Ledger:
    return Ledger(Settings(database_url=url))


def snapshot(ledger: Ledger) -> list[Any]:
    """Everything the read model holds, in a comparable order."""
    revisions = [
        revision
        for office in ledger.reader.offices()
        for revision in ledger.view.revisions_of_office(office.code)
    ]
    return [ledger.reader.offices(), sorted(revisions, key=lambda r: (str(r.change_id), r.rev))]


class TestDurability:
    def test_a_restart_resumes_from_the_tracking_position_without_replaying(
        self, durable_url: str
    ) -> None:
        with open_ledger(durable_url) as first:
            import_file(first.app, EXAMPLE)
            answer = check(first, "2025-03-20")
            position = first.follower.position
            assert position == first.app.recorder.max_notification_id()
        with open_ledger(durable_url) as second:
            assert second.follower.position == position
            assert second.follower.catch_up() == 0
            assert check(second, "2025-03-20") == answer
            assert answer.verdict is Verdict.PROHIBITED

    def test_events_saved_while_nobody_followed_are_caught_up_on_open(
        self, durable_url: str
    ) -> None:
        with open_ledger(durable_url) as ledger:
            register(ledger)
            record(ledger, "observed", limit(2), "2024-01-01", "year")
        # A writer without the projection (as a crashed process would leave things).
        settings = Settings(database_url=durable_url)
        with LedgerApplication(env=environment(settings)) as bare:
            bare.execute(
                RecordChange.model_validate(
                    {
                        "request_id": "written-blind",
                        "office": DANDONG,
                        "kind": "tightened",
                        "scope": WORKER_BAGGAGE,
                        "measure": PROHIBITED,
                        "effective": {"on": "2025-03-07"},
                        "sources": [source()],
                    }
                )
            )
        with open_ledger(durable_url) as reopened:
            assert reopened.follower.position == 3
            assert check(reopened, "2025-03-20").verdict is Verdict.PROHIBITED

    def test_a_rebuild_from_scratch_gives_exactly_the_same_read_model(
        self, durable_url: str
    ) -> None:
        with open_ledger(durable_url) as ledger:
            import_file(ledger.app, EXAMPLE)
            ban = record(ledger, "tightened", {"inspection": "rigorous"}, "2025-04-01")
            record(ledger, "observed", limit(1), "2025-06-01")
            amend(ledger, ban.change_id, effective={"on": "2025-04-15"}, published="2025-05-01")
            before = snapshot(ledger)
            answers = [check(ledger, day) for day in ("2025-03-05", "2025-04-02", "2025-06-02")]
            assert ledger.rebuild() == ledger.app.recorder.max_notification_id()
            assert snapshot(ledger) == before
            assert [
                check(ledger, day) for day in ("2025-03-05", "2025-04-02", "2025-06-02")
            ] == answers


def race(*actions: Callable[[], Any]) -> list[Any]:
    """Run the actions at the same moment on separate threads; results or exceptions."""
    barrier = threading.Barrier(len(actions))
    results: list[Any] = [None] * len(actions)

    def run(index: int, action: Callable[[], Any]) -> None:
        barrier.wait()
        try:
            results[index] = action()
        except Exception as error:  # the test inspects what each racer got
            results[index] = error

    threads = [threading.Thread(target=run, args=item) for item in enumerate(actions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def tightening(request_id: str, on: str, expected_version: int | None = None) -> RecordChange:
    return RecordChange.model_validate(
        {
            "request_id": request_id,
            "office": DANDONG,
            "kind": "tightened",
            "scope": WORKER_BAGGAGE,
            "measure": {"inspection": "rigorous"},
            "effective": {"on": on},
            "sources": [source()],
            "expected_version": expected_version,
        }
    )


class TestRacingWriters:
    @pytest.fixture
    def two_processes(self, durable_url: str) -> Any:
        with open_ledger(durable_url) as a, open_ledger(durable_url) as b:
            register(a)
            b.follower.catch_up()
            yield a, b

    def test_two_racing_retries_write_once_and_get_the_same_receipt(
        self, two_processes: Any
    ) -> None:
        a, b = two_processes
        for attempt in range(5):
            command = tightening(f"retry-{attempt}", "2025-03-01")
            first, second = race(
                lambda c=command: a.app.execute(c), lambda c=command: b.app.execute(c)
            )
            assert first == second, (first, second)
        # Count events, not positions: PostgreSQL's numbering skips the loser's number.
        assert len(a.app.office_events(DANDONG)) == 1 + 5

    def test_racing_writes_without_expected_versions_both_land(self, two_processes: Any) -> None:
        a, b = two_processes
        first, second = race(
            lambda: a.app.execute(tightening("one", "2025-03-01")),
            lambda: b.app.execute(tightening("two", "2025-03-02")),
        )
        assert {first.office_version, second.office_version} == {2, 3}

    def test_racing_writes_with_the_same_expected_version_one_conflicts(
        self, two_processes: Any
    ) -> None:
        a, b = two_processes
        results = race(
            lambda: a.app.execute(tightening("one", "2025-03-01", expected_version=1)),
            lambda: b.app.execute(tightening("two", "2025-03-02", expected_version=1)),
        )
        conflicts = [r for r in results if isinstance(r, VersionConflict)]
        assert len(conflicts) == 1, results
        assert len(a.app.office_events(DANDONG)) == 2


class TestRequestIndex:
    def test_the_request_row_and_its_event_commit_together(self, durable_url: str) -> None:
        with open_ledger(durable_url) as ledger:
            register(ledger)
            receipt = record(ledger, "observed", limit(2), "2024-01-01", "year", request_id="once")
            office = ledger.app.get_office(DANDONG)
            office.observe(
                Scope.model_validate(WORKER_BAGGAGE),
                Measure.model_validate({"inspection": "light"}),
                EffectiveDate.model_validate({"on": "2025-01-01"}),
                (Source.model_validate(source()),),
                event_id=UUID(int=7),
            )
            duplicate = RequestRecord(
                request_id="once",
                fingerprint="x",
                office=DANDONG,
                originator_id=office.id,
                change_id=receipt.change_id,
                office_version=office.version,
                recorded_at=receipt.recorded_at,
                hash=receipt.hash,
            )
            with pytest.raises(IntegrityError):
                ledger.app.save(office, requests=[duplicate])
            assert ledger.app.recorder.max_notification_id() == 2
            assert len(ledger.app.office_events(DANDONG)) == 2


class TestSettings:
    def test_an_unsupported_database_url_is_refused_by_name(self) -> None:
        with pytest.raises(ValidationError, match="LEDGER_DATABASE_URL"):
            Settings(database_url="mysql://localhost/ledger")

    def test_the_sqlite_folder_is_created(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'ledger.sqlite'}"
        with open_ledger(url) as ledger:
            register(ledger)
        assert (tmp_path / "deep" / "er" / "ledger.sqlite").exists()


class TestTwoProcessesOnOneDatabase:
    def test_each_sees_what_the_other_wrote(self, durable_url: str) -> None:
        with open_ledger(durable_url) as server, open_ledger(durable_url) as importer:
            register(importer)
            record(importer, "observed", limit(2), "2024-01-01", "year")
            assert check(server, "2025-03-20").verdict is Verdict.ALLOWED  # loads the office
            record(importer, "tightened", PROHIBITED, "2025-03-07")
            assert check(server, "2025-03-20").verdict is Verdict.PROHIBITED
            record(server, "tightened", {"enforcement": "confiscation"}, "2025-03-08")
            assert check(importer, "2025-03-20").enforcement == "confiscation"

    def test_following_the_same_log_at_once_projects_each_event_once(
        self, durable_url: str
    ) -> None:
        with open_ledger(durable_url) as a, open_ledger(durable_url) as b:
            register(a)
            b.app.on_saved.clear()  # b writes blind; both then follow at once
            for day in range(1, 21):
                record(b, "observed", limit(day), f"2025-01-{day:02d}")
            race(a.follower.catch_up, b.follower.catch_up)
            assert a.follower.position == b.follower.position == 21
            assert check(a, "2025-01-20", quantity=20) == check(b, "2025-01-20", quantity=20)
            assert snapshot(a) == snapshot(b)


class TestStoreAuditOnPostgres:
    def test_an_untouched_ledger_passes_and_an_edited_event_is_named(
        self, postgres_url: str
    ) -> None:
        import psycopg

        from ledger.audit.store import audit_store

        settings = Settings(database_url=postgres_url)
        with open_ledger(postgres_url) as ledger:
            import_file(ledger.app, EXAMPLE)
            digest = ledger.reader.digest()
        clean = audit_store(settings)
        assert clean.ok, clean.findings
        assert (clean.digest.position, clean.digest.root) == (digest.position, digest.root)
        schema = postgres_url.rsplit("schema=", 1)[1]
        base = postgres_url.split("?", 1)[0]
        with psycopg.connect(base, autocommit=True) as connection:
            connection.execute(
                f'UPDATE "{schema}".ledger_events SET state = '
                "convert_to(replace(convert_from(state, 'UTF8'), '\"quantity\":2', "
                "'\"quantity\":3'), 'UTF8') WHERE notification_id = 2"
            )
        tampered = audit_store(settings)
        assert not tampered.ok
        assert tampered.findings[0].position == 2


class TestGapsInTheLog:
    """PostgreSQL's sequence skips a number when a write loses a race or is rolled back: the
    read model keeps the log's own positions, and the store audit's rebuild (which numbers
    the events it replays 1, 2, 3, ...) compares them as the log has them."""

    def test_positions_after_a_gap_are_the_logs_and_the_audit_holds(
        self, postgres_url: str
    ) -> None:
        with Ledger(Settings(database_url=postgres_url)) as ledger:
            register(ledger)
            schema = postgres_url.rsplit("schema=", 1)[1]
            with psycopg.connect(POSTGRES_URL) as db:
                sequence = db.execute(
                    "SELECT pg_get_serial_sequence(%s, 'notification_id')",
                    (f'"{schema}".ledger_events',),
                ).fetchone()
                assert sequence is not None and sequence[0]
                for _ in range(5):  # five positions no event will have
                    db.execute(f"SELECT nextval('{sequence[0]}')")
            ban = record(ledger, "tightened", PROHIBITED, "2025-03-01")
            correction = amend(ledger, ban.change_id, measure=limit(1))
            assert correction.position == ban.position + 1 >= 7
            forms = ledger.view.revisions_of_change(ban.change_id)
            assert [(f.position_from, f.position_until) for f in forms] == [
                (ban.position, correction.position),
                (correction.position, None),
            ]
            assert check(ledger, "2025-03-20", known_at_position=ban.position).verdict == (
                Verdict.PROHIBITED
            )
        report = audit_store(Settings(database_url=postgres_url))
        assert report.ok, report.findings


def _asks(ledger: Ledger) -> list[int]:
    """Counts, from now on, the follower's questions to the database (is there anything new?)."""
    asked: list[int] = []
    recorder = ledger.app.recorder
    ask = recorder.max_notification_id

    def counted() -> Any:
        asked.append(1)
        return ask()

    recorder.max_notification_id = counted  # type: ignore[method-assign]
    return asked


@contextlib.contextmanager
def _listening(ledger: Ledger, seconds: float = 10.0) -> Iterator[None]:
    """The ledger's listener started, as a server starts it, and listening (two looks at the
    version agree) for the block; stopped after it."""
    listener = ledger.listener()
    assert listener is not None
    listener.start()
    try:
        changes = ledger.changes
        assert changes is not None
        deadline = time.monotonic() + seconds
        while changes.version() != changes.version():
            assert time.monotonic() < deadline, "the listener never listened"
            time.sleep(0.02)
        yield
    finally:
        listener.stop()


class TestFollowingByNotification:
    """On PostgreSQL, while a server LISTENs, a query need not ask the database whether
    anything was committed: every commit is notified, and moves the follower's version."""

    def test_a_query_asks_nothing_while_nothing_was_committed(self, postgres_url: str) -> None:
        with open_ledger(postgres_url) as server:
            register(server)
            record(server, "observed", limit(2), "2024-01-01", "year")
            with _listening(server):
                check(server, "2025-03-20")  # caught up with whatever the start notified
                asked = _asks(server)
                for _ in range(20):
                    assert check(server, "2025-03-20").verdict is Verdict.ALLOWED
                assert asked == []

    def test_a_commit_elsewhere_is_followed_and_a_min_position_always_waits_for_it(
        self, postgres_url: str
    ) -> None:
        with open_ledger(postgres_url) as server, open_ledger(postgres_url) as importer:
            register(importer)
            record(importer, "observed", limit(2), "2024-01-01", "year")
            with _listening(server):
                assert check(server, "2025-03-20").verdict is Verdict.ALLOWED
                receipt = record(importer, "tightened", PROHIBITED, "2025-03-07")
                server.reader.wait_for_position(receipt.position, timeout=10)
                assert check(server, "2025-03-20").verdict is Verdict.PROHIBITED

    def test_without_a_listener_every_query_asks(self, postgres_url: str) -> None:
        with open_ledger(postgres_url) as server:
            register(server)
            record(server, "observed", limit(2), "2024-01-01", "year")
            asked = _asks(server)
            for _ in range(3):
                check(server, "2025-03-20")
            assert len(asked) == 3
