"""Goods: the categories file, HS code formats, and the human form of a code."""

from __future__ import annotations

import re

import pytest

from ledger.cli.render import format_goods
from ledger.domain.goods import categories, hs_prefixes, normalise_goods


class TestCategories:
    def test_electronics_covers_computers_appliances_phones_audio_and_televisions(self) -> None:
        assert {"8471", "8516", "8517", "8518", "8528"} <= set(categories()["electronics"])

    def test_the_named_categories_of_the_seed_story_exist(self) -> None:
        assert {"electronics", "luxury", "cash", "all"} <= set(categories())
        assert all(categories()[name] for name in ("luxury", "cash"))

    def test_all_expands_to_the_empty_prefix_that_every_code_starts_with(self) -> None:
        assert hs_prefixes("all") == ("",)


class TestNormaliseGoods:
    @pytest.mark.parametrize(
        ("goods", "canonical"),
        [
            ("85", "85"),
            ("8516", "8516"),
            ("8516.60", "851660"),
            ("851660", "851660"),
            ("8516.60.10", "85166010"),
            ("8516601000", "8516601000"),
        ],
    )
    def test_hs_code_formats_are_accepted_without_their_dots(
        self, goods: str, canonical: str
    ) -> None:
        assert normalise_goods(goods) == canonical

    @pytest.mark.parametrize("goods", ["8", "85166010001", "85.16", "abcd", "8516..60", ""])
    def test_malformed_codes_are_refused_naming_them(self, goods: str) -> None:
        with pytest.raises(
            ValueError, match=re.escape(f"{goods!r} is neither an HS code (2-10 digits")
        ):
            normalise_goods(goods)

    @pytest.mark.parametrize("goods", ["851.6", "8516.6.1"])
    def test_a_dot_after_any_digit_but_the_4th_or_6th_is_refused(self, goods: str) -> None:
        with pytest.raises(ValueError, match="is neither an HS code"):
            normalise_goods(goods)

    def test_non_ascii_digits_are_refused(self) -> None:
        with pytest.raises(ValueError, match="is neither an HS code"):
            normalise_goods("\u0668\u0665\u0661\u0666")


class TestFormatGoods:
    @pytest.mark.parametrize(
        ("goods", "human"),
        [
            ("851660", "8516.60"),
            ("85166010", "8516.60.10"),
            ("8516", "8516"),
            ("85", "85"),
            ("electronics", "electronics"),
        ],
    )
    def test_codes_are_shown_with_dots_and_categories_unchanged(
        self, goods: str, human: str
    ) -> None:
        assert format_goods(goods) == human
