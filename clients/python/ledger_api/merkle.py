"""Check the ledger's Merkle proofs: that an event is in the log at its position, and that a
later tree extends an earlier one, each from about log2(n) hashes and without the log.

Written from the published definitions (README, "Audit"; RFC 9162, sections 2.1.3.2 and
2.1.4.2), independently of the server's code, so that a client trusts nothing it is sent:

- the tree of size *n* has a leaf for each log position 1..*n*; the leaf of position *p* is
  ``SHA-256(0x00 || "<p>:<event hash>")``, or ``SHA-256(0x00 || "<p>:")`` for a position no
  event took;
- a node is ``SHA-256(0x01 || left || right)``, the empty tree ``SHA-256()``; the tree of a
  size is split as RFC 9162 (and RFC 6962) split it.

``verify_inclusion`` and ``verify_consistency`` raise ``ProofError`` saying what did not hold.
"""

from __future__ import annotations

import hashlib

__all__ = [
    "EMPTY_ROOT",
    "ProofError",
    "TreeHasher",
    "leaf_hash",
    "root_from_inclusion",
    "verify_consistency",
    "verify_inclusion",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()


class ProofError(ValueError):
    """A Merkle proof that does not prove what it was sent to prove."""


def leaf_hash(position: int, event_hash: str | None) -> bytes:
    """The leaf of ``position``: its event's hash (hex), or none for a position no event took."""
    return hashlib.sha256(b"\x00" + f"{position}:{event_hash or ''}".encode()).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def root_from_inclusion(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    """The root that ``path`` makes of ``leaf`` at ``index`` in a tree of ``size`` (RFC 9162
    2.1.3.2, steps 1-4)."""
    if not 0 <= index < size:
        raise ProofError(f"leaf {index} cannot be in a tree of {size} leaves")
    fn, sn, node = index, size - 1, leaf
    for sibling in path:
        if sn == 0:
            raise ProofError(f"the path is longer than a tree of {size} leaves allows")
        if fn & 1 or fn == sn:
            node = _node(sibling, node)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            node = _node(node, sibling)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"the path is shorter than a tree of {size} leaves needs")
    return node


def verify_inclusion(leaf: bytes, index: int, size: int, path: list[bytes], root: bytes) -> None:
    """That ``leaf`` is leaf ``index`` of the tree of ``size`` whose hash is ``root``."""
    if root_from_inclusion(leaf, index, size, path) != root:
        raise ProofError(
            f"the path does not lead from leaf {index} to the root of the tree of {size} leaves"
        )


def verify_consistency(
    old_size: int, new_size: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    """That the tree of ``new_size`` leaves (``new_root``) extends the tree of ``old_size``
    (``old_root``): RFC 9162 2.1.4.2."""
    if not 0 <= old_size <= new_size:
        raise ProofError(f"a tree of {new_size} leaves cannot extend one of {old_size}")
    if old_size == new_size:
        if proof or old_root != new_root:
            raise ProofError(f"two trees of {old_size} leaves differ, or a proof came with them")
        return
    if old_size == 0:
        if proof:
            raise ProofError("the empty tree needs no proof, and one came")
        return
    if not proof:
        raise ProofError(f"no proof that {new_size} leaves extend {old_size}")
    path = list(proof)
    if old_size & (old_size - 1) == 0:  # a power of two: the old tree is a node of the new
        path.insert(0, old_root)
    fn, sn = old_size - 1, new_size - 1
    while fn & 1:
        fn, sn = fn >> 1, sn >> 1
    old, new = path[0], path[0]
    for node in path[1:]:
        if sn == 0:
            raise ProofError(f"the proof is longer than {old_size} → {new_size} leaves allows")
        if fn & 1 or fn == sn:
            old, new = _node(node, old), _node(node, new)
            while not fn & 1 and fn:
                fn, sn = fn >> 1, sn >> 1
        else:
            new = _node(new, node)
        fn, sn = fn >> 1, sn >> 1
    if sn != 0:
        raise ProofError(f"the proof is shorter than {old_size} → {new_size} leaves needs")
    if old != old_root:
        raise ProofError(f"the proof does not lead to the pinned root of {old_size} leaves")
    if new != new_root:
        raise ProofError(f"the proof does not lead to the root of {new_size} leaves")


class TreeHasher:
    """The tree hash of a log read in order (a whole-log audit): one subtree hash is kept per
    set bit of the number of leaves, so memory stays O(log n)."""

    def __init__(self) -> None:
        self.size = 0
        self._peaks: list[tuple[int, bytes]] = []  # (height, hash), tallest first

    def add(self, position: int, event_hash: str) -> None:
        """The event at ``position``, after an empty leaf for each position skipped."""
        while self.size + 1 < position:
            self._append(leaf_hash(self.size + 1, None))
        self._append(leaf_hash(position, event_hash))

    def _append(self, leaf: bytes) -> None:
        node, height = leaf, 0
        while self._peaks and self._peaks[-1][0] == height:
            node = _node(self._peaks.pop()[1], node)
            height += 1
        self._peaks.append((height, node))
        self.size += 1

    def root(self) -> bytes:
        if not self._peaks:
            return EMPTY_ROOT
        node = self._peaks[-1][1]
        for _, left in reversed(self._peaks[:-1]):
            node = _node(left, node)
        return node
