"""Merkle proofs through a running server, on SQLite and PostgreSQL: every event of the example
ledger is proved in the current tree and in earlier ones, the log proves it extends a digest
pinned before more writes, and an event edited on disk, or a pin from another ledger, fails
the check, from the client library and from the CLI (exit status 5)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from ledger_client import Digest, LedgerClient, ProofError
from tests.e2e.support import SEED_EVENTS, Cli, RunningServer
from tests.e2e.test_audit import EDITED, edit_stored_event, words, write_some
from tests.e2e.test_cli import RICE_COOKER_QUESTION

OTHER_LEDGERS = "5:" + "a" * 64 + ":" + "b" * 64


class TestTheClient:
    def test_every_event_is_proved_in_the_current_tree(self, shared_client: LedgerClient) -> None:
        current = shared_client.get_digest()
        assert current.position == SEED_EVENTS
        assert shared_client.prove_extends(current) == current
        for position in range(1, SEED_EVENTS + 1):
            proof = shared_client.prove_event(position)
            assert (proof.event.position, proof.tree) == (position, current)
            assert shared_client.prove_event(position, current).hash == proof.hash

    def test_the_log_extends_a_digest_pinned_before_more_writes(self, client: LedgerClient) -> None:
        pinned = client.get_digest()
        receipts = write_some(client)
        current = client.prove_extends(pinned)
        assert current.position == receipts[-1].position
        # An event of the pinned tree is still proved in it, and a new one only in the new.
        assert client.prove_event(1, pinned).tree == pinned
        assert client.prove_event(receipts[-1].position).tree == current

    def test_the_events_an_answer_names_are_proved_by_their_ids(
        self, shared_client: LedgerClient
    ) -> None:
        answer = shared_client.check(
            "CN-DANDONG",
            "2025-03-20",
            direction="outbound",
            channel="personal-baggage",
            traveller="worker",
            items=[{"goods": "8516.60", "quantity": 1}],
        )
        named = answer.items[0].event_ids
        assert named
        for event_id in named:
            proof = shared_client.prove_event_id(event_id)
            assert json.loads(proof.event.stored_json)["event_id"] == str(event_id)
            assert proof.hash == shared_client.prove_event(proof.event.position).hash

    def test_an_event_edited_on_disk_fails_its_own_proof(
        self, server: RunningServer, client: LedgerClient
    ) -> None:
        pinned = client.get_digest()
        client.prove_event(EDITED, pinned)
        edit_stored_event(server.database_url, EDITED, b'"quantity":2', b'"quantity":9')
        with pytest.raises(ProofError, match=f"does not lead from leaf {EDITED - 1} to the root"):
            client.prove_event(EDITED, pinned)

    def test_a_pin_from_another_ledger_is_not_extended(self, shared_client: LedgerClient) -> None:
        with pytest.raises(ProofError, match="pinned root of 5 leaves"):
            shared_client.prove_extends(Digest.parse(OTHER_LEDGERS))

    def test_a_pin_without_its_merkle_root_is_refused_before_asking(
        self, shared_client: LedgerClient
    ) -> None:
        digest = shared_client.get_digest()
        with pytest.raises(ValueError, match="no Merkle root to check a proof against"):
            shared_client.prove_extends(Digest.parse(str(digest)))


class TestTheCli:
    def test_prove_and_extends_hold_on_an_honest_server(self, shared_cli: Cli) -> None:
        status, out, err = shared_cli("digest")
        assert status == 0, err
        pinned = out.strip()
        status, out, err = shared_cli("prove", "3", "--tree", pinned)
        assert status == 0, err
        assert "proved: the event at position 3" in words(out)
        assert f"is in the tree {pinned}" in words(out)
        status, out, err = shared_cli("extends", pinned)
        assert status == 0, err
        assert f"extends the pinned {pinned}" in words(out)
        status, out, err = shared_cli("extends", pinned, "--json")
        assert status == 0, err
        assert json.loads(out)["pinned"]["merkle_root"] == pinned.rsplit(":", 1)[1]

    def test_prove_as_json_gives_what_was_checked(
        self, shared_cli: Cli, shared_client: LedgerClient
    ) -> None:
        status, out, err = shared_cli("prove", "2", "--json")
        assert status == 0, err
        proof = json.loads(out)
        assert proof["event"]["position"] == 2
        assert proof["tree"] == json.loads(shared_client.get_digest().model_dump_json())
        assert all(len(node) == 64 for node in proof["path"])  # hex
        assert proof["hash"] == shared_client.prove_event(2).hash

    def test_verify_answer_proves_every_event_a_check_names(
        self, shared_cli: Cli, tmp_path: Path
    ) -> None:
        status, answer, err = shared_cli(
            "check", "--at", "2025-03-20", *RICE_COOKER_QUESTION, "--json"
        )
        assert status == 0, err
        named = json.loads(answer)["items"][0]["event_ids"]
        assert named
        (tmp_path / "answer.json").write_text(answer)
        status, out, err = shared_cli("verify-answer", str(tmp_path / "answer.json"))
        assert status == 0, err
        assert all(f"proved: {event_id} at position" in out for event_id in named)
        assert f"the answer's {len(named)} events are in the tree" in words(out)
        status, out, err = shared_cli("verify-answer", str(tmp_path / "answer.json"), "--json")
        assert status == 0, err
        report = json.loads(out)
        assert len(report["tree"]["merkle_root"]) == 64
        assert [
            json.loads(e["event"]["stored_json"])["event_id"] for e in report["events"]
        ] == named

    def test_verify_answer_fails_for_an_event_edited_on_disk(
        self, server: RunningServer, cli: Cli, tmp_path: Path
    ) -> None:
        status, answer, err = cli("check", "--at", "2025-03-20", *RICE_COOKER_QUESTION, "--json")
        assert status == 0, err
        (tmp_path / "answer.json").write_text(answer)
        status, out, err = cli("verify-answer", str(tmp_path / "answer.json"))
        assert status == 0, err
        position = int(re.findall(r"at position (\d+)", out)[0])
        # One byte more, the JSON and its event id the same: the event's hash, and leaf, differ.
        edit_stored_event(server.database_url, position, b'"event_id":', b'"event_id": ')
        status, out, err = cli("verify-answer", str(tmp_path / "answer.json"))
        assert status == 5, (out, err)
        assert "is not proved: the path does not lead from leaf" in words(err)

    def test_verify_answer_refuses_a_file_that_names_no_events(
        self, shared_cli: Cli, tmp_path: Path
    ) -> None:
        (tmp_path / "empty.json").write_text('{"items": []}')
        status, out, err = shared_cli("verify-answer", str(tmp_path / "empty.json"))
        assert status == 2, (out, err)
        assert "names no events (no event_ids)" in words(err)
        (tmp_path / "text.txt").write_text("prohibited")
        status, out, err = shared_cli("verify-answer", str(tmp_path / "text.txt"))
        assert status == 2, (out, err)
        assert "is not JSON" in words(err)

    def test_a_pin_from_another_ledger_exits_with_5(self, shared_cli: Cli) -> None:
        status, out, err = shared_cli("extends", OTHER_LEDGERS)
        assert status == 5, (out, err)
        assert f"the log does not extend {OTHER_LEDGERS}" in words(err)

    def test_bad_input_is_named(self, shared_cli: Cli) -> None:
        status, out, err = shared_cli("extends", "5:" + "a" * 64)
        assert status == 2, (out, err)
        assert "has no Merkle root to check a proof against" in words(err)
        status, out, err = shared_cli("prove", "999")
        assert status == 3, (out, err)
        assert "position: 999 is not in the tree of size" in words(err)
