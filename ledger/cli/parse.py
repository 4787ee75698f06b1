"""Option values to request data: items, sources, measures, dates, digests, addresses.

Each parser names the option it reads and, when a value is wrong, what is wrong, the form it
accepts and an example, as typer's ``BadParameter`` (exit status 2 with a usage message; the
checks used as click types raise ``ValueError`` with the same words). Numbers are ASCII
digits: Python's ``int`` and ``Decimal`` read any script's digits (fullwidth, Arabic-Indic) as
numbers, the ledger does not.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Any

import typer

__all__ = [
    "item",
    "source",
    "crossing",
    "measure",
    "day",
    "known_at",
    "asked_time",
    "period",
    "effective",
    "digest",
    "listen",
    "question",
]

_WHOLE = re.compile(r"[0-9]+", re.ASCII)
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?", re.ASCII)
_ITEM_IS = (
    "expected GOODS[:QUANTITY[:VALUE:CURRENCY]], the quantity a whole number and the value a "
    "decimal number in ASCII digits, e.g. 8516.60:2 or cash:1:500.00:USD"
)


def item(text: str) -> dict[str, Any]:
    """``GOODS[:QUANTITY[:VALUE:CURRENCY]]``, e.g. ``8516.60:1`` or ``cash:1:500:USD``."""
    goods, *rest = text.split(":")
    if len(rest) not in (0, 1, 3):
        raise typer.BadParameter(f"{text!r}: {_ITEM_IS}", param_hint="--item")
    found: dict[str, Any] = {"goods": goods}
    if rest and not _WHOLE.fullmatch(rest[0]):
        raise typer.BadParameter(
            f"{text!r}: the quantity {rest[0]!r} is not a whole number: {_ITEM_IS}",
            param_hint="--item",
        )
    if len(rest) == 3 and not _DECIMAL.fullmatch(rest[1]):
        raise typer.BadParameter(
            f"{text!r}: the value {rest[1]!r} is not a decimal number: {_ITEM_IS}",
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


_ADMISSIBILITY_IS = (
    "expected prohibited, allowed, quantity-limit:N or value-limit:AMOUNT:CURRENCY, e.g. "
    "quantity-limit:2 or value-limit:500.00:USD"
)


def _admissibility(text: str | None) -> dict[str, Any] | None:
    """prohibited | allowed | quantity-limit:N | value-limit:AMOUNT:CURRENCY"""
    if text is None:
        return None
    kind, *rest = text.split(":")
    if kind in ("prohibited", "allowed") and not rest:
        return {"kind": kind}
    if kind == "quantity-limit" and len(rest) == 1:
        if not _WHOLE.fullmatch(rest[0]):
            raise typer.BadParameter(
                f"{text!r}: the limit {rest[0]!r} is not a whole number: a quantity-limit is "
                "at most N items, N in ASCII digits, e.g. quantity-limit:2",
                param_hint="--admissibility",
            )
        return {"kind": kind, "quantity": int(rest[0])}
    if kind == "value-limit" and len(rest) == 2:
        if not _DECIMAL.fullmatch(rest[0]):
            raise typer.BadParameter(
                f"{text!r}: the amount {rest[0]!r} is not a decimal number: a value-limit is "
                "at most AMOUNT in CURRENCY, AMOUNT in ASCII digits, e.g. value-limit:500.00:USD",
                param_hint="--admissibility",
            )
        return {"kind": kind, "amount": rest[0], "currency": rest[1]}
    if kind == "quantity-limit":
        what = "a quantity-limit gives its limit"
    elif kind == "value-limit":
        what = "a value-limit gives its amount and currency"
    elif kind in ("prohibited", "allowed"):
        what = f"{kind} takes no limit"
    else:
        what = "not an admissibility"
    raise typer.BadParameter(f"{text!r}: {what}: {_ADMISSIBILITY_IS}", param_hint="--admissibility")


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


_DAY = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})", re.ASCII)
_MONTH = re.compile(r"([0-9]{4})-([0-9]{2})", re.ASCII)
_QUARTER = re.compile(r"([0-9]{4})-[Qq]([0-9])", re.ASCII)
_YEAR = re.compile(r"[0-9]{4}", re.ASCII)
_TIMESTAMP = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})[Tt][0-9]{2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]{1,9})?"
    r"([Zz]|[+-][0-9]{2}:[0-9]{2})?",
    re.ASCII,
)
_KNOWN_AT_IS = (
    "expected a date YYYY-MM-DD (the end of that day, UTC) or an RFC 3339 timestamp with its "
    "offset, e.g. 2025-03-20 or 2025-03-20T12:00:00+00:00"
)
_ASKED_IS = (
    "expected a date YYYY-MM-DD (the start of that day, UTC) or an RFC 3339 timestamp with its "
    "offset, e.g. 2026-12-01 or 2026-12-01T10:00:00+00:00"
)
_PERIOD_IS = (
    "expected a day YYYY-MM-DD, a month YYYY-MM, a quarter YYYY-Qn or a year YYYY, e.g. "
    "2025-03-20, 2025-04, 2018-Q2 or 2018"
)


def _calendar_day(text: str, expected: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{text} is not a day of the calendar: {expected}") from None


def known_at(text: str) -> str:
    """A knowledge time as the ledger reads it: ``YYYY-MM-DD``, or an RFC 3339 timestamp with
    its offset (``ValueError`` saying what is wrong otherwise)."""
    return _time(text, "a knowledge time", _KNOWN_AT_IS)


def asked_time(text: str) -> str:
    """When a decision was asked, as a bound: ``YYYY-MM-DD`` (that day's start, UTC), or an
    RFC 3339 timestamp with its offset (``ValueError`` saying what is wrong otherwise)."""
    return _time(text, "a time", _ASKED_IS)


def _time(text: str, what: str, expected: str) -> str:
    if _DAY.fullmatch(text):
        _calendar_day(text, expected)
        return text
    timestamp = _TIMESTAMP.fullmatch(text)
    if timestamp is None:
        raise ValueError(f"{text!r} is not {what}: {expected}")
    if timestamp.group(2) is None:
        raise ValueError(f"{text!r} has no offset (Z, +00:00, +08:00...): {expected}")
    _calendar_day(timestamp.group(1), expected)
    try:
        datetime.fromisoformat(text.upper())
    except ValueError:
        raise ValueError(f"{text!r} is not a time of day: {expected}") from None
    return text


def period(text: str) -> tuple[date, str | None]:
    """An effective date as given: a day, or a month, a quarter or a year; its first day, and
    the precision its form implies (None for a day)."""
    if _DAY.fullmatch(text):
        return _calendar_day(text, _PERIOD_IS), None
    found = _MONTH.fullmatch(text)
    if found is not None and 1 <= int(found.group(2)) <= 12:
        return date(int(found.group(1)), int(found.group(2)), 1), "month"
    found = _QUARTER.fullmatch(text)
    if found is not None and 1 <= int(found.group(2)) <= 4:
        return date(int(found.group(1)), 3 * int(found.group(2)) - 2, 1), "quarter"
    if _YEAR.fullmatch(text) and int(text) > 0:
        return date(int(text), 1, 1), "year"
    raise ValueError(f"{text!r} is not an effective date: {_PERIOD_IS}")


# A month given with a precision within it: the window's first day.
_PART_STARTS = {"early-month": 1, "mid-month": 11, "late-month": 21}


def effective(on: str | datetime | None, precision: str) -> dict[str, str] | None:
    """``--on`` and ``--precision`` as an effective date: a month, quarter or year given for
    ``--on`` is that period (its precision implied), or a month narrowed by ``--precision``
    (``--on 2025-04 --precision late-month``: late April)."""
    if on is None:
        return None
    if isinstance(on, datetime):
        return {"on": on.date().isoformat(), "precision": precision}
    try:
        first, implied = period(on)
    except ValueError as error:
        raise typer.BadParameter(str(error), param_hint="--on") from None
    if implied is None:
        return {"on": first.isoformat(), "precision": precision}
    if precision in ("day", implied):
        return {"on": first.isoformat(), "precision": implied}
    if implied == "month" and precision in _PART_STARTS:
        return {
            "on": first.replace(day=_PART_STARTS[precision]).isoformat(),
            "precision": precision,
        }
    if implied == "month" or (implied == "quarter" and precision == "year"):
        return {"on": first.isoformat(), "precision": precision}
    month = first.isoformat()[:7]
    example = {"month": month, "quarter": f"{first.year}-Q{(first.month + 2) // 3}"}.get(
        precision, f"{month} --precision {precision}"
    )
    raise typer.BadParameter(
        f"--on {on} is a {implied}, wider than --precision {precision}: leave --precision out "
        f"(or give {implied}), or narrow --on, e.g. --on {example}",
        param_hint="--precision",
    )


_DIGEST = re.compile(r"([0-9]+):([0-9a-f]{64})(?::([0-9a-f]{64}))?", re.ASCII)
_DIGEST_IS = (
    "expected POSITION:ROOT:MERKLE_ROOT as `ledger digest` prints it, or POSITION:ROOT: the "
    "log position, then each root as a colon and 64 lower-case hexadecimal digits, e.g. "
    "9:ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
)


def digest(text: str, option: str = "--expect-digest") -> tuple[int, str, str]:
    """A pinned digest, ``POSITION:ROOT:MERKLE_ROOT`` or ``POSITION:ROOT``: its position, root
    and Merkle root (empty when not given)."""
    found = _DIGEST.fullmatch(text)
    if found is not None:
        return int(found.group(1)), found.group(2), found.group(3) or ""
    if ":" not in text:
        what = "has no position"
    elif not _WHOLE.fullmatch(text.partition(":")[0]):
        what = "does not start with a position"
    else:
        what = "has no root of 64 hexadecimal digits after its position"
    shown = text if len(text) <= 80 else text[:77] + "..."
    raise typer.BadParameter(f"{shown!r} {what}: {_DIGEST_IS}", param_hint=option)


_LISTEN = re.compile(r"(\[[0-9A-Fa-f:.]+\]|[^\s:\[\]]+):([0-9]{1,5})", re.ASCII)


def listen(text: str, flag: str = "--listen") -> str:
    """The address a server binds, ``HOST:PORT`` (``[::1]:PORT`` for IPv6; port 0 for any)."""
    found = _LISTEN.fullmatch(text)
    if found is None or int(found.group(2)) > 65535:
        port = "8080" if flag == "--web" else "50051"
        raise typer.BadParameter(
            f"{text!r}: expected HOST:PORT, the port 0 (any free one) to 65535, e.g. "
            f"127.0.0.1:{port}, 0.0.0.0:{port} or [::1]:{port}",
            param_hint=flag,
        )
    return text


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
