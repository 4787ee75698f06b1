"""The store audit on a real SQLite file: every kind of tampering is found, and named.

Each test copies one ledger built from the example file and a few more changes, tampers with
the copy through the plain ``sqlite3`` module, as someone with access to the file would, and
audits it. Findings are sorted by position: the first one names the first broken event.
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger.application.importer import import_file
from ledger.audit.report import AuditReport
from ledger.audit.store import audit_store
from ledger.bootstrap import Ledger
from ledger.domain.chain import canonical_json
from ledger.settings import Settings
from ledger_api.verify import ChainVerifier, event_hash
from tests.support import PROHIBITED, WORKER_BAGGAGE, amend, limit, record, retract

EXAMPLE = Path(__file__).parents[2] / "examples" / "dandong-2025.jsonl"
HUNCHUN = "CN-HUNCHUN"
INBOUND = {**WORKER_BAGGAGE, "direction": "inbound", "traveller": "any"}

CHAIN = "hashes, links, versions and positions"
DIGESTS = "digest checkpoints"
REQUESTS = "request ids"
READ_MODEL = "read model"

# The log built below: (position, office, office version, event type).
LAYOUT = [
    (1, "CN-DANDONG", 1, "OfficeRegistered"),
    (2, "CN-DANDONG", 2, "PolicyObserved"),  # worker baggage: at most 2, light inspection
    (3, "CN-DANDONG", 3, "PolicyTightened"),  # the ban, from early March 2025
    (4, "CN-DANDONG", 4, "PolicyObserved"),  # cargo by road
    (5, "CN-DANDONG", 5, "PolicyObserved"),  # cargo by rail
    (6, HUNCHUN, 1, "OfficeRegistered"),
    (7, HUNCHUN, 2, "PolicyLoosened"),
    (8, "CN-CHANGBAI", 1, "OfficeRegistered"),
    (9, "CN-CHANGBAI", 2, "PolicyLoosened"),
    (10, "CN-DANDONG", 6, "PolicyObserved"),  # inbound electronics: at most 2, with a note
    (11, "CN-DANDONG", 7, "ChangeAmended"),  # ... amended to at most 3
    (12, HUNCHUN, 3, "PolicyTightened"),  # inbound electronics banned
    (13, HUNCHUN, 4, "ChangeRetracted"),  # ... and the ban retracted
]
LAST = len(LAYOUT)
OFFICE_OF = {position: (office, version) for position, office, version, _ in LAYOUT}


def settings_of(path: Path) -> Settings:
    return Settings(database_url=f"sqlite:///{path}")


@contextlib.contextmanager
def opened(path: Path) -> Iterator[sqlite3.Connection]:
    """The file as anyone with access to it sees it; commits on leaving."""
    connection = sqlite3.connect(path)
    try:
        with connection:
            yield connection
    finally:
        connection.close()


def stored(path: Path, position: int) -> bytes:
    with opened(path) as db:
        row = db.execute("SELECT state FROM stored_events WHERE rowid=?", (position,)).fetchone()
    assert row is not None, f"no event at position {position}"
    return bytes(row[0])


def store(path: Path, position: int, state: bytes) -> None:
    with opened(path) as db:
        db.execute("UPDATE stored_events SET state=? WHERE rowid=?", (state, position))


def rewrite(path: Path, position: int, old: bytes, new: bytes) -> None:
    """Replace ``old`` by ``new`` in the stored bytes of one event (exactly once)."""
    state = stored(path, position)
    assert state.count(old) == 1, f"{old!r} is not once in event {position}: {state!r}"
    store(path, position, state.replace(old, new))


def execute(path: Path, sql: str, *parameters: Any) -> None:
    with opened(path) as db:
        changed = db.execute(sql, parameters).rowcount
    assert changed > 0, f"{sql} changed nothing"


def log_rows(path: Path) -> list[tuple[int, str, int, str, bytes]]:
    """(position, office id, version, event type, stored bytes), in log order, as stored."""
    with opened(path) as db:
        rows = db.execute(
            "SELECT rowid, originator_id, originator_version, topic, state "
            "FROM stored_events ORDER BY rowid"
        ).fetchall()
    return [
        (position, str(uuid.UUID(office_id)), version, topic.rsplit(":", 1)[-1], bytes(state))
        for position, office_id, version, topic, state in rows
    ]


def replay(path: Path, keep_roots_at: frozenset[int] = frozenset()) -> ChainVerifier:
    """What an outside auditor recomputes from the rows alone, without the server."""
    verifier = ChainVerifier(keep_roots_at=keep_roots_at)
    for row in log_rows(path):
        verifier.add(*row)
    return verifier


def assert_first_finding(
    report: AuditReport, position: int | None, office: str | None, version: int | None = None
) -> None:
    assert report.ok is False
    assert report.findings, "a failed audit names what it found"
    first = report.findings[0]
    assert (first.position, first.office, first.version) == (position, office, version), first


def assert_event_named_first(report: AuditReport, position: int) -> None:
    assert_first_finding(report, position, *OFFICE_OF[position])


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The example ledger, then an observation, its amendment, a ban and its retraction."""
    folder = tmp_path_factory.mktemp("pristine")
    path = folder / "ledger.sqlite"
    # The story's first nine lines: the positions below are this layout's, whatever the
    # example file gains later.
    story = folder / "story.jsonl"
    story.write_text("".join(EXAMPLE.read_text().splitlines(keepends=True)[:9]))
    with Ledger(settings_of(path)) as ledger:
        import_file(ledger.app, story)
        observed = record(
            ledger, "observed", limit(2), "2025-05-01", scope=INBOUND, note="two sets at most"
        )
        amended = amend(ledger, observed.change_id, measure=limit(3))
        banned = record(
            ledger, "tightened", PROHIBITED, "2025-06-01", office=HUNCHUN, scope=INBOUND
        )
        retracted = retract(ledger, banned.change_id, office=HUNCHUN)
        assert [r.position for r in (observed, amended, banned, retracted)] == [10, 11, 12, 13]
    codes = {row[1]: code for row in log_rows(path) if (code := json.loads(row[4]).get("code"))}
    assert [(p, codes[o], v, t) for p, o, v, t, _ in log_rows(path)] == LAYOUT
    return path


