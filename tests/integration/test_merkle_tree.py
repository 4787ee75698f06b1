"""The Merkle tree the read model keeps over the log, on every backend: its roots are the ones
a client computes from the log alone, every proof it gives verifies with the client's code,
it is rebuilt and migrated with the read model, and the store audit finds it edited."""

from __future__ import annotations

import hashlib
import sqlite3
from typing import Any
from uuid import UUID

import pytest
from pydantic import ValidationError

from ledger.audit.store import audit_store
from ledger.bootstrap import Ledger
from ledger.domain.errors import NotFound
from ledger.readmodel.proofs import (
    ConsistencyRequest,
    InclusionRequest,
    NoEventThere,
    ProofRefused,
    Proofs,
)
from ledger.settings import Settings
from ledger.storage.identity import State
from ledger_api.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger_api.verify import event_hash
from tests.support import burn_a_position, limit, record, register


def write(ledger: Ledger, count: int, first: int = 0) -> None:
    for number in range(first, first + count):
        record(ledger, "observed", limit(number + 1), f"2024-{number % 12 + 1:02d}-01")


def leaves_of_the_log(ledger: Ledger) -> list[bytes]:
    """Every position's leaf, computed from the log as stored (an empty leaf for a gap)."""
    rows = ledger.reader.export(0, 100_000)
    by_position = {row.position: event_hash(row.type, row.stored_json) for row in rows}
    end = max(by_position, default=0)
    return [leaf_hash(position, by_position.get(position)) for position in range(1, end + 1)]


def tree_hash(leaves: list[bytes]) -> bytes:
    """RFC 9162's Merkle tree hash, recursively, from its definition."""
    if not leaves:
        return hashlib.sha256(b"").digest()
    if len(leaves) == 1:
        return leaves[0]
    split = 1 << ((len(leaves) - 1).bit_length() - 1)
    left, right = tree_hash(leaves[:split]), tree_hash(leaves[split:])
    return hashlib.sha256(b"\x01" + left + right).digest()


def assert_every_proof_holds(ledger: Ledger) -> None:
    proofs, leaves = Proofs(ledger.reader), leaves_of_the_log(ledger)
    head = proofs.head()
    assert head["position"] == len(leaves)
    assert bytes.fromhex(head["merkle_root"]) == tree_hash(leaves)
    assert head["root"] == ledger.reader.digest().root
    root = bytes.fromhex(head["merkle_root"])
    for position in range(1, len(leaves) + 1):
        proof = proofs.inclusion(InclusionRequest(position=position))
        event = proof["event"]
        leaf = leaf_hash(position, event_hash(event["type"], event["stored_json"]))
        verify_inclusion(leaf, position - 1, len(leaves), proof["path"], root)
        old = proofs.consistency(ConsistencyRequest(old_size=position))
        old_root = bytes.fromhex(old["old"]["merkle_root"])
        assert old_root == tree_hash(leaves[:position])
        verify_consistency(position, len(leaves), old_root, root, old["proof"])


def test_the_tree_is_the_logs_and_every_proof_verifies(any_ledger: Ledger) -> None:
    register(any_ledger)
    write(any_ledger, 20)
    assert_every_proof_holds(any_ledger)
    # Runs of events saved together (an import) extend the same tree.
    write(any_ledger, 13, first=20)
    assert_every_proof_holds(any_ledger)


def test_an_empty_ledger_has_the_empty_tree(any_ledger: Ledger) -> None:
    proofs = Proofs(any_ledger.reader)
    assert proofs.head()["merkle_root"] == hashlib.sha256(b"").hexdigest()
    with pytest.raises(ProofRefused, match="position: 1 is not in the tree of size 0"):
        proofs.inclusion(InclusionRequest(position=1))


def test_the_tree_is_rebuilt_with_the_read_model(sqlite_url: str) -> None:
    with Ledger(Settings(database_url=sqlite_url)) as ledger:
        register(ledger)
        write(ledger, 40)
        before = list(ledger.view.merkle_nodes())
        assert ledger.rebuild() == 41
        assert list(ledger.view.merkle_nodes()) == before
        assert_every_proof_holds(ledger)


def test_an_event_is_proved_by_its_id_as_an_answer_names_it(any_ledger: Ledger) -> None:
    register(any_ledger)
    receipts = [record(any_ledger, "observed", limit(n + 1), f"2024-0{n + 1}-01") for n in range(3)]
    proofs = Proofs(any_ledger.reader)
    for receipt in receipts:
        by_id = proofs.inclusion(InclusionRequest(event_id=receipt.change_id))
        assert by_id == proofs.inclusion(InclusionRequest(position=receipt.position))
    with pytest.raises(NotFound, match="no event has the id 00000000-0000-0000-0000-000000000000"):
        proofs.inclusion(InclusionRequest(event_id=UUID(int=0)))
    with pytest.raises(
        ValidationError, match=r"by one of its position \(from 1\) and its event_id"
    ):
        InclusionRequest(position=2, event_id=receipts[0].change_id)
    with pytest.raises(
        ValidationError, match=r"by one of its position \(from 1\) and its event_id"
    ):
        InclusionRequest()


