"""Signed checkpoints: the tree heads a server with a signing key vouches for.

For each write of its own, the server signs the checkpoint of the tree that ends with the
write's last event, saying which positions the write took (``from``): every event of the log is
then inside the range of a checkpoint signed by a holder of the key, and an event appended by
anyone without it is in none (``ledger audit --remote --trust``). The note is made in the
projection's run that ends the write and kept in its transaction (``note``, called by
``RuleProjection``); when another process projected the write first, it is signed just after,
from the view (``after_save``, the application's ``on_saved``). A server started with a key on
a ledger that has no signed checkpoint adopts the log it found: it signs its head ``from 1``.
The formats are in ``ledger.application.signing``; the checkpoints are kept by
``SignedStore``, outside the read model (a rebuild cannot make them again).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic import Field

from ledger.application.signing import SigningKey, checkpoint_text
from ledger.domain.values import Value
from ledger.readmodel.proofs import Proofs

if TYPE_CHECKING:
    from eventsourcing.persistence import Recording

    from ledger.application.ports import SignedStore
    from ledger.readmodel.projection import RuleProjection
    from ledger.readmodel.reader import Reader

__all__ = ["SignedCheckpoints", "CheckpointsRequest"]

log = logging.getLogger("ledger.signing")


class CheckpointsRequest(Value):
    after_size: int = Field(default=0, ge=0, description="those of trees larger than this")
    limit: int = Field(default=0, ge=0, le=10_000, description="how many; 0 means 1000")
    latest: bool = Field(default=False, description="only the latest one")


class SignedCheckpoints:
    """The ledger's signed checkpoints: signs its own writes when it has a key."""

    def __init__(
        self,
        reader: Reader,
        projection: RuleProjection,
        store: SignedStore,
        key: SigningKey | None = None,
    ) -> None:
        self.reader = reader
        self.projection = projection
        self.store = store
        self.key = key

    def after_save(self, recordings: Sequence[Recording[Any]]) -> None:
        """Sign the tree that ends with the events just written. Never raises: the events are
        stored already, and a write is not undone for want of a signature (the audit then
        names the events no signed checkpoint covers)."""
        if self.key is None or not recordings:
            return
        positions = [recording.notification.id for recording in recordings]
        if max(positions) in self.projection.signed_sizes:
            self.projection.signed_sizes.discard(max(positions))
            return  # kept with the projection's run, in its transaction
        try:
            self.sign(min(positions), max(positions))
        except Exception:
            first, last = min(positions), max(positions)
            log.exception("the checkpoint of positions %d-%d was not signed", first, last)

    def note(self, first: int, size: int, chain_root: str, merkle_root: bytes) -> str:
        """The signed note of the checkpoint of the tree of ``size`` with these roots, as the
        write of ``first``..``size`` (the projection keeps it with its run)."""
        assert self.key is not None
        return self.key.sign(checkpoint_text(self.key.name, size, merkle_root, chain_root, first))

    def sign(self, first: int, size: int) -> str:
        """Sign the checkpoint of the tree of ``size`` as the write of ``first``..``size``."""
        assert self.key is not None
        tip = self.projection.tip
        if tip is not None and tip[0].position == size:
            chain, merkle_root = tip[0].root, tip[1].root()
        else:  # another thread or process has projected further: read the tree there
            head = Proofs(self.reader).head(size)
            chain, merkle_root = head["root"], bytes.fromhex(head["merkle_root"])
        note = self.note(first, size, chain, merkle_root)
        self.store.add(size, note)
        return note

    def adopt(self) -> None:
        """With a key, on a ledger that has events and no signed checkpoint: sign its head as
        the write of the whole log, once. A ledger whose last events no checkpoint covers is
        only reported: they may be what an audit must find."""
        if self.key is None:
            return
        size, latest = self.reader.digest().position, self.store.latest()
        if latest is None and size:
            self.sign(1, size)
            log.warning(
                "signed the log found, positions 1-%d, with the key %s", size, self.key.name
            )
        elif latest is not None and latest[0] < size:
            log.warning(
                "positions %d-%d are in no signed checkpoint: written without a key, or by a "
                "server stopped before it signed; `ledger audit --remote --trust` names them",
                latest[0] + 1,
                size,
            )

    def latest(self, at_most: int | None = None) -> str:
        """The note of the largest signed tree (of ``at_most`` events or fewer); empty if none."""
        found = self.store.latest(at_most)
        return found[1] if found else ""

    def page(self, request: CheckpointsRequest) -> list[tuple[int, str]]:
        if request.latest:
            found = self.store.latest()
            return [found] if found else []
        return self.store.after(request.after_size, request.limit or 1000)
