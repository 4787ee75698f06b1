"""The decision log's values, its hash chain, and its group commit (``DecisionWriter``) on the
in-memory store."""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from uuid import UUID, uuid4

import pytest

from ledger.application.decisions import (
    Decision,
    DecisionWriter,
    NewDecision,
    canonical_text,
    chained,
    decision_hash,
)
from ledger.domain.chain import GENESIS
from ledger.domain.errors import StorageUnavailable, Unavailable
from ledger.storage.memory import MemoryDecisionStore

DIGEST = "ab" * 32


def new(label: str = "", **fields: object) -> NewDecision:
    values: dict[str, object] = {
        "asked_at": datetime(2025, 3, 15, 9, 30, 0, 123456, tzinfo=UTC),
        "asked_by": "desk-3",
        "label": label,
        "rpc": "Check",
        "request": canonical_text({"office": "CN-DANDONG", "goods": "rice cooker"}),
        "answer": canonical_text({"verdict": "ALLOWED"}),
        "position": 12,
        "digest": DIGEST,
        "event_ids": (UUID(int=7),),
        **fields,
    }
    return NewDecision(**values)  # type: ignore[arg-type]


def assert_chained(decisions: Sequence[Decision]) -> None:
    """Sequences 1, 2, 3, ..., each linked to the one before, each hash its fields'."""
    prev_hash = GENESIS
    for number, decision in enumerate(decisions, start=1):
        assert decision.sequence == number
        assert decision.prev_hash == prev_hash
        assert decision.hash == decision_hash(decision)
        prev_hash = decision.hash


def wait_until(condition: Callable[[], bool], seconds: float = 5) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "waited too long"
        time.sleep(0.001)


class SpyStore(MemoryDecisionStore):
    """The in-memory store, counting its appends (one each: a transaction), each taking
    ``delay`` seconds, or waiting for ``gate``, or failing with ``error``."""

    def __init__(self, delay: float = 0.0) -> None:
        super().__init__()
        self.delay = delay
        self.appends: list[int] = []
        self.gate: threading.Event | None = None
        self.entered = threading.Event()
        self.error: Exception | None = None

    def append(self, decisions: Sequence[NewDecision]) -> list[Decision]:
        self.appends.append(len(decisions))
        self.entered.set()
        if self.gate is not None:
            self.gate.wait(10)
        if self.error is not None:
            raise self.error
        threading.Event().wait(self.delay)
        return super().append(decisions)


