"""Signed checkpoints through real servers, on SQLite and PostgreSQL: a server with a key signs
each write, and `ledger audit --remote --trust` holds; an event appended by a server without
the key (links, digest checkpoint and read model all correct: every other audit holds) is
named; checkpoints signed by a key the auditor does not trust are refused; after a key is
rotated the old checkpoints still verify with the old key; a checkpoint changed in the
database does not verify; `verify-answer` and `extends` work against signed checkpoints."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger_api.note import trusted_keys
from ledger_client import Digest, LedgerClient
from tests.conftest import fresh_database
from tests.e2e.support import LEDGER, SEED_EVENTS, RunningServer, run_cli, start_server
from tests.e2e.test_audit import words, write_some
from tests.e2e.test_cli import RICE_COOKER_QUESTION
from tests.support import postgres_rows, sqlite_rows


def new_key(folder: Path, name: str) -> Path:
    key = folder / f"{name}.key"
    subprocess.run([LEDGER, "key", "new", "--out", str(key)], check=True, capture_output=True)
    return key


def pub(key: Path) -> str:
    return str(key.with_name(key.name + ".pub"))


class Servers:
    """Servers over one database, started and stopped in turn."""

    def __init__(self, folder: Path, url: str) -> None:
        self.folder, self.url = folder, url
        self.running: list[RunningServer] = []

    def start(self, key: Path | None, *, example: bool = False) -> RunningServer:
        env = {"LEDGER_SIGNING_KEY_FILE": str(key) if key else ""}
        server = start_server(self.folder, example=example, database_url=self.url, env=env)
        self.running.append(server)
        return server

    def stop_all(self) -> None:
        for server in self.running:
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.stop()
        self.running.clear()


@pytest.fixture
def servers(backend: str, tmp_path: Path) -> Iterator[Servers]:
    with fresh_database(backend, tmp_path, prefix="signed") as url:
        made = Servers(tmp_path, url)
        try:
            yield made
        finally:
            made.stop_all()


@pytest.fixture
def key(tmp_path: Path) -> Path:
    return new_key(tmp_path, "first")


def audit(server: RunningServer, *keys: Path) -> tuple[int, dict, str]:  # type: ignore[type-arg]
    trust = [arg for k in keys for arg in ("--trust", pub(k))]
    status, out, err = run_cli(server.address, "audit", "--remote", *trust, "--json", timeout=60)
    return status, json.loads(out), err


class TestAServerWithAKey:
    def test_it_signs_each_write_and_an_audit_trusting_its_key_holds(
        self, servers: Servers, key: Path
    ) -> None:
        server = servers.start(key, example=True)
        with LedgerClient(server.address) as client:
            receipts = [*write_some(client), *write_some(client)]
            notes = list(client.checkpoint_notes())
            latest = client.latest_checkpoint(trusted_keys([pub(key)]))
            assert latest.note == notes[-1][1] == client.call("GetDigest")["checkpoint"]
            assert Digest.signed_by(latest) == client.get_digest()
        # The example's import and each of the six writes after it.
        assert [size for size, _ in notes][-6:] == [r.position for r in receipts]
        status, result, _ = audit(server, key)
        assert status == 0, result["problems"]
        assert result["checkpoints"] == len(notes) >= 7
        assert result["events"] == SEED_EVENTS + 6

    def test_an_event_appended_without_the_key_is_named_though_every_other_audit_holds(
        self, servers: Servers, key: Path
    ) -> None:
        signing = servers.start(key, example=True)
        keyless = servers.start(None)
        with LedgerClient(keyless.address) as client:
            appended = write_some(client)[0]
        with LedgerClient(signing.address) as client:
            after = write_some(client)  # signed, after the appended event
        status, result, _ = audit(signing)
        assert status == 0, result["problems"]
        status, result, _ = audit(signing, key)
        assert status == 5
        assert result["problems"] == [
            f"the events at positions {appended.position}-{appended.position + 2} are in no "
            "signed checkpoint: written without the key (appended), or by a server that "
            "stopped before it signed"
        ]
        assert after[-1].position > appended.position + 2

    def test_checkpoints_signed_by_a_key_not_trusted_are_refused(
        self, servers: Servers, key: Path, tmp_path: Path
    ) -> None:
        server = servers.start(key, example=True)
        status, result, err = audit(server, new_key(tmp_path, "stranger"))
        assert status == 5
        assert "not by a key you trust" in result["problems"][0]
        assert f"positions 1-{SEED_EVENTS} are in no signed checkpoint" in result["problems"][1]
        assert "found 2 problems" in words(err)

    def test_after_rotating_the_key_the_old_checkpoints_verify_with_the_old_key(
        self, servers: Servers, key: Path, tmp_path: Path
    ) -> None:
        servers.start(key, example=True)
        servers.stop_all()
        rotated = new_key(tmp_path, "second")
        server = servers.start(rotated)
        with LedgerClient(server.address) as client:
            write_some(client)
        status, result, _ = audit(server, key, rotated)
        assert status == 0, result["problems"]
        assert len(result["signed_by"]) == 2
        status, result, _ = audit(server, rotated)
        assert status == 5
        assert "not by a key you trust" in result["problems"][0]

    def test_a_ledger_written_without_a_key_is_adopted_when_a_key_is_first_set(
        self, servers: Servers, key: Path
    ) -> None:
        servers.start(None, example=True)
        servers.stop_all()
        server = servers.start(key)
        status, result, _ = audit(server, key)
        assert status == 0, result["problems"]
        assert result["checkpoints"] == 1
        assert f"signed the log found, positions 1-{SEED_EVENTS}" in server.log()

    def test_a_checkpoint_changed_in_the_database_does_not_verify(
        self, servers: Servers, key: Path, backend: str
    ) -> None:
        server = servers.start(key, example=True)
        change = "UPDATE {} SET note = replace(note, 'from 1', 'from 2')"
        if backend == "sqlite":
            sqlite_rows(servers.url.removeprefix("sqlite:///"), change.format("signed_checkpoints"))
        else:
            postgres_rows(servers.url, change.format("ledger_signed_checkpoints"))
        status, result, _ = audit(server, key)
        assert status == 5
        assert (
            "does not verify: the checkpoint was changed after it was signed"
            in (result["problems"][0])
        )


class TestProofsAgainstSignedCheckpoints:
    def test_an_answers_events_are_proved_in_the_signed_tree(
        self, servers: Servers, key: Path, tmp_path: Path
    ) -> None:
        server = servers.start(key, example=True)
        status, out, _ = run_cli(
            server.address, "check", "--at", "2025-03-20", *RICE_COOKER_QUESTION, "--json"
        )
        answer = tmp_path / "answer.json"
        answer.write_text(out)
        status, out, err = run_cli(
            server.address, "verify-answer", str(answer), "--trust", pub(key)
        )
        assert status == 0, err
        assert f"are in the tree {SEED_EVENTS}:" in words(out)
        status, _, err = run_cli(
            server.address, "verify-answer", str(answer), "--trust", pub(new_key(tmp_path, "x"))
        )
        assert status == 5
        assert "the signed checkpoint is refused" in words(err)

    def test_a_saved_checkpoint_is_extended_by_the_signed_log_after_more_writes(
        self, servers: Servers, key: Path, tmp_path: Path
    ) -> None:
        server = servers.start(key, example=True)
        saved = tmp_path / "pinned.note"
        status, out, _ = run_cli(server.address, "checkpoint", "--trust", pub(key))
        assert status == 0
        saved.write_text(out)
        with LedgerClient(server.address) as client:
            last = write_some(client)[-1]
        status, out, err = run_cli(server.address, "extends", str(saved), "--trust", pub(key))
        assert status == 0, err
        assert f"the log at {last.position}:" in words(out)
        assert f"extends the pinned {SEED_EVENTS}:" in words(out)

    def test_a_server_without_a_key_has_no_checkpoint_to_give(
        self, servers: Servers, key: Path
    ) -> None:
        server = servers.start(None, example=True)
        status, _, err = run_cli(server.address, "checkpoint")
        assert status == 5
        assert "started without a key" in words(err)


class TestKeyFiles:
    def test_a_key_file_is_never_overwritten(self, tmp_path: Path) -> None:
        key = new_key(tmp_path, "once")
        before = key.read_text()
        done = subprocess.run(
            [LEDGER, "key", "new", "--out", str(key)], capture_output=True, text=True
        )
        assert done.returncode == 2
        assert "exists already: a key is never overwritten" in words(done.stderr)
        assert key.read_text() == before
        assert oct(key.stat().st_mode & 0o777) == "0o600"

    def test_a_server_given_a_file_that_is_not_a_key_refuses_to_start(self, tmp_path: Path) -> None:
        bad = tmp_path / "bad.key"
        bad.write_text("not a key\n")
        env = {
            **os.environ,
            "LEDGER_SIGNING_KEY_FILE": str(bad),
            "LEDGER_DATABASE_URL": f"sqlite:///{tmp_path / 'ledger.sqlite'}",
            "LEDGER_LISTEN": "127.0.0.1:0",
            "COLUMNS": "1000",
        }
        done = subprocess.run(
            [LEDGER, "serve"], env=env, capture_output=True, text=True, timeout=60
        )
        assert done.returncode != 0
        assert f"LEDGER_SIGNING_KEY_FILE ({bad}) is not a signer key: expected PRIVATE+KEY+" in (
            words(done.stderr)
        )
