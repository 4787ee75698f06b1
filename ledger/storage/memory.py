"""The in-memory backend (``memory://``): the library's POPO recorders with the ledger's
request-id index, read model and decision log, for tests and experiments. Nothing is kept."""

from __future__ import annotations

import builtins
import threading
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from typing import Any, cast
from uuid import UUID

from eventsourcing.persistence import ApplicationRecorder, IntegrityError, StoredEvent, Tracking
from eventsourcing.popo import POPOApplicationRecorder, POPOFactory, POPOTrackingRecorder

from ledger.application.decisions import Decision, NewDecision, Question, chained
from ledger.application.ports import (
    DecisionStore,
    ExportRow,
    LedgerStore,
    RequestRecord,
    RequestRow,
    SignedStore,
)
from ledger.domain.values import Scope
from ledger.readmodel.model import Checkpoint, Entry, MerkleNode, OfficeRow, Revision
from ledger.readmodel.view import RuleView
from ledger.storage.factory import LedgerFactory, bind_positions, event_type, office_id_text

__all__ = ["MemoryLedgerRecorder", "MemoryRuleView", "MemoryDecisionStore", "MemoryFactory"]


class MemoryLedgerRecorder(POPOApplicationRecorder, LedgerStore):
    """The library's in-memory application recorder, with the request-id index."""

    def __init__(self) -> None:
        super().__init__()
        self._requests: dict[str, RequestRecord] = {}

    def _insert_events(
        self, stored_events: Sequence[StoredEvent], **kwargs: Any
    ) -> Sequence[int] | None:
        with self._database_lock:
            requests: Sequence[RequestRecord] = kwargs.get("requests", ())
            request_ids = {request.request_id for request in requests}
            if len(request_ids) < len(requests) or request_ids & self._requests.keys():
                raise IntegrityError(f"request ids already recorded: {sorted(request_ids)}")
            ids = super()._insert_events(stored_events, **kwargs)
            for request in bind_positions(requests, stored_events, ids):
                self._requests[request.request_id] = request
            return ids

    def get_requests(self, request_ids: Sequence[str]) -> dict[str, RequestRecord]:
        with self._database_lock:
            return {i: self._requests[i] for i in request_ids if i in self._requests}

    def request_rows(self) -> list[RequestRow]:
        with self._database_lock:
            requests = sorted(self._requests.values(), key=lambda request: request.position)
        return [
            RequestRow(
                r.request_id, r.office, str(r.originator_id), r.office_version, r.hash, r.position
            )
            for r in requests
        ]

    def position_of_event(self, event_id: UUID) -> int | None:
        with self._database_lock:
            found = [r.position for r in self._requests.values() if r.change_id == event_id]
        return found[0] if found else None

    def positions_of(self, originator_id: UUID) -> list[int]:
        with self._database_lock:
            index = self._stored_events_index.get(str(originator_id), {})
            return [index[version] + 1 for version in sorted(index)]

    def export_rows(self, after: int, limit: int) -> list[ExportRow]:
        return [
            ExportRow(
                n.id,
                office_id_text(n.originator_id),
                n.originator_version,
                event_type(n.topic),
                n.state,
            )
            for n in self.select_notifications(after + 1, limit)
        ]


class MemoryRuleView(POPOTrackingRecorder, RuleView):
    """The read model in memory."""

    def __init__(self) -> None:
        super().__init__()
        self._offices: dict[str, OfficeRow] = {}
        self._revisions: dict[UUID, dict[int, Revision]] = defaultdict(dict)
        self._by_office: dict[str, set[UUID]] = defaultdict(set)
        self._checkpoints: dict[int, Checkpoint] = {}
        self._latest = 0
        self._merkle: dict[tuple[int, int], bytes] = {}
        # The signed checkpoints, shared with the factory's ``MemorySignedStore``.
        self.signed_notes: dict[int, str] = {}

    def save(
        self,
        offices: Sequence[OfficeRow],
        revisions: Sequence[Revision],
        checkpoints: Sequence[Checkpoint],
        tracking: Tracking,
        nodes: Sequence[MerkleNode] = (),
        signed: Sequence[tuple[int, str]] = (),
    ) -> None:
        with self._database_lock:
            for size, note in signed:
                self.signed_notes.setdefault(size, note)
            self._assert_tracking_uniqueness(tracking)
            for office in offices:
                self._offices[office.code] = office
            for revision in revisions:
                self._revisions[revision.change_id][revision.rev] = revision
                self._by_office[revision.office].add(revision.change_id)
            for checkpoint in checkpoints:
                self._checkpoints[checkpoint.position] = checkpoint
                self._latest = max(self._latest, checkpoint.position)
            self._merkle.update(((level, index), node) for level, index, node in nodes)
            self._insert_tracking(tracking)

    def latest_checkpoint(self) -> Checkpoint | None:
        with self._database_lock:
            return self._checkpoints.get(self._latest)

    def checkpoint_at(self, position: int) -> Checkpoint | None:
        with self._database_lock:
            return self._checkpoints.get(position)

    def checkpoints(self, after: int, limit: int) -> list[Checkpoint]:
        with self._database_lock:
            positions = sorted(p for p in self._checkpoints if p > after)[:limit]
            return [self._checkpoints[p] for p in positions]

    def merkle_node(self, level: int, index: int) -> bytes:
        with self._database_lock:
            return self._merkle[level, index]

    def merkle_nodes(self) -> Iterator[MerkleNode]:
        with self._database_lock:
            nodes = sorted(self._merkle.items())
        return iter([(level, index, node) for (level, index), node in nodes])

    def get_office(self, code: str) -> OfficeRow | None:
        with self._database_lock:
            return self._offices.get(code)

    def list_offices(self) -> list[OfficeRow]:
        with self._database_lock:
            return sorted(self._offices.values(), key=lambda row: row.code)

    def revisions_of_office(self, code: str) -> list[Revision]:
        with self._database_lock:
            return [
                revision
                for change_id in self._by_office[code]
                for revision in self._revisions[change_id].values()
            ]

    def entries_of_scope(self, code: str, scope: Scope) -> list[Entry]:
        return [Entry.of(r) for r in self.revisions_of_office(code) if r.scope == scope]

    def revision(self, change_id: UUID, rev: int) -> Revision | None:
        with self._database_lock:
            return self._revisions.get(change_id, {}).get(rev)

    def revisions_of_change(self, change_id: UUID) -> list[Revision]:
        with self._database_lock:
            return sorted(self._revisions.get(change_id, {}).values(), key=lambda r: r.rev)

    def clear(self) -> None:
        with self._database_lock:
            self._offices.clear()
            self._revisions.clear()
            self._by_office.clear()
            self._checkpoints.clear()
            self._latest = 0
            self._merkle.clear()
            self._max_tracking_ids.clear()


