"""The Merkle tree over the log (RFC 9162, section 2.1), beside the linear digest.

The linear digest (``ledger.domain.chain``) proves a prefix only by replaying everything after
it. The Merkle tree proves one event's place in the log, and that one tree is an extension of
an earlier one, each with about log2(n) hashes:

- the tree of size *n* has one leaf per log position 1..*n*, in order: leaf *i* (from 0) is the
  position *i* + 1;
- a position that holds an event has the leaf data ``"<position>:<event hash>"`` (UTF-8), so
  that the leaf binds the event (its hash covers its type and stored JSON) to its position; a
  position no event took (a PostgreSQL sequence value burned by a rolled-back write) has
  ``"<position>:"``;
- leaf hash ``SHA-256(0x00 || data)``, node hash ``SHA-256(0x01 || left || right)``, the left
  subtree of *n* leaves the largest power of two smaller than *n*, the empty tree
  ``SHA-256()``: exactly RFC 9162's (and RFC 6962's) Merkle Tree Hash.

The tree is kept as its complete subtrees (``Nodes``): the hash of the 2**level leaves from
``index * 2**level``, which never changes once the last of them is appended. Any root, and any
proof for any tree size up to the current one, is then O(log n) of them (``root``,
``inclusion_path``, ``consistency_path``). ``Frontier`` appends leaves and says which complete
subtrees each append finishes. The client checks proofs with its own code
(``ledger_api.merkle``), not with this module.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = [
    "EMPTY_ROOT",
    "Frontier",
    "Nodes",
    "consistency_path",
    "inclusion_path",
    "leaf_hash",
    "node_hash",
    "root",
]

EMPTY_ROOT = hashlib.sha256(b"").digest()

# The hash of a complete subtree: (level, index) → the hash of leaves
# [index * 2**level, (index + 1) * 2**level).
Nodes = Callable[[int, int], bytes]


def leaf_hash(position: int, event_hash: str | None) -> bytes:
    """The leaf of ``position``: its event's hash, or none for a position no event took."""
    return hashlib.sha256(b"\x00" + f"{position}:{event_hash or ''}".encode()).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (> 1): the left subtree's size."""
    return 1 << ((size - 1).bit_length() - 1)


def _subtree(nodes: Nodes, start: int, end: int) -> bytes:
    """MTH(D[start:end]) for a range RFC 9162's recursion reaches (``start`` a multiple of the
    largest power of two not above ``end - start``)."""
    size = end - start
    if size & (size - 1) == 0:  # complete
        level = size.bit_length() - 1
        return nodes(level, start >> level)
    middle = start + _split(size)
    return node_hash(_subtree(nodes, start, middle), _subtree(nodes, middle, end))


def root(nodes: Nodes, size: int) -> bytes:
    """The Merkle tree hash of the first ``size`` leaves."""
    return _subtree(nodes, 0, size) if size else EMPTY_ROOT


def inclusion_path(nodes: Nodes, index: int, size: int) -> list[bytes]:
    """PATH(index, D[0:size]) of RFC 9162 2.1.3.1: the leaf's siblings, from the leaf up."""
    if not 0 <= index < size:
        raise ValueError(f"leaf {index} is not in a tree of {size}")
    path: list[bytes] = []
    start, end = 0, size
    while end - start > 1:
        middle = start + _split(end - start)
        if index < middle:
            path.append(_subtree(nodes, middle, end))
            end = middle
        else:
            path.append(_subtree(nodes, start, middle))
            start = middle
    return path[::-1]


def consistency_path(nodes: Nodes, old: int, new: int) -> list[bytes]:
    """PROOF(old, D[0:new]) of RFC 9162 2.1.4.1: that the tree of ``new`` leaves extends the
    tree of ``old``. Empty when the sizes are equal or ``old`` is 0."""
    if not 0 <= old <= new:
        raise ValueError(f"a tree of {old} cannot be a prefix of a tree of {new}")
    if old in (0, new):
        return []
    proof: list[bytes] = []
    start, end, whole = 0, new, True
    while True:
        size, m = end - start, old - start
        if m == size:
            if not whole:
                proof.append(_subtree(nodes, start, end))
            break
        middle = start + _split(size)
        if m <= middle - start:
            proof.append(_subtree(nodes, middle, end))
            end = middle
        else:
            proof.append(_subtree(nodes, start, middle))
            start, whole = middle, False
    return proof[::-1]


@dataclass
class Frontier:
    """The tree's right edge as leaves are appended: the complete subtrees that a later leaf
    will still combine with (one per set bit of ``size``), newest last."""

    size: int = 0
    edge: list[bytes] = field(default_factory=list)

    def append(self, leaf: bytes) -> list[tuple[int, int, bytes]]:
        """Add a leaf; the complete subtrees it finishes, as (level, index, hash), the leaf
        itself first."""
        finished = [(0, self.size, leaf)]
        node, level, index = leaf, 0, self.size
        while index & 1:
            node = node_hash(self.edge.pop(), node)
            level, index = level + 1, index >> 1
            finished.append((level, index, node))
        self.edge.append(node)
        self.size += 1
        return finished

    @classmethod
    def at(cls, nodes: Nodes, size: int) -> Frontier:
        """The frontier of a stored tree of ``size`` leaves, read from its complete subtrees."""
        edge, start = [], 0
        for level in range(size.bit_length() - 1, -1, -1):
            if size >> level & 1:
                edge.append(nodes(level, start >> level))
                start += 1 << level
        return cls(size, edge)

    def root(self) -> bytes:
        """The tree hash now, from the edge alone."""
        if not self.edge:
            return EMPTY_ROOT
        node = self.edge[-1]
        for left in reversed(self.edge[:-1]):
            node = node_hash(left, node)
        return node