@pytest.fixture
def db(pristine: Path, tmp_path: Path) -> Path:
    """A copy of the pristine ledger file, to tamper with."""
    path = tmp_path / "ledger.sqlite"
    with opened(pristine) as source, opened(path) as target:
        source.backup(target)
    return path


class TestUntouchedLedger:
    def test_an_untouched_ledger_passes_every_check_with_the_ledgers_own_digest(
        self, db: Path
    ) -> None:
        report = audit_store(settings_of(db))
        assert report.ok is True
        assert report.checks == {CHAIN: True, DIGESTS: True, REQUESTS: True, READ_MODEL: True}
        assert (report.events, report.offices) == (LAST, 3)
        assert (report.findings, report.findings_total) == ((), 0)
        with Ledger(settings_of(db)) as ledger:
            digest = ledger.reader.digest()
        assert (report.digest.position, report.digest.root) == (LAST, digest.root)

    def test_the_audit_reports_progress_up_to_every_event(self, db: Path) -> None:
        calls: list[tuple[int, int]] = []
        audit_store(settings_of(db), lambda done, total: calls.append((done, total)))
        assert calls[-1] == (LAST, LAST)


class TestEditedEvents:
    @pytest.mark.parametrize(
        ("position", "old", "new"),
        [
            pytest.param(2, b'"quantity":2', b'"quantity":5', id="a quantity"),
            pytest.param(3, b'"on":"2025-03-01"', b'"on":"2025-03-21"', id="a date"),
            pytest.param(10, b'"note":"two sets at most"', b'"note":"no limit"', id="a note"),
        ],
    )
    def test_editing_a_field_of_an_event_in_the_middle_names_that_event(
        self, db: Path, position: int, old: bytes, new: bytes
    ) -> None:
        rewrite(db, position, old, new)
        report = audit_store(settings_of(db))
        assert_event_named_first(report, position)
        assert report.checks[CHAIN] is False
        assert report.checks[DIGESTS] is False
        assert report.checks[REQUESTS] is False
        # The next event of the same office still links to the event as it was.
        successor = position + 1
        assert any(f.check == "chain" and f.position == successor for f in report.findings)

    def test_editing_the_last_event_is_found_through_its_digest_checkpoint(self, db: Path) -> None:
        rewrite(db, LAST, b"the report was wrong", b"the report was right")
        report = audit_store(settings_of(db))
        assert_event_named_first(report, LAST)
        assert report.findings[0].check == "digest"
        # No later event links to it: only the checkpoint and the request id can tell.
        assert report.checks[CHAIN] is True
        assert report.checks[DIGESTS] is False
        assert report.checks[REQUESTS] is False

    def test_changing_an_events_type_breaks_its_hash(self, db: Path) -> None:
        execute(
            db,
            "UPDATE stored_events SET topic=? WHERE rowid=3",
            "ledger.domain.office:PolicyLoosened",
        )
        report = audit_store(settings_of(db))
        assert_event_named_first(report, 3)
        assert report.checks[CHAIN] is False


