"""``from_model`` (replies built from result models, sub-messages memoised) must write exactly
what ``from_data`` writes from the model's JSON dump: the fast path may not change the wire."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from google.protobuf.message import Message
from pydantic import BaseModel

from ledger.application.importer import import_file
from ledger.bootstrap import Ledger
from ledger.domain.values import Source
from ledger.readmodel.answers import CheckRequest, Ruling, StateRequest
from ledger.settings import Settings
from ledger_api.convert import Shared, from_data, from_model
from ledger_api.ledger.v1 import ledger_pb2 as pb

EXAMPLE = Path(__file__).parents[2] / "examples" / "dandong-2025.jsonl"
DAYS = ["2024-06-01", "2025-02-20", "2025-03-05", "2025-03-20", "2025-04-28", "2025-12-31"]
ITEMS = [
    {"goods": "8516.60", "quantity": 1},
    {"goods": "8516.60", "quantity": 3},
    {"goods": "electronics"},
]
SHARED = Shared((Ruling, Source))  # as the server shares them
KNOWN = [None, date(2025, 3, 15), datetime(2025, 3, 6, 12, tzinfo=UTC)]


@pytest.fixture(scope="module")
def story() -> Iterator[Ledger]:
    with Ledger(Settings(database_url="memory://")) as ledger:
        import_file(ledger.app, EXAMPLE)
        yield ledger


def both(model: BaseModel, message: type[Message]) -> tuple[Message, Message]:
    return from_model(model, message(), SHARED), from_data(model.model_dump(mode="json"), message())


@pytest.mark.parametrize("at", DAYS)
@pytest.mark.parametrize(
    "known_at", [None, date(2025, 3, 15), datetime(2025, 3, 6, 12, tzinfo=UTC)]
)
def test_check_replies_are_the_same_either_way(
    story: Ledger, at: str, known_at: date | datetime | None
) -> None:
    for traveller in ("worker", "trader", "any"):
        for channel in ("personal-baggage", "cargo-road"):
            request = CheckRequest.model_validate(
                {
                    "office": "CN-DANDONG",
                    "at": at,
                    "known_at": known_at,
                    "direction": "outbound",
                    "channel": channel,
                    "traveller": traveller,
                    "items": ITEMS,
                }
            )
            fast, plain = both(story.reader.check(request), pb.CheckResponse)
            assert fast == plain
            # Twice: the second reply is built from memoised sub-messages.
            assert both(story.reader.check(request), pb.CheckResponse)[0] == plain


@pytest.mark.parametrize("at", DAYS)
def test_rule_state_replies_are_the_same_either_way(story: Ledger, at: str) -> None:
    for office in ("CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"):
        result = story.reader.state(StateRequest(office=office, at=date.fromisoformat(at)))
        fast, plain = both(result, pb.GetRuleStateResponse)
        assert fast == plain
        if office == "CN-DANDONG":  # its rules start in 2024
            assert fast.scopes


def test_receipts_with_times_are_the_same_either_way() -> None:
    with Ledger(Settings(database_url="memory://")) as ledger:
        receipts = import_file(ledger.app, EXAMPLE)
    for receipt in receipts:
        fast, plain = both(receipt, pb.Receipt)
        assert fast == plain
        assert fast.recorded_at.ToDatetime(tzinfo=UTC) == receipt.recorded_at


@pytest.mark.parametrize(
    ("data", "message", "said"),
    [
        (
            {"items": [{"goods": "85", "quantity": "two"}]},
            pb.CheckRequest(),
            "items[0].quantity: 'two' is not a whole number: expected digits, e.g. 2",
        ),
        (
            {"expected_version": "x"},
            pb.AmendChangeRequest(),
            "expected_version: 'x' is not a whole number: expected digits, e.g. 2",
        ),
    ],
)
def test_a_value_of_the_wrong_kind_is_said_in_words(
    data: dict[str, object], message: Message, said: str
) -> None:
    # Not protobuf's "'str' object cannot be interpreted as an integer".
    with pytest.raises(ValueError, match="is not a whole number") as raised:
        from_data(data, message)
    assert str(raised.value) == said


def test_a_full_shared_cache_serves_many_threads_at_once() -> None:
    """Threads evicting the oldest entry at once must not fail each other's calls (one drops
    the key the other was about to drop: the server answered UNKNOWN under load)."""
    cache = Shared((Source,), size=2)
    sources = [
        Source(publisher=f"p{n}", reference=f"r{n}", published="2025-03-19", grade="B2")
        for n in range(64)
    ]
    errors: list[BaseException] = []
    switching = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # hand the GIL over as often as it can be
    try:

        def convert() -> None:
            try:
                for _ in range(300):
                    for source in sources:
                        assert cache.byte_size(source, pb.Source) > 0
            except BaseException as error:
                errors.append(error)

        threads = [threading.Thread(target=convert) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(switching)
    assert errors == []
