"""Audit against a real server: digests, the exported log, the client's replay and the CLI.

The last scenario stops a server, tampers with its SQLite file as someone with access to the
disk would, and starts a new server on the same file: a digest pinned before the tampering
is no longer reached, and the store audit names the edited event.
"""

from __future__ import annotations

import contextlib
import json
import re
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.verify import GENESIS, event_hash, next_root
from ledger_client import Digest, LedgerClient, LedgerClientError, Receipt, command_message
from tests.e2e.support import (
    SEED_EVENTS,
    WORKER_BAGGAGE,
    Cli,
    RunningServer,
    collect_watch,
    log_end,
    new_office,
    run_cli,
    source,
    start_server,
)

ROOT = re.compile(r"[0-9a-f]{64}")
FORGED_ROOT = "f" * 64
EDITED = 2  # Dandong's worker-baggage observation: at most 2 items


def write_some(client: LedgerClient) -> list[Receipt]:
    """A new office, an observation there and its amendment: three events."""
    office = new_office()
    registered = client.register_office(office, f"{office} customs")
    observed = client.record(
        "observed",
        office,
        scope=WORKER_BAGGAGE,
        measure={"admissibility": {"kind": "quantity-limit", "quantity": 2}},
        effective={"on": "2025-05-01"},
        sources=[source()],
    )
    amended = client.amend(
        office,
        observed.change_id,
        reason="two was a misprint",
        sources=[source("2025-05-02")],
        measure={"admissibility": {"kind": "quantity-limit", "quantity": 3}},
    )
    return [registered, observed, amended]


def refusal(call: Callable[[], object]) -> LedgerClientError:
    """The refusal ``call`` raises (a stream's is raised as it is read)."""
    with pytest.raises(LedgerClientError) as refused:
        call()
    return refused.value


def json_of(result: tuple[int, str, str], status: int = 0) -> Any:
    code, out, err = result
    assert code == status, (out, err)
    return json.loads(out)


