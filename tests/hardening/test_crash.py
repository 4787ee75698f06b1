"""Crash durability: writers keep writing, the server is killed (SIGKILL) at a random moment,
and restarted on the same database, round after round.

After every restart, every receipt acknowledged before any kill is in the log exactly once, at
its position and version, with its hash; a write that was in flight when the server died (no
answer) is there at most once, and sending it again with its request id stores it or returns
the receipt of the one stored, never a second event; an import in flight is there whole or
not at all; an acknowledged request sent again returns its first receipt; every logged check
acknowledged with a decision id (a checker logs them throughout, group commit sharing its
transactions) is in the decision log, which verifies; and the store audit passes. CI: 2 rounds
per backend; ``LEDGER_LONG=1``: 20.
"""

from __future__ import annotations

import itertools
import random
import signal
import threading
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from uuid import UUID

import pytest

from ledger_api.commands import change_id_for
from ledger_api.verify import event_hash
from ledger_client import LedgerClient, LedgerClientError, Receipt, command_message
from tests.e2e.support import RunningServer, start_server
from tests.hardening.support import (
    LONG,
    OBSERVATION,
    database,
    event_ids,
    exported,
    observe,
    report,
    store_audit,
)

# Alone: it times calls, races writers, kills or restarts what others would share.
pytestmark = [pytest.mark.hardening, pytest.mark.alone]

ROUNDS = 20 if LONG else 2
WRITERS = 4
IMPORT_BATCH = 3
# Acknowledged writes before the kill, at random in this range: the kill lands mid-stream.
KILL_AFTER = (5, 60) if LONG else (5, 35)
# A call to a dead server fails within this (the client retries UNAVAILABLE a few times).
TIMEOUT = 5.0
WAIT = 120.0


@dataclass
class Ledgerbook:
    """What the writers were told, across every round."""

    acknowledged: dict[str, Receipt] = field(default_factory=dict)
    # Sent, but no answer came (the server died): office and request ids of each call.
    in_doubt: list[tuple[str, list[str]]] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    progress: threading.Condition = field(default_factory=threading.Condition)
    # Decision ids of the logged checks acknowledged.
    decisions: list[UUID] = field(default_factory=list)


Send = Callable[[LedgerClient, int], tuple[str, list[str]]]


def _send(client: LedgerClient, office: str, request_ids: list[str]) -> list[Receipt]:
    """One observation, or a batch of them (an import, stored whole or not at all)."""
    if len(request_ids) == 1:
        return [observe(client, office, request_ids[0])]
    commands = [
        command_message("observe", {"request_id": rid, "office": office, **OBSERVATION})
        for rid in request_ids
    ]
    return list(client.import_commands(commands).receipts)


def _writer(address: str, book: Ledgerbook, killed: threading.Event, name: str, call: Send) -> None:
    """Write until the server dies; what was sent and not answered then is in doubt."""
    with LedgerClient(address, timeout=TIMEOUT) as client:
        for number in itertools.count():
            office, request_ids = call(client, number)
            try:
                receipts = _send(client, office, request_ids)
            except LedgerClientError as error:
                with book.lock:
                    if not killed.is_set():
                        book.failures.append(f"{name}: {error} before the kill")
                    book.in_doubt.append((office, request_ids))
                with book.progress:
                    book.progress.notify_all()
                return
            with book.lock:
                book.acknowledged.update(zip(request_ids, receipts, strict=True))
            with book.progress:
                book.progress.notify_all()


def _checker(address: str, book: Ledgerbook, office: str, round_: int) -> None:
    """Ask logged checks until the server dies; keep the decision id of each answered."""
    with LedgerClient(address, timeout=TIMEOUT) as client:
        for number in itertools.count():
            try:
                answer = client.check(
                    office,
                    "2025-06-01",
                    direction="outbound",
                    channel="personal-baggage",
                    items=[{"goods": "8516.60"}],
                    log=True,
                    label=f"crash-{round_}-{number}",
                )
            except LedgerClientError:
                return
            assert answer.decision_id is not None
            with book.lock:
                book.decisions.append(answer.decision_id)


