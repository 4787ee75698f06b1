"""The store audit: replay the whole log from the database and check that nothing was rewritten.

It reads the events directly, as stored, and checks (``ledger_api.verify``) every hash,
every link to the previous event of the office, versions and positions without gaps or
duplicates, and the ledger digest against every stored checkpoint; every request-id row
against the event it names; and it rebuilds every projection from scratch, in memory, and
compares it with the stored read model. It writes nothing.
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteFactory
from psycopg.sql import SQL, Composed, Identifier
from pydantic import Field

from ledger.application import LedgerApplication
from ledger.domain.errors import LedgerError
from ledger.domain.values import Value
from ledger.persistence import event_type
from ledger.postgres import PostgresLedgerRecorder, PostgresRuleView
from ledger.queries import StateRequest
from ledger.readmodel import RuleView, SQLiteRuleView
from ledger.service import Ledger
from ledger.settings import Settings
from ledger_api.verify import ChainVerifier
from ledger_client import ExportedEvent, LedgerClient

__all__ = [
    "AuditReport",
    "Finding",
    "Digest",
    "NothingToAudit",
    "audit_store",
    "compare_rule_states",
]

_BATCH = 5000


class Digest(Value):
    position: int
    root: str


class Finding(Value):
    """One thing found wrong; the first is the first broken event."""

    check: str
    position: int | None = None
    office: str | None = None
    version: int | None = None
    what: str


class AuditReport(Value):
    ok: bool
    events: int
    offices: int
    digest: Digest
    checks: dict[str, bool]
    findings: tuple[Finding, ...] = ()
    findings_total: int = 0
    replay_seconds: float = Field(description="reading, hashing, linking and the digest")
    rebuild_seconds: float = Field(description="rebuilding and comparing the read model")


def audit_store(
    settings: Settings, progress: Callable[[int, int], None] | None = None
) -> AuditReport:
    """Audit the database ``settings`` names; ``progress(done, total)`` is called per batch."""
    env = settings.persistence_env()
    module = env.get("PERSISTENCE_MODULE")
    if module == "eventsourcing.sqlite" and not Path(env["SQLITE_DBNAME"]).is_file():
        raise NothingToAudit(f"there is no ledger at {env['SQLITE_DBNAME']}")
    if module not in ("eventsourcing.sqlite", "eventsourcing.postgres"):
        raise NothingToAudit("the store audit reads a SQLite or PostgreSQL database")
    app = LedgerApplication(env={**env, "CREATE_TABLE": "no"})  # the audit writes nothing
    try:
        if isinstance(app.factory, SQLiteFactory):
            reader: _Store = _SQLiteStore(app.factory.datastore.pool.db_name)
            view: RuleView = SQLiteRuleView(app.factory.datastore)
        else:
            assert isinstance(app.recorder, PostgresLedgerRecorder)
            reader = _PostgresStore(app.recorder)
            view = PostgresRuleView(app.recorder.datastore)
        with reader:
            return _Audit(app, view, reader, progress).run()
    finally:
        app.close()


class _Store:
    """The stored events and request-id rows, read straight from the database as plain
    tuples (ids as text, state as bytes): the audit is a replay and should run at the speed
    of reading."""

    contiguous = True  # positions 1, 2, 3, ...

    def events(self, start: int, limit: int) -> list[tuple[int, str, int, str, bytes]]:
        raise NotImplementedError  # pragma: no cover

    def requests(self) -> list[tuple[str, str, str, int, str, int]]:
        raise NotImplementedError  # pragma: no cover

    def __enter__(self) -> _Store:
        return self

    def __exit__(self, *_: object) -> None:
        return None


class _SQLiteStore(_Store):
    def __init__(self, path: str) -> None:
        self.connection = sqlite3.connect(path, uri=True)

    def _rows(self, sql: str, *params: Any) -> list[Any]:
        cursor = self.connection.execute(sql, params)
        try:
            return cursor.fetchall()
        finally:
            cursor.close()

    def events(self, start: int, limit: int) -> list[tuple[int, str, int, str, bytes]]:
        return self._rows(
            "SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
            "WHERE rowid>=? ORDER BY rowid LIMIT ?",
            start,
            limit,
        )

    def requests(self) -> list[tuple[str, str, str, int, str, int]]:
        return self._rows(
            "SELECT request_id, office, originator_id, office_version, hash, position "
            "FROM request_ids ORDER BY position"
        )

    def __exit__(self, *_: object) -> None:
        self.connection.close()


class _PostgresStore(_Store):
    contiguous = False  # a write that loses a race uses a number up

    def __init__(self, recorder: PostgresLedgerRecorder) -> None:
        self.recorder = recorder

    def _rows(self, sql: Composed, *params: Any) -> list[Any]:
        with self.recorder.datastore.transaction(commit=False) as curs:
            curs.execute(sql, params)
            return [tuple(row.values()) for row in curs.fetchall()]

    def events(self, start: int, limit: int) -> list[tuple[int, str, int, str, bytes]]:
        table = Identifier(self.recorder.datastore.schema, self.recorder.events_table_name)
        return self._rows(
            SQL(
                "SELECT notification_id, originator_id::text, originator_version, topic, state "
                "FROM {} WHERE notification_id>=%s ORDER BY notification_id LIMIT %s"
            ).format(table),
            start,
            limit,
        )

    def requests(self) -> list[tuple[str, str, str, int, str, int]]:
        return self._rows(
            SQL(
                "SELECT request_id, office, originator_id, office_version, hash, position "
                "FROM {} ORDER BY position"
            ).format(self.recorder.requests_table)
        )


class NothingToAudit(LedgerError):
    """The database named is not a ledger's."""


