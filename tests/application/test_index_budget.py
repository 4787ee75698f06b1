"""The rule index keeps at most its budget of revisions in memory: offices asked about least
recently are dropped and read again when asked about, and answers never change for it."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.bootstrap import Ledger
from ledger.settings import Settings
from tests.support import PROHIBITED, check, limit, record, register, state

OFFICES = ["CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI", "CN-TUMEN"]
DAYS = ["2025-01-10", "2025-02-10", "2025-03-10", "2025-04-10"]


def fill(ledger: Ledger) -> None:
    for number, office in enumerate(OFFICES):
        register(ledger, office)
        for month in range(1, 4 + number):  # 3, 4, 5, 6 revisions
            record(ledger, "observed", limit(month), f"2025-{month:02d}-05", office=office)


@pytest.fixture
def small(tmp_path: Path) -> Iterator[Ledger]:
    """A ledger whose index holds two of these offices at most: a check of a worker's rice
    cooker reads 14 scopes (7 goods, 2 travellers), one of them with the office's 3 to 6
    revisions, and counts one for each empty scope: 16 to 19 per office."""
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'small.sqlite'}", index_revisions=40)
    with Ledger(settings) as ledger:
        fill(ledger)
        yield ledger


@pytest.fixture
def large(tmp_path: Path) -> Iterator[Ledger]:
    with Ledger(Settings(database_url=f"sqlite:///{tmp_path / 'large.sqlite'}")) as ledger:
        fill(ledger)
        yield ledger


def answers(ledger: Ledger) -> list[object]:
    """Each answer without its ids (the two ledgers' request ids differ)."""
    return [
        check(ledger, day, office=office, quantity=3).model_dump(
            exclude={"event_ids": True, "governing": {"change_id", "event_ids"}, "candidates": True}
        )
        for office in OFFICES
        for day in DAYS
    ]


def test_answers_do_not_depend_on_the_budget(small: Ledger, large: Ledger) -> None:
    assert answers(small) == answers(large)
    assert answers(small) == answers(large)  # again, after offices were dropped and reloaded
    assert small.index.loaded <= small.index.budget
    assert len(small.index._offices) == 2
    assert large.index.loaded == sum(3 + number + 13 for number in range(4))
    assert len(large.index._offices) == 4


def test_least_recently_asked_offices_are_dropped_first(small: Ledger) -> None:
    small.index.clear()
    small.index.position = small.follower.position
    for office in OFFICES[:2]:  # 3 + 4 revisions
        check(small, "2025-03-10", office=office)
    check(small, "2025-03-10", office=OFFICES[0])  # DANDONG is now the most recent
    check(small, "2025-03-10", office=OFFICES[2])  # + 5: HUNCHUN goes
    loaded = set(small.index._offices)
    assert loaded == {OFFICES[0], OFFICES[2]}
    assert small.index.loaded == (3 + 13) + (5 + 13)


def test_an_office_larger_than_the_budget_is_still_answered(tmp_path: Path) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'tiny.sqlite'}", index_revisions=1)
    with Ledger(settings) as ledger:
        fill(ledger)
        assert check(ledger, "2025-04-10", office=OFFICES[3], quantity=3).verdict == "ALLOWED"
        assert check(ledger, "2025-01-10", office=OFFICES[3], quantity=3).verdict == (
            "LIMIT_EXCEEDED"
        )
        assert list(ledger.index._offices) == [OFFICES[3]]


def test_a_change_to_a_dropped_office_is_seen_when_it_is_read_again(small: Ledger) -> None:
    for office in OFFICES:  # DANDONG is dropped on the way
        check(small, "2025-03-10", office=office)
    assert OFFICES[0] not in small.index._offices
    record(small, "tightened", PROHIBITED, "2025-03-08", office=OFFICES[0])
    assert check(small, "2025-03-10", office=OFFICES[0]).verdict == "PROHIBITED"
    # And a loaded office is kept current by the projection, not read again.
    record(small, "loosened", limit(9), "2025-03-09", office=OFFICES[0])
    assert OFFICES[0] in small.index._offices
    assert check(small, "2025-03-10", office=OFFICES[0], quantity=9).verdict == "ALLOWED"


def test_a_scope_not_yet_read_is_read_with_the_changes_made_since(small: Ledger) -> None:
    check(small, "2025-03-10", office=OFFICES[0])  # reads the worker's baggage scopes only
    road = {"direction": "outbound", "channel": "cargo-road", "traveller": "trader", "goods": "85"}
    assert not any(key[1] == "cargo-road" for key in small.index._offices[OFFICES[0]].scopes)
    record(small, "observed", PROHIBITED, "2025-03-01", office=OFFICES[0], scope=road)
    answer = check(small, "2025-03-10", office=OFFICES[0], **{**road, "goods": "8516.60"})
    assert answer.verdict == "PROHIBITED"


def test_a_state_lists_every_scope_after_a_check_read_some(small: Ledger) -> None:
    road = {"direction": "outbound", "channel": "cargo-road", "traveller": "trader", "goods": "85"}
    record(small, "observed", PROHIBITED, "2025-03-01", office=OFFICES[1], scope=road)
    check(small, "2025-03-10", office=OFFICES[1])  # reads the worker's baggage scopes only
    scopes = state(small, "2025-03-10", office=OFFICES[1]).scopes
    assert {(scope.scope.channel, scope.scope.goods) for scope in scopes} == {
        ("personal-baggage", "electronics"),
        ("cargo-road", "85"),
    }
    # The state read the whole office: checks of other scopes need no more reads, and agree.
    assert check(small, "2025-03-10", office=OFFICES[1], **{**road, "goods": "85"}).verdict == (
        "PROHIBITED"
    )
