"""The decision log on every backend: stored as appended, one chain however many write at
once, made or migrated with schema version 3, and checked by the store audit, which finds a
decision edited, removed or reordered in the file."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import pytest

from ledger.application.decisions import Decision, NewDecision, canonical_text, decision_hash
from ledger.audit.store import audit_store
from ledger.bootstrap import Ledger
from ledger.domain.chain import GENESIS
from ledger.settings import Settings
from ledger.storage.identity import POSTGRES_V5, SQLITE_V5, State
from tests.support import postgres_rows, register, sqlite_rows

DECISIONS = "decisions"


def asked(ledger: Ledger, label: str = "", verdict: str = "ALLOWED") -> NewDecision:
    """A check's decision, answered at the ledger's digest now."""
    digest = ledger.reader.digest()
    return NewDecision(
        asked_at=datetime.now(UTC),
        asked_by="desk-3",
        label=label,
        rpc="Check",
        request=canonical_text({"office": "CN-DANDONG", "goods": "rice cooker"}),
        answer=canonical_text({"verdict": verdict}),
        position=digest.position,
        digest=digest.root,
        event_ids=(uuid4(),),
    )


def assert_chained(decisions: Sequence[Decision]) -> None:
    prev_hash = GENESIS
    for number, decision in enumerate(decisions, start=1):
        assert (decision.sequence, decision.prev_hash) == (number, prev_hash), decision
        assert decision.hash == decision_hash(decision)
        prev_hash = decision.hash


class TestTheDecisionStore:
    def test_decisions_read_back_exactly_as_appended(self, any_ledger: Ledger) -> None:
        register(any_ledger)
        store = any_ledger.decisions
        assert (store.last(), store.list(0, 10), store.append([])) == (None, [], [])
        first = store.append([asked(any_ledger, "a"), asked(any_ledger, "b")])
        second = store.append([asked(any_ledger, "c", verdict="UNCERTAIN")])
        stored = store.list(0, 10)
        assert stored == [*first, *second]
        assert_chained(stored)
        assert [d.label for d in stored] == ["a", "b", "c"]
        assert store.list(1, 1) == [first[1]]
        assert store.last() == second[0]
        assert store.get(first[1].decision_id) == first[1]
        assert store.get(uuid4()) is None
        # By sequence numbers (those that exist, in order), whole or only what they asked.
        assert store.by_sequences([3, 1, 9]) == [first[0], second[0]]
        assert store.questions([3, 1, 9]) == [
            (d.sequence, d.rpc, d.request, d.position) for d in (first[0], second[0])
        ]

    def test_an_append_is_one_transaction(self, any_ledger: Ledger) -> None:
        store = any_ledger.decisions
        [logged] = store.append([asked(any_ledger, "first")])
        again = NewDecision(**{**_fields(asked(any_ledger)), "decision_id": logged.decision_id})
        with pytest.raises(Exception, match=r"(?i)unique|already"):
            store.append([asked(any_ledger, "lost"), again])
        assert store.list(0, 10) == [logged]
        assert store.append([asked(any_ledger, "next")])[0].sequence == 2


def _fields(decision: NewDecision) -> dict[str, Any]:
    return {name: getattr(decision, name) for name in NewDecision.__dataclass_fields__}


class TestWritersAtOnce:
    @pytest.mark.parametrize("backend", ["sqlite", "postgres"])
    def test_two_ledgers_on_one_database_append_one_chain(
        self, backend: str, request: pytest.FixtureRequest
    ) -> None:
        url = str(request.getfixturevalue(f"{backend}_url"))
        with Ledger(Settings(database_url=url)) as one, Ledger(Settings(database_url=url)) as two:
            barrier = threading.Barrier(6)
            failures: list[BaseException] = []

            def append(ledger: Ledger) -> None:
                barrier.wait()
                try:
                    for _ in range(10):
                        ledger.decisions.append([asked(ledger) for _ in range(3)])
                except BaseException as error:  # the assertion below shows it
                    failures.append(error)

            threads = [threading.Thread(target=append, args=(ledger,)) for ledger in [one, two] * 3]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert failures == []
            stored = one.decisions.list(0, 1000)
        assert len(stored) == 180
        assert_chained(stored)

    def test_group_commit_through_the_ledger_is_audited(self, sqlite_url: str) -> None:
        with Ledger(Settings(database_url=sqlite_url)) as ledger:
            register(ledger)
            got: list[Decision] = []
            threads = [
                threading.Thread(
                    target=lambda n=n: got.append(
                        ledger.decision_writer.log(asked(ledger, str(n)), timeout=10)
                    )
                )
                for n in range(40)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert sorted(d.sequence for d in got) == list(range(1, 41))
        report = audit_store(Settings(database_url=sqlite_url))
        assert report.ok, report.findings
        assert report.checks[DECISIONS] is True


@pytest.fixture
def logged(sqlite_url: str) -> Path:
    """A SQLite ledger with five decisions logged, to tamper with."""
    with Ledger(Settings(database_url=sqlite_url)) as ledger:
        register(ledger)
        ledger.decisions.append([asked(ledger, str(n)) for n in range(1, 6)])
    return Path(sqlite_url.removeprefix("sqlite:///"))


def decision_id(path: Path, sequence: int) -> str:
    return str(
        sqlite_rows(path, "SELECT decision_id FROM decisions WHERE sequence=?", sequence)[0][0]
    )


def assert_found_first(path: Path, sequence: int, saying: str) -> None:
    report = audit_store(Settings(database_url=f"sqlite:///{path}"))
    assert report.ok is False
    assert report.checks[DECISIONS] is False
    assert [f.check for f in report.findings] == [DECISIONS] * len(report.findings)
    first = report.findings[0].what
    assert first.startswith(f"decision {sequence} ({decision_id(path, sequence)})"), first
    assert saying in first, first


class TestTheStoreAuditOfDecisions:
    def test_an_untouched_log_passes(self, logged: Path) -> None:
        report = audit_store(Settings(database_url=f"sqlite:///{logged}"))
        assert report.ok, report.findings
        assert report.checks[DECISIONS] is True

    def test_an_edited_answer_is_found(self, logged: Path) -> None:
        sqlite_rows(logged, 'UPDATE decisions SET answer=\'{"verdict":"BANNED"}\' WHERE sequence=3')
        assert_found_first(logged, 3, "it was changed after it was logged")

    def test_an_edit_with_its_hash_recomputed_breaks_the_next_link(self, logged: Path) -> None:
        with Ledger(Settings(database_url=f"sqlite:///{logged}")) as ledger:
            third = ledger.decisions.list(2, 1)[0]
        edited = replace(third, answer='{"verdict":"PROHIBITED"}')
        edited = replace(edited, hash=decision_hash(edited))
        sqlite_rows(
            logged,
            "UPDATE decisions SET answer=?, hash=? WHERE sequence=3",
            edited.answer,
            edited.hash,
        )
        assert_found_first(logged, 4, "a decision was removed, reordered or rewritten")

    def test_a_removed_decision_is_found(self, logged: Path) -> None:
        sqlite_rows(logged, "DELETE FROM decisions WHERE sequence=3")
        assert_found_first(logged, 4, "follows decision 2: decisions were removed or reordered")

    def test_reordered_decisions_are_found(self, logged: Path) -> None:
        for was, becomes in ((2, 0), (3, 2), (0, 3)):  # decisions 2 and 3 swap places
            sqlite_rows(logged, "UPDATE decisions SET sequence=? WHERE sequence=?", becomes, was)
        assert_found_first(logged, 2, "links to")

    def test_an_edit_on_postgres_is_found(self, postgres_url: str) -> None:
        with Ledger(Settings(database_url=postgres_url)) as ledger:
            register(ledger)
            ledger.decisions.append([asked(ledger, str(n)) for n in range(3)])
        postgres_rows(
            postgres_url, "UPDATE ledger_decisions SET asked_by='someone' WHERE sequence=2"
        )
        report = audit_store(Settings(database_url=postgres_url))
        assert report.checks[DECISIONS] is False
        assert report.findings[0].what.startswith("decision 2 (")


class TestSchemaVersions:
    def test_a_new_sqlite_ledger_has_the_layout_of_version_5(self, sqlite_url: str) -> None:
        with Ledger(Settings(database_url=sqlite_url)):
            pass
        path = sqlite_url.removeprefix("sqlite:///")
        tables = {
            name: tuple(
                f"{column} {kind}"
                for column, kind in sqlite_rows(
                    path, "SELECT name, type FROM pragma_table_info(?)", name
                )
            )
            for (name,) in sqlite_rows(
                path, "SELECT name FROM sqlite_master WHERE type='table' AND name!='ledger_meta'"
            )
        }
        assert tables == SQLITE_V5

    def test_a_new_postgres_ledger_has_the_layout_of_version_5(self, postgres_url: str) -> None:
        with Ledger(Settings(database_url=postgres_url)):
            pass
        rows = postgres_rows(
            postgres_url,
            "SELECT c.relname, a.attname, format_type(a.atttypid, a.atttypmod) FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace JOIN pg_attribute a "
            "ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped "
            "WHERE n.nspname = current_schema() AND c.relkind = 'r' "
            "AND c.relname != 'ledger_meta' ORDER BY c.relname, a.attnum",
        )
        tables: dict[str, tuple[str, ...]] = {}
        for table, column, kind in rows:
            tables[table] = (*tables.get(table, ()), f"{column} {kind}")
        assert tables == POSTGRES_V5

    @pytest.mark.parametrize("backend", ["sqlite", "postgres"])
    @pytest.mark.parametrize("version", [1, 2])
    def test_an_older_ledger_is_migrated_and_takes_decisions(
        self, backend: str, version: int, request: pytest.FixtureRequest
    ) -> None:
        url = str(request.getfixturevalue(f"{backend}_url"))
        with Ledger(Settings(database_url=url)) as ledger:
            register(ledger)
            digest = ledger.reader.digest()
        _back_to(backend, url, version)
        with Ledger(Settings(database_url=url)) as ledger:
            assert ledger.factory.state is State.OLD
            assert ledger.reader.digest() == digest
            assert ledger.decision_writer.log(asked(ledger), timeout=10).sequence == 1
        assert _version(backend, url) == "5"
        assert audit_store(Settings(database_url=url)).checks[DECISIONS] is True

    @pytest.mark.parametrize("backend", ["sqlite", "postgres"])
    @pytest.mark.parametrize("version", [1, 2])
    def test_the_store_audit_reads_an_older_ledger_without_decisions_as_it_is(
        self, backend: str, version: int, request: pytest.FixtureRequest
    ) -> None:
        url = str(request.getfixturevalue(f"{backend}_url"))
        with Ledger(Settings(database_url=url)) as ledger:
            register(ledger)
        _back_to(backend, url, version)
        report = audit_store(Settings(database_url=url))
        assert report.ok, report.findings
        assert DECISIONS not in report.checks
        assert _version(backend, url) == str(version)


def _back_to(backend: str, url: str, version: int) -> None:
    """A ledger of this code brought back to the tables and marker of an earlier version."""
    marker = f"UPDATE ledger_meta SET value = '{version}' WHERE key = 'schema_version'"
    if backend == "sqlite":
        path = url.removeprefix("sqlite:///")
        sqlite_rows(path, "DROP TABLE signed_checkpoints")
        sqlite_rows(path, "DROP TABLE merkle_nodes")
        sqlite_rows(path, "DROP INDEX request_ids_by_event")
        if version < 3:
            sqlite_rows(path, "DROP TABLE decisions")
        if version == 1:
            sqlite_rows(path, "ALTER TABLE rule_revisions DROP COLUMN position_from")
            sqlite_rows(path, "ALTER TABLE rule_revisions DROP COLUMN position_until")
        sqlite_rows(path, marker)
    else:
        positions = (
            "; ALTER TABLE ledger_rule_revisions DROP COLUMN position_from, "
            "DROP COLUMN position_until"
        )
        postgres_rows(
            url,
            "DROP TABLE ledger_signed_checkpoints; DROP TABLE ledger_merkle_nodes; "
            "DROP INDEX ledger_events_requests_by_event",
        )
        if version < 3:
            postgres_rows(url, f"DROP TABLE ledger_decisions{positions if version == 1 else ''}")
        postgres_rows(url, marker)


def _version(backend: str, url: str) -> str:
    sql = "SELECT value FROM ledger_meta WHERE key = 'schema_version'"
    if backend == "sqlite":
        return str(sqlite_rows(url.removeprefix("sqlite:///"), sql)[0][0])
    return str(postgres_rows(url, sql)[0][0])
