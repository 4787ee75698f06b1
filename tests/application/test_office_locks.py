"""Writes to one office, within one process, take turns; the wait for a turn is bounded."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from eventsourcing.persistence import IntegrityError

from ledger.application.office_locks import OfficeBusy, OfficeLocks
from ledger.bootstrap import Ledger
from tests.support import DANDONG, limit, record, register


def in_thread(target: Any) -> threading.Thread:
    thread = threading.Thread(target=target)
    thread.start()
    return thread


@contextmanager
def held_elsewhere(locks: OfficeLocks, code: str) -> Iterator[None]:
    """``code``'s lock held by another thread until the block ends."""
    held, release = threading.Event(), threading.Event()

    def holder() -> None:
        with locks.holding([code]):
            held.set()
            release.wait(10)

    thread = in_thread(holder)
    held.wait(10)
    try:
        yield
    finally:
        release.set()
        thread.join(10)


class TestOfficeLocks:
    def test_a_second_holder_of_an_office_waits_for_the_first(self) -> None:
        locks = OfficeLocks(timeout=10)
        order: list[str] = []
        entered = threading.Event()

        def second() -> None:
            entered.wait()
            with locks.holding(["CN-A"]):
                order.append("second")

        thread = in_thread(second)
        with locks.holding(["CN-A"]):
            entered.set()
            thread.join(0.2)  # the second is waiting, not done
            order.append("first")
        thread.join(10)
        assert order == ["first", "second"]

    def test_another_office_does_not_wait(self) -> None:
        locks = OfficeLocks(timeout=0.05)
        with locks.holding(["CN-A"]), locks.holding(["CN-B"]):
            pass  # CN-B was free although CN-A is held (the same thread, another office)

    def test_the_wait_is_bounded_and_names_the_office(self) -> None:
        locks = OfficeLocks(timeout=0.1)
        with held_elsewhere(locks, "CN-A"):
            busy = r"office CN-A is busy .* waited 0\.1 s .*try again"
            with pytest.raises(OfficeBusy, match=busy), locks.holding(["CN-B", "CN-A"]):
                pass
            # Refused, it let go of CN-B, which it had taken first.
            with locks.holding(["CN-B"]):
                pass

    def test_offices_are_taken_in_sorted_order_whatever_the_batchs_order(self) -> None:
        """A batch of CN-B and CN-A waiting for CN-B already holds CN-A: two batches of the same
        offices in opposite orders can therefore never each hold one the other waits for."""
        locks = OfficeLocks(timeout=10)

        def batch_of_b_and_a() -> None:
            with locks.holding(["CN-B", "CN-A"]):
                pass

        with held_elsewhere(locks, "CN-B"):
            batch = in_thread(batch_of_b_and_a)
            batch.join(0.2)  # waiting for CN-B
            locks.timeout = 0.1
            with pytest.raises(OfficeBusy, match="CN-A"), locks.holding(["CN-A"]):
                pass
        batch.join(10)

    def test_a_lock_exists_only_while_a_write_holds_or_awaits_it(self) -> None:
        locks = OfficeLocks(timeout=1)
        for number in range(100):
            with locks.holding([f"CN-{number}"]):
                pass
        assert len(locks._locks) == 0


def test_writers_in_one_process_never_lose_a_race_to_each_other(
    any_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Eight threads writing to one office: every write is stored, each at its own version,
    and no save found its version taken (the store's race was never run)."""
    register(any_ledger)
    save = any_ledger.app.save
    lost: list[int] = []

    def counted_save(*args: Any, **kwargs: Any) -> Any:
        try:
            return save(*args, **kwargs)
        except IntegrityError:
            lost.append(1)
            raise

    monkeypatch.setattr(any_ledger.app, "save", counted_save)
    start = threading.Barrier(8)
    receipts: list[Any] = []

    def writer(number: int) -> None:
        start.wait()
        for write in range(5):
            on = f"2024-01-{number * 3 + 1 + write % 3:02d}"
            receipts.append(record(any_ledger, "observed", limit(2), on))

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not lost
    assert sorted(receipt.office_version for receipt in receipts) == list(range(2, 42))


def test_a_write_that_cannot_have_its_office_in_time_is_refused_and_stores_nothing(
    any_ledger: Ledger,
) -> None:
    register(any_ledger)
    any_ledger.app.office_locks.timeout = 0.1
    with any_ledger.app.office_locks.holding([DANDONG]), pytest.raises(OfficeBusy, match=DANDONG):
        in_other_thread(lambda: record(any_ledger, "observed", limit(2), "2024-01-01"))
    assert any_ledger.app.recorder.max_notification_id() == 1


def in_other_thread(call: Any) -> None:
    """Run ``call`` in another thread (an office lock is not re-entrant) and raise what it
    raised here."""
    raised: list[BaseException] = []

    def run() -> None:
        try:
            call()
        except BaseException as error:
            raised.append(error)

    thread = in_thread(run)
    thread.join(30)
    if raised:
        raise raised[0]
