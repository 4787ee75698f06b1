"""Changes by short id (issue 13, point 6): the prefixes a history shows, the prefixes a command
takes, what became of each change, and the event types ``watch --type`` takes."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import typer

from ledger.cli import changes
from ledger_api.convert import from_data
from ledger_api.ledger.v1 import ledger_pb2 as pb

OBSERVED = "3f2a9c1b-0000-4000-8000-000000000001"
TWIN = "3f2a9c1b-7777-4000-8000-000000000002"  # shares 8 hex digits with OBSERVED
TIGHTENED = "3f2a0000-0000-4000-8000-000000000003"  # shares 4 with both
OTHER = "9e8d7c6b-0000-4000-8000-000000000004"
SCOPE = {"direction": "outbound", "channel": "cargo-road", "traveller": "any", "goods": "851660"}


def _event(version: int, type_: str, change_id: str = "", **content: Any) -> dict[str, Any]:
    return {
        "office_version": version,
        "type": type_,
        "event_id": change_id or f"00000000-0000-4000-8000-{version:012d}",
        "change_id": change_id,
        "event_json": json.dumps(content),
    }


HISTORY = [
    _event(1, "OfficeRegistered", name="Test"),
    _event(2, "PolicyObserved", OBSERVED, scope=SCOPE),
    _event(3, "PolicyObserved", TWIN, scope=SCOPE),
    _event(4, "PolicyTightened", TIGHTENED, scope=SCOPE),
    _event(5, "PolicyLoosened", OTHER, scope=SCOPE),
]


class FakeConnection:
    """Answers GetHistory with ``HISTORY``, as real reply messages; counts the calls."""

    timeout = 5.0

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, Any]]] = []

    def stream(
        self, rpc: str, request: dict[str, Any], timeout: float | None = None
    ) -> Iterator[Any]:
        self.calls.append((rpc, request))
        events = [{k: v for k, v in e.items() if v} for e in HISTORY]
        yield from_data({"events": events}, pb.GetHistoryResponse())


def _resolve(text: str) -> tuple[str, FakeConnection]:
    connection = FakeConnection()
    return changes.resolve(connection, "CN-TEST", text), connection  # type: ignore[arg-type]


class TestAbbreviate:
    def test_ids_are_cut_to_8_hex_digits_unless_another_shares_them(self) -> None:
        short = changes.abbreviate([OBSERVED, TWIN, TIGHTENED, OTHER])
        assert short[OTHER] == "9e8d7c6b"
        assert short[TIGHTENED] == "3f2a0000"
        # Eight digits shared: the ninth (after the dash) tells them apart.
        assert short[OBSERVED] == "3f2a9c1b-0"
        assert short[TWIN] == "3f2a9c1b-7"

    def test_every_short_id_names_one_id_only(self) -> None:
        ids = [OBSERVED, TWIN, TIGHTENED, OTHER, "3f2a9c1b-0000-4000-8000-000000000009"]
        short = changes.abbreviate(ids)
        for change_id, prefix in short.items():
            assert [i for i in ids if i.startswith(prefix)] == [change_id]


class TestResolve:
    def test_a_unique_prefix_of_4_hex_digits_or_more_names_its_change(self) -> None:
        assert _resolve("9e8d")[0] == OTHER
        assert _resolve("3F2A0")[0] == TIGHTENED  # any case
        assert _resolve("3f2a9c1b-7")[0] == TWIN
        assert _resolve("3f2a9c1b7")[0] == TWIN  # without the dash too

    def test_a_full_uuid_is_passed_through_without_a_lookup(self) -> None:
        unknown = "12345678-1234-4234-8234-123456789012"
        resolved, connection = _resolve(unknown)
        assert resolved == unknown
        assert connection.calls == []

    def test_a_prefix_is_looked_up_in_that_offices_history(self) -> None:
        _, connection = _resolve("9e8d")
        assert connection.calls == [("GetHistory", {"office": "CN-TEST"})]

    def test_an_ambiguous_prefix_is_refused_listing_the_candidates(self) -> None:
        with pytest.raises(changes.AmbiguousChange) as refused:
            _resolve("3f2a9c1b")
        message = str(refused.value)
        assert "2 changes of CN-TEST start with it" in message
        assert f"{OBSERVED}  observed outbound/cargo-road/any/8516.60" in message
        assert TWIN in message
        assert TIGHTENED not in message

    def test_a_prefix_no_change_has_is_refused_naming_the_office(self) -> None:
        with pytest.raises(changes.UnknownChange, match="no change of CN-TEST starts with abcd"):
            _resolve("abcd")

    def test_an_amendment_or_registration_id_is_not_a_change(self) -> None:
        with pytest.raises(changes.UnknownChange):
            _resolve("0000")  # the registration's event id starts so

    @pytest.mark.parametrize("text", ["3f2", "3f2g", "zz", "", "3f2a 9c"])
    def test_a_short_or_non_hex_prefix_is_a_usage_error(self, text: str) -> None:
        with pytest.raises(typer.BadParameter, match="at least 4 hex digits"):
            _resolve(text)


class TestStanding:
    def test_amendments_are_counted_and_a_retraction_said(self) -> None:
        events = [
            *HISTORY,
            {"type": "ChangeAmended", "change_id": OBSERVED},
            {"type": "ChangeAmended", "change_id": OBSERVED},
            {"type": "ChangeRetracted", "change_id": TWIN},
            {"type": "ChangeAmended", "change_id": OTHER},
            {"type": "ChangeRetracted", "change_id": OTHER},
        ]
        assert changes.standing(events) == {
            OBSERVED: "amended 2x",
            TWIN: "retracted",
            OTHER: "amended 1x, retracted",
        }


class TestEventType:
    @pytest.mark.parametrize(
        ("text", "name"),
        [
            ("tightened", "PolicyTightened"),
            ("PolicyTightened", "PolicyTightened"),
            ("policytightened", "PolicyTightened"),
            ("Amended", "ChangeAmended"),
            ("registered", "OfficeRegistered"),
        ],
    )
    def test_a_type_or_a_kind_word_names_an_event_type(self, text: str, name: str) -> None:
        assert changes.event_type(text) == name

    def test_an_unknown_type_is_a_usage_error_listing_the_accepted_ones(self) -> None:
        with pytest.raises(typer.BadParameter) as refused:
            changes.event_type("tighten")
        message = str(refused.value)
        for word in ("registered", "observed", "tightened", "loosened", "amended", "retracted"):
            assert word in message
        assert "PolicyTightened" in message
