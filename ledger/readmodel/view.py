"""Where the read model is kept: the ``RuleView`` interface each storage backend implements.

A view is the library's ``TrackingRecorder`` (it records how far into the log it is) with the
offices, the rule revisions, the digest checkpoints and the Merkle tree's complete subtrees
beside it, written together in one transaction by the projection. ``ledger.storage`` has one
per backend.
"""

from __future__ import annotations

import contextlib
from abc import abstractmethod
from collections.abc import Iterator, Sequence
from uuid import UUID

from eventsourcing.persistence import Tracking, TrackingRecorder

from ledger.domain.values import Scope
from ledger.readmodel.model import Checkpoint, Entry, MerkleNode, OfficeRow, Revision

__all__ = ["RuleView"]


class RuleView(TrackingRecorder):
    """Offices, revisions and checkpoints, with the tracking position of the last event in them."""

    # Whether revisions carry their log positions: not in a ledger of schema version 1 read
    # as it is (``ledger.storage.identity``).
    positions: bool = True
    # Whether it keeps the Merkle tree: not a ledger before schema version 4 read as it is.
    merkle: bool = True

    @abstractmethod
    def save(
        self,
        offices: Sequence[OfficeRow],
        revisions: Sequence[Revision],
        checkpoints: Sequence[Checkpoint],
        tracking: Tracking,
        nodes: Sequence[MerkleNode] = (),
        signed: Sequence[tuple[int, str]] = (),
    ) -> None:
        """Upsert the offices and the revisions, add the checkpoints and the Merkle tree's
        newly complete subtrees, record ``tracking`` (the last event they include), and keep
        ``signed``, signed checkpoints by size (``SignedStore``'s table, not the read model's;
        one already there stays): atomically."""

    @abstractmethod
    def latest_checkpoint(self) -> Checkpoint | None:
        """The digest after the last event projected, if any."""

    @abstractmethod
    def checkpoint_at(self, position: int) -> Checkpoint | None:
        """The digest after the event at ``position``, if it was projected."""

    @abstractmethod
    def checkpoints(self, after: int, limit: int) -> list[Checkpoint]:
        """Checkpoints in position order, after ``after``."""

    @abstractmethod
    def merkle_node(self, level: int, index: int) -> bytes:
        """The hash of a complete subtree of the Merkle tree; ``KeyError`` if it is not (yet)
        complete."""

    def merkle_nodes_at(self, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], bytes]:
        """The hashes of the complete subtrees ``keys`` (level, index), read together; those
        not (yet) complete are left out."""
        found = {}
        for level, index in keys:
            with contextlib.suppress(KeyError):
                found[level, index] = self.merkle_node(level, index)
        return found

    @abstractmethod
    def merkle_nodes(self) -> Iterator[MerkleNode]:
        """Every complete subtree, by level and index (the store audit compares them)."""

    @abstractmethod
    def get_office(self, code: str) -> OfficeRow | None: ...

    @abstractmethod
    def list_offices(self) -> list[OfficeRow]:
        """Every office, by code."""

    @abstractmethod
    def revisions_of_office(self, code: str) -> list[Revision]: ...

    @abstractmethod
    def entries_of_scope(self, code: str, scope: Scope) -> list[Entry]:
        """The office's revisions of exactly ``scope``, as the rule index keeps them."""

    @abstractmethod
    def revision(self, change_id: UUID, rev: int) -> Revision | None: ...

    @abstractmethod
    def revisions_of_change(self, change_id: UUID) -> list[Revision]:
        """Every form of a change, by revision number."""

    @abstractmethod
    def clear(self) -> None:
        """Forget everything, tracking included, before a rebuild."""

    def create_table(self) -> None:
        """Create the tables if they are missing (nothing to do in memory)."""
