"""Value objects: effective windows, measures and their order, sources, scopes, office codes."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from ledger.domain.dates import EffectiveDate
from ledger.domain.values import (
    Admissibility,
    Crossing,
    Enforcement,
    Inspection,
    Measure,
    OfficeCode,
    Scope,
    Source,
)
from tests.support import WORKER_BAGGAGE, source


def admissibility(kind: str, **fields: Any) -> Admissibility:
    return Admissibility.model_validate({"kind": kind, **fields})


def value_limit(amount: str, currency: str = "USD") -> Admissibility:
    return admissibility("value-limit", amount=amount, currency=currency)


class TestEffectiveDate:
    @pytest.mark.parametrize(
        ("on", "precision", "first", "last"),
        [
            ("2025-03-05", "day", "2025-03-05", "2025-03-05"),
            ("2025-03-05", "early-month", "2025-03-01", "2025-03-10"),
            ("2025-03-15", "mid-month", "2025-03-11", "2025-03-20"),
            ("2025-03-25", "late-month", "2025-03-21", "2025-03-31"),
            ("2024-02-25", "late-month", "2024-02-21", "2024-02-29"),
            ("2025-02-25", "late-month", "2025-02-21", "2025-02-28"),
            ("2025-04-30", "late-month", "2025-04-21", "2025-04-30"),
            ("2025-02-14", "month", "2025-02-01", "2025-02-28"),
            ("2025-02-14", "quarter", "2025-01-01", "2025-03-31"),
            ("2025-04-01", "quarter", "2025-04-01", "2025-06-30"),
            ("2025-09-30", "quarter", "2025-07-01", "2025-09-30"),
            ("2025-11-30", "quarter", "2025-10-01", "2025-12-31"),
            ("2024-07-04", "year", "2024-01-01", "2024-12-31"),
        ],
    )
    def test_each_precision_is_a_closed_window(
        self, on: str, precision: str, first: str, last: str
    ) -> None:
        effective = EffectiveDate.model_validate({"on": on, "precision": precision})
        assert effective.window == (date.fromisoformat(first), date.fromisoformat(last))

    @pytest.mark.parametrize(
        ("on", "precision", "window"),
        [
            ("2025-03-25", "early-month", "2025-03-01..2025-03-10"),
            ("2025-03-11", "early-month", "2025-03-01..2025-03-10"),
            ("2025-03-10", "mid-month", "2025-03-11..2025-03-20"),
            ("2025-03-21", "mid-month", "2025-03-11..2025-03-20"),
            ("2025-03-20", "late-month", "2025-03-21..2025-03-31"),
        ],
    )
    def test_a_date_outside_its_window_is_refused_naming_the_window(
        self, on: str, precision: str, window: str
    ) -> None:
        with pytest.raises(
            ValidationError, match=re.escape(f"{on} is not in the {precision} window {window}")
        ):
            EffectiveDate.model_validate({"on": on, "precision": precision})

    @pytest.mark.parametrize("on", ["2025-02-30", "2025-02-29", "2025-04-31", "2025-13-01"])
    def test_an_impossible_calendar_date_is_refused_naming_the_field(self, on: str) -> None:
        with pytest.raises(ValidationError, match=r"(?m)^on$") as refused:
            EffectiveDate.model_validate({"on": on, "precision": "day"})
        assert refused.value.errors()[0]["loc"] == ("on",)


class TestAdmissibility:
    def test_a_quantity_limit_needs_a_quantity(self) -> None:
        with pytest.raises(ValidationError, match="quantity is required for a quantity-limit"):
            admissibility("quantity-limit")

    @pytest.mark.parametrize(
        "fields",
        [{"amount": "100"}, {"currency": "USD"}, {}],
        ids=["no currency", "no amount", "none"],
    )
    def test_a_value_limit_needs_an_amount_and_a_currency(self, fields: dict[str, str]) -> None:
        with pytest.raises(
            ValidationError, match="amount and currency are required for a value-limit"
        ):
            admissibility("value-limit", **fields)

    @pytest.mark.parametrize(
        ("kind", "fields"),
        [
            ("prohibited", {"amount": "5"}),
            ("allowed", {"currency": "USD"}),
            ("quantity-limit", {"quantity": 2, "amount": "5"}),
        ],
    )
    def test_an_amount_or_currency_outside_a_value_limit_is_refused(
        self, kind: str, fields: dict[str, Any]
    ) -> None:
        with pytest.raises(ValidationError, match="only for one"):
            admissibility(kind, **fields)

    @pytest.mark.parametrize("field", ["quantity", "amount"])
    def test_a_negative_limit_is_refused_naming_the_field(self, field: str) -> None:
        kind = "quantity-limit" if field == "quantity" else "value-limit"
        fields: dict[str, Any] = {"quantity": 2} if field == "quantity" else {"amount": "1"}
        fields |= {"currency": "USD"} if kind == "value-limit" else {}
        fields[field] = -1
        with pytest.raises(ValidationError, match=rf"(?m)^{field}$"):
            admissibility(kind, **fields)

    def test_an_unknown_currency_is_refused_naming_it(self) -> None:
        with pytest.raises(ValidationError, match="'XYZ' is not an ISO 4217 currency code"):
            value_limit("100", "XYZ")

    def test_kinds_and_limits_are_ordered_from_strictest_to_loosest(self) -> None:
        strictest_first = [
            admissibility("prohibited"),
            admissibility("quantity-limit", quantity=0),
            admissibility("quantity-limit", quantity=2),
            value_limit("100"),
            value_limit("250.50"),
            admissibility("allowed"),
        ]
        for stricter, looser in itertools.combinations(strictest_first, 2):
            assert stricter.compare(looser) == -1, (stricter, looser)
            assert looser.compare(stricter) == 1, (looser, stricter)
        for each in strictest_first:
            assert each.compare(each.model_copy()) == 0

    def test_value_limits_in_the_same_currency_compare_by_amount(self) -> None:
        assert value_limit("99.99").compare(value_limit("100")) == -1
        assert value_limit("100.00").compare(value_limit("100")) == 0

    def test_value_limits_in_different_currencies_cannot_be_ordered(self) -> None:
        assert value_limit("100", "USD").compare(value_limit("100", "CNY")) is None
        assert value_limit("1", "CNY").compare(value_limit("1000", "USD")) is None


class TestMeasure:
    def test_a_measure_must_state_at_least_one_dimension(self) -> None:
        with pytest.raises(
            ValidationError,
            match="a measure states at least one of admissibility, inspection, enforcement",
        ):
            Measure.model_validate({})

    def test_stated_returns_only_the_stated_dimensions(self) -> None:
        measure = Measure.model_validate({"inspection": "rigorous", "enforcement": "confiscation"})
        assert measure.stated() == {
            "inspection": Inspection.RIGOROUS,
            "enforcement": Enforcement.CONFISCATION,
        }


class TestStrictnessRanks:
    def test_inspection_ranks_from_none_to_rigorous(self) -> None:
        names = ["none", "light", "standard", "thorough", "rigorous"]
        assert [Inspection(name).rank for name in names] == list(range(len(names)))
        assert len(Inspection) == len(names)

    def test_enforcement_ranks_from_none_to_detention(self) -> None:
        names = ["none", "refusal", "confiscation", "fine", "detention"]
        assert [Enforcement(name).rank for name in names] == list(range(len(names)))
        assert len(Enforcement) == len(names)


class TestSource:
    def test_a_source_published_in_the_future_is_refused(self) -> None:
        later = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
        with pytest.raises(ValidationError, match=r"published(.|\n)*in the future"):
            Source.model_validate(source(published=later))
        today = datetime.now(UTC).date().isoformat()
        assert Source.model_validate(source(published=today)).published.isoformat() == today

    def test_a_complete_source_is_accepted(self) -> None:
        accepted = Source.model_validate(source(grade="F6", url="http://example.org/a?b=c"))
        assert (accepted.grade, accepted.published) == ("F6", date(2025, 3, 19))

    @pytest.mark.parametrize("grade", ["G1", "A7", "A0", "b2", "B", "B22"])
    def test_a_grade_outside_the_admiralty_code_is_refused(self, grade: str) -> None:
        with pytest.raises(ValidationError, match=r"(?m)^grade$"):
            Source.model_validate(source(grade=grade))

    @pytest.mark.parametrize(
        "url", ["ftp://example.org/", "www.dailynk.com", "https://", "https://exa mple.org"]
    )
    def test_a_url_that_is_not_http_is_refused(self, url: str) -> None:
        with pytest.raises(ValidationError, match=r"(?m)^url$"):
            Source.model_validate(source(url=url))

    def test_an_impossible_publication_date_is_refused(self) -> None:
        with pytest.raises(ValidationError, match=r"(?m)^published$"):
            Source.model_validate(source(published="2025-02-30"))

    def test_an_unknown_field_is_refused_naming_it(self) -> None:
        with pytest.raises(ValidationError, match=r"(?s)^.*\nauthor\n  Extra inputs"):
            Source.model_validate(source(author="anonymous"))


class TestScope:
    @pytest.mark.parametrize(
        ("goods", "canonical"),
        [
            ("8516.60", "851660"),
            ("8516.60.10", "85166010"),
            (" 85 ", "85"),
            ("Electronics", "electronics"),
            ("ALL", "all"),
        ],
    )
    def test_goods_are_normalised(self, goods: str, canonical: str) -> None:
        assert Scope.model_validate({**WORKER_BAGGAGE, "goods": goods}).goods == canonical

    def test_bad_goods_are_refused_as_neither_hs_code_nor_category(self) -> None:
        with pytest.raises(
            ValidationError,
            match=r"(?s)goods\n.*'rice cookers' is neither an HS code .* nor a goods category "
            r"\(all, cash, electronics,",
        ):
            Scope.model_validate({**WORKER_BAGGAGE, "goods": "rice cookers"})


class TestOfficeCode:
    adapter: TypeAdapter[str] = TypeAdapter(OfficeCode)

    @pytest.mark.parametrize("code", ["CN-DANDONG", "KP-SINUIJU", "CN-CHANGBAI-2"])
    def test_a_country_and_a_name_in_capitals_is_accepted(self, code: str) -> None:
        assert self.adapter.validate_python(code) == code

    @pytest.mark.parametrize(
        ("code", "reason"),
        [
            ("cn-dandong", "is not an office code: expected COUNTRY-NAME in capitals"),
            ("DANDONG", "is not an office code: expected COUNTRY-NAME in capitals"),
            ("CN-", "is not an office code: expected COUNTRY-NAME in capitals"),
            ("XX-FOO", "does not start with an ISO 3166-1 alpha-2 country code"),
        ],
    )
    def test_a_malformed_code_is_refused_naming_it(self, code: str, reason: str) -> None:
        with pytest.raises(ValidationError, match=re.escape(f"{code!r} {reason}")):
            self.adapter.validate_python(code)


class TestImmutability:
    @pytest.mark.parametrize(
        ("value", "field"),
        [
            (Admissibility.model_validate({"kind": "prohibited"}), "kind"),
            (Measure.model_validate({"inspection": "light"}), "inspection"),
            (EffectiveDate.model_validate({"on": "2025-03-05"}), "on"),
            (Source.model_validate(source()), "grade"),
            (Scope.model_validate(WORKER_BAGGAGE), "goods"),
            (Crossing.model_validate({"counterpart": "Sinuiju", "mode": "bridge"}), "mode"),
        ],
        ids=lambda each: type(each).__name__ if isinstance(each, BaseModel) else each,
    )
    def test_a_value_object_cannot_be_changed(self, value: BaseModel, field: str) -> None:
        before = getattr(value, field)
        with pytest.raises(ValidationError, match="Instance is frozen"):
            setattr(value, field, None)
        assert getattr(value, field) == before