class _Audit:
    def __init__(
        self,
        app: LedgerApplication,
        view: RuleView,
        store: _Store,
        progress: Callable[[int, int], None] | None,
    ) -> None:
        self.app = app
        self.view = view
        self.store = store
        self.progress = progress
        self.findings: list[Finding] = []
        self.total = 0

    def _find(self, check: str, what: str, **where: Any) -> None:
        self.total += 1
        if len(self.findings) < 100:
            self.findings.append(Finding(check=check, what=what, **where))

    def run(self) -> AuditReport:
        started = time.perf_counter()
        verifier, stored = self._replay()
        replayed = time.perf_counter()
        rebuilt = self._compare_read_model(stored, verifier)
        checks = {
            "hashes, links, versions and positions": verifier.problem_count == 0,
            "digest checkpoints": not any(f.check == "digest" for f in self.findings),
            "request ids": not any(f.check == "requests" for f in self.findings),
            "read model": rebuilt,
        }
        self.findings.sort(key=lambda f: (f.position is None, f.position or 0))
        return AuditReport(
            ok=all(checks.values()),
            events=verifier.events,
            offices=verifier.offices,
            digest=Digest(position=verifier.position, root=verifier.root),
            checks=checks,
            findings=tuple(self.findings),
            findings_total=self.total,
            replay_seconds=replayed - started,
            rebuild_seconds=time.perf_counter() - replayed,
        )

    def _replay(self) -> tuple[ChainVerifier, list[tuple[str, int, str, bytes]]]:
        last = self.app.recorder.max_notification_id() or 0
        verifier = ChainVerifier(contiguous=self.store.contiguous)
        hashes: dict[tuple[str, int], str] = {}
        stored: list[tuple[str, int, str, bytes]] = []
        diverged = False  # after the first wrong checkpoint, every later one differs too
        start, previous = 1, 0
        while batch := self.store.events(start, _BATCH):
            final = batch[-1][0]
            # Every checkpoint up to this batch's last event, those of removed events included.
            marks = {c.position: c.root for c in self.view.checkpoints(previous, final - previous)}
            for position, office_id, version, topic, state in batch:
                hash_ = verifier.add(position, office_id, version, event_type(topic), state)
                hashes[office_id.replace("-", ""), version] = hash_
                stored.append((office_id, version, topic, state))
                root = marks.pop(position, None)
                if root is not None and (root == verifier.root or diverged):
                    continue
                where = {
                    "position": position,
                    "office": verifier.office_code(office_id),
                    "version": version,
                }
                if root is None:
                    self._find("digest", "no digest checkpoint for this event", **where)
                else:
                    diverged = True
                    self._find(
                        "digest",
                        f"the stored digest is {root}, the replay gives {verifier.root}: this "
                        "event differs from what was recorded, or the log before it does",
                        **where,
                    )
            for position in sorted(marks):
                self._find(
                    "digest", "a digest checkpoint for an event not in the log", position=position
                )
            start, previous = final + 1, final
            if self.progress:
                self.progress(len(stored), last)
        for problem in verifier.problems:
            self._find(
                "chain",
                problem.what,
                position=problem.position,
                office=problem.office,
                version=problem.version,
            )
        beyond = self.view.checkpoints(verifier.position, 1)
        if beyond:
            self._find(
                "digest",
                f"the read model has a digest at position {beyond[0].position}, but the log ends "
                f"at {verifier.position}: events were removed from its tail",
                position=beyond[0].position,
            )
        self._check_requests(hashes)
        return verifier, stored

    def _check_requests(self, hashes: dict[tuple[str, int], str]) -> None:
        for request_id, office, originator_id, version, hash_, position in self.store.requests():
            found = hashes.get((originator_id.replace("-", ""), version))
            if found != hash_:
                self._find(
                    "requests",
                    f"request {request_id!r} names an event with hash {hash_}, "
                    f"the log has {found or 'no such event'}",
                    office=office,
                    version=version,
                    position=position,
                )

    def _compare_read_model(
        self, stored: list[tuple[str, int, str, bytes]], verifier: ChainVerifier
    ) -> bool:
        """Rebuild the projection from the same events, in memory, and compare."""
        found = self.total
        with Ledger(Settings(database_url="memory://")) as fresh:
            try:
                fresh.app.recorder.insert_events(
                    [
                        StoredEvent(UUID(office), version, topic, state)
                        for office, version, topic, state in stored
                    ]
                )
                fresh.follower.catch_up()
            except Exception as error:  # the replay reports whatever stops it
                self._find("read model", f"the log cannot be projected: {error}")
                return False
            rebuilt = {row.code: row for row in fresh.view.list_offices()}
            kept = {row.code: row for row in self.view.list_offices()}
            for code in sorted(rebuilt.keys() | kept.keys()):
                if rebuilt.get(code) != kept.get(code):
                    self._find(
                        "read model",
                        f"office row differs: stored {_row(kept.get(code))}, "
                        f"rebuilt {_row(rebuilt.get(code))}",
                        office=code,
                    )
                mine = sorted(fresh.view.revisions_of_office(code), key=_key)
                theirs = sorted(self.view.revisions_of_office(code), key=_key)
                for a, b in zip(mine, theirs, strict=False):
                    if a != b:
                        self._find(
                            "read model",
                            f"revision {b.rev} of change {b.change_id} differs from its rebuild",
                            office=code,
                        )
                        break
                if len(mine) != len(theirs):
                    self._find(
                        "read model",
                        f"{len(theirs)} revisions stored, {len(mine)} rebuilt",
                        office=code,
                    )
            position = self.view.max_tracking_id(self.app.name) or 0
            if position != verifier.position:
                self._find(
                    "read model",
                    f"the read model is at position {position}, the log at {verifier.position}",
                )
        return self.total == found


