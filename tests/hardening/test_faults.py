"""Rows 11, 12 and 14 of the hardening issue: failures say what they are, and a poisoned
event does not take the service down.

- Row 11: the disk fills up (an 8 MiB tmpfs the test mounts: root only, as in CI): writes are
  RESOURCE_EXHAUSTED, health NOT_SERVING, until a write succeeds again; nothing acknowledged
  is lost.
- Row 12: PostgreSQL restarts under writes (``pg_ctlcluster``: root, as in CI): a write that
  meets the outage is UNAVAILABLE — which the client retries, with its request id — never
  UNKNOWN; nothing acknowledged is lost or stored twice.
- Row 14: an event the projection cannot apply (a test-only hook: the projection of this test
  process is patched) leaves the server answering as of the position before it, health and
  the log saying where and why, ``min_position`` beyond it UNAVAILABLE, and the store audit
  naming it.
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

import grpc
import pytest

from ledger.audit.store import audit_store
from ledger.readmodel.projection import RuleProjection
from ledger.server.serve import LedgerServer
from ledger.settings import Settings
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc
from ledger_client import LedgerClient, LedgerClientError
from tests.conftest import IN_CI, need_postgres, postgres_schema
from tests.e2e.support import EXAMPLE, WORKER_BAGGAGE
from tests.hardening.support import OBSERVATION, event_ids, exported, observe, report, serving

# Alone: it times calls, races writers, kills or restarts what others would share.
pytestmark = [pytest.mark.hardening, pytest.mark.alone]

Code = grpc.StatusCode


def _need_root(what: str) -> None:
    """Mounting a tmpfs and restarting PostgreSQL need root: CI has it, so there it must run."""
    if os.geteuid() != 0:
        if IN_CI:
            pytest.fail(f"{what} needs root, which CI has")
        pytest.skip(f"{what} needs root")


@contextlib.contextmanager
def _tmpfs(folder: Path, size: str) -> Iterator[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(folder)], check=True)
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)


def _fill(folder: Path) -> Path:
    """A file that takes every byte left on ``folder``'s file system."""
    filler = folder / "filler"
    with filler.open("wb", buffering=0) as out, contextlib.suppress(OSError):
        while True:
            out.write(b"\0" * 4096)
    return filler


def test_row11_a_full_disk_is_resource_exhausted_and_not_serving_until_a_write_succeeds(
    tmp_path: Path,
) -> None:
    _need_root("the disk-full test (it mounts a tmpfs)")
    with _tmpfs(tmp_path / "small", "8m") as disk:
        url = f"sqlite:///{disk / 'ledger.sqlite'}"
        with serving(tmp_path, url) as running, LedgerClient(running.address) as client:
            acknowledged = [observe(client, "CN-DANDONG", f"b-{n}").change_id for n in range(5)]
            filler = _fill(disk)
            codes = []
            for n in range(40):  # until the database's pages are used up too
                try:
                    receipt = observe(client, "CN-DANDONG", f"full-{n}", note="x" * 2000)
                    acknowledged.append(receipt.change_id)
                except LedgerClientError as error:
                    codes.append(error.code)
                    if error.code is Code.RESOURCE_EXHAUSTED:
                        message = error.message
                        break
            assert codes and codes[-1] is Code.RESOURCE_EXHAUSTED, codes
            assert set(codes) == {Code.RESOURCE_EXHAUSTED}, codes
            assert "no room" in message, message
            assert client.health() == "NOT_SERVING"
            assert client.get_office("CN-DANDONG").code == "CN-DANDONG"  # reads still answer
            filler.unlink()
            acknowledged.append(observe(client, "CN-DANDONG", "after").change_id)
            assert client.health() == "SERVING"
            stored = exported(client)
        assert {str(change) for change in acknowledged} <= set(event_ids(stored))
        assert "NOT_SERVING" in running.log() and "SERVING again" in running.log()
        report(
            f"row 11: disk full: {len(codes)} refusals, all RESOURCE_EXHAUSTED ({message}); "
            f"health NOT_SERVING until the next write succeeded; {len(stored)} events kept"
        )


def _restart_postgres() -> None:
    subprocess.run(["pg_ctlcluster", "15", "main", "restart"], check=True, timeout=120)


