"""The store audit: replay the whole log from the database and check nothing was rewritten.

It reads the events as stored (the recorder's export, without decoding) and checks with
``ledger_api.verify`` every hash, every link to the previous event of the office, versions and
positions without gaps or duplicates, and the ledger digest against every stored checkpoint;
every request-id row against the event it names; the decision log's chain (sequences 1, 2,
3, ..., each ``prev_hash`` the hash before it, each hash recomputed); and it rebuilds the read
model from scratch, in memory, and compares it with the stored one. It writes nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any, Protocol, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from ledger.application.app import LedgerApplication
from ledger.application.decisions import decision_hash
from ledger.application.ports import DecisionStore, ExportRow
from ledger.audit.report import AuditReport, Digest, Finding, NothingToAudit
from ledger.bootstrap import Ledger
from ledger.domain.chain import GENESIS
from ledger.domain.events import EVENTS
from ledger.readmodel.model import Revision
from ledger.readmodel.view import RuleView
from ledger.settings import Settings
from ledger.storage import environment
from ledger.storage.factory import LedgerFactory
from ledger_api.verify import ChainVerifier

__all__ = ["audit_store", "stored_event", "Exported"]

_BATCH = 5000


def audit_store(
    settings: Settings, progress: Callable[[int, int], None] | None = None
) -> AuditReport:
    """Audit the database ``settings`` names; ``progress(done, total)`` is called per batch."""
    backend, keys = settings.database()
    if backend == "memory":
        raise NothingToAudit("the store audit reads a SQLite or PostgreSQL database")
    if backend == "sqlite" and not Path(keys["SQLITE_DBNAME"]).is_file():
        raise NothingToAudit(f"there is no ledger at {keys['SQLITE_DBNAME']}")
    app = LedgerApplication(env=environment(settings, CREATE_TABLE="no"))  # it writes nothing
    try:
        factory = cast("LedgerFactory", app.factory)
        return _Audit(app, factory.rule_view(), progress, factory.decision_store()).run()
    finally:
        app.close()


class Exported(Protocol):
    """An event as exported: ``ExportRow`` here, ``ExportedEvent`` from a server."""

    @property
    def office_id(self) -> str: ...

    @property
    def office_version(self) -> int: ...

    @property
    def type(self) -> str: ...

    @property
    def stored_json(self) -> bytes: ...


def stored_event(event: Exported) -> StoredEvent:
    """An exported event as the library stores it (``KeyError`` for an unknown event type)."""
    topic = get_topic(EVENTS[event.type])
    return StoredEvent(UUID(event.office_id), event.office_version, topic, event.stored_json)


class _Audit:
    def __init__(
        self,
        app: LedgerApplication,
        view: RuleView,
        progress: Callable[[int, int], None] | None,
        decisions: DecisionStore,
    ) -> None:
        self.app = app
        self.view = view
        self.decisions = decisions
        self.store = app.store
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
        decisions = self._check_decisions()
        checks = {
            "hashes, links, versions and positions": verifier.problem_count == 0,
            "digest checkpoints": not any(f.check == "digest" for f in self.findings),
            "request ids": not any(f.check == "requests" for f in self.findings),
            "read model": rebuilt,
        }
        if decisions:  # a ledger without logged decisions reports the checks it always had
            checks["decisions"] = not any(f.check == "decisions" for f in self.findings)
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

    def _replay(self) -> tuple[ChainVerifier, list[ExportRow]]:
        last = self.app.recorder.max_notification_id() or 0
        verifier = ChainVerifier(contiguous=self.store.gapless)
        hashes: dict[tuple[str, int], str] = {}
        stored: list[ExportRow] = []
        diverged = False  # after the first wrong checkpoint, every later one differs too
        previous = 0
        while batch := self.store.export_rows(previous, _BATCH):
            final = batch[-1].position
            # Every checkpoint up to this batch's last event, those of removed events included.
            marks = {c.position: c.root for c in self.view.checkpoints(previous, final - previous)}
            for row in batch:
                position, office_id, version, type_, state = row
                hash_ = verifier.add(position, office_id, version, type_, state)
                hashes[office_id, version] = hash_
                stored.append(row)
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
            previous = final
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
        for (
            request_id,
            office,
            originator_id,
            version,
            hash_,
            position,
        ) in self.store.request_rows():
            found = hashes.get((originator_id, version))
            if found != hash_:
                self._find(
                    "requests",
                    f"request {request_id!r} names an event with hash {hash_}, "
                    f"the log has {found or 'no such event'}",
                    office=office,
                    version=version,
                    position=position,
                )

    def _check_decisions(self) -> int:
        """Check the decision log's chain; how many decisions it holds. Each broken decision
        is named once, and the check goes on from it as stored."""
        sequence, prev_hash, count = 0, GENESIS, 0
        while batch := self.decisions.list(sequence, _BATCH):
            for decision in batch:
                count += 1
                named = f"decision {decision.sequence} ({decision.decision_id})"
                if decision.sequence != sequence + 1:
                    what = (
                        f"{named} follows decision {sequence}: decisions were removed or reordered"
                    )
                elif decision.prev_hash != prev_hash:
                    what = (
                        f"{named} links to {decision.prev_hash}, the decision before it has "
                        f"hash {prev_hash}: a decision was removed, reordered or rewritten"
                    )
                elif decision_hash(decision) != decision.hash:
                    what = (
                        f"{named} has the hash {decision.hash}, its fields give "
                        f"{decision_hash(decision)}: it was changed after it was logged"
                    )
                else:
                    what = ""
                if what:
                    self._find("decisions", what)
                sequence, prev_hash = decision.sequence, decision.hash
        return count

    def _compare_read_model(self, stored: list[ExportRow], verifier: ChainVerifier) -> bool:
        """Rebuild the projection from the same events, in memory, and compare."""
        found = self.total
        positions = [row.position for row in stored]  # the rebuild's 1, 2, 3, ... in the log
        with Ledger(Settings(database_url="memory://")) as fresh:
            try:
                fresh.app.recorder.insert_events([stored_event(row) for row in stored])
                fresh.follower.catch_up()
            except Exception as error:  # the replay reports whatever stops it
                self._find("read model", f"the log cannot be projected: {error}")
                return False
            stuck = fresh.follower.stuck
            if stuck is not None:
                self._find(
                    "read model",
                    f"the event at position {stuck.position} ({stuck.type}, office aggregate "
                    f"{stuck.event}) cannot be projected: {stuck.reason}; a server's read model "
                    "stops before it",
                    position=stuck.position,
                )
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
                mine = [_at(r, positions) for r in fresh.view.revisions_of_office(code)]
                mine.sort(key=_key)
                theirs = sorted(self.view.revisions_of_office(code), key=_key)
                if not self.view.positions:  # schema version 1: kept without positions
                    mine = [replace(r, position_from=0, position_until=None) for r in mine]
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


def _at(revision: Revision, positions: list[int]) -> Revision:
    """A revision of the rebuild, with the log's own positions: the rebuild numbers the events
    1, 2, 3, ..., and the log may have gaps (PostgreSQL's sequence skips a number when a
    write loses a race)."""
    until = revision.position_until
    return replace(
        revision,
        position_from=positions[revision.position_from - 1],
        position_until=None if until is None else positions[until - 1],
    )


def _key(revision: Any) -> tuple[str, int]:
    return str(revision.change_id), revision.rev


def _row(row: Any) -> str:
    return (
        "none" if row is None else str({k: v for k, v in asdict(row).items() if k != "crossings"})
    )
