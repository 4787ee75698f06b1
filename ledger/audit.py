"""The store audit: replay the whole log from the database and check that nothing was rewritten.

It reads the events directly, as stored, and checks (``ledger_client.verify``) every hash,
every link to the previous event of the office, versions and positions without gaps or
duplicates, and the ledger digest against every stored checkpoint; every request-id row
against the event it names; and it rebuilds every projection from scratch, in memory, and
compares it with the stored read model. It writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict
from datetime import date, timedelta
from typing import Any
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.sqlite import SQLiteFactory
from pydantic import Field

from ledger.application import LedgerApplication
from ledger.domain.values import Value
from ledger.persistence import SQLiteLedgerRecorder
from ledger.queries import StateRequest
from ledger.readmodel import RuleView, SQLiteRuleView
from ledger.service import Ledger
from ledger.settings import Settings
from ledger_client import ExportedEvent, LedgerClient
from ledger_client.verify import ChainVerifier

__all__ = ["AuditReport", "Finding", "Digest", "audit_store", "compare_rule_states"]

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
    app = LedgerApplication(env=settings.persistence_env())
    try:
        if not isinstance(app.factory, SQLiteFactory):
            raise NotImplementedError("the store audit reads SQLite databases")
        view = SQLiteRuleView(app.factory.datastore)
        view.create_table()
        return _Audit(app, view, progress).run()
    finally:
        app.close()


class _Audit:
    def __init__(
        self, app: LedgerApplication, view: RuleView, progress: Callable[[int, int], None] | None
    ) -> None:
        self.app = app
        self.view = view
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

    def _replay(self) -> tuple[ChainVerifier, list[StoredEvent]]:
        recorder = self.app.recorder
        last = recorder.max_notification_id() or 0
        verifier = ChainVerifier()
        hashes: dict[tuple[str, int], str] = {}
        stored: list[StoredEvent] = []
        diverged = False  # after the first wrong checkpoint, every later one differs too
        start = 1
        while batch := recorder.select_notifications(start, _BATCH):
            first, final = batch[0].id, batch[-1].id
            marks = {
                c.position: c.root for c in self.view.checkpoints(first - 1, final - first + 1)
            }
            for n in batch:
                office_id = str(n.originator_id)
                event_type = n.topic.rsplit(".", 1)[-1].rsplit(":", 1)[-1]
                hash_ = verifier.add(n.id, office_id, n.originator_version, event_type, n.state)
                hashes[office_id, n.originator_version] = hash_
                stored.append(n)
                where = {
                    "position": n.id,
                    "office": verifier.office_code(office_id),
                    "version": n.originator_version,
                }
                root = marks.pop(n.id, None)
                if root is None:
                    self._find("digest", "no digest checkpoint for this event", **where)
                elif root != verifier.root and not diverged:
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
            start = final + 1
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
        recorder = self.app.recorder
        assert isinstance(recorder, SQLiteLedgerRecorder)
        for request in recorder.all_requests():
            key = (str(request.originator_id), request.office_version)
            if hashes.get(key) != request.hash:
                self._find(
                    "requests",
                    f"request {request.request_id!r} names an event with hash {request.hash}, "
                    f"the log has {hashes.get(key, 'no such event')}",
                    office=request.office,
                    version=request.office_version,
                    position=request.position,
                )

    def _compare_read_model(self, stored: list[StoredEvent], verifier: ChainVerifier) -> bool:
        """Rebuild the projection from the same events, in memory, and compare."""
        found = self.total
        with Ledger(Settings(database_url="memory://")) as fresh:
            try:
                fresh.app.recorder.insert_events(stored)
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
        | {r.start - timedelta(days=1) for r in revisions}
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