def test_row12_a_postgres_restart_under_writes_is_unavailable_and_retried(
    tmp_path: Path,
) -> None:
    need_postgres()
    _need_root("restarting PostgreSQL")
    if shutil.which("pg_ctlcluster") is None:
        pytest.fail("pg_ctlcluster is not installed: PostgreSQL 15 from Debian is expected")
    with postgres_schema("hard") as url, serving(tmp_path, url) as running:
        # Without the client's retries, to see what a write meeting the outage is told.
        plain = grpc.insecure_channel(running.address, options=[("grpc.enable_retries", 0)])
        refused: dict[str, Code] = {}
        receipts: dict[str, Any] = {}
        stop = threading.Event()

        def writer() -> None:
            with LedgerClient(channel=plain, timeout=10) as client:
                number = 0
                while not stop.is_set():
                    request_id = f"pg-{number}"
                    try:
                        receipts[request_id] = observe(client, "CN-DANDONG", request_id)
                    except LedgerClientError as error:
                        refused[request_id] = error.code
                    number += 1
                    time.sleep(0.02)

        thread = threading.Thread(target=writer, daemon=True)
        thread.start()
        time.sleep(1)
        _pg("restart")
        time.sleep(3)  # the writes go on after the restart
        stop.set()
        thread.join(30)
        # Whatever met the restart (the pool may also reconnect unseen) is UNAVAILABLE.
        assert set(refused.values()) <= {Code.UNAVAILABLE}, refused
        # With the database down, a write is UNAVAILABLE for certain, never UNKNOWN, and health
        # says NOT_SERVING until a write succeeds once it is back.
        again = grpc.insecure_channel(running.address, options=[("grpc.enable_retries", 0)])
        with LedgerClient(channel=again, timeout=20) as client:
            _pg("stop")
            try:
                with pytest.raises(LedgerClientError) as down:
                    observe(client, "CN-DANDONG", "while-down")
                refused["while-down"] = down.value.code
                health = client.health()
            finally:
                _pg("start")
        assert down.value.code is Code.UNAVAILABLE, down.value
        assert "retry it with the same request id" in down.value.message
        assert health == "NOT_SERVING"
        with LedgerClient(running.address) as client:
            # Sent again with the same request ids, each refused write is stored once (or
            # answered with its first receipt, if the outage took only its reply).
            for request_id in refused:
                receipts[request_id] = observe(client, "CN-DANDONG", request_id)
            stored = exported(client)
            assert client.health() == "SERVING"
        ids = event_ids(stored)
        assert len(set(ids)) == len(ids)
        observed = {str(receipt.change_id) for receipt in receipts.values()}
        assert observed <= set(ids)  # every acknowledged write is kept
        assert len(ids) == len(set(ids) - observed) + len(observed)
        assert len(observed) == len(receipts)  # no request stored twice
        assert len([i for i in ids if i in observed]) == len(receipts)
        report(
            f"row 12: PostgreSQL restarted under writes: {len(receipts) - len(refused)} "
            f"acknowledged, {len(refused)} UNAVAILABLE (one with the database stopped: "
            f"{down.value.message}) and stored once when sent again"
        )


def _pg(action: str) -> None:
    subprocess.run(["pg_ctlcluster", "15", "main", action], check=True, timeout=120)


_POISON = "this note makes the test's projection fail"


@contextlib.contextmanager
def _poisoning(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The test-only hook: this process's projections cannot apply an event with ``_POISON``
    as its note (the stored event is sound; the projection fails, as a NUL once made it)."""
    original = RuleProjection.process_events

    def process_events(self: RuleProjection, events: Sequence[tuple[Any, Any]]) -> None:
        if any(getattr(event, "note", "") == _POISON for event, _ in events):
            raise ValueError("the test's projection cannot apply this event")
        original(self, events)

    monkeypatch.setattr(RuleProjection, "process_events", process_events)
    yield


def test_row14_a_poisoned_event_leaves_the_service_answering(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    settings = Settings(database_url=url, listen="127.0.0.1:0", example=str(EXAMPLE))
    caplog.set_level(logging.ERROR, logger="ledger.readmodel")
    with _poisoning(monkeypatch):
        server = LedgerServer(settings)
        server.start()
        try:
            with LedgerClient(server.address) as client:
                before = client.check(
                    "CN-DANDONG", "2025-03-20", **_WORKER, items=[{"goods": "851660"}]
                )
                poisoned = client.record(
                    "observed", "CN-HUNCHUN", **{**OBSERVATION, "note": _POISON}
                )
                after = observe(client, "CN-CHANGBAI", "after-the-poison")
                # Still answering: other offices, as of the position before the poison.
                again = client.check(
                    "CN-DANDONG", "2025-03-20", **_WORKER, items=[{"goods": "851660"}]
                )
                assert again.items[0].verdict == before.items[0].verdict == "PROHIBITED"
                assert client.get_office("CN-HUNCHUN").code == "CN-HUNCHUN"
                assert client.health() == "SERVING"
                assert client.health("ledger.readmodel") == "NOT_SERVING"
                # Reading after the poison is refused at once, saying why (seen without the
                # client's retries, which would ask again: another server may have it).
                plain = grpc.insecure_channel(server.address, options=[("grpc.enable_retries", 0)])
                started = time.monotonic()
                with pytest.raises(grpc.RpcError) as stuck:
                    ledger_pb2_grpc.PolicyLedgerStub(plain).GetOffice(
                        pb.GetOfficeRequest(office="CN-CHANGBAI", min_position=after.position),
                        timeout=10,
                    )
                took = time.monotonic() - started
                plain.close()
            message = stuck.value.details()
            assert stuck.value.code() is Code.UNAVAILABLE
            assert f"stuck before position {poisoned.position}" in message, message
            assert "cannot apply" in message
            assert took < 1, took
            logged = caplog.text
            assert f"position {poisoned.position}" in logged and "cannot apply" in logged
        finally:
            server.stop()
        # The store audit names the event.
        audit = audit_store(Settings(database_url=url))
    assert not audit.ok
    named = [f for f in audit.findings if f.position == poisoned.position and "projected" in f.what]
    assert named and "cannot be projected" in named[0].what, audit.findings
    report(
        f"row 14: poisoned event at {poisoned.position}: answers kept, health "
        f"ledger.readmodel NOT_SERVING, min_position beyond refused in {took:.2f} s "
        f"({message}); audit: {named[0].what}"
    )


_WORKER = {
    "direction": WORKER_BAGGAGE["direction"],
    "channel": WORKER_BAGGAGE["channel"],
    "traveller": WORKER_BAGGAGE["traveller"],
}
