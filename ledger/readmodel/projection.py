"""The rule-state projection: offices, revisions, digests and the Merkle tree, computed from the
event log.

``RuleProjection`` has one handler per event type and writes what it computes together with
its tracking position, in one transaction per run of events; it also keeps the rule index
current, and the index of effective edges. ``ledger.readmodel.follower`` feeds it the log.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import date, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from eventsourcing.dispatch import singledispatchmethod
from eventsourcing.persistence import Tracking
from eventsourcing.projection import Projection

from ledger.domain.chain import GENESIS, next_root
from ledger.domain.events import (
    ChangeAmended,
    ChangeRetracted,
    OfficeEvent,
    OfficeRegistered,
    PolicyChanged,
)
from ledger.domain.merkle import Frontier, leaf_hash
from ledger.domain.office import office_id
from ledger.readmodel.effective import EffectiveIndex
from ledger.readmodel.index import RuleIndex
from ledger.readmodel.model import Checkpoint, MerkleNode, OfficeRow, Revision
from ledger.readmodel.view import RuleView

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from ledger.domain.values import Source

__all__ = ["RuleProjection", "reported_on"]

log = logging.getLogger("ledger.signing")


def reported_on(sources: Sequence[Source]) -> date:
    """The REPORTED knowledge time of an event: its earliest source's publication date."""
    return min(source.published for source in sources)


def _earliest(current: Any, candidate: Any) -> Any:
    return candidate if current is None else min(current, candidate)


class _Batch:
    """What a run of events changed, written in one transaction at the end of the run."""

    def __init__(self, root: str, frontier: Frontier) -> None:
        self.offices: dict[str, OfficeRow] = {}
        self.changes: dict[UUID, dict[int, Revision]] = {}  # every form of each change touched
        self.changed: dict[tuple[UUID, int], Revision] = {}  # the forms to write
        self.checkpoints: list[Checkpoint] = []
        self.applied: list[tuple[list[Revision], int]] = []  # for the index, after the commit
        self.root = root
        self.frontier = frontier  # the Merkle tree's right edge, and its size
        self.nodes: list[MerkleNode] = []  # the complete subtrees the run's leaves finish


