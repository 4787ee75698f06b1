"""The ledger's refusals: one base, a few kinds, and the domain's own errors.

Every refusal is a ``LedgerError`` of one *kind* (not found, already exists, invalid, a failed
precondition, a conflict, unavailable); the server maps each kind to one status code, so a new
error needs no mapping of its own. ``fields`` names the request fields a refusal is about,
when it can say.

``plain`` says a validation error of pydantic's in plain words (what is wrong, what is
accepted, an example): the server's refusals and the command line use it, so that no library
wording reaches a user.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, get_args
from uuid import UUID

from pydantic_core.core_schema import ErrorType

from ledger.domain.values import ChangeKind

if TYPE_CHECKING:
    from ledger.domain.office import Change
    from ledger.domain.values import Admissibility, Dimension, Enforcement, Inspection

__all__ = [
    "LedgerError",
    "NotFound",
    "AlreadyExists",
    "InvalidRequest",
    "PreconditionFailed",
    "Conflict",
    "Unavailable",
    "Exhausted",
    "StorageFault",
    "StorageUnavailable",
    "StorageFull",
    "OfficeNotFound",
    "OfficeAlreadyRegistered",
    "ChangeNotFound",
    "ChangeAlreadyRetracted",
    "NothingToAmend",
    "AmendmentContradicts",
    "DirectionViolation",
    "ChainBroken",
    "plain",
]


class LedgerError(Exception):
    """Base of every refusal; each names what was refused and why."""

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        """The offending request fields, as (path, what is wrong); empty when none applies."""
        return ()


class NotFound(LedgerError):
    """What the request names does not exist."""


class AlreadyExists(LedgerError):
    """What the request would create exists already."""


class InvalidRequest(LedgerError):
    """The request itself is wrong, whatever the ledger holds."""


class PreconditionFailed(LedgerError):
    """The request is well formed, but the ledger's state refuses it."""


class Conflict(LedgerError):
    """Another write got there first; reading again and retrying may succeed."""


class Unavailable(LedgerError):
    """Not now: the same request may succeed later, or on another server."""


class Exhausted(LedgerError):
    """A limit is reached: the request asks too much at once (split it), or there is no room
    left to store it (try later)."""


class StorageFault(LedgerError):
    """The database, not the request, is at fault. While one lasts the server reports
    NOT_SERVING; the next write that succeeds clears it."""


class StorageUnavailable(StorageFault, Unavailable):
    """The database cannot be used now (connection lost, file gone); the same request, with the
    same request id, may be retried. ``passing``: a fault that a call reading the database
    shows to be over (a lost connection), unlike a file gone, which only a write clears."""

    def __init__(self, message: str, *, passing: bool = False) -> None:
        super().__init__(message)
        self.passing = passing


class StorageFull(StorageFault, Exhausted):
    """The database has no room left to store the request; nothing was stored."""


class OfficeNotFound(NotFound):
    """An office code nobody registered; ``near``: registered codes it may be a slip for."""

    def __init__(self, code: str, near: Sequence[str] = ()) -> None:
        hint = f": did you mean {' or '.join(near)}?" if near else ""
        super().__init__(f"office {code} is not registered{hint}")
        self.code = code
        self.near = tuple(near)

    def suggesting(self, registered: Iterable[str]) -> OfficeNotFound:
        """The same refusal, naming the registered codes closest to the one asked for."""
        near = difflib.get_close_matches(self.code.upper(), list(registered), n=3, cutoff=0.6)
        return OfficeNotFound(self.code, near)


class OfficeAlreadyRegistered(AlreadyExists):
    def __init__(self, code: str) -> None:
        super().__init__(f"office {code} is already registered")
        self.code = code


class ChangeNotFound(NotFound):
    def __init__(self, office: str, change_id: UUID) -> None:
        super().__init__(f"office {office} has no change {change_id}")
        self.change_id = change_id


class ChangeAlreadyRetracted(PreconditionFailed):
    def __init__(self, office: str, change_id: UUID) -> None:
        super().__init__(f"change {change_id} of office {office} is retracted")
        self.change_id = change_id


class NothingToAmend(InvalidRequest):
    def __init__(self, change_id: UUID) -> None:
        super().__init__(
            f"an amendment of change {change_id} must correct its effective date, restate a "
            "dimension of its measure, or clear one, e.g. --enforcement fine or --clear "
            "inspection"
        )