class TestADecision:
    def test_its_hash_is_over_its_type_and_the_canonical_json_of_every_other_field(self) -> None:
        [decision] = chained([new("first")], None)
        fields = {
            "decision_id": str(decision.decision_id),
            "sequence": 1,
            "asked_at": "2025-03-15T09:30:00.123456+00:00",
            "asked_by": "desk-3",
            "label": "first",
            "rpc": "Check",
            "request": '{"goods":"rice cooker","office":"CN-DANDONG"}',
            "answer": '{"verdict":"ALLOWED"}',
            "position": 12,
            "digest": DIGEST,
            "event_ids": [str(UUID(int=7))],
            "prev_hash": GENESIS,
        }
        text = json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        assert decision.hash == hashlib.sha256(b"Decision\n" + text.encode()).hexdigest()

    @pytest.mark.parametrize(
        ("name", "value"),
        [
            ("decision_id", uuid4()),
            ("sequence", 2),
            ("asked_at", datetime(2025, 3, 15, 9, 30, tzinfo=UTC)),
            ("asked_by", "desk-4"),
            ("label", "other"),
            ("rpc", "CompareOffices"),
            ("request", "{}"),
            ("answer", '{"verdict":"PROHIBITED"}'),
            ("position", 13),
            ("digest", "cd" * 32),
            ("event_ids", ()),
            ("prev_hash", "1" * 64),
        ],
    )
    def test_changing_any_field_changes_its_hash(self, name: str, value: object) -> None:
        [decision] = chained([new()], None)
        assert decision_hash(replace(decision, **{name: value})) != decision.hash

    def test_decisions_are_numbered_and_chained_after_the_last(self) -> None:
        first = chained([new("a"), new("b")], None)
        later = chained([new("c")], first[-1])
        assert_chained([*first, *later])
        assert [d.label for d in [*first, *later]] == ["a", "b", "c"]

    def test_it_is_kept_in_utc(self) -> None:
        korea = timezone(timedelta(hours=9))
        decision = new(asked_at=datetime(2025, 3, 15, 18, 30, tzinfo=korea))
        assert decision.asked_at == datetime(2025, 3, 15, 9, 30, tzinfo=UTC)
        assert decision.asked_at.utcoffset() == timedelta(0)

    @pytest.mark.parametrize(
        ("fields", "message"),
        [
            ({"asked_at": datetime(2025, 3, 15)}, "has no timezone"),
            ({"rpc": "State"}, "a logged decision answers one of"),
            ({"digest": "AB" * 32}, "is not a ledger digest"),
            ({"position": -1}, "is not a ledger digest"),
        ],
    )
    def test_a_malformed_decision_is_refused(self, fields: dict[str, object], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            new(**fields)


class TestTheDecisionWriter:
    def test_many_callers_at_once_share_transactions_and_get_their_own_decisions(self) -> None:
        store = SpyStore(delay=0.01)
        writer = DecisionWriter(store)
        callers = 64
        barrier = threading.Barrier(callers)
        got: dict[str, Decision] = {}

        def log(number: int) -> None:
            barrier.wait()
            got[f"caller {number}"] = writer.log(new(f"caller {number}"), timeout=10)

        threads = [threading.Thread(target=log, args=(n,)) for n in range(callers)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        writer.close()
        stored = store.list(0, 1000)
        assert len(stored) == callers
        assert_chained(stored)
        assert all(decision.label == label for label, decision in got.items())
        assert {d.decision_id for d in got.values()} == {d.decision_id for d in stored}
        assert sum(store.appends) == callers
        assert len(store.appends) < callers, store.appends

    def test_a_storage_error_fails_every_caller_of_its_transaction(self) -> None:
        store = SpyStore()
        store.gate = threading.Event()
        writer = DecisionWriter(store)
        errors: list[BaseException] = []

        def log() -> None:
            try:
                writer.log(new(), timeout=10)
            except StorageUnavailable as error:
                errors.append(error)

        first = threading.Thread(target=log)
        first.start()
        assert store.entered.wait(5)  # the first transaction is open: the others wait behind
        store.error = StorageUnavailable("the database went away")
        others = [threading.Thread(target=log) for _ in range(5)]
        for thread in others:
            thread.start()
        wait_until(lambda: len(writer._waiting) == 5)
        store.gate.set()
        for thread in [first, *others]:
            thread.join()
        assert len(errors) == 6
        assert all(str(error) == "the database went away" for error in errors)
        assert store.appends == [1, 5]
        store.error = None  # the writer goes on after a failed transaction
        assert writer.log(new(), timeout=10).sequence == 1
        writer.close()

    def test_a_caller_waits_no_longer_than_its_timeout(self) -> None:
        store = SpyStore()
        store.gate = threading.Event()
        writer = DecisionWriter(store)
        taken = threading.Thread(target=lambda: writer.log(new("taken"), timeout=10))
        taken.start()
        assert store.entered.wait(5)
        with pytest.raises(Unavailable, match=r"within 0\.05 s: it was not stored"):
            writer.log(new("queued"), timeout=0.05)  # behind the open transaction
        store.gate.set()
        taken.join()
        writer.close()
        assert [d.label for d in store.list(0, 10)] == ["taken"]

    def test_a_caller_whose_decision_is_being_stored_is_told_it_may_be(self) -> None:
        store = SpyStore()
        store.gate = threading.Event()
        writer = DecisionWriter(store)
        with pytest.raises(Unavailable, match=r"within 0\.5 s: it may still be stored"):
            writer.log(new("slow"), timeout=0.5)
        store.gate.set()
        writer.close()
        assert [d.label for d in store.list(0, 10)] == ["slow"]

    def test_closing_stores_what_is_waiting_and_refuses_more(self) -> None:
        store = SpyStore()
        store.gate = threading.Event()
        writer = DecisionWriter(store)
        threads = [
            threading.Thread(target=writer.log, args=(new(str(n)),), kwargs={"timeout": 10})
            for n in range(20)
        ]
        for thread in threads:
            thread.start()
        assert store.entered.wait(5)
        # Some in the open transaction, the others waiting behind it.
        wait_until(lambda: store.appends[0] + len(writer._waiting) == 20)
        closing = threading.Thread(target=writer.close)
        closing.start()
        wait_until(lambda: writer._closed)
        store.gate.set()
        for thread in [closing, *threads]:
            thread.join()
        assert sorted(int(d.label) for d in store.list(0, 100)) == list(range(20))
        assert len(store.appends) == 2  # what waited went in one transaction
        assert sum(store.appends) == 20
        with pytest.raises(Unavailable, match="the decision log is closed"):
            writer.log(new(), timeout=1)

    def test_closing_a_writer_never_used_starts_nothing(self) -> None:
        writer = DecisionWriter(SpyStore())
        writer.close()
        assert writer._thread is None
