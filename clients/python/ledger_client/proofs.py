"""Merkle proofs, checked here: that an event is in the log, and that the log now extends a
digest pinned earlier, each from about log2(n) hashes instead of the whole log.

The server sends the proofs; ``ledger_api.merkle`` checks them with code of its own, from the
published definitions (README, "Audit"). A proof that does not hold raises
``ProofError``, saying what did not hold.
"""

from __future__ import annotations

import json
from typing import Any
from uuid import UUID

from pydantic import ConfigDict

from ledger_api.merkle import ProofError, leaf_hash, verify_consistency, verify_inclusion
from ledger_api.verify import event_hash
from ledger_client.audit import Digest, ExportedEvent
from ledger_client.connection import Connection
from ledger_client.models import Model

__all__ = ["EventProof", "ProofError", "Proofs"]


class EventProof(Model):
    """An event, checked to be in the tree of ``tree`` at its position."""

    model_config = ConfigDict(frozen=True, extra="ignore", ser_json_bytes="hex")

    event: ExportedEvent
    hash: str  # the event's hash, computed here from its type and stored bytes
    tree: Digest
    path: tuple[bytes, ...]


class Proofs(Connection):
    """Inclusion and consistency proofs, verified on arrival."""

    def prove_event(self, position: int, tree: Digest | None = None) -> EventProof:
        """That the event at ``position`` is in the tree ``tree`` (a digest pinned earlier,
        with its ``merkle_root``), or in the server's current tree; ``ProofError`` if not."""
        proof = self._prove({"position": position}, tree)
        if proof.event.position != position:
            raise ProofError(
                f"asked for the event at position {position}, sent {proof.event.position}"
            )
        return proof

    def prove_event_id(self, event_id: UUID | str, tree: Digest | None = None) -> EventProof:
        """The same, for the event an answer names by id (``event_ids``): the event proved is
        checked to carry that id."""
        proof = self._prove({"event_id": str(event_id)}, tree)
        stored = json.loads(proof.event.stored_json).get("event_id")
        if stored != str(event_id):
            raise ProofError(f"asked for the event {event_id}, sent the event {stored}")
        return proof

    def _prove(self, event: dict[str, Any], tree: Digest | None) -> EventProof:
        if tree is not None:
            _needs_merkle_root(tree)
        reply = self.call("GetInclusionProof", {**event, "tree_size": tree.position if tree else 0})
        sent = ExportedEvent.model_validate(reply["event"])
        head = Digest.model_validate(reply["tree"])
        if tree is not None and head.pin() != tree.pin():
            raise ProofError(
                f"the server proved the event in tree {head.pin()}, not in the pinned {tree.pin()}"
            )
        hash_ = event_hash(sent.type, sent.stored_json)
        path = [bytes(node) for node in reply.get("path", [])]
        verify_inclusion(
            leaf_hash(sent.position, hash_),
            sent.position - 1,
            head.position,
            path,
            bytes.fromhex(head.merkle_root),
        )
        return EventProof(event=sent, hash=hash_, tree=head, path=tuple(path))

    def prove_extends(self, pinned: Digest, new_size: int = 0) -> Digest:
        """The head of the tree of ``new_size`` (the current tree by default), checked to
        extend ``pinned`` (a digest pinned earlier, with its ``merkle_root``): nothing up to
        the pinned position was changed or removed. ``ProofError`` if not."""
        _needs_merkle_root(pinned)
        reply = self.call(
            "GetConsistencyProof", {"old_size": pinned.position, "new_size": new_size}
        )
        new = Digest.model_validate(reply["new"])
        verify_consistency(
            pinned.position,
            new.position,
            bytes.fromhex(pinned.merkle_root),
            bytes.fromhex(new.merkle_root),
            [bytes(node) for node in reply.get("proof", [])],
        )
        return new


def _needs_merkle_root(digest: Digest) -> None:
    if len(digest.merkle_root) != 64:
        raise ValueError(
            f"the digest {digest} has no Merkle root to check a proof against: pin the digest "
            "as GetDigest gives it (POSITION:ROOT:MERKLE_ROOT, e.g. from `ledger digest`)"
        )