class AmendmentContradicts(InvalidRequest):
    """An amendment that both restates and clears a dimension, or clears every one."""

    def __init__(self, change_id: UUID, reason: str) -> None:
        super().__init__(f"the amendment of change {change_id} {reason}")
        self.change_id = change_id

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return (("clear", str(self)),)


class DirectionViolation(PreconditionFailed):
    """A tightening that loosens, or a loosening that tightens, some dimension."""

    def __init__(
        self,
        kind: ChangeKind,
        dimension: Dimension,
        new: Admissibility | Inspection | Enforcement,
        prior: Change,
        *,
        comparable: bool,
    ) -> None:
        tightening = kind is ChangeKind.TIGHTENED
        verb = "tightening" if tightening else "loosening"
        relation = (
            ("is looser than" if tightening else "is stricter than")
            if comparable
            else "cannot be ordered against"
        )
        super().__init__(
            f"a {verb} cannot set {dimension} to {new}: it {relation} the prior measure "
            f"({prior.measure}, change {prior.change_id}, effective {prior.effective}); "
            "record a mixed change as two events"
        )
        self.dimension = dimension
        self.prior = prior


class ChainBroken(LedgerError):
    """An event that does not link to the previous event of its office: the store was altered."""

    def __init__(self, office_id: UUID, version: int, prev_hash: str, last_hash: str) -> None:
        super().__init__(
            f"event {version} of office {office_id} links to {prev_hash}, but the previous "
            f"event's hash is {last_hash}"
        )


# What each field of a request is, and what it accepts with an example: the plain words a
# refusal of it ends with, whatever the library's check that failed.
_FORMS: dict[str, tuple[str, str]] = {
    "office": ("an office code", "COUNTRY-NAME in capitals, e.g. CN-DANDONG"),
    "offices": ("an office code", "COUNTRY-NAME in capitals, e.g. CN-DANDONG"),
    "grade": (
        "an Admiralty grade",
        "a letter A-F for the source's reliability and a digit 1-6 for the information's "
        "credibility, e.g. B2",
    ),
    "url": ("a URL", "http:// or https://, then a host, without spaces, e.g. https://example.org/"),
    "reference": (
        "a reference",
        'words saying where the source can be found, e.g. "Daily NK source in Sinuiju"',
    ),
    "publisher": ("a publisher", 'the publisher or informant, e.g. "Daily NK"'),
    "language": ("a language tag", "a lower-case language code, e.g. en, ko or zh-Hans"),
    "currency": ("a currency code", "an ISO 4217 code in capitals, e.g. USD or CNY"),
    "published": ("a date", "YYYY-MM-DD, e.g. 2025-03-19"),
    "at": ("a date", "YYYY-MM-DD, e.g. 2025-03-20"),
    "on": ("a date", "YYYY-MM-DD, e.g. 2025-03-20"),
    "valid_from": ("a date", "YYYY-MM-DD, e.g. 2025-03-20"),
    "valid_to": ("a date", "YYYY-MM-DD, e.g. 2025-03-20"),
    "known_at": (
        "a knowledge time",
        "a date YYYY-MM-DD or an RFC 3339 timestamp with its offset, e.g. 2025-03-20 or "
        "2025-03-20T12:00:00+00:00",
    ),
    "request_id": ("a request id", "printable ASCII without spaces, e.g. import-7-line-3"),
    "change_id": (
        "a change id",
        "a UUID as receipts and histories show it, e.g. 0f8fad5b-d9cb-469f-a165-70867728950e",
    ),
    "root": ("a digest root", "64 lower-case hexadecimal digits, as `ledger digest` shows them"),
    "quantity": ("a quantity", "a whole number, e.g. 2"),
    "amount": ("an amount", "a decimal number in ASCII digits, e.g. 500 or 500.00"),
    "value": ("an amount", "a decimal number in ASCII digits, e.g. 500 or 500.00"),
    "goods": ("goods", "an HS code or a category, e.g. 8516.60 or electronics"),
    "name": ("a name", 'one line of text, e.g. "Dandong Customs"'),
    "counterpart": ("a counterpart", "the place across the border, e.g. Sinuiju"),
    "reason": ("a reason", 'a reason in words, e.g. "recorded against the wrong office"'),
    "sources": (
        "a source",
        "a publisher, a URL or a reference, the date published and an Admiralty grade, e.g. "
        "Daily NK, https://www.dailynk.com/english/, 2025-03-19, B2",
    ),
    "items": (
        "an item",
        "goods, with a quantity and a value where they matter, e.g. goods 8516.60, quantity 1",
    ),
    "expected_version": ("a version", "the office's version as its last receipt shows it, e.g. 3"),
    "position": ("a log position", "0 or more, e.g. 9"),
}