class MemoryDecisionStore(DecisionStore):
    """The decision log in memory: a list in sequence order, and an index by id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._decisions: list[Decision] = []
        self._by_id: dict[UUID, Decision] = {}

    def append(self, decisions: Sequence[NewDecision]) -> builtins.list[Decision]:
        with self._lock:
            ids = Counter(decision.decision_id for decision in decisions)
            taken = {i for i, n in ids.items() if n > 1 or i in self._by_id}
            if taken:
                raise IntegrityError(f"decision ids already logged: {sorted(map(str, taken))}")
            stored = chained(decisions, self._decisions[-1] if self._decisions else None)
            self._decisions.extend(stored)
            self._by_id.update((decision.decision_id, decision) for decision in stored)
            return stored

    def get(self, decision_id: UUID) -> Decision | None:
        with self._lock:
            return self._by_id.get(decision_id)

    def list(self, after_sequence: int, limit: int) -> builtins.list[Decision]:
        with self._lock:  # sequence n is at index n - 1
            return self._decisions[max(after_sequence, 0) : max(after_sequence, 0) + limit]

    def by_sequences(self, sequences: Sequence[int]) -> builtins.list[Decision]:
        with self._lock:
            decisions = self._decisions
            return [decisions[n - 1] for n in sorted(set(sequences)) if 0 < n <= len(decisions)]

    def questions(self, sequences: Sequence[int]) -> builtins.list[Question]:
        return [
            Question(d.sequence, d.rpc, d.request, d.position) for d in self.by_sequences(sequences)
        ]

    def last(self) -> Decision | None:
        with self._lock:
            return self._decisions[-1] if self._decisions else None


class MemorySignedStore(SignedStore):
    """Signed checkpoints in memory, by position."""

    def __init__(self, notes: dict[int, str] | None = None) -> None:
        self._lock = threading.Lock()
        self._notes: dict[int, str] = {} if notes is None else notes

    def add(self, position: int, note: str) -> bool:
        with self._lock:
            return self._notes.setdefault(position, note) is note

    def latest(self, at_most: int | None = None) -> tuple[int, str] | None:
        with self._lock:
            sizes = [p for p in self._notes if at_most is None or p <= at_most]
            return (max(sizes), self._notes[max(sizes)]) if sizes else None

    def after(self, position: int, limit: int) -> builtins.list[tuple[int, str]]:
        with self._lock:
            sizes = sorted(p for p in self._notes if p > position)[:limit]
            return [(p, self._notes[p]) for p in sizes]


class MemoryFactory(LedgerFactory, POPOFactory):
    """``memory://``: the library's in-memory factory, with the ledger's recorders."""

    rule_view_class = MemoryRuleView
    _decisions: MemoryDecisionStore | None = None
    _signed: MemorySignedStore | None = None

    def __init__(self, env: Any) -> None:
        self._notes: dict[int, str] = {}
        super().__init__(env)

    def application_recorder(self) -> ApplicationRecorder:
        return MemoryLedgerRecorder()

    def decision_store(self) -> DecisionStore:
        """One decision log per factory, as a database has one."""
        if self._decisions is None:
            self._decisions = MemoryDecisionStore()
        return self._decisions

    def signed_store(self) -> SignedStore:
        """One store of signed checkpoints per factory, as a database has one: the notes of
        the view the factory made, which keeps them with its runs."""
        if self._signed is None:
            self._signed = MemorySignedStore(self._notes)
        return self._signed

    def rule_view(self) -> RuleView:
        view = cast("MemoryRuleView", super().rule_view())
        view.signed_notes = self._notes
        return view