def words(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


class TestGetDigest:
    def test_the_digest_is_at_the_last_events_position_with_a_hex_root(
        self, shared_client: LedgerClient
    ) -> None:
        digest = shared_client.get_digest()
        exported = list(shared_client.export())
        assert digest.position == log_end(shared_client) == exported[-1].position == SEED_EVENTS
        assert ROOT.fullmatch(digest.root)

    def test_each_write_moves_the_digest_on_by_its_events_hash(self, client: LedgerClient) -> None:
        before = client.get_digest()
        receipts = write_some(client)
        after = client.get_digest()
        assert after.position == receipts[-1].position == before.position + 3
        root = before.root
        for receipt in receipts:
            root = next_root(root, receipt.position, receipt.hash)
        assert after.root == root != before.root


class TestVerifyDigest:
    def test_a_digest_pinned_before_some_writes_verifies_and_gives_the_current_one(
        self, client: LedgerClient
    ) -> None:
        pinned = client.get_digest()
        write_some(client)
        current = client.verify_digest(pinned)
        assert current == client.get_digest()
        assert current.position == pinned.position + 3

    def test_the_empty_ledgers_digest_is_a_prefix_of_any_ledger(
        self, shared_client: LedgerClient
    ) -> None:
        current = shared_client.verify_digest(Digest(position=0, root=GENESIS))
        assert current == shared_client.get_digest()

    @pytest.mark.parametrize(
        ("position", "root", "says"),
        [
            pytest.param(3, FORGED_ROOT, "not a prefix of this ledger", id="a wrong root"),
            pytest.param(0, FORGED_ROOT, "not a prefix of this ledger", id="a wrong genesis"),
            pytest.param(SEED_EVENTS + 1, FORGED_ROOT, "ends at position", id="beyond the end"),
        ],
    )
    def test_a_digest_that_is_not_a_prefix_is_a_failed_precondition(
        self, shared_client: LedgerClient, position: int, root: str, says: str
    ) -> None:
        error = refusal(lambda: shared_client.verify_digest(Digest(position=position, root=root)))
        assert error.code is grpc.StatusCode.FAILED_PRECONDITION
        assert says in error.message

    def test_the_current_digest_with_its_last_hex_digit_changed_is_refused(
        self, shared_client: LedgerClient
    ) -> None:
        current = shared_client.get_digest()
        flipped = current.root[:-1] + ("0" if current.root[-1] != "0" else "1")
        pinned = Digest(position=current.position, root=flipped)
        error = refusal(lambda: shared_client.verify_digest(pinned))
        assert error.code is grpc.StatusCode.FAILED_PRECONDITION

    @pytest.mark.parametrize(
        "root",
        [
            pytest.param("F" * 64, id="upper case"),
            pytest.param("f" * 63, id="too short"),
            pytest.param("g" * 64, id="not hex"),
        ],
    )
    def test_a_malformed_root_is_invalid_naming_pinned_root(
        self, shared_client: LedgerClient, root: str
    ) -> None:
        error = refusal(lambda: shared_client.verify_digest(Digest(position=3, root=root)))
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [field for field, _ in error.fields] == ["pinned.root"]

    def test_a_negative_position_is_invalid_naming_pinned_position(
        self, shared_client: LedgerClient
    ) -> None:
        error = refusal(lambda: shared_client.verify_digest(Digest(position=-1, root=FORGED_ROOT)))
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [field for field, _ in error.fields] == ["pinned.position"]

    def test_an_empty_root_is_invalid_naming_pinned_root(self, shared_client: LedgerClient) -> None:
        error = refusal(lambda: shared_client.verify_digest(Digest(position=3, root="")))
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [field for field, _ in error.fields] == ["pinned.root"]


class TestExportLedger:
    def test_export_gives_every_event_in_log_order_in_batches_of_the_size_asked(
        self, shared_client: LedgerClient
    ) -> None:
        end = log_end(shared_client)
        call = shared_client.stub.ExportLedger(pb.ExportLedgerRequest(batch_size=2), timeout=10)
        batches = [list(reply.events) for reply in call]
        assert [len(batch) for batch in batches] == [2] * (end // 2) + [1] * (end % 2)
        exported = [event for batch in batches for event in batch]
        assert [e.position for e in exported] == list(range(1, end + 1))
        watched = collect_watch(shared_client, until=lambda events: len(events) == end)
        assert [(e.position, e.office_version, e.type) for e in exported] == [
            (w.position, w.office_version, w.type) for w in watched
        ]

    def test_export_after_a_position_starts_after_it_and_ends_at_the_log_end(
        self, shared_client: LedgerClient
    ) -> None:
        end = log_end(shared_client)
        assert [e.position for e in shared_client.export(end - 2)] == [end - 1, end]
        assert list(shared_client.export(end)) == []

    def test_the_stored_bytes_hash_to_each_receipts_hash_and_link_to_the_previous_one(
        self, client: LedgerClient
    ) -> None:
        start = client.get_digest().position
        receipts = write_some(client)
        exported = list(client.export(start, batch_size=1))
        assert [e.position for e in exported] == [r.position for r in receipts]
        assert [event_hash(e.type, e.stored_json) for e in exported] == [r.hash for r in receipts]
        assert [e.type for e in exported] == ["OfficeRegistered", "PolicyObserved", "ChangeAmended"]
        links = [json.loads(e.stored_json)["prev_hash"] for e in exported]
        assert links == [GENESIS, receipts[0].hash, receipts[1].hash]

    def test_a_large_batch_comes_in_messages_of_about_a_mebibyte(
        self, client: LedgerClient
    ) -> None:
        office = new_office()
        client.register_office(office, "Bulky customs")
        start = log_end(client)
        # ~300 kB an event: 40 sources of 2000-character URLs in four-byte characters.
        sources = [source(url="https://" + "\U0001f642" * 1992)] * 40
        commands = [
            command_message(
                "observe",
                {
                    "request_id": f"{office}-{number}",
                    "office": office,
                    "scope": {"direction": "inbound", "channel": "cargo-sea", "goods": "1000"},
                    "measure": {"inspection": "standard"},
                    "effective": {"on": f"2025-01-{number + 1:02d}"},
                    "sources": sources,
                },
            )
            for number in range(7)
        ]
        assert client.import_commands(commands).stored == 7
        request = pb.ExportLedgerRequest(after_position=start, batch_size=10_000)
        replies = list(client.stub.ExportLedger(request, timeout=30))
        sizes = [sum(len(event.stored_json) for event in reply.events) for reply in replies]
        assert [e.position for r in replies for e in r.events] == list(range(start + 1, start + 8))
        assert len(replies) >= 3
        assert all(size <= 1024 * 1024 for size in sizes), sizes

    @pytest.mark.parametrize("batch_size", [-1, 10_001])
    def test_a_batch_size_out_of_range_is_invalid_naming_it(
        self, shared_client: LedgerClient, batch_size: int
    ) -> None:
        error = refusal(lambda: list(shared_client.export(batch_size=batch_size)))
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [field for field, _ in error.fields] == ["batch_size"]

    def test_a_negative_start_is_invalid_naming_it(self, shared_client: LedgerClient) -> None:
        error = refusal(lambda: list(shared_client.export(-1)))
        assert error.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [field for field, _ in error.fields] == ["after_position"]


class TestClientAudit:
    def test_a_clean_server_passes_with_the_servers_digest(
        self, shared_client: LedgerClient
    ) -> None:
        seen: list[int] = []
        result = shared_client.audit(progress=lambda event: seen.append(event.position))
        assert result.ok is True
        assert result.problems == ()
        assert (result.events, result.offices) == (SEED_EVENTS, 3)
        assert result.digest == result.server_digest == shared_client.get_digest()
        assert seen == list(range(1, SEED_EVENTS + 1))

    def test_a_digest_pinned_before_some_writes_is_reached(self, client: LedgerClient) -> None:
        pinned = client.get_digest()
        write_some(client)
        result = client.audit(expect=pinned)
        assert result.ok is True, result.problems
        assert result.pinned == pinned
        assert result.digest.position == pinned.position + 3

    def test_a_forged_pinned_root_is_not_reached(self, shared_client: LedgerClient) -> None:
        result = shared_client.audit(expect=Digest(position=3, root=FORGED_ROOT))
        assert result.ok is False
        [problem] = result.problems
        assert problem.startswith("at position 3 the replay gives root ")
        assert problem.endswith("the log up to the pinned digest was rewritten")

    def test_a_pinned_position_beyond_the_log_says_events_were_removed(
        self, shared_client: LedgerClient
    ) -> None:
        result = shared_client.audit(expect=Digest(position=SEED_EVENTS + 5, root=FORGED_ROOT))
        assert result.ok is False
        [problem] = result.problems
        assert f"which ends at position {SEED_EVENTS}: events were removed" in problem

    def test_a_pinned_empty_ledger_with_a_forged_root_is_not_reached(
        self, shared_client: LedgerClient
    ) -> None:
        result = shared_client.audit(expect=Digest(position=0, root=FORGED_ROOT))
        assert result.ok is False


def edit_stored_event(database_url: str, position: int, old: bytes, new: bytes) -> None:
    """Change bytes of one stored event in place, with the server stopped."""
    if database_url.startswith("postgresql://"):
        import psycopg

        base, schema = database_url.split("?schema=")
        with psycopg.connect(base, autocommit=True) as connection:
            table = f'"{schema}".ledger_events'
            row = connection.execute(
                f"SELECT state FROM {table} WHERE notification_id=%s", (position,)
            ).fetchone()
            assert row is not None
            assert bytes(row[0]).count(old) == 1, row
            connection.execute(
                f"UPDATE {table} SET state=%s WHERE notification_id=%s",
                (bytes(row[0]).replace(old, new), position),
            )
        return
    path = Path(database_url.removeprefix("sqlite:///"))
    connection = sqlite3.connect(path)
    try:
        with connection:
            (state,) = connection.execute(
                "SELECT state FROM stored_events WHERE rowid=?", (position,)
            ).fetchone()
            assert bytes(state).count(old) == 1, state
            connection.execute(
                "UPDATE stored_events SET state=? WHERE rowid=?",
                (bytes(state).replace(old, new), position),
            )
    finally:
        connection.close()


@contextlib.contextmanager
def restarted(server: RunningServer) -> Iterator[RunningServer]:
    """A new server on the stopped one's database file."""
    again = start_server(server.log_path.parent, database_url=server.database_url)
    try:
        yield again
    finally:
        again.stop()


class TestCli:
    def test_digest_prints_position_root_and_merkle_root(
        self, shared_cli: Cli, shared_client: LedgerClient
    ) -> None:
        status, out, err = shared_cli("digest")
        assert status == 0, err
        assert out.strip() == shared_client.get_digest().pin()
        assert re.fullmatch(rf"{SEED_EVENTS}:[0-9a-f]{{64}}:[0-9a-f]{{64}}", out.strip())

    @pytest.mark.parametrize(
        "where",
        [pytest.param((), id="neither"), pytest.param(("--store", "--remote"), id="both")],
    )
    def test_audit_without_exactly_one_of_store_and_remote_exits_2(
        self, shared_cli: Cli, where: tuple[str, ...]
    ) -> None:
        status, out, err = shared_cli("audit", *where)
        assert status == 2
        assert "--store (the database) or --remote (a server)" in words(err)
        assert out == ""

    def test_a_store_audit_with_a_pinned_digest_exits_2(
        self, shared_cli: Cli, shared_server: RunningServer, shared_client: LedgerClient
    ) -> None:
        pinned = str(shared_client.get_digest())
        status, _, err = shared_cli(
            "audit",
            "--store",
            "--expect-digest",
            pinned,
            env={"LEDGER_DATABASE_URL": shared_server.database_url},
        )
        assert status == 2
        assert "use it with --remote" in words(err)

    def test_a_malformed_pinned_digest_exits_2(self, shared_cli: Cli) -> None:
        status, _, err = shared_cli("audit", "--remote", "--expect-digest", "nine:abc")
        assert status == 2
        text = words(err)
        assert "--expect-digest" in text and "expected POSITION:ROOT" in text
        assert "invalid literal" not in text

    def test_a_pinned_digest_holds_until_the_file_is_tampered_with_then_both_audits_fail(
        self, server: RunningServer, cli: Cli, client: LedgerClient
    ) -> None:
        status, out, err = cli("digest")
        assert status == 0, err
        pinned = out.strip()
        write_some(client)

        status, out, err = cli("audit", "--remote", "--expect-digest", pinned)
        assert status == 0, (out, err)
        assert f"pinned digest {pinned}: reached" in words(out)
        report = json_of(cli("audit", "--remote", "--expect-digest", pinned, "--json"))
        assert (report["ok"], report["problems"]) == (True, [])
        assert report["rule_states_compared"] > 0
        assert report["pinned"] == json.loads(Digest.parse(pinned).model_dump_json())

        assert server.stop() == 0
        store = {"LEDGER_DATABASE_URL": server.database_url}
        untouched = json_of(run_cli(server.address, "audit", "--store", "--json", env=store))
        assert untouched["ok"] is True
        assert untouched["digest"]["position"] == SEED_EVENTS + 3

        edit_stored_event(server.database_url, EDITED, b'"quantity":2', b'"quantity":9')

        status, out, err = run_cli(server.address, "audit", "--store", env=store)
        assert status == 5, (out, err)
        assert "broken" in out
        failed = run_cli(server.address, "audit", "--store", "--json", env=store)
        report = json_of(failed, 5)
        assert json.loads(failed[2])["code"] == "AUDIT_FAILED"  # the error, on standard error
        assert report["ok"] is False
        first = report["findings"][0]
        assert (first["position"], first["office"], first["version"]) == (EDITED, "CN-DANDONG", 2)

        with restarted(server) as again:
            status, out, err = run_cli(
                again.address, "audit", "--remote", "--expect-digest", pinned
            )
            assert status == 5, (out, err)
            text = words(out)
            assert f"pinned digest {pinned}: NOT reached" in text
            assert "the log up to the pinned digest was rewritten" in text
            report = json_of(
                run_cli(again.address, "audit", "--remote", "--expect-digest", pinned, "--json"), 5
            )
        assert report["ok"] is False
        assert report["rule_states_compared"] == 0
        problems = report["problems"]
        # Dandong's next event still links to the edited event's original hash.
        assert problems[0].startswith(f"position {EDITED + 1}, office CN-DANDONG, version 3: ")
        assert problems[-1].endswith("the log up to the pinned digest was rewritten")
