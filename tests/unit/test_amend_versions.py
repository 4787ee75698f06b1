"""``ChangeAmended`` version 2 (issue 13, point 1): an amendment restates the dimensions it
corrects; one stored as version 1 replaced the whole measure and is read with that meaning."""

from __future__ import annotations

import json
from uuid import uuid4

from ledger.domain.chain import canonical_json
from ledger.domain.events import ChangeAmended
from ledger.domain.values import Measure

V1 = {
    "change_id": str(uuid4()),
    "effective": None,
    "event_id": str(uuid4()),
    "measure": {"admissibility": None, "enforcement": "detention", "inspection": "rigorous"},
    "originator_id": str(uuid4()),
    "originator_version": 3,
    "prev_hash": "0" * 64,
    "reason": "stricter than first reported",
    "sources": [
        {
            "grade": "B2",
            "language": "en",
            "published": "2025-03-19",
            "publisher": "Daily NK",
            "url": "https://www.dailynk.com/english/",
        }
    ],
    "timestamp": "2025-03-20T00:00:00+00:00",
}


def test_a_version_1_amendment_clears_what_it_did_not_state() -> None:
    stored = canonical_json(V1)
    event = ChangeAmended.from_stored(stored)
    assert event.clear == ("admissibility",)
    before = Measure.model_validate(
        {"admissibility": {"kind": "prohibited"}, "inspection": "light"}
    )
    # As before: the whole measure replaced, the admissibility gone.
    assert before.amended(event.measure, event.clear) == event.measure
    assert event.stored_json() == stored  # kept as read: its hash and the digest hold


def test_a_version_1_amendment_of_the_date_alone_clears_nothing() -> None:
    event = ChangeAmended.from_stored(
        canonical_json(
            {**V1, "measure": None, "effective": {"on": "2025-03-01", "precision": "day"}}
        )
    )
    assert event.clear == ()


def test_a_version_2_amendment_is_stored_with_its_version_and_read_back_as_it_is() -> None:
    event = ChangeAmended.from_stored(canonical_json(V1))
    fresh = ChangeAmended.model_validate(
        {**event.model_dump(), "measure": {"enforcement": "fine"}, "clear": ["inspection"]}
    )
    stored = json.loads(fresh.stored_json())
    assert stored["class_version"] == 2 and stored["clear"] == ["inspection"]
    again = ChangeAmended.from_stored(fresh.stored_json())
    assert (again.measure, again.clear) == (fresh.measure, fresh.clear)
    before = Measure.model_validate(
        {"admissibility": {"kind": "quantity-limit", "quantity": 1}, "inspection": "thorough"}
    )
    after = before.amended(again.measure, again.clear)
    assert after.stated() == {
        "admissibility": before.admissibility,
        "enforcement": again.measure.enforcement,  # type: ignore[union-attr]
    }
