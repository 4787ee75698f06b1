"""Goods: HS code prefixes and the named categories that expand to them.

A goods value is stored in one canonical form: an HS code as its digits alone (``8516.60`` is
``851660``), or a category name from ``ledger/data/goods_categories.json``.
"""

from __future__ import annotations

import json
import re
from functools import cache
from importlib import resources

__all__ = ["categories", "normalise_goods", "hs_prefixes"]

# Chapter, heading, subheading, then national lines: dots may follow the 4th and 6th digits.
_HS_CODE = re.compile(r"^(?:[0-9]{2,4}|[0-9]{4}\.?[0-9]{1,2}|[0-9]{4}\.?[0-9]{2}\.?[0-9]{1,4})$")


@cache
def categories() -> dict[str, tuple[str, ...]]:
    """Category name → the HS prefixes it covers (``all`` covers the empty prefix)."""
    text = resources.files("ledger").joinpath("data/goods_categories.json").read_text("utf-8")
    raw: dict[str, object] = json.loads(text)
    return {
        name: tuple(entry["hs_prefixes"])
        for name, entry in raw.items()
        if not name.startswith("_") and isinstance(entry, dict)
    }


def normalise_goods(goods: str) -> str:
    """Canonical goods: a known category name, or an HS code of 2-10 digits without dots."""
    text = goods.strip().lower()
    if text in categories():
        return text
    if not _HS_CODE.match(text):
        known = ", ".join(sorted(categories()))
        raise ValueError(
            f"{goods!r} is neither an HS code (2-10 digits, e.g. 85, 8516 or 8516.60) "
            f"nor a goods category ({known})"
        )
    return text.replace(".", "")


def hs_prefixes(goods: str) -> tuple[str, ...]:
    """The HS prefixes a canonical goods value covers."""
    return categories().get(goods, (goods,))