def _round(
    server: RunningServer, book: Ledgerbook, offices: list[str], round_: int, kill_after: int
) -> int:
    """Write from every writer until ``kill_after`` more acknowledgements, then SIGKILL;
    returns the writes acknowledged in the round."""
    killed = threading.Event()
    start = len(book.acknowledged)
    calls: dict[str, Send] = {
        f"writer {w}": lambda _, n, w=w: (offices[w], [f"crash-{round_}-{w}-{n}"])
        for w in range(WRITERS)
    }
    calls["importer"] = lambda _, n: (
        offices[-1],
        [f"crash-{round_}-import-{n}-{k}" for k in range(IMPORT_BATCH)],
    )
    threads = [
        threading.Thread(target=_writer, args=(server.address, book, killed, name, call))
        for name, call in calls.items()
    ]
    threads.append(
        threading.Thread(target=_checker, args=(server.address, book, offices[0], round_))
    )
    for thread in threads:
        thread.start()
    with book.progress:
        reached = book.progress.wait_for(
            lambda: len(book.acknowledged) - start >= kill_after or bool(book.failures), WAIT
        )
    killed.set()
    assert server.stop(signal.SIGKILL) == -signal.SIGKILL
    for thread in threads:
        thread.join(WAIT)
        assert not thread.is_alive()
    assert reached, f"only {len(book.acknowledged) - start} writes in {WAIT}s"
    assert not book.failures, book.failures
    return len(book.acknowledged) - start


def _verify(client: LedgerClient, book: Ledgerbook) -> tuple[int, int]:
    """Everything acknowledged is there once; what was in doubt at most once, then settled by
    sending it again. Returns (events checked, writes in doubt that had been stored)."""
    events = exported(client)
    ids = event_ids(events)
    twice = [event_id for event_id, count in Counter(ids).items() if count > 1]
    assert not twice, f"events stored twice: {twice}"
    stored = dict(zip(ids, events, strict=True))
    for rid, receipt in book.acknowledged.items():
        event = stored.get(str(receipt.change_id))
        assert event is not None, f"acknowledged {rid} is lost: {receipt}"
        assert (event.position, event.office_version) == (receipt.position, receipt.office_version)
        assert event_hash(event.type, event.stored_json) == receipt.hash
    # Settle the doubt: each call in flight at the kill is sent again, as it was.
    had_been_stored = 0
    for office, request_ids in book.in_doubt:
        was = [stored.get(str(change_id_for(rid))) for rid in request_ids]
        assert all(was) or not any(was), f"a batch was stored in part: {request_ids}"
        receipts = _send(client, office, request_ids)
        for rid, receipt, event in zip(request_ids, receipts, was, strict=True):
            if event is not None:
                had_been_stored += 1
                assert receipt.position == event.position, f"{rid} was stored twice"
            book.acknowledged[rid] = receipt
    book.in_doubt.clear()
    # An acknowledged request sent again (an observation, or a command of an import, sent
    # alone) returns its first receipt, and stores nothing.
    before = client.get_digest()
    for rid in random.sample(sorted(book.acknowledged), min(50, len(book.acknowledged))):
        first = book.acknowledged[rid]
        assert observe(client, first.office, rid) == first
    assert client.get_digest() == before
    events = exported(client)
    assert len(set(event_ids(events))) == len(events)
    assert {str(r.change_id) for r in book.acknowledged.values()} <= set(event_ids(events))
    # Every decision acknowledged is logged, and the log's chain holds.
    audit = client.verify_decisions()
    assert audit.ok, audit.problems
    logged = {decision.decision_id for decision in client.all_decisions()}
    lost = [decision for decision in book.decisions if decision not in logged]
    assert not lost, f"acknowledged decisions lost: {lost[:5]}"
    return len(events), had_been_stored


def test_every_acknowledged_write_survives_sigkill_exactly_once(
    backend: str, tmp_path: Path
) -> None:
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    book = Ledgerbook()
    offices = [f"CN-CRASH{number}" for number in range(WRITERS + 1)]
    checked = in_doubt_stored = 0
    with database(backend, tmp_path / "db") as url:
        server = start_server(tmp_path / "server-0", database_url=url, example=False)
        try:
            with LedgerClient(server.address) as client:
                for office in offices:
                    client.register_office(office, f"{office} customs")
            for round_ in range(ROUNDS):
                _round(server, book, offices, round_, rng.randint(*KILL_AFTER))
                server = start_server(
                    tmp_path / f"server-{round_ + 1}", database_url=url, example=False
                )
                with LedgerClient(server.address) as client:
                    events, stored = _verify(client, book)
                checked += events
                in_doubt_stored += stored
                store_audit(url)
        finally:
            server.stop()
    report(
        f"crash {backend}: {ROUNDS} SIGKILLs survived (seed {seed}); "
        f"{len(book.acknowledged)} receipts each held exactly once, "
        f"{len(book.decisions)} logged decisions kept "
        f"({in_doubt_stored} of the writes in flight at a kill had been stored); "
        f"{checked} events checked"
    )
