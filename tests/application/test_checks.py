"""Checks: the most specific rule wins, dimension by dimension; limits; comparison of offices."""

from __future__ import annotations

from datetime import date

import pytest
from pydantic import ValidationError

from ledger.bootstrap import Ledger
from ledger.domain.errors import OfficeNotFound
from ledger.readmodel.answers import CheckRequest, CompareRequest, Verdict
from ledger.readmodel.queries import ValueRequired
from tests.support import ALLOWED, PROHIBITED, check, limit, record, register

CARGO = {"direction": "outbound", "channel": "cargo-rail", "traveller": "any", "goods": "all"}


def scope(goods: str, traveller: str = "worker", **fields: str) -> dict[str, str]:
    return {
        "direction": "outbound",
        "channel": "personal-baggage",
        "traveller": traveller,
        "goods": goods,
        **fields,
    }


class TestSpecificity:
    def test_the_longest_hs_prefix_wins(self, ledger: Ledger) -> None:
        register(ledger)
        record(ledger, "observed", PROHIBITED, "2025-01-01", scope=scope("85"))
        record(ledger, "observed", limit(1), "2025-01-01", scope=scope("8516"))
        record(ledger, "observed", ALLOWED, "2025-01-01", scope=scope("8516.60"))
        assert check(ledger, "2025-02-01", "8516.60.10", 5).verdict is Verdict.ALLOWED
        assert check(ledger, "2025-02-01", "8516.10", 2).verdict is Verdict.LIMIT_EXCEEDED
        assert check(ledger, "2025-02-01", "8528", 1).verdict is Verdict.PROHIBITED
        assert check(ledger, "2025-02-01", "8471", 1, traveller="any").verdict is Verdict.NO_RULE

    def test_an_hs_code_beats_a_category_of_the_same_length(self, ledger: Ledger) -> None:
        register(ledger)
        record(ledger, "observed", PROHIBITED, "2025-01-01", scope=scope("electronics"))
        record(ledger, "observed", ALLOWED, "2025-01-01", scope=scope("8516"))
        assert check(ledger, "2025-02-01", "8516.60").verdict is Verdict.ALLOWED
        assert check(ledger, "2025-02-01", "8528.72").verdict is Verdict.PROHIBITED

    def test_a_named_traveller_beats_any(self, ledger: Ledger) -> None:
        register(ledger)
        record(ledger, "observed", ALLOWED, "2025-01-01", scope=scope("85", traveller="any"))
        record(ledger, "observed", PROHIBITED, "2025-01-01", scope=scope("85", traveller="worker"))
        assert check(ledger, "2025-02-01", "8516").verdict is Verdict.PROHIBITED
        assert check(ledger, "2025-02-01", "8516", traveller="visitor").verdict is Verdict.ALLOWED

    def test_a_longer_prefix_beats_a_named_traveller(self, ledger: Ledger) -> None:
        register(ledger)
        record(ledger, "observed", PROHIBITED, "2025-01-01", scope=scope("85", traveller="worker"))
        record(ledger, "observed", ALLOWED, "2025-01-01", scope=scope("8516", traveller="any"))
        assert check(ledger, "2025-02-01", "8516").verdict is Verdict.ALLOWED

    def test_each_dimension_is_resolved_on_its_own(self, ledger: Ledger) -> None:
        # A fridge ban for officials and a general rule that all cargo is rigorously inspected.
        register(ledger)
        fridges = {**CARGO, "traveller": "official", "goods": "8418"}
        ban = record(ledger, "observed", PROHIBITED, "2025-01-01", scope=fridges)
        rigour = record(ledger, "observed", {"inspection": "rigorous"}, "2025-01-01", scope=CARGO)
        result = check(ledger, "2025-02-01", "8418.10", channel="cargo-rail", traveller="official")
        assert result.verdict is Verdict.PROHIBITED
        assert result.inspection == "rigorous"
        assert set(result.event_ids) == {ban.change_id, rigour.change_id}

    def test_a_category_item_answers_for_its_most_restricted_member(self, ledger: Ledger) -> None:
        register(ledger)
        record(ledger, "observed", ALLOWED, "2025-01-01", scope=scope("electronics"))
        record(ledger, "observed", PROHIBITED, "2025-01-01", scope=scope("8528"))
        assert check(ledger, "2025-02-01", "electronics").verdict is Verdict.PROHIBITED


