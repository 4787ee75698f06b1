"""Concurrency: eight writers on one office, through one server, on SQLite and PostgreSQL.

Half of them state the version they read (``expected_version``): when another write got there
first they are refused with ABORTED (``LedgerClientError.code``), write nothing, read again and
try again under a new request id. The other half state none: within the server, writes to
one office take turns (``OfficeLocks``), so each of their writes succeeds. Every writer sends
each acknowledged request a second time, which returns the same receipt. Afterwards the
office's history holds every acknowledged write exactly once, at its version, versions run
1..N without a gap, nothing refused was written, and the hash chain replays
(``LedgerClient.audit``).
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import grpc
import pytest

from ledger_api.commands import change_id_for
from ledger_api.verify import event_hash
from ledger_client import LedgerClient, LedgerClientError, Receipt
from tests.hardening.support import LONG, database, exported, observe, report, serving

# Alone: it times calls, races writers, kills or restarts what others would share.
pytestmark = [pytest.mark.hardening, pytest.mark.alone]

WRITERS = 8
EXPECTING = 4  # writers 0-3 state the version they read
WRITES = 40 if LONG else 8  # acknowledged writes per writer
ATTEMPTS = 500  # per write of an expecting writer, before the test gives up on it
OFFICE = "CN-RACE"


@dataclass
class Tally:
    acknowledged: dict[str, Receipt] = field(default_factory=dict)
    aborted: list[str] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _writer(address: str, number: int, tally: Tally, start: threading.Barrier) -> None:
    expecting = number < EXPECTING
    with LedgerClient(address) as client:
        start.wait()
        for write in range(WRITES):
            for attempt in range(ATTEMPTS):
                rid = f"race-{number}-{write}-{attempt}"
                version = client.get_office(OFFICE).version if expecting else None
                try:
                    receipt = observe(client, OFFICE, rid, expected_version=version)
                except LedgerClientError as error:
                    if expecting and error.code is grpc.StatusCode.ABORTED:
                        with tally.lock:
                            tally.aborted.append(rid)
                        continue
                    with tally.lock:
                        tally.failures.append(f"writer {number}, {rid}: {error}")
                    return
                again = observe(client, OFFICE, rid, expected_version=version)
                with tally.lock:
                    tally.acknowledged[rid] = receipt
                    if again != receipt:
                        tally.failures.append(f"{rid} sent again: {again}, first {receipt}")
                    if version is not None and receipt.office_version != version + 1:
                        tally.failures.append(f"{rid} expected {version}, wrote {receipt}")
                break
            else:
                with tally.lock:
                    tally.failures.append(f"writer {number}: {ATTEMPTS} attempts all aborted")
                return


def test_eight_writers_on_one_office_lose_nothing_and_duplicate_nothing(
    backend: str, tmp_path: Path
) -> None:
    tally = Tally()
    with database(backend, tmp_path / "db") as url, serving(tmp_path, url) as server:
        with LedgerClient(server.address) as client:
            registered = client.register_office(OFFICE, "Race customs")
        start = threading.Barrier(WRITERS)
        threads = [
            threading.Thread(target=_writer, args=(server.address, number, tally, start))
            for number in range(WRITERS)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(300)
            assert not thread.is_alive()
        assert not tally.failures, tally.failures
        with LedgerClient(server.address) as client:
            history = list(client.history(OFFICE))
            audit = client.audit()
            stored = {event.position: event for event in exported(client)}

    receipts = [registered, *tally.acknowledged.values()]
    assert len(tally.acknowledged) == WRITERS * WRITES
    # Versions run 1..N, and each acknowledged write is the one at its version.
    assert [event.office_version for event in history] == list(range(1, len(receipts) + 1))
    by_version = {event.office_version: event for event in history}
    for receipt in receipts:
        event = by_version[receipt.office_version]
        assert event.event_id == receipt.change_id
        stored_event = stored[receipt.position]
        assert event_hash(stored_event.type, stored_event.stored_json) == receipt.hash
    counts = Counter(event.event_id for event in history)
    assert max(counts.values()) == 1
    # Refused writes wrote nothing; and there were refusals to check.
    assert tally.aborted
    assert not {change_id_for(rid) for rid in tally.aborted} & set(counts)
    assert audit.ok, audit.problems
    assert audit.events == len(stored)
    report(
        f"concurrency {backend}: {WRITERS} writers, {len(tally.acknowledged)} writes "
        f"acknowledged and each held once (versions 1..{len(history)} contiguous), "
        f"{len(tally.aborted)} stale expected versions refused with ABORTED, chain intact"
    )
