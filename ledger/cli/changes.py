"""Changes by short id, as git abbreviates commits: what a history shows and what a command
takes.

A change is known by a UUID; people read and type its first 8 hex digits, more only where two
of an office's changes share them. A command that takes a change id (``amend``, ``retract``)
takes a unique prefix of at least 4 hex digits too, found in the office's history; an
ambiguous one is refused naming the candidates. The history's events are also where a change's
standing comes from: how often it was amended, whether it was retracted.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterable
from typing import Any
from uuid import UUID

import typer

from ledger.cli.render import scope_text
from ledger_client.connection import Connection

__all__ = [
    "KINDS",
    "CHANGE_TYPES",
    "SHORT",
    "kind_of",
    "event_type",
    "abbreviate",
    "standing",
    "history",
    "resolve",
    "AmbiguousChange",
    "UnknownChange",
]

Data = dict[str, Any]

# Each event type, by the word a history shows for it.
KINDS = {
    "OfficeRegistered": "registered",
    "PolicyObserved": "observed",
    "PolicyTightened": "tightened",
    "PolicyLoosened": "loosened",
    "ChangeAmended": "amended",
    "ChangeRetracted": "retracted",
}
# The events that record a change (its id is theirs); amendments and retractions target one.
CHANGE_TYPES = frozenset({"PolicyObserved", "PolicyTightened", "PolicyLoosened"})
SHORT = 8
_SHORTEST = 4
_PREFIX = re.compile(r"[0-9a-f-]+", re.ASCII)


def kind_of(event_type: str) -> str:
    """``PolicyTightened`` is ``tightened``; a type this CLI does not know stays as it is."""
    return KINDS.get(event_type, event_type)


def event_type(text: str) -> str:
    """The event type named ``text``: a type (``PolicyTightened``, any case) or a kind word
    (``tightened``)."""
    for name, kind in KINDS.items():
        if text.lower() in (name.lower(), kind):
            return name
    accepted = ", ".join(f"{kind} ({name})" for name, kind in KINDS.items())
    raise typer.BadParameter(
        f"{text!r} is not an event type: expected one of {accepted}, e.g. --type tightened",
        param_hint="--type",
    )


def _hex(change_id: str) -> str:
    return change_id.replace("-", "").lower()


def abbreviate(change_ids: Iterable[str]) -> dict[str, str]:
    """Each id's shortest prefix of at least 8 characters that no other of ``change_ids``
    shares (an id that has its prefix's dash keeps it: ``1a2b3c4d-5e``)."""
    ids = sorted(set(change_ids), key=_hex)
    short: dict[str, str] = {}
    for index, change_id in enumerate(ids):
        digits = _hex(change_id)
        # Sorted, an id shares its longest common prefix with a neighbour.
        shared = max(
            (
                _common(digits, _hex(ids[other]))
                for other in (index - 1, index + 1)
                if 0 <= other < len(ids)
            ),
            default=0,
        )
        length = max(SHORT, shared + 1)
        short[change_id] = _cut(change_id, length)
    return short


def _common(one: str, other: str) -> int:
    length = 0
    for a, b in zip(one, other, strict=False):
        if a != b:
            break
        length += 1
    return length


def _cut(change_id: str, digits: int) -> str:
    """``change_id`` up to its ``digits``-th hex digit, dashes kept."""
    seen = 0
    for position, character in enumerate(change_id):
        if character != "-":
            seen += 1
            if seen == digits:
                return change_id[: position + 1]
    return change_id


def standing(events: Iterable[Data]) -> dict[str, str]:
    """What became of each change the events amend or retract: ``amended 2x``,
    ``retracted``, ``amended 1x, retracted``."""
    amended: Counter[str] = Counter()
    retracted: set[str] = set()
    for event in events:
        target = event.get("change_id")
        if target and event["type"] == "ChangeAmended":
            amended[target] += 1
        elif target and event["type"] == "ChangeRetracted":
            retracted.add(target)
    said: dict[str, str] = {}
    for change_id in {*amended, *retracted}:
        parts = [f"amended {amended[change_id]}x"] if amended[change_id] else []
        parts += ["retracted"] if change_id in retracted else []
        said[change_id] = ", ".join(parts)
    return said


def history(connection: Connection, request: Data) -> list[Data]:
    """An office's history (``GetHistory``), as plain data."""
    from ledger_api.convert import to_data

    return [
        to_data(event)
        for reply in connection.stream("GetHistory", request, timeout=connection.timeout)
        for event in reply.events
    ]


class UnknownChange(ValueError):
    """No change of the office starts with the prefix."""


class AmbiguousChange(ValueError):
    """Several changes of the office start with the prefix."""


def resolve(connection: Connection, office: str, text: str) -> str:
    """The change id ``text`` stands for at ``office``: a UUID as it is (the ledger judges it),
    or the one change of the office's whose id starts with it (at least 4 hex digits)."""
    try:
        UUID(text)
    except ValueError:
        pass
    else:
        return text
    prefix = _hex(text)
    if len(prefix) < _SHORTEST or not _PREFIX.fullmatch(text.lower()):
        raise typer.BadParameter(
            f"{text!r} is not a change id: expected a UUID or the start of one, at least "
            f"{_SHORTEST} hex digits, as `ledger history --office {office}` shows it "
            "(e.g. 3f2a9c1b)",
            param_hint="--change",
        )
    events = history(connection, {"office": office})
    found = [event for event in events if event["type"] in CHANGE_TYPES and event.get("change_id")]
    matches = [event for event in found if _hex(event["change_id"]).startswith(prefix)]
    if not matches:
        raise UnknownChange(
            f"no change of {office} starts with {text} "
            f"(`ledger history --office {office}` lists its changes)"
        )
    if len(matches) > 1:
        lines = [f"  {event['change_id']}  {_described(event)}" for event in matches]
        raise AmbiguousChange(
            f"{text} is ambiguous: {len(matches)} changes of {office} start with it; give more "
            "of the id:\n" + "\n".join(lines)
        )
    return str(matches[0]["change_id"])


def _described(event: Data) -> str:
    scope = json.loads(event["event_json"]).get("scope")
    return f"{kind_of(event['type'])} {scope_text(scope) if scope else ''}".strip()