class RuleProjection(Projection[RuleView]):
    """Turns office events into offices and revisions; also keeps the rule index current.

    Events are processed in runs (``process_events``): the handlers read and write a batch in
    memory, and the run is saved in one transaction with the tracking position of its last
    event, so a rebuild writes once per few hundred events rather than once per event."""

    name = "rules"

    def __init__(
        self, view: RuleView, index: RuleIndex, effective: EffectiveIndex | None = None
    ) -> None:
        super().__init__(view)
        self.index = index
        # The edges of every change's window (``Reader.upcoming``), kept current likewise.
        self.effective = effective if effective is not None else EffectiveIndex(view)
        self._codes: dict[UUID, str] = {}
        self._batch: _Batch | None = None
        # The digest and the Merkle tree's edge after the last event this projection saved:
        # the next run, if it starts right after it, continues from them without asking the
        # view (both are a function of the log alone, so no other writer can make them stale).
        self._latest: tuple[Checkpoint, Frontier] | None = None
        # With a signing key (``readmodel.signed``): makes the signed note of the checkpoint
        # of a write of this process, (first, size, digest root, Merkle root) → note, kept in
        # the run's transaction; the sizes so kept, until the writer looks.
        self.signer: Callable[[int, int, str, bytes], str] | None = None
        self.signed_sizes: set[int] = set()

    @property
    def tip(self) -> tuple[Checkpoint, Frontier] | None:
        """The digest and the Merkle tree's edge after the last event this projection saved,
        if it saved any since it was made."""
        return self._latest

    def process_event(self, domain_event: Any, tracking: Tracking) -> None:
        self.process_events([(domain_event, tracking)])

    def process_events(
        self, events: Sequence[tuple[Any, Tracking]], sign_from: int | None = None
    ) -> None:
        """Project a run of consecutive events atomically; ``IntegrityError`` if another
        process projected any of them first (then nothing of the run is written). With
        ``sign_from``, the run ends a write of this process that began there: its signed
        checkpoint is kept with the run (``signer``)."""
        if not events:
            return
        latest = self._latest
        if latest is None or latest[0].position != events[0][1].notification_id - 1:
            latest = self._stored_tip()
        checkpoint, frontier = latest
        self._batch = batch = _Batch(checkpoint.root, Frontier(frontier.size, [*frontier.edge]))
        try:
            for event, tracking in events:
                self._handle(event, tracking)
        finally:
            self._batch = None
        signed = []
        if sign_from is not None and self.signer is not None and batch.checkpoints:
            last = batch.checkpoints[-1]
            try:
                note = self.signer(sign_from, last.position, last.root, batch.frontier.root())
                signed.append((last.position, note))
            except Exception:  # never the run's undoing: the writer signs again after it
                log.exception("the checkpoint of size %d was not signed", last.position)
        self.view.save(
            list(batch.offices.values()),
            list(batch.changed.values()),
            batch.checkpoints,
            events[-1][1],
            batch.nodes,
            signed,
        )
        self.signed_sizes.update(size for size, _ in signed)
        if batch.checkpoints:
            self._latest = batch.checkpoints[-1], batch.frontier
        for revisions, position in batch.applied:
            self.index.apply(revisions, position)
            self.effective.apply(revisions, position)

    def _stored_tip(self) -> tuple[Checkpoint, Frontier]:
        """The last digest saved, and the Merkle tree's edge there, as the view holds them."""
        checkpoint = self.view.latest_checkpoint() or Checkpoint(0, GENESIS)
        return checkpoint, Frontier.at(self.view.merkle_node, checkpoint.position)

    @singledispatchmethod
    def _handle(self, domain_event: Any, tracking: Tracking) -> None:
        """Events that change no rule still move the tracking position on."""
        office = self._office_after(domain_event)
        self._save(domain_event, office, [], tracking)

    @_handle.register
    def _(self, event: OfficeRegistered, tracking: Tracking) -> None:
        office = OfficeRow(
            code=event.code,
            name=event.name,
            crossings=event.crossings,
            version=event.originator_version,
            registered_at=event.recorded_at,
        )
        self._codes[event.originator_id] = event.code
        self._save(event, office, [], tracking)

    @_handle.register
    def _(self, event: PolicyChanged, tracking: Tracking) -> None:
        office = self._office_after(event)
        start, end = event.effective.window
        revision = Revision(
            office=office.code,
            change_id=event.change_id,
            rev=0,
            seq=event.originator_version,
            kind=event.kind,
            scope=event.scope,
            measure=event.measure,
            effective=event.effective,
            start=start,
            end=end,
            recorded_from=event.recorded_at,
            recorded_until=None,
            reported_from=reported_on(event.sources),
            reported_until=None,
            event_ids=(event.event_id,),
            sources=event.sources,
            position_from=tracking.notification_id,
        )
        self._save(event, replace(office, changes=office.changes + 1), [revision], tracking)

    @_handle.register
    def _(self, event: ChangeAmended, tracking: Tracking) -> None:
        office = self._office_after(event)
        revisions = self._revisions_of_change(event.change_id)
        reported = reported_on(event.sources)
        position = tracking.notification_id
        closed = [self._close(r, event.recorded_at, reported, position) for r in revisions]
        last, first = revisions[-1], revisions[0]
        effective = event.effective or last.effective
        start, end = effective.window
        amended = replace(
            last,
            rev=last.rev + 1,
            measure=last.measure.amended(event.measure, event.clear),
            effective=effective,
            start=start,
            end=end,
            recorded_from=event.recorded_at,
            recorded_until=None,
            # Known only once both the change and its correction are known.
            reported_from=max(reported, first.reported_from),
            reported_until=None,
            event_ids=(*last.event_ids, event.event_id),
            sources=(*last.sources, *event.sources),
            position_from=position,
            position_until=None,
        )
        self._save(event, office, [*closed, amended], tracking)

    @_handle.register
    def _(self, event: ChangeRetracted, tracking: Tracking) -> None:
        office = self._office_after(event)
        # A clerical retraction cites no source: the world learns of it when it is recorded.
        reported = reported_on(event.sources) if event.sources else event.recorded_at.date()
        revisions = self._revisions_of_change(event.change_id)
        position = tracking.notification_id
        closed = [self._close(r, event.recorded_at, reported, position) for r in revisions]
        self._save(event, office, closed, tracking)

    @staticmethod
    def _close(revision: Revision, recorded: datetime, reported: date, position: int) -> Revision:
        """A later correction or retraction ends the knowledge interval of every earlier form.

        On the REPORTED basis a correction may cite a source older than the form it
        corrects, so the interval ends at the earliest such report, whichever came first."""
        return replace(
            revision,
            recorded_until=_earliest(revision.recorded_until, recorded),
            reported_until=_earliest(revision.reported_until, reported),
            position_until=_earliest(revision.position_until, position),
        )

    @property
    def _run(self) -> _Batch:
        assert self._batch is not None, "events are handled within process_events"
        return self._batch

    def _office_after(self, event: OfficeEvent) -> OfficeRow:
        """The office's row, moved on to the version of ``event``."""
        code = self.office_code(event.originator_id)
        assert code is not None, f"event {event.event_id} precedes its office's registration"
        office = self._run.offices.get(code) or self.view.get_office(code)
        assert office is not None, f"event {event.event_id} precedes its office's registration"
        return replace(office, version=event.originator_version)

    def _revisions_of_change(self, change_id: UUID) -> list[Revision]:
        forms = self._run.changes.get(change_id)
        if forms is None:
            forms = self._run.changes[change_id] = {
                revision.rev: revision for revision in self.view.revisions_of_change(change_id)
            }
        return [forms[rev] for rev in sorted(forms)]

    def _save(
        self, event: OfficeEvent, office: OfficeRow, revisions: list[Revision], tracking: Tracking
    ) -> None:
        """Add what the event changed, the ledger digest after it and its Merkle leaf (after a
        leaf for each position before it that no event took), to the run."""
        run = self._run
        position = tracking.notification_id
        run.root = next_root(run.root, position, event.hash)
        run.checkpoints.append(Checkpoint(position, run.root))
        frontier = run.frontier
        while frontier.size + 1 < position:
            run.nodes += frontier.append(leaf_hash(frontier.size + 1, None))
        run.nodes += frontier.append(leaf_hash(position, event.hash))
        run.offices[office.code] = office
        for revision in revisions:
            run.changes.setdefault(revision.change_id, {})[revision.rev] = revision
            run.changed[revision.change_id, revision.rev] = revision
        run.applied.append((revisions, tracking.notification_id))

    def office_code(self, originator_id: UUID | str) -> str | None:
        originator_id = UUID(str(originator_id))
        if originator_id not in self._codes:
            pending = self._batch.offices if self._batch else {}
            listed = [*self.view.list_offices(), *pending.values()]
            self._codes = {office_id(row.code): row.code for row in listed}
        return self._codes.get(originator_id)