class TestLimits:
    def test_a_quantity_limit_is_inclusive(self, ledger: Ledger) -> None:
        register(ledger)
        record(ledger, "observed", limit(2), "2025-01-01", scope=scope("85"))
        assert check(ledger, "2025-02-01", "8516", 2).verdict is Verdict.ALLOWED
        assert check(ledger, "2025-02-01", "8516", 3).verdict is Verdict.LIMIT_EXCEEDED

    def test_a_value_limit_compares_the_items_value(self, ledger: Ledger) -> None:
        register(ledger)
        value_limit = {"admissibility": {"kind": "value-limit", "amount": "500", "currency": "USD"}}
        record(ledger, "observed", value_limit, "2025-01-01", scope=scope("cash"))
        ok = check(ledger, "2025-02-01", "cash", value="500", currency="USD")
        over = check(ledger, "2025-02-01", "cash", value="500.01", currency="USD")
        assert (ok.verdict, over.verdict) == (Verdict.ALLOWED, Verdict.LIMIT_EXCEEDED)

    def test_a_value_limit_needs_the_value_in_its_currency(self, ledger: Ledger) -> None:
        register(ledger)
        value_limit = {"admissibility": {"kind": "value-limit", "amount": "500", "currency": "USD"}}
        record(ledger, "observed", value_limit, "2025-01-01", scope=scope("cash"))
        with pytest.raises(ValueRequired, match=r"items\[1\].*USD"):
            check(ledger, "2025-02-01", "cash")
        with pytest.raises(ValueRequired, match="USD"):
            check(ledger, "2025-02-01", "cash", value="100", currency="CNY")

    def test_no_rule_is_said_plainly(self, ledger: Ledger) -> None:
        register(ledger)
        result = check(ledger, "2025-02-01", "8516")
        assert result.verdict is Verdict.NO_RULE
        assert result.governing is None
        assert result.sources == ()


class TestCheckRequests:
    def test_an_unknown_office_is_not_found(self, ledger: Ledger) -> None:
        with pytest.raises(OfficeNotFound, match="CN-NOWHERE"):
            check(ledger, "2025-02-01", office="CN-NOWHERE")

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("at", "2025-02-30"),
            ("direction", "sideways"),
            ("items", []),
            ("office", "dandong"),
            ("basis", "rumoured"),
        ],
    )
    def test_bad_input_is_refused_naming_the_field(self, field: str, value: object) -> None:
        request = {
            "office": "CN-DANDONG",
            "at": "2025-02-01",
            "direction": "outbound",
            "channel": "cargo-road",
            "items": [{"goods": "8516"}],
            field: value,
        }
        with pytest.raises(ValidationError, match=field):
            CheckRequest.model_validate(request)

    def test_a_negative_quantity_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="quantity"):
            CheckRequest.model_validate(
                {
                    "office": "CN-DANDONG",
                    "at": "2025-02-01",
                    "direction": "outbound",
                    "channel": "cargo-road",
                    "items": [{"goods": "8516", "quantity": -1}],
                }
            )


class TestCompare:
    def test_offices_are_ranked_least_restrictive_first(self, ledger: Ledger) -> None:
        for code in ("CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"):
            register(ledger, code)
        record(ledger, "observed", PROHIBITED, "2025-01-01", office="CN-DANDONG", scope=scope("85"))
        record(ledger, "observed", limit(1), "2025-01-01", office="CN-HUNCHUN", scope=scope("85"))
        record(ledger, "observed", ALLOWED, "2025-01-01", office="CN-CHANGBAI", scope=scope("85"))
        result = ledger.reader.compare(
            CompareRequest(
                offices=("CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"),
                at=date(2025, 2, 1),
                direction="outbound",
                channel="personal-baggage",
                traveller="worker",
                items=({"goods": "8516", "quantity": 2},),
            )
        )
        assert [(r.rank, r.office) for r in result.offices] == [
            (1, "CN-CHANGBAI"),
            (2, "CN-HUNCHUN"),
            (3, "CN-DANDONG"),
        ]

    def test_comparing_with_an_unknown_office_is_refused(self, ledger: Ledger) -> None:
        register(ledger)
        with pytest.raises(OfficeNotFound, match="CN-HUNCHUN"):
            ledger.reader.compare(
                CompareRequest(
                    offices=("CN-DANDONG", "CN-HUNCHUN"),
                    at=date(2025, 2, 1),
                    direction="outbound",
                    channel="personal-baggage",
                    items=({"goods": "8516"},),
                )
            )
