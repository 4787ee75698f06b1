"""Value objects of the ledger: what a rule is about, what it says, when, and who said so.

Every value is a frozen pydantic model or an enum; validation happens here, once, with
messages that name the offending field.

Text a caller asks the ledger to store is held to ``Line`` (one line: names, publishers, URLs)
or ``Prose`` (notes and reasons): no control characters, no bidirectional controls. Events
and the values they hold keep the laxer ``Text``, because ledgers written before these rules
may hold such characters, and replaying them must not start refusing them: the commands hold
new input to the strict types (``NewSource``, ``NewCrossing`` for the values they carry).
Amounts are ASCII digits (``Amount``); dates are in ``ledger.domain.dates``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime
from decimal import Decimal
from enum import StrEnum
from functools import cache, lru_cache
from typing import Annotated, Any, Literal, Self

import pycountry
from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    field_validator,
    model_serializer,
    model_validator,
)
from pydantic_core import PydanticCustomError

from ledger.domain.dates import ONE_DAY, Day
from ledger.domain.goods import normalise_goods

__all__ = [
    "Value",
    "ChangeKind",
    "compare_strictness",
    "Dimension",
    "DIMENSIONS",
    "Direction",
    "Channel",
    "Traveller",
    "Inspection",
    "Enforcement",
    "Admissibility",
    "AdmissibilityKind",
    "Measure",
    "Source",
    "Scope",
    "OfficeCode",
    "CurrencyCode",
    "Goods",
    "Crossing",
    "CrossingMode",
    "Text",
    "Line",
    "Prose",
    "Amount",
    "NewSource",
    "NewCrossing",
    "MAX_CODE_LENGTH",
    "MAX_DIGITS",
]

# Limits on what a caller can make the ledger store or parse: an office code or goods longer
# than this is a mistake, not a code, and no amount needs more digits.
MAX_CODE_LENGTH = 100
MAX_DIGITS = 40


class Value(BaseModel):
    """Base of every value object: immutable, and strict about unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class Direction(StrEnum):
    """Outbound leaves the office's country; inbound enters it."""

    OUTBOUND = "outbound"
    INBOUND = "inbound"


class Channel(StrEnum):
    """How goods cross."""

    PERSONAL_BAGGAGE = "personal-baggage"
    CARGO_ROAD = "cargo-road"
    CARGO_RAIL = "cargo-rail"
    CARGO_SEA = "cargo-sea"
    CARGO_AIR = "cargo-air"
    POSTAL = "postal"


class Traveller(StrEnum):
    """Who carries the goods; ``any`` is the fallback when no named category matches."""

    ANY = "any"
    WORKER = "worker"
    VISITOR = "visitor"
    TRADER = "trader"
    OFFICIAL = "official"
    RESIDENT = "resident"
    DRIVER = "driver"
    CREW = "crew"


class ChangeKind(StrEnum):
    """What a recorded change claims: a baseline observed, a tightening or a loosening."""

    OBSERVED = "observed"
    TIGHTENED = "tightened"
    LOOSENED = "loosened"


class _Ordered(StrEnum):
    """An enum whose declaration order is its order of strictness, loosest first."""

    @property
    def rank(self) -> int:
        return _ranks(type(self))[self]


@cache  # one entry per enum class: as many as are declared below
def _ranks(enum: type[_Ordered]) -> dict[_Ordered, int]:
    return {member: number for number, member in enumerate(enum)}


class Inspection(_Ordered):
    """How hard goods are inspected, loosest first."""

    NONE = "none"
    LIGHT = "light"
    STANDARD = "standard"
    THOROUGH = "thorough"
    RIGOROUS = "rigorous"


class Enforcement(_Ordered):
    """What happens on a violation, loosest first."""

    NONE = "none"
    REFUSAL = "refusal"
    CONFISCATION = "confiscation"
    FINE = "fine"
    DETENTION = "detention"


class CrossingMode(StrEnum):
    ROAD = "road"
    RAIL = "rail"
    BRIDGE = "bridge"
    FERRY = "ferry"
    AIR = "air"


@lru_cache(maxsize=1024)  # pycountry's look-up is slow, and the same codes come back
def _check_currency(code: str) -> str:
    if pycountry.currencies.get(alpha_3=code) is None:
        raise _refuse(
            "currency_code", f"{code!r} is not an ISO 4217 currency code, e.g. USD, CNY or EUR"
        )
    return code