class TestDeletedEvents:
    def test_deleting_an_event_in_the_middle_names_the_missing_position(self, db: Path) -> None:
        execute(db, "DELETE FROM stored_events WHERE rowid=7")
        report = audit_store(settings_of(db))
        assert_first_finding(report, 7, None)
        assert "not in the log" in report.findings[0].what
        assert report.checks[CHAIN] is False
        assert report.checks[DIGESTS] is False
        gap = [f for f in report.findings if f.check == "chain" and f.position == 8]
        assert [f.what for f in gap] == ["events missing at positions 7..7"]

    def test_deleting_the_first_event_names_position_1(self, db: Path) -> None:
        execute(db, "DELETE FROM stored_events WHERE rowid=1")
        report = audit_store(settings_of(db))
        assert report.ok is False
        assert report.findings[0].position == 1
        assert report.checks[CHAIN] is False
        assert report.checks[DIGESTS] is False
        assert report.checks[READ_MODEL] is False

    def test_deleting_the_first_event_reports_its_checkpoint_as_not_in_the_log(
        self, db: Path
    ) -> None:
        execute(db, "DELETE FROM stored_events WHERE rowid=1")
        report = audit_store(settings_of(db))
        orphans = [f for f in report.findings if f.check == "digest" and f.position == 1]
        assert [f.what for f in orphans] == ["a digest checkpoint for an event not in the log"]


class TestSwappedEvents:
    @pytest.mark.parametrize(
        ("first", "second"),
        [
            pytest.param(4, 5, id="of the same office"),
            pytest.param(5, 7, id="of different offices"),
        ],
    )
    def test_swapping_the_stored_bytes_of_two_events_names_the_first_of_them(
        self, db: Path, first: int, second: int
    ) -> None:
        one, other = stored(db, first), stored(db, second)
        store(db, first, other)
        store(db, second, one)
        report = audit_store(settings_of(db))
        assert_event_named_first(report, first)
        assert report.checks[CHAIN] is False
        misplaced = {
            f.position for f in report.findings if f.what.endswith("another office or version")
        }
        assert misplaced == {first, second}


def forged_retraction(db: Path, prev_hash: str | None) -> int:
    """Append a retraction of the amended inbound observation to Dandong's history; with
    ``prev_hash`` None, a careful forger's: linked to the hash of Dandong's last event."""
    position = LAST + 1
    office_id_column, _, last_bytes = _row_of(db, 11)
    last = json.loads(last_bytes)
    forged = json.loads(stored(db, LAST))
    forged.update(
        change_id=last["change_id"],
        event_id=str(uuid.uuid4()),
        originator_id=last["originator_id"],
        originator_version=8,
        prev_hash=prev_hash or event_hash("ChangeAmended", last_bytes),
    )
    execute(
        db,
        "INSERT INTO stored_events (rowid, originator_id, originator_version, topic, state) "
        "VALUES (?,?,?,?,?)",
        position,
        office_id_column,
        8,
        "ledger.domain.office:ChangeRetracted",
        canonical_json(forged),
    )
    return position


def _row_of(db: Path, position: int) -> tuple[str, int, bytes]:
    with opened(db) as connection:
        office_id, version, state = connection.execute(
            "SELECT originator_id, originator_version, state FROM stored_events WHERE rowid=?",
            (position,),
        ).fetchone()
    return office_id, version, bytes(state)


class TestForgedEvents:
    def test_a_naive_forgery_appended_with_a_wrong_link_is_named(self, db: Path) -> None:
        position = forged_retraction(db, prev_hash="1" * 64)
        report = audit_store(settings_of(db))
        assert_first_finding(report, position, "CN-DANDONG", 8)
        assert report.checks[CHAIN] is False
        assert report.checks[DIGESTS] is False
        assert report.checks[READ_MODEL] is False

    def test_a_careful_forgery_linked_to_the_right_hash_is_still_named(self, db: Path) -> None:
        position = forged_retraction(db, prev_hash=None)
        assert not replay(db).problems, "the forgery is well linked: the chain alone holds"
        report = audit_store(settings_of(db))
        assert_first_finding(report, position, "CN-DANDONG", 8)
        assert report.findings[0].what == "no digest checkpoint for this event"
        assert report.checks == {CHAIN: True, DIGESTS: False, REQUESTS: True, READ_MODEL: False}
        assert any(
            f.check == "read model"
            and f.what == f"the read model is at position {LAST}, the log at {position}"
            for f in report.findings
        )


