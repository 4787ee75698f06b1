"""The Merkle tree over the log: the server's proofs (``ledger.domain.merkle``), checked by the
client's own code (``ledger_api.merkle``), against RFC 6962's published test vectors and a
tree hash written straight from RFC 9162's definition."""

from __future__ import annotations

import hashlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger.domain import merkle
from ledger_api import merkle as client

# The Certificate Transparency reference leaves (RFC 6962's test data, as published by
# transparency-dev/merkle), the root of each size 0..8, and proofs in the 8-leaf tree.
DATA = [
    "",
    "00",
    "10",
    "2021",
    "3031",
    "40414243",
    "5051525354555657",
    "606162636465666768696a6b6c6d6e6f",
]
ROOTS = [
    "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
    "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
    "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
    "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
    "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
    "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
    "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
    "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
]
INCLUSION = {
    (0, 8): [
        "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (5, 8): [
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
}
CONSISTENCY = {
    (2, 8): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
    ],
    (6, 8): [
        "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
        "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
    ],
    (2, 5): [
        "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
        "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
    ],
}


class Tree:
    """Leaves appended through ``Frontier``, the complete subtrees it finishes kept in a dict:
    what the read model stores."""

    def __init__(self, leaves: list[bytes]) -> None:
        self.nodes: dict[tuple[int, int], bytes] = {}
        self.frontier = merkle.Frontier()
        self.leaves = leaves
        for leaf in leaves:
            for level, index, node in self.frontier.append(leaf):
                self.nodes[level, index] = node

    def node(self, level: int, index: int) -> bytes:
        return self.nodes[level, index]

    def root(self, size: int) -> bytes:
        return merkle.root(self.node, size)