CurrencyCode = Annotated[str, Field(pattern=r"^[A-Z]{3}$"), AfterValidator(_check_currency)]

_OFFICE_CODE = re.compile(r"^([A-Z]{2})-[A-Z0-9]+(?:-[A-Z0-9]+)*$")


@lru_cache(maxsize=16384)
def _check_office_code(code: str) -> str:
    match = _OFFICE_CODE.match(code)
    if match is None and _OFFICE_CODE.match(code.upper()):
        raise _refuse(
            "office_code",
            f"{code!r} is not an office code: expected COUNTRY-NAME in capitals: did you mean "
            f"{code.upper()}?",
        )
    if match is None:
        raise _refuse(
            "office_code",
            f"{code!r} is not an office code: expected COUNTRY-NAME in capitals (a two-letter "
            "country code, a hyphen, then letters and digits), e.g. CN-DANDONG",
        )
    if pycountry.countries.get(alpha_2=match.group(1)) is None:
        raise _refuse(
            "office_code",
            f"{code!r} does not start with an ISO 3166-1 alpha-2 country code: expected two "
            "capitals such as CN or KP, then a hyphen and the name, e.g. CN-DANDONG",
        )
    return code


OfficeCode = Annotated[str, Field(max_length=MAX_CODE_LENGTH), AfterValidator(_check_office_code)]
Goods = Annotated[str, Field(max_length=MAX_CODE_LENGTH), AfterValidator(normalise_goods)]


def _check_text(text: str) -> str:
    # PostgreSQL cannot store U+0000 in text: refused here, before anything is written.
    if "\x00" in text:
        raise _refuse("text_character", "U+0000 (the NUL character) cannot be stored: remove it")
    return text


# Text as events hold it: anything but NUL (what the ledger accepted before ``Line``).
Text = Annotated[str, AfterValidator(_check_text)]

# What new text may not hold. Control characters (C0, DEL, C1) are what a terminal acts on:
# ESC starts its escape sequences, U+009B is a one-character CSI. Bidirectional controls
# reorder what a reader sees, and line and paragraph separators break a line nobody sees.
# Prose keeps tab and line feed.
_SPECIAL = r"\x7f-\x9f\u2028\u2029\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069"
_NOT_IN_LINE = re.compile(rf"[\x00-\x1f{_SPECIAL}]")
_NOT_IN_PROSE = re.compile(rf"[\x00-\x08\x0b-\x1f{_SPECIAL}]")
_LINE_IS = (
    "expected one line of printable text, without control or bidirectional characters, "
    'e.g. "Dandong Customs"'
)
_URL_IS = "expected a URL without control or bidirectional characters, e.g. https://example.org/"
_PROSE_IS = (
    "expected printable text (line breaks and tabs allowed), without other control or "
    'bidirectional characters, e.g. "Confiscated at the bridge."'
)


def _refuse(kind: str, message: str) -> PydanticCustomError:
    # The message as it is, without pydantic's "Value error, " before it.
    return PydanticCustomError(kind, "{reason}", {"reason": message})


def _kind(char: str) -> str:
    code = ord(char)
    if code < 0x20 or code == 0x7F:
        return "a control character"
    if code <= 0x9F:
        return "a C1 control character"
    if char in "\u2028\u2029":
        return "a line or paragraph separator"
    return "a bidirectional control"


def _held_to(refused: re.Pattern[str], accepted: str) -> Callable[[object], object]:
    # Before the string's own constraints: a URL's pattern would refuse a tab without naming it.
    def check(text: object) -> object:
        found = refused.search(text) if isinstance(text, str) else None
        if found is None:
            return text
        char = found.group()
        where = f"U+{ord(char):04X} ({_kind(char)}) at character {found.start() + 1}"
        raise _refuse("text_character", f"{where}: {accepted}")

    return check


# New text of one line: names, publishers, counterparts.
Line = Annotated[str, BeforeValidator(_held_to(_NOT_IN_LINE, _LINE_IS))]
# A new URL: the same characters refused, and an example of its own.
_URLLine = Annotated[str, BeforeValidator(_held_to(_NOT_IN_LINE, _URL_IS))]
# New free text: notes, reasons. Tab and line feed are allowed, nothing else of the above.
Prose = Annotated[str, BeforeValidator(_held_to(_NOT_IN_PROSE, _PROSE_IS))]