class TestEditedReadModel:
    @pytest.mark.parametrize(
        ("sql", "parameters", "office"),
        [
            pytest.param(
                "UPDATE rule_revisions SET measure=replace(measure, '\"quantity\":3', "
                "'\"quantity\":9') WHERE office='CN-DANDONG' AND rev=1",
                (),
                "CN-DANDONG",
                id="a revision's measure",
            ),
            pytest.param(
                "UPDATE offices SET name=? WHERE code=?",
                ("Hunchun Free Trade Customs", HUNCHUN),
                HUNCHUN,
                id="an office row",
            ),
            pytest.param(
                "DELETE FROM rule_revisions WHERE office=? AND rev=0 AND kind='tightened'",
                (HUNCHUN,),
                HUNCHUN,
                id="a deleted revision",
            ),
        ],
    )
    def test_editing_the_rules_read_model_fails_the_read_model_check_naming_the_office(
        self, db: Path, sql: str, parameters: tuple[str, ...], office: str
    ) -> None:
        execute(db, sql, *parameters)
        report = audit_store(settings_of(db))
        assert_first_finding(report, None, office)
        assert report.checks == {CHAIN: True, DIGESTS: True, REQUESTS: True, READ_MODEL: False}

    def test_moving_the_read_models_tracking_position_back_fails_the_read_model_check(
        self, db: Path
    ) -> None:
        execute(db, "UPDATE tracking SET notification_id=? WHERE application_name='Ledger'", 12)
        report = audit_store(settings_of(db))
        assert_first_finding(report, None, None)
        assert report.findings[0].what == f"the read model is at position 12, the log at {LAST}"
        assert report.checks[READ_MODEL] is False

    def test_editing_a_digest_root_names_its_position(self, db: Path) -> None:
        execute(db, "UPDATE digests SET root=? WHERE position=6", "f" * 64)
        report = audit_store(settings_of(db))
        assert_event_named_first(report, 6)
        assert report.checks == {CHAIN: True, DIGESTS: False, REQUESTS: True, READ_MODEL: True}

    def test_deleting_a_digest_checkpoint_names_its_position(self, db: Path) -> None:
        execute(db, "DELETE FROM digests WHERE position=5")
        report = audit_store(settings_of(db))
        assert_event_named_first(report, 5)
        assert report.findings[0].what == "no digest checkpoint for this event"
        assert report.checks[DIGESTS] is False

    def test_editing_a_request_ids_hash_names_its_event(self, db: Path) -> None:
        execute(db, "UPDATE request_ids SET hash=? WHERE position=4", "a" * 64)
        report = audit_store(settings_of(db))
        assert_event_named_first(report, 4)
        assert report.checks == {CHAIN: True, DIGESTS: True, REQUESTS: False, READ_MODEL: True}


class TestTruncatedTail:
    def test_deleting_the_last_two_events_names_the_first_one_removed(self, db: Path) -> None:
        execute(db, "DELETE FROM stored_events WHERE rowid>?", LAST - 2)
        report = audit_store(settings_of(db))
        assert_first_finding(report, LAST - 1, None)
        assert report.findings[0].what.endswith("events were removed from its tail")
        assert report.digest.position == LAST - 2
        assert report.checks == {CHAIN: True, DIGESTS: False, REQUESTS: False, READ_MODEL: False}


class TestPinnedDigestOffline:
    """The auditor's side without a server: replaying the rows with ``ChainVerifier``."""

    PINNED = 11

    def test_the_replay_of_the_rows_reaches_the_ledgers_digest_and_its_checkpoints(
        self, db: Path
    ) -> None:
        verifier = replay(db, frozenset({self.PINNED}))
        with opened(db) as connection:
            kept = connection.execute(
                "SELECT root FROM digests WHERE position=?", (self.PINNED,)
            ).fetchone()[0]
        with Ledger(settings_of(db)) as ledger:
            digest = ledger.reader.digest()
        assert verifier.problems == []
        assert verifier.roots[self.PINNED] == kept
        assert (verifier.position, verifier.root) == (digest.position, digest.root)

    def test_a_pinned_root_is_no_longer_reached_after_an_edit_before_it(self, db: Path) -> None:
        pinned = replay(db, frozenset({self.PINNED})).roots[self.PINNED]
        rewrite(db, 4, b"rigorously inspected", b"barely inspected")
        verifier = replay(db, frozenset({self.PINNED}))
        assert verifier.roots[self.PINNED] != pinned
        assert verifier.problems[0].position == 5  # Dandong's next event links to the old bytes

    def test_an_edit_after_the_pinned_position_leaves_the_pinned_root_reached(
        self, db: Path
    ) -> None:
        before = replay(db, frozenset({self.PINNED}))
        rewrite(db, LAST, b"the report was wrong", b"the report was right")
        after = replay(db, frozenset({self.PINNED}))
        assert after.roots[self.PINNED] == before.roots[self.PINNED]
        assert after.root != before.root


class TestAuditWritesNothing:
    def test_auditing_a_path_where_there_is_no_database_neither_passes_nor_creates_one(
        self, tmp_path: Path
    ) -> None:
        missing = tmp_path / "elsewhere" / "ledger.sqlite"
        try:
            passed = audit_store(settings_of(missing)).ok
        except Exception:  # refusing is a right answer too
            passed = False
        assert (passed, missing.exists()) == (False, False)
