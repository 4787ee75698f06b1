"""The projection follows a save with the events as they were written, not decoded again from
the store; what another writer stored in between is read from the store; and an event the
projection cannot apply stops it there, as when it is read from the store."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from ledger.application.commands import RecordChange, RegisterOffice
from ledger.bootstrap import Ledger
from ledger.readmodel.follower import ProjectionFollower
from ledger.settings import Settings
from ledger_api.commands import change_id_for
from tests.support import (
    DANDONG,
    WORKER_BAGGAGE,
    burn_a_position,
    check,
    limit,
    record,
    register,
    source,
)


def _commands(count: int, first_day: int = 0) -> list[Any]:
    """``count`` observations at DANDONG, one a day from 2020-01-01 + ``first_day``, the
    n-th (from 0) a limit of n + 1 + ``first_day``."""
    start = date(2020, 1, 1) + timedelta(days=first_day)
    return [
        RecordChange(
            request_id=f"follow-{first_day + number}",
            office=DANDONG,
            kind="observed",
            scope=WORKER_BAGGAGE,
            measure=limit(first_day + number + 1),
            effective={"on": str(start + timedelta(days=number)), "precision": "day"},
            sources=(source("2020-01-01"),),
        )
        for number in range(count)
    ]


def _limit_holds(ledger: Ledger, at: str, quantity: int) -> bool:
    """Whether ``quantity`` is the limit in force at ``at`` (the governing change's)."""
    governing = check(ledger, at).governing
    return governing is not None and governing.measure.admissibility.quantity == quantity


def _read_model(ledger: Ledger) -> tuple[Any, ...]:
    revisions = sorted(ledger.view.revisions_of_office(DANDONG), key=lambda r: (r.seq, r.rev))
    return ledger.view.latest_checkpoint(), ledger.view.get_office(DANDONG), revisions


@pytest.fixture
def decoded(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Counts every event decoded from the store by any ledger's mapper."""
    from ledger.storage.factory import PydanticMapper

    calls: list[int] = []
    original = PydanticMapper.to_domain_event

    def counting(self: PydanticMapper, stored: Any) -> Any:
        calls.append(stored.originator_version)
        return original(self, stored)

    monkeypatch.setattr(PydanticMapper, "to_domain_event", counting)
    return calls


def test_a_save_is_projected_from_its_events_as_written(
    any_ledger: Ledger, decoded: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    register(any_ledger)
    # More than one run of the projection in one save.
    monkeypatch.setattr(ProjectionFollower, "WRITTEN_RUN", 500)
    any_ledger.app.execute_batch(_commands(1_201))
    assert decoded == []  # nothing read back from the store to project it
    assert any_ledger.follower.position == 1_202
    projected = _read_model(any_ledger)
    assert _limit_holds(any_ledger, "2024-01-01", 1_201)

    any_ledger.rebuild()  # every event decoded from the store this time
    assert len(decoded) == 1_202
    assert _read_model(any_ledger) == projected


def test_what_another_writer_stored_in_between_is_read_from_the_store(
    sqlite_url: str, decoded: list[int]
) -> None:
    with (
        Ledger(Settings(database_url=sqlite_url)) as a,
        Ledger(Settings(database_url=sqlite_url)) as b,
    ):
        register(a)
        b.app.on_saved.clear()  # b writes without following: a finds its events in the store
        b.app.execute_batch(_commands(3))
        decoded.clear()
        a.app.execute_batch(_commands(2, first_day=3))
        # b's three events are decoded (to load the office, and to project them); a's own
        # two, at versions 5 and 6, are projected as written.
        assert set(decoded) == {2, 3, 4}
        assert a.follower.position == 6
        projected = _read_model(a)
        a.rebuild()
        assert _read_model(a) == projected
        assert _limit_holds(a, "2020-01-05", 5)


def test_a_written_event_the_projection_cannot_apply_stops_it_just_before(
    any_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
) -> None:
    register(any_ledger)
    commands = _commands(5)
    poisoned = change_id_for(commands[2].request_id)
    process = any_ledger.projection.process_events

    def refusing(events: Any) -> None:
        if any(event.event_id == poisoned for event, _ in events):
            raise ValueError("cannot apply this one")
        process(events)

    monkeypatch.setattr(any_ledger.projection, "process_events", refusing)
    receipts = any_ledger.app.execute_batch(commands).receipts
    stuck = any_ledger.follower.stuck
    assert stuck is not None
    assert stuck.position == receipts[2].position
    assert "cannot apply this one" in stuck.reason
    assert any_ledger.follower.position == receipts[1].position  # the two before it applied
    assert _limit_holds(any_ledger, "2020-01-05", 2)  # the last applied, days later


def test_an_office_registered_and_changed_in_one_save_is_projected(any_ledger: Ledger) -> None:
    any_ledger.app.execute_batch(
        [
            RegisterOffice(request_id="follow-register", office=DANDONG, name="Dandong"),
            *_commands(2),
        ]
    )
    assert any_ledger.view.get_office(DANDONG) is not None
    record(any_ledger, "observed", limit(9), "2021-01-01")
    assert _limit_holds(any_ledger, "2021-06-01", 9)


def test_a_gap_in_positions_before_a_save_is_stepped_over(postgres_url: str) -> None:
    """PostgreSQL's positions come from a sequence: a rolled-back insert leaves a gap, and
    the events after it are still projected as written."""

    with Ledger(Settings(database_url=postgres_url)) as ledger:
        register(ledger)
        burn_a_position(postgres_url)
        receipts = ledger.app.execute_batch(_commands(2)).receipts
        assert [r.position for r in receipts] == [3, 4]  # position 2 was never used
        assert ledger.follower.position == 4
        assert _limit_holds(ledger, "2020-01-05", 2)


def test_a_write_by_another_just_after_a_save_is_seen_by_the_next_question(
    sqlite_url: str,
) -> None:
    """The save's own events are projected up to its last; another writer's event committed
    right after it is not missed by the next question."""
    with (
        Ledger(Settings(database_url=sqlite_url)) as a,
        Ledger(Settings(database_url=sqlite_url)) as b,
    ):
        register(a)
        b.app.on_saved.clear()
        interleaved = _commands(1, first_day=9)

        def other_writer_first(_saved: object) -> None:
            if interleaved:
                b.app.execute_batch([interleaved.pop()])  # committed before a follows

        a.app.on_saved.insert(0, other_writer_first)
        a.app.execute_batch(_commands(2))
        assert a.follower.position == 3  # a's save, projected up to its last event
        assert _limit_holds(a, "2020-01-20", 10)  # the question catches up with b's
        assert a.follower.position == 4