# Any script's digits are digits to ``Decimal`` ("١٢" is 12): amounts are ASCII, in any form
# ``str(Decimal)`` writes (``5E+2``, ``-0``), so that amounts stored before read back.
_AMOUNT = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?")


def _check_amount(value: object) -> object:
    if isinstance(value, str) and not _AMOUNT.fullmatch(value):
        shown = repr(value) if len(value) <= 40 else repr(value[:37]) + "..."
        raise _refuse(
            "amount_format",
            f"{shown} is not an amount: expected a decimal number in ASCII digits, "
            "e.g. 500 or 500.00",
        )
    return value


Amount = Annotated[Decimal, Field(ge=0, max_digits=MAX_DIGITS), BeforeValidator(_check_amount)]


class AdmissibilityKind(_Ordered):
    """The kinds of admissibility, strictest first (ranks compare the other way round)."""

    PROHIBITED = "prohibited"
    QUANTITY_LIMIT = "quantity-limit"
    VALUE_LIMIT = "value-limit"
    ALLOWED = "allowed"


class Admissibility(Value):
    """Whether goods may cross: prohibited < at most *n* < at most a value < allowed."""

    kind: AdmissibilityKind
    quantity: int | None = Field(default=None, ge=0)
    amount: Amount | None = None
    currency: CurrencyCode | None = None

    @model_validator(mode="after")
    def _limits_match_kind(self) -> Self:
        wants_quantity = self.kind is AdmissibilityKind.QUANTITY_LIMIT
        wants_value = self.kind is AdmissibilityKind.VALUE_LIMIT
        if wants_quantity != (self.quantity is not None):
            raise _refuse(
                "admissibility_limit",
                "quantity is required for a quantity-limit, and only for one: e.g. "
                "quantity-limit with quantity 2",
            )
        if wants_value != (self.amount is not None) or wants_value != (self.currency is not None):
            raise _refuse(
                "admissibility_limit",
                "amount and currency are required for a value-limit, and only for one: e.g. "
                "value-limit with amount 500.00 and currency USD",
            )
        return self

    def compare(self, other: Admissibility) -> int | None:
        """-1 if stricter than ``other``, 0 if as strict, 1 if looser, None if not comparable.

        Value limits in different currencies have no order: the ledger will not guess a rate.
        """
        if self.kind is not other.kind:
            return -1 if self.kind.rank < other.kind.rank else 1
        if self.kind is AdmissibilityKind.QUANTITY_LIMIT:
            assert self.quantity is not None
            assert other.quantity is not None
            return _sign(self.quantity - other.quantity)
        if self.kind is AdmissibilityKind.VALUE_LIMIT:
            if self.currency != other.currency:
                return None
            assert self.amount is not None
            assert other.amount is not None
            return _sign(self.amount - other.amount)
        return 0

    def __str__(self) -> str:
        if self.kind is AdmissibilityKind.QUANTITY_LIMIT:
            return f"at most {self.quantity}"
        if self.kind is AdmissibilityKind.VALUE_LIMIT:
            return f"at most {self.amount} {self.currency}"
        return self.kind.value


def _sign(number: int | Decimal) -> int:
    return (number > 0) - (number < 0)


def compare_strictness(
    new: Admissibility | Inspection | Enforcement, old: Admissibility | Inspection | Enforcement
) -> int | None:
    """-1 if ``new`` is stricter than ``old``, 0 if as strict, 1 if looser, None if unordered."""
    if isinstance(new, Admissibility):
        assert isinstance(old, Admissibility)
        return new.compare(old)
    assert isinstance(old, type(new))
    return (new.rank < old.rank) - (new.rank > old.rank)


Dimension = Literal["admissibility", "inspection", "enforcement"]
DIMENSIONS: tuple[Dimension, ...] = ("admissibility", "inspection", "enforcement")


