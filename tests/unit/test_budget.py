"""The check budget and the long-call places: what they count, and that a refusal's advice
leads to a request they accept."""

from __future__ import annotations

import re
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledger.application.importer import import_file
from ledger.bootstrap import Ledger
from ledger.domain.errors import Exhausted
from ledger.domain.goods import hs_prefixes
from ledger.domain.values import Source
from ledger.readmodel.answers import CheckRequest, CompareRequest, Ruling
from ledger.server.budget import AnswerBudget, check_lookups, lookups
from ledger.server.limits import Places
from ledger_api.convert import Shared, from_model
from ledger_api.ledger.v1 import ledger_pb2 as pb
from tests.e2e.support import EXAMPLE

QUESTION = {"at": "2025-04-01", "direction": "outbound", "channel": "cargo-road"}
GOODS = ["luxury", "electronics", "7113", "851660", "cash"]


def _compare(offices: int, goods: list[str]) -> CompareRequest:
    return CompareRequest.model_validate(
        {
            **QUESTION,
            "offices": [f"CN-B{n}" for n in range(offices)],
            "items": [{"goods": g} for g in goods],
        }
    )


def test_lookups_count_offices_items_and_the_prefixes_each_goods_covers() -> None:
    request = _compare(3, ["luxury", "7113"])
    assert lookups(request) == 3 * (len(hs_prefixes("luxury")) + 1)
    assert len(hs_prefixes("luxury")) > 1  # the category expands: the count is not items
    single = CheckRequest.model_validate(
        {**QUESTION, "office": "CN-B0", "items": [{"goods": "luxury"}] * 4}
    )
    assert lookups(single) == 4 * len(hs_prefixes("luxury"))
    # An office named twice is looked up once (the comparison answers it once).
    assert lookups(_compare(1, ["7113"]).model_copy(update={"offices": ("CN-B0",) * 2})) == 1


def test_a_request_within_the_budget_is_not_refused() -> None:
    request = _compare(2, ["7113"] * 10)
    check_lookups(request, lookups(request))  # at the budget exactly: accepted
    with pytest.raises(Exhausted, match="LEDGER_MAX_LOOKUPS"):
        check_lookups(request, lookups(request) - 1)


@given(
    offices=st.integers(1, 500),
    goods=st.lists(st.sampled_from(GOODS), min_size=1, max_size=300),
    limit=st.integers(13, 50_000),
)
def test_the_split_a_refusal_advises_is_within_the_budget(
    offices: int, goods: list[str], limit: int
) -> None:
    request = _compare(offices, goods)
    try:
        check_lookups(request, limit)
    except Exhausted as refused:
        advice = str(refused)
        per_office = lookups(_compare(1, goods))
        if found := re.search(r"at most (\d+) offices per call", advice):
            assert lookups(_compare(int(found.group(1)), goods)) <= limit
        elif "one office per call" in advice:
            assert per_office <= limit
        else:
            found = re.search(r"at most (\d+) items", advice)
            assert found, advice
            # That many items like these (on average), at one office, fit the budget.
            fit = int(found.group(1))
            assert fit >= 1 and fit * per_office / len(goods) <= max(limit, per_office / len(goods))
    else:
        assert lookups(request) <= limit


def test_places_of_a_kind_and_the_shared_places_both_bound_long_calls() -> None:
    shared = threading.BoundedSemaphore(3)
    watches, waits = Places("watches", 2, shared), Places("waits", 2, shared)
    first, second = watches.take(), watches.take()
    assert first and second
    assert watches.take() is None  # the kind's own limit
    third = waits.take()
    assert third is not None
    assert waits.take() is None  # the kind has room, the server's long-call places do not
    first()
    first()  # giving a place back twice gives it back once
    again = waits.take()
    assert again is not None and waits.take() is None
    for release in (second, third, again):
        release()
    assert [shared.acquire(blocking=False) for _ in range(4)] == [True, True, True, False]


@pytest.mark.parametrize(
    ("at", "goods", "traveller"),
    [
        ("2025-03-20", "8516.60", "worker"),  # prohibited: rulings and sources
        ("2025-03-05", "851660", "worker"),  # uncertain: two candidates
        ("2025-03-20", "8501", "worker"),  # no rule: a short answer
        ("2025-03-20", "electronics", "trader"),
    ],
)
def test_an_answer_is_budgeted_at_about_its_size_never_less(
    ledger: Ledger, at: str, goods: str, traveller: str
) -> None:
    import_file(ledger.app, EXAMPLE)
    shared = Shared((Ruling, Source))
    request = CheckRequest.model_validate(
        {
            "office": "CN-DANDONG",
            "at": at,
            "direction": "outbound",
            "channel": "personal-baggage",
            "traveller": traveller,
            "items": [{"goods": goods}] * 3,
        }
    )
    budget = AnswerBudget(request, shared, lambda: True)
    result = ledger.reader.check(request, budget)
    sent = from_model(result, pb.CheckResponse(), shared).ByteSize()
    assert sent <= budget.bytes <= 2 * sent + 200, (sent, budget.bytes)