def test_trees_that_are_not_there_are_refused_in_words(sqlite_url: str) -> None:
    with Ledger(Settings(database_url=sqlite_url)) as ledger:
        register(ledger)
        write(ledger, 4)
        proofs = Proofs(ledger.reader)
        with pytest.raises(ProofRefused, match="tree_size: 9 is beyond this server's read model"):
            proofs.inclusion(InclusionRequest(position=1, tree_size=9))
        with pytest.raises(ProofRefused, match="position: 4 is not in the tree of size 3"):
            proofs.inclusion(InclusionRequest(position=4, tree_size=3))
        with pytest.raises(ProofRefused, match="old_size: 5 is larger than new_size 3"):
            proofs.consistency(ConsistencyRequest(old_size=5, new_size=3))
        empty = proofs.consistency(ConsistencyRequest(old_size=0))
        assert (empty["old"]["position"], empty["proof"]) == (0, [])


def test_a_position_no_event_took_has_the_empty_leaf(postgres_url: str) -> None:
    """PostgreSQL: a sequence value burned by a rolled-back write is a position without an
    event; the tree has the empty leaf there, and proofs around it still verify."""
    with Ledger(Settings(database_url=postgres_url)) as ledger:
        register(ledger)
        burn_a_position(postgres_url)
        write(ledger, 3)
        assert [row.position for row in ledger.reader.export(0, 10)] == [1, 3, 4, 5]
        proofs, leaves = Proofs(ledger.reader), leaves_of_the_log(ledger)
        assert leaves[1] == leaf_hash(2, None)
        assert bytes.fromhex(proofs.head()["merkle_root"]) == tree_hash(leaves)
        with pytest.raises(NoEventThere, match="no event is at position 2"):
            proofs.inclusion(InclusionRequest(position=2))
        with pytest.raises(ProofRefused, match="tree_size: 2 is a position no event took"):
            proofs.inclusion(InclusionRequest(position=1, tree_size=2))
        for position in (1, 3, 4, 5):
            proof = proofs.inclusion(InclusionRequest(position=position))
            event = proof["event"]
            leaf = leaf_hash(position, event_hash(event["type"], event["stored_json"]))
            root = bytes.fromhex(proof["tree"]["merkle_root"])
            verify_inclusion(leaf, position - 1, 5, proof["path"], root)


def _sqlite(url: str, *statements: str) -> list[Any]:
    with sqlite3.connect(url.removeprefix("sqlite:///")) as db:
        rows: list[Any] = []
        for statement in statements:
            rows = db.execute(statement).fetchall()
        return rows


def test_a_ledger_of_version_3_is_migrated_and_its_tree_built(sqlite_url: str) -> None:
    with Ledger(Settings(database_url=sqlite_url)) as ledger:
        register(ledger)
        write(ledger, 10)
        digest = ledger.reader.digest()
    _sqlite(
        sqlite_url,
        "DROP TABLE merkle_nodes",
        "DROP TABLE signed_checkpoints",
        "DROP INDEX request_ids_by_event",
        "UPDATE ledger_meta SET value = '3' WHERE key = 'schema_version'",
    )
    report = audit_store(Settings(database_url=sqlite_url))  # read as it is: no tree to check
    assert report.ok, report.findings
    with Ledger(Settings(database_url=sqlite_url)) as ledger:
        assert ledger.factory.state is State.OLD
        assert ledger.reader.digest() == digest
        assert_every_proof_holds(ledger)
    assert _sqlite(sqlite_url, "SELECT value FROM ledger_meta WHERE key='schema_version'") == [
        ("5",)
    ]


def test_the_store_audit_finds_an_edited_node(sqlite_url: str) -> None:
    with Ledger(Settings(database_url=sqlite_url)) as ledger:
        register(ledger)
        write(ledger, 6)
    assert audit_store(Settings(database_url=sqlite_url)).ok
    _sqlite(sqlite_url, "UPDATE merkle_nodes SET hash = zeroblob(32) WHERE level = 1 AND idx = 1")
    report = audit_store(Settings(database_url=sqlite_url))
    assert not report.ok
    assert [f.what for f in report.findings if "Merkle" in f.what] == [
        "the Merkle tree's node at level 1, index 1 (positions 3 to 4) differs from its "
        "rebuild; 11 nodes stored, 11 rebuilt"
    ]