# The library's checks that concern a number's size, and how to say each.
_BOUNDS = {
    "greater_than": ("too small", "more than {gt}"),
    "greater_than_equal": ("too small", "{ge} or more"),
    "less_than": ("too large", "less than {lt}"),
    "less_than_equal": ("too large", "at most {le}"),
}


def plain(detail: Mapping[str, Any]) -> str:
    """One of pydantic's error details (``ValidationError.errors()``) in plain words: what is
    wrong, what is accepted, an example. The ledger's own messages (its ``ValueError``\\ s and
    custom errors) are kept as written, without pydantic's "Value error, "; the library's
    checks are said in words, never with its wording or a regular expression."""
    kind = detail["type"]
    context = detail.get("ctx") or {}
    if kind in ("value_error", "assertion_error") and "error" in context:
        return str(context["error"])
    if kind not in _LIBRARY_TYPES:
        return str(detail["msg"])  # the ledger's own (``PydanticCustomError``)
    field = next((part for part in reversed(detail["loc"]) if isinstance(part, str)), "")
    noun, accepted = _FORMS.get(field, ("", ""))
    given = detail.get("input")
    shown = _quoted(given)
    expected = f": expected {accepted}" if accepted else ""
    if kind == "missing":
        return f"{noun or 'a value'} is required{expected}"
    if kind == "string_pattern_mismatch":
        return f"{shown} is not {noun}{expected}" if noun else f"{shown} is not in a form accepted"
    if kind == "string_too_short":
        if context.get("min_length") == 1:
            return f"{noun or 'the text'} must not be empty{expected}"
        return f"{shown} is too short: at least {context.get('min_length')} characters{expected}"
    if kind == "string_too_long":
        length = len(given) if isinstance(given, str) else "more"
        return f"too long: at most {context.get('max_length')} characters, this has {length}"
    if kind == "too_short":
        least, given = context.get("min_length"), context.get("actual_length")
        each = f"; each is {noun}: {accepted}" if noun else ""
        return f"at least {least} required, {given} given{each}"
    if kind == "too_long":
        return (
            f"too many: at most {context.get('max_length')}, {context.get('actual_length')} "
            "given (split the request)"
        )
    if kind in _BOUNDS:
        what, bound = _BOUNDS[kind]
        return f"{shown} is {what}: expected {bound.format(**context)}"
    if kind in ("literal_error", "enum"):
        return f"{shown} is not accepted: expected {context.get('expected', accepted)}"
    if kind in ("int_parsing", "int_type", "int_from_float", "int_parsing_size"):
        return f"{shown} is not a whole number: expected digits, e.g. 2"
    if kind in ("float_parsing", "float_type", "decimal_parsing", "decimal_type", "finite_number"):
        return f"{shown} is not a number: expected a decimal number in ASCII digits, e.g. 500.00"
    if kind in ("decimal_max_digits", "decimal_whole_digits", "decimal_max_places"):
        return f"{shown} has too many digits{expected}"
    if kind in ("uuid_parsing", "uuid_type", "uuid_version"):
        return f"{shown} is not {noun or 'a UUID'}: expected {accepted or 'a UUID'}"
    if kind in ("bool_parsing", "bool_type"):
        return f"{shown} is not accepted: expected true or false"
    if kind == "extra_forbidden":
        return "not a field of this request"
    return f"{shown} is not {noun}{expected}" if noun else f"{shown} is not accepted here"


_LIBRARY_TYPES = frozenset(get_args(ErrorType))


def _quoted(value: object) -> str:
    """What a caller sent, short and with anything unprintable escaped (``repr``)."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
