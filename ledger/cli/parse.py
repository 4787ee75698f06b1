"""Option values to request data: items, sources, measures, dates.

Each parser names the option it reads and the form it accepts when a value is wrong, as
typer's ``BadParameter`` (exit status 2 with a usage message). Numbers are ASCII digits:
Python's ``int`` and ``Decimal`` read any script's digits (fullwidth, Arabic-Indic) as
numbers, the ledger does not.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any

import typer

__all__ = ["item", "source", "crossing", "measure", "day", "question"]

_WHOLE = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")


def item(text: str) -> dict[str, Any]:
    """``GOODS[:QUANTITY[:VALUE:CURRENCY]]``, e.g. ``8516.60:1`` or ``cash:1:500:USD``."""
    goods, *rest = text.split(":")
    if len(rest) not in (0, 1, 3):
        raise typer.BadParameter(
            f"{text!r}: expected GOODS[:QUANTITY[:VALUE:CURRENCY]]", param_hint="--item"
        )
    found: dict[str, Any] = {"goods": goods}
    if (rest and not _WHOLE.fullmatch(rest[0])) or (
        len(rest) == 3 and not _DECIMAL.fullmatch(rest[1])
    ):
        raise typer.BadParameter(
            f"{text!r}: quantity must be a whole number, value a decimal, in ASCII digits "
            "(e.g. cash:1:500.00:USD)",
            param_hint="--item",
        )
    if rest:
        found["quantity"] = int(rest[0])
    if len(rest) == 3:
        found["value"], found["currency"] = rest[1], rest[2]
    return found


def source(text: str) -> dict[str, str]:
    """``PUBLISHER|WHERE|PUBLISHED|GRADE[|LANGUAGE]``: WHERE is a URL (``http://``,
    ``https://``) or, for a source without a page, a reference in words."""
    parts = text.split("|")
    if len(parts) not in (4, 5):
        raise typer.BadParameter(
            f"{text!r}: expected PUBLISHER|URL-OR-REFERENCE|PUBLISHED|GRADE[|LANGUAGE], e.g. "
            "'Daily NK|https://www.dailynk.com/english/|2025-03-19|B2' or "
            "'Daily NK|source in Sinuiju|2025-03-19|C3'",
            param_hint="--source",
        )
    where = "url" if parts[1].lower().startswith(("http://", "https://")) else "reference"
    names = ("publisher", where, "published", "grade", "language")
    return dict(zip(names, parts, strict=False))


def crossing(text: str) -> dict[str, str]:
    """``COUNTERPART|MODE``."""
    return dict(zip(("counterpart", "mode"), text.split("|", 1), strict=False))


def _admissibility(text: str | None) -> dict[str, Any] | None:
    """prohibited | allowed | quantity-limit:N | value-limit:AMOUNT:CURRENCY"""
    if text is None:
        return None
    kind, *rest = text.split(":")
    if kind == "quantity-limit" and len(rest) == 1 and _WHOLE.fullmatch(rest[0]):
        return {"kind": kind, "quantity": int(rest[0])}
    if kind == "value-limit" and len(rest) == 2 and _DECIMAL.fullmatch(rest[0]):
        return {"kind": kind, "amount": rest[0], "currency": rest[1]}
    if rest:
        raise typer.BadParameter(
            f"{text!r}: expected quantity-limit:N or value-limit:AMOUNT:CURRENCY, N and AMOUNT "
            "in ASCII digits (e.g. quantity-limit:2, value-limit:500.00:USD)",
            param_hint="--admissibility",
        )
    return {"kind": kind}


def measure(
    admissibility: str | None, inspection: str | None, enforcement: str | None
) -> dict[str, Any] | None:
    """The dimensions given, or None if none is."""
    stated = {
        "admissibility": _admissibility(admissibility),
        "inspection": inspection,
        "enforcement": enforcement,
    }
    found = {key: value for key, value in stated.items() if value is not None}
    return found or None


def day(value: datetime | None) -> str | None:
    return None if value is None else value.date().isoformat()


def question(
    at: datetime,
    direction: str,
    channel: str,
    traveller: str,
    items: list[str],
    known_at: str | None,
    basis: str,
) -> dict[str, Any]:
    """What a check and a comparison both ask, as the request's data."""
    return {
        "at": day(at),
        "direction": direction,
        "channel": channel,
        "traveller": traveller,
        "items": [item(text) for text in items],
        "known_at": known_at,
        "basis": basis,
    }
