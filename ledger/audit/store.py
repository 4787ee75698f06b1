"""The store audit: replay the whole log from the database and check nothing was rewritten.

It reads the events as stored (the recorder's export, without decoding) and checks with
``ledger_api.verify`` every hash, every link to the previous event of the office, versions and
positions without gaps or duplicates, and the ledger digest against every stored checkpoint;
every request-id row against the event it names; the decision log's chain (sequences 1, 2,
3, ..., each ``prev_hash`` the hash before it, each hash recomputed); and it rebuilds the read
model from scratch and compares it with the stored one (``ledger.audit.rebuild``). It writes
nothing to the ledger.

The log is streamed: each batch of events is verified, then projected, and forgotten but for
its hashes (32 bytes an event); the request-id rows and both read models are read a page at a
time. ``replay_seconds`` is the time spent verifying, ``rebuild_seconds`` the projection and
the comparisons.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol, cast
from uuid import UUID

from eventsourcing.persistence import StoredEvent
from eventsourcing.utils import get_topic

from ledger.application.app import LedgerApplication
from ledger.application.decisions import decision_hash
from ledger.application.ports import DecisionStore
from ledger.audit.rebuild import Rebuild
from ledger.audit.report import AuditReport, Digest, Finding, NothingToAudit
from ledger.domain.chain import GENESIS
from ledger.domain.events import EVENTS
from ledger.settings import Settings
from ledger.storage import environment
from ledger.storage.factory import LedgerFactory
from ledger.storage.sql import SQLRuleView
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
        view = cast("SQLRuleView", factory.rule_view())
        contiguous = app.store.gapless and not factory.positions_skip
        return _Audit(app, view, progress, factory.decision_store(), contiguous).run()
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


class Hashes:
    """Each event's hash by office and version, 32 bytes an event (what the request-id rows are
    checked against): one byte string per office, indexed by version; a version out of turn
    (a duplicate, or after a gap) is kept apart, the latest of each winning."""

    def __init__(self) -> None:
        self._offices: dict[str, bytearray] = {}
        self._apart: dict[tuple[str, int], str] = {}

    def put(self, office_id: str, version: int, hash_: str) -> None:
        hashes = self._offices.get(office_id)
        if hashes is None:
            hashes = self._offices[office_id] = bytearray()
        if version == len(hashes) // 32 + 1:
            hashes += bytes.fromhex(hash_)
            if self._apart:
                self._apart.pop((office_id, version), None)
        else:
            self._apart[office_id, version] = hash_

    def get(self, office_id: str, version: int) -> str | None:
        found = self._apart.get((office_id, version))
        if found is not None:
            return found
        hashes = self._offices.get(office_id)
        if hashes is None or not 0 < version <= len(hashes) // 32:
            return None
        return hashes[(version - 1) * 32 : version * 32].hex()


class _Audit:
    def __init__(
        self,
        app: LedgerApplication,
        view: SQLRuleView,
        progress: Callable[[int, int], None] | None,
        decisions: DecisionStore,
        contiguous: bool,
    ) -> None:
        self.app = app
        self.contiguous = contiguous  # positions 1, 2, 3, ...: SQLite's own log has no gaps
        self.view = view
        self.decisions = decisions
        self.store = app.store
        self.progress = progress
        self.findings: list[Finding] = []
        self.total = 0
        self.replay_seconds = self.rebuild_seconds = 0.0

    def _find(self, check: str, what: str, **where: Any) -> None:
        self.total += 1
        if len(self.findings) < 100:
            self.findings.append(Finding(check=check, what=what, **where))

    def run(self) -> AuditReport:
        self.replay_seconds = self.rebuild_seconds = 0.0
        rebuild = Rebuild(stored_event)
        try:
            verifier = self._replay(rebuild)
            started = time.perf_counter()
            rebuilt = self._compare_read_model(rebuild, verifier)
            decisions = self._check_decisions()
            self.rebuild_seconds += time.perf_counter() - started
        finally:
            rebuild.close()
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
            replay_seconds=self.replay_seconds,
            rebuild_seconds=self.rebuild_seconds,
        )

    def _replay(self, rebuild: Rebuild) -> ChainVerifier:
        """Read the log a batch at a time: each batch is verified (the replay), then handed to
        the rebuild of the read model; nothing of it is kept but each event's hash."""
        started = time.perf_counter()
        last = self.app.recorder.max_notification_id() or 0
        verifier = ChainVerifier(contiguous=self.contiguous)
        hashes = Hashes()
        diverged = False  # after the first wrong checkpoint, every later one differs too
        previous = done = 0
        while batch := self.store.export_rows(previous, _BATCH):
            final = batch[-1].position
            # Every checkpoint up to this batch's last event, those of removed events included.
            marks = {c.position: c.root for c in self.view.checkpoints(previous, final - previous)}
            add = verifier.add
            for position, office_id, version, type_, state in batch:
                hashes.put(office_id, version, add(position, office_id, version, type_, state))
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
            previous, done = final, done + len(batch)
            if self.progress:
                self.progress(done, last)
            projecting = time.perf_counter()
            self.replay_seconds += projecting - started
            rebuild.add(batch)
            started = time.perf_counter()
            self.rebuild_seconds += started - projecting
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
        self.replay_seconds += time.perf_counter() - started
        return verifier

    def _check_requests(self, hashes: Hashes) -> None:
        for (
            request_id,
            office,
            originator_id,
            version,
            hash_,
            position,
        ) in self.store.iter_request_rows():
            found = hashes.get(originator_id, version)
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

    def _compare_read_model(self, rebuild: Rebuild, verifier: ChainVerifier) -> bool:
        """The read model rebuilt from the same events, compared with the stored one."""
        found = self.total
        if rebuild.failed is not None:  # the replay reports whatever stops it
            self._find("read model", f"the log cannot be projected: {rebuild.failed}")
            return False
        stuck = rebuild.stuck
        if stuck is not None:
            self._find(
                "read model",
                f"the event at position {stuck.position} ({stuck.type}, office aggregate "
                f"{stuck.event}) cannot be projected: {stuck.reason}; a server's read model "
                "stops before it",
                position=stuck.position,
            )
        rebuild.compare(self.view, self._find)
        position = self.view.max_tracking_id(self.app.name) or 0
        if position != verifier.position:
            self._find(
                "read model",
                f"the read model is at position {position}, the log at {verifier.position}",
            )
        return self.total == found