def _key(revision: Any) -> tuple[str, int]:
    return str(revision.change_id), revision.rev


def _row(row: Any) -> str:
    return (
        "none" if row is None else str({k: v for k, v in asdict(row).items() if k != "crossings"})
    )


_EVENT_TYPES = frozenset(
    {
        "OfficeRegistered",
        "PolicyObserved",
        "PolicyTightened",
        "PolicyLoosened",
        "ChangeAmended",
        "ChangeRetracted",
    }
)


def compare_rule_states(
    client: LedgerClient, events: list[ExportedEvent], sample: int
) -> tuple[int, list[str]]:
    """Rebuild rule states here from the exported (and verified) events, and compare them with
    the server's answers at ``sample`` dates per office: the window edges of its changes.

    Returns how many (office, date) states were compared, and every disagreement.
    """
    unknown = sorted({e.type for e in events} - _EVENT_TYPES)
    if unknown:
        return 0, [f"unknown event types in the log: {', '.join(unknown)}"]
    compared, problems = 0, []
    with Ledger(Settings(database_url="memory://")) as local:
        local.app.recorder.insert_events(
            [
                StoredEvent(
                    originator_id=UUID(e.office_id),
                    originator_version=e.office_version,
                    topic=f"ledger.domain.office:{e.type}",
                    state=e.stored_json,
                )
                for e in events
            ]
        )
        local.follower.catch_up()
        for office in local.offices():
            for at in _sample_dates(local.view.revisions_of_office(office.code), sample):
                theirs = client.rule_state(office.code, at)
                mine = local.state(StateRequest(office=office.code, at=at))
                compared += 1
                if _shape(theirs.scopes) != _shape(mine.scopes):
                    problems.append(
                        f"{office.code} on {at}: the server's rule state differs from the one "
                        "rebuilt from its own log"
                    )
    return compared, problems


def _sample_dates(revisions: list[Any], sample: int) -> list[date]:
    edges = sorted(
        {r.start for r in revisions}
        | {r.end for r in revisions}
        | {r.start - timedelta(days=1) for r in revisions if r.start > date.min}
    )
    if len(edges) <= sample:
        return edges
    step = len(edges) / sample
    return [edges[int(i * step)] for i in range(sample)]


def _shape(scopes: Any) -> list[Any]:
    """What must agree, whichever side's models hold it."""
    return [
        (
            (str(s.scope.direction), str(s.scope.channel), str(s.scope.traveller), s.scope.goods),
            s.uncertain,
            [
                (
                    None
                    if st.admissibility is None
                    else (
                        str(st.admissibility.kind),
                        st.admissibility.quantity,
                        st.admissibility.amount,
                        st.admissibility.currency,
                    ),
                    None if st.inspection is None else str(st.inspection),
                    None if st.enforcement is None else str(st.enforcement),
                    sorted((r.dimension, str(r.change_id)) for r in st.rulings),
                )
                for st in s.states
            ],
        )
        for s in scopes
    ]