def raw_leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def reference_root(leaves: list[bytes]) -> bytes:
    """MTH straight from RFC 9162 2.1.1, recursively over the leaf hashes."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    k = 1
    while k * 2 < len(leaves):
        k *= 2
    return hashlib.sha256(
        b"\x01" + reference_root(leaves[:k]) + reference_root(leaves[k:])
    ).digest()


def synthetic(size: int) -> Tree:
    return Tree([merkle.leaf_hash(position, f"{position:064x}") for position in range(1, size + 1)])


def flips(path: list[bytes]) -> list[list[bytes]]:
    """Every path with one bit of one hash changed."""
    changed = []
    for number, node in enumerate(path):
        for bit in range(len(node) * 8):
            flipped = bytearray(node)
            flipped[bit // 8] ^= 1 << (bit % 8)
            changed.append([*path[:number], bytes(flipped), *path[number + 1 :]])
    return changed


class TestTheRFCsVectors:
    tree = Tree([raw_leaf(bytes.fromhex(data)) for data in DATA])

    @pytest.mark.parametrize("size", range(9))
    def test_the_root_of_each_size_is_the_published_one(self, size: int) -> None:
        assert self.tree.root(size).hex() == ROOTS[size]

    def test_the_frontier_keeps_the_root_as_leaves_are_appended(self) -> None:
        frontier = merkle.Frontier()
        for size, leaf in enumerate(self.tree.leaves, 1):
            frontier.append(leaf)
            assert frontier.root().hex() == ROOTS[size]
            assert merkle.Frontier.at(self.tree.node, size) == frontier

    @pytest.mark.parametrize(("index", "size"), list(INCLUSION))
    def test_inclusion_paths_are_the_published_ones_and_verify(self, index: int, size: int) -> None:
        path = merkle.inclusion_path(self.tree.node, index, size)
        assert [node.hex() for node in path] == INCLUSION[index, size]
        leaf, root = self.tree.leaves[index], bytes.fromhex(ROOTS[size])
        client.verify_inclusion(leaf, index, size, path, root)

    @pytest.mark.parametrize(("old", "new"), list(CONSISTENCY))
    def test_consistency_proofs_are_the_published_ones_and_verify(self, old: int, new: int) -> None:
        proof = merkle.consistency_path(self.tree.node, old, new)
        assert [node.hex() for node in proof] == CONSISTENCY[old, new]
        old_root, new_root = bytes.fromhex(ROOTS[old]), bytes.fromhex(ROOTS[new])
        client.verify_consistency(old, new, old_root, new_root, proof)


class TestLeaves:
    def test_a_leaf_binds_the_position_and_the_event_hash(self) -> None:
        leaf = merkle.leaf_hash(7, "ab" * 32)
        assert leaf == hashlib.sha256(b"\x00" + b"7:" + b"ab" * 32).digest()
        assert leaf != merkle.leaf_hash(8, "ab" * 32)
        assert leaf != merkle.leaf_hash(7, "ac" + "ab" * 31)
        assert merkle.leaf_hash(7, None) == hashlib.sha256(b"\x007:").digest()

    def test_the_client_computes_the_same_leaves(self) -> None:
        for position, event in [(1, "00" * 32), (12345, "f0" * 32), (3, None)]:
            assert client.leaf_hash(position, event) == merkle.leaf_hash(position, event)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 300), st.data())
def test_every_size_has_the_reference_root_and_each_leafs_path_verifies(
    size: int, data: st.DataObject
) -> None:
    tree = synthetic(size)
    assert tree.root(size) == reference_root(tree.leaves)
    index = data.draw(st.integers(0, size - 1), label="index")
    path = merkle.inclusion_path(tree.node, index, size)
    root = tree.root(size)
    client.verify_inclusion(tree.leaves[index], index, size, path, root)
    assert len(path) <= size.bit_length()


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 200), st.data())
def test_an_inclusion_proof_fails_for_every_single_bit_changed_and_every_wrong_claim(
    size: int, data: st.DataObject
) -> None:
    tree = synthetic(size)
    index = data.draw(st.integers(0, size - 1), label="index")
    path = merkle.inclusion_path(tree.node, index, size)
    root, leaf = tree.root(size), tree.leaves[index]
    for changed in flips(path):
        with pytest.raises(client.ProofError):
            client.verify_inclusion(leaf, index, size, changed, root)
    for bit in range(256):
        flipped = bytearray(leaf)
        flipped[bit // 8] ^= 1 << (bit % 8)
        with pytest.raises(client.ProofError):
            client.verify_inclusion(bytes(flipped), index, size, path, root)
    # Another index (the size comes signed with the root, so only the index is the claim's).
    for other in {index ^ 1, size, -1} - {index}:
        with pytest.raises(client.ProofError):
            client.verify_inclusion(leaf, other, size, path, root)
    with pytest.raises(client.ProofError):
        client.verify_inclusion(leaf, index, size, [*path, root], root)
    if path:
        with pytest.raises(client.ProofError):
            client.verify_inclusion(leaf, index, size, path[:-1], root)


@settings(max_examples=40, deadline=None)
@given(st.integers(1, 300), st.data())
def test_a_consistency_proof_verifies_and_fails_for_every_single_bit_changed(
    new: int, data: st.DataObject
) -> None:
    tree = synthetic(new)
    old = data.draw(st.integers(0, new), label="old")
    proof = merkle.consistency_path(tree.node, old, new)
    old_root, new_root = tree.root(old), tree.root(new)
    client.verify_consistency(old, new, old_root, new_root, proof)
    assert len(proof) <= 2 * new.bit_length()
    for changed in flips(proof):
        with pytest.raises(client.ProofError):
            client.verify_consistency(old, new, old_root, new_root, changed)
    if 0 < old < new:
        other = synthetic(new)
        other.leaves[old - 1] = merkle.leaf_hash(old, "ff" * 32)  # a rewritten past
        rewritten = Tree(other.leaves)
        with pytest.raises(client.ProofError):
            client.verify_consistency(old, new, rewritten.root(old), new_root, proof)
        with pytest.raises(client.ProofError):
            client.verify_consistency(old, new, old_root, rewritten.root(new), proof)
        if old + 1 < new:
            with pytest.raises(client.ProofError):
                client.verify_consistency(old + 1, new, old_root, new_root, proof)


def test_bad_sizes_are_refused_in_words() -> None:
    tree = synthetic(5)
    with pytest.raises(ValueError, match="leaf 5 is not in a tree of 5"):
        merkle.inclusion_path(tree.node, 5, 5)
    with pytest.raises(ValueError, match="a tree of 6 cannot be a prefix of a tree of 5"):
        merkle.consistency_path(tree.node, 6, 5)
    with pytest.raises(client.ProofError, match="cannot extend"):
        client.verify_consistency(6, 5, b"", b"", [])
