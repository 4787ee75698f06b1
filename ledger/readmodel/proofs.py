"""Merkle proofs over the log, from the tree the read model keeps (``ledger.domain.merkle``).

A tree is named by its size, which is a log position: the tree of size *n* has a leaf for each
position 1..*n*. A tree a client can be told about is one at the position of an event (where
the linear digest has a checkpoint too), up to the read model's position; its head is that
position, the linear digest there and the Merkle root (``Proofs.head``). An inclusion proof is the
event as stored (the client computes its hash and leaf itself), the tree's head and the path;
a consistency proof is the two heads and the proof between them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, TypeVar
from uuid import UUID

from pydantic import Field, model_validator

from ledger.domain import merkle
from ledger.domain.chain import GENESIS
from ledger.domain.errors import InvalidRequest, NotFound
from ledger.domain.values import Value

if TYPE_CHECKING:
    from ledger.readmodel.reader import Reader

__all__ = ["ConsistencyRequest", "InclusionRequest", "Proofs", "ProofRefused"]

T = TypeVar("T")


class InclusionRequest(Value):
    position: int = Field(default=0, ge=0, description="the event's global position")
    event_id: UUID | None = Field(default=None, description="or the event's id")
    tree_size: int = Field(default=0, ge=0, description="the tree to prove it in; 0: the current")

    @model_validator(mode="after")
    def _one_event(self) -> InclusionRequest:
        if (self.position == 0) == (self.event_id is None):
            raise ValueError(
                "name the event by one of its position (from 1) and its event_id: e.g. "
                "position 3, or event_id 3c9de35e-ce3f-598f-84c7-50c9af2af79d"
            )
        return self


class ConsistencyRequest(Value):
    old_size: int = Field(ge=0, description="the earlier tree's size (a pinned digest's position)")
    new_size: int = Field(default=0, ge=0, description="the later tree's size; 0: the current")


# The head of the empty tree: an empty ledger's digest.
_EMPTY: dict[str, Any] = {"position": 0, "root": GENESIS, "merkle_root": merkle.EMPTY_ROOT.hex()}


class ProofRefused(InvalidRequest):
    """A proof asked of a tree, or a position, that there is none of."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(f"{field}: {message}")
        self.field, self.message = field, message

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return ((self.field, self.message),)


class NoEventThere(NotFound):
    """A position no event took (a PostgreSQL sequence value a rolled-back write burned)."""


class Proofs:
    """Inclusion and consistency proofs, as plain data shaped as their replies."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader
        self.view = reader.view

    def head(self, size: int = 0) -> dict[str, Any]:
        """The head of the tree of ``size``: the current one by default."""
        return self._head("tree_size", size)

    def inclusion(self, request: InclusionRequest) -> dict[str, Any]:
        head = self._head("tree_size", request.tree_size)
        size = head["position"]
        if request.event_id is not None:
            position = self.reader.app.store.position_of_event(request.event_id)
            if position is None:
                raise NotFound(f"no event has the id {request.event_id}")
            request = request.model_copy(update={"position": position, "event_id": None})
        if request.position > size:
            raise ProofRefused(
                "position",
                f"{request.position} is not in the tree of size {size}: ask for a position "
                f"from 1 to {size}, or for a larger tree_size (0: the current tree)",
            )
        rows = self.reader.export(request.position - 1, 1)
        if not rows or rows[0].position != request.position:
            raise NoEventThere(
                f"no event is at position {request.position}: a write that was rolled back "
                "took it; its leaf is the empty one (README, Audit)"
            )
        path = self._from_view(
            lambda nodes: merkle.inclusion_path(nodes, request.position - 1, size)
        )
        return {"event": rows[0]._asdict(), "tree": head, "path": path}

    def consistency(self, request: ConsistencyRequest) -> dict[str, Any]:
        new = self._head("new_size", request.new_size)
        if request.old_size > new["position"]:
            raise ProofRefused(
                "old_size",
                f"{request.old_size} is larger than new_size {new['position']}: a tree "
                "extends only a smaller one",
            )
        old = self._head("old_size", request.old_size) if request.old_size else _EMPTY
        sizes = old["position"], new["position"]
        proof = self._from_view(lambda nodes: merkle.consistency_path(nodes, *sizes))
        return {"old": old, "new": new, "proof": proof}

    def _head(self, field: str, size: int) -> dict[str, Any]:
        """The head of the tree of ``size`` (0: the current one)."""
        current = self.reader.digest()
        if size == 0:
            size = current.position
        if size > current.position:
            raise ProofRefused(
                field,
                f"{size} is beyond this server's read model, which is at position "
                f"{current.position}: ask for a tree from 1 to {current.position} (0: the "
                "current tree)",
            )
        checkpoint = current if size == current.position else self.view.checkpoint_at(size)
        if checkpoint is None:
            raise ProofRefused(
                field,
                f"{size} is a position no event took: a tree is named by the position of an "
                "event (a digest's, a receipt's)",
            )
        root = self._from_view(lambda nodes: merkle.root(nodes, size))
        return {"position": size, "root": checkpoint.root, "merkle_root": root.hex()}

    def _from_view(self, compute: Callable[[merkle.Nodes], T]) -> T:
        """``compute`` over the view's stored subtrees, read in one transaction: a first pass
        with stand-in hashes notes which it needs (which subtrees a root or a proof reads
        depends on the sizes alone), the second uses them."""
        wanted: list[tuple[int, int]] = []

        def note(level: int, index: int) -> bytes:
            wanted.append((level, index))
            return bytes(32)

        compute(note)
        found = self.view.merkle_nodes_at(wanted)
        return compute(lambda level, index: found[level, index])