class Measure(Value):
    """What a rule says. A change states some dimensions; the rest carry forward."""

    admissibility: Admissibility | None = None
    inspection: Inspection | None = None
    enforcement: Enforcement | None = None

    @model_validator(mode="after")
    def _states_something(self) -> Self:
        if self.admissibility is None and self.inspection is None and self.enforcement is None:
            raise _refuse(
                "measure_empty",
                "a measure states at least one of admissibility, inspection, enforcement, "
                "e.g. inspection rigorous",
            )
        return self

    def stated(self) -> dict[Dimension, Admissibility | Inspection | Enforcement]:
        """The dimensions this measure states, by name."""
        values: dict[Dimension, Admissibility | Inspection | Enforcement | None] = {
            "admissibility": self.admissibility,
            "inspection": self.inspection,
            "enforcement": self.enforcement,
        }
        return {name: value for name, value in values.items() if value is not None}

    def amended(self, correction: Measure | None, clear: Iterable[Dimension] = ()) -> Measure:
        """This measure corrected: the dimensions ``correction`` states replace these, those
        in ``clear`` are no longer stated, the others stay. ``ValueError`` if none is left."""
        stated: dict[Dimension, Admissibility | Inspection | Enforcement] = self.stated()
        if correction is not None:
            stated.update(correction.stated())
        for dimension in clear:
            stated.pop(dimension, None)
        return Measure.model_validate(stated)

    def __str__(self) -> str:
        return ", ".join(f"{name} {value}" for name, value in self.stated().items())


_URL = r"^https?://[^\s/$.?#][^\s]*$"


class Source(Value):
    """Who reported a change, where and when, and how much to trust it (Admiralty code).

    A source is found by its URL, or by a reference in words where there is no page: an
    informant ("Daily NK source in Sinuiju"), an interview, a notice on paper. It has one or
    both (sources recorded before references existed all have a URL)."""

    publisher: Text = Field(min_length=1, max_length=200)
    url: Text | None = Field(default=None, pattern=_URL, max_length=2000)
    reference: Text | None = Field(default=None, min_length=1, max_length=500)
    published: Day
    language: str = Field(default="en", pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$", max_length=35)
    grade: str = Field(pattern=r"^[A-F][1-6]$", description="Admiralty code, e.g. B2")

    @field_validator("published")
    @classmethod
    def _not_in_the_future(cls, published: date) -> date:
        # A day of slack: "today" somewhere on Earth is tomorrow in UTC.
        if published > datetime.now(UTC).date() + ONE_DAY:
            raise _refuse(
                "published_future",
                f"{published} is in the future: a source cannot be cited before it is "
                "published; give the day it was published, e.g. "
                f"{datetime.now(UTC).date().isoformat()}",
            )
        return published

    @model_serializer(mode="wrap")
    def _absent_left_out(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        """No ``url`` or ``reference`` key for one the source has not: a source recorded before
        references existed is written as it always was (stored events, history, digests)."""
        data: dict[str, Any] = handler(self)
        for key in ("url", "reference"):
            if data.get(key, "") is None:
                del data[key]
        return data

    @model_validator(mode="after")
    def _found_somewhere(self) -> Self:
        if self.url is None and self.reference is None:
            raise _refuse(
                "source_location",
                "a source needs a url or a reference saying where it can be found, e.g. "
                'reference "Daily NK source in Sinuiju" or "customs notice No. 12, paper"',
            )
        return self


class Scope(Value):
    """What a rule is about."""

    direction: Direction
    channel: Channel
    traveller: Traveller = Traveller.ANY
    goods: Goods

    def __str__(self) -> str:
        return f"{self.direction}/{self.channel}/{self.traveller}/{self.goods}"


class Crossing(Value):
    """A crossing served by an office: the place on the other side and how one crosses."""

    counterpart: Text = Field(min_length=1, max_length=200)
    mode: CrossingMode


class _NewSource(Source):
    """A source as a command gives it: ``Source``'s limits, its text held to ``Line``."""

    publisher: Line = Field(min_length=1, max_length=200)
    url: _URLLine | None = Field(default=None, pattern=_URL, max_length=2000)
    reference: Line | None = Field(default=None, min_length=1, max_length=500)


class _NewCrossing(Crossing):
    """A crossing as a command gives it: ``Crossing``'s limits, its text held to ``Line``."""

    counterpart: Line = Field(min_length=1, max_length=200)


def _new(strict: type[Value], plain: type[Value]) -> BeforeValidator:
    """New input validated as ``strict`` (refusals named by field, under the value's place in
    the request), and kept as the ``plain`` value, the one events hold."""

    def validate(value: object) -> Value:
        given = dict(value) if isinstance(value, BaseModel) else value
        checked = strict.model_validate(given)
        return plain.model_construct(checked.model_fields_set, **dict(checked))

    return BeforeValidator(validate)


# A source and a crossing as commands take them: ``Source`` and ``Crossing`` values.
NewSource = Annotated[Source, _new(_NewSource, Source)]
NewCrossing = Annotated[Crossing, _new(_NewCrossing, Crossing)]
