"""Timelines: each scope's and dimension's rule over valid time, and the changes behind it.

``LedgerClient.timeline`` asks ``GetTimeline`` and joins its messages into one
``OfficeTimeline`` per office, in the order asked. Every office's timeline says what the log
said up to one ``position``, whose ledger digest it carries: a picture drawn from it can be
checked later against the ledger (``ledger audit --remote --expect-digest``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Annotated, Any
from uuid import UUID

from pydantic import BeforeValidator

from ledger_api.convert import to_data
from ledger_client.connection import Connection
from ledger_client.models import Day, EffectiveDate, Measure, Model, Scope, Source, absent
from ledger_client.queries import When, text

__all__ = [
    "Timelines",
    "Timeline",
    "OfficeTimeline",
    "Band",
    "Interval",
    "Level",
    "TimelineChange",
    "Amendment",
]

# A day the wire leaves empty for "none" (an interval's open end, a change not retracted).
OptionalDay = Annotated[Day | None, BeforeValidator(absent)]


class Level(Model):
    """A dimension's rule, and the change (in its form ``revision``) that set it;
    ``strictness`` runs from 0, the dimension's loosest, to ``strictest``."""

    value: str
    strictness: int = 0
    strictest: int = 0
    change_id: UUID
    revision: int = 0
    kind: str


class Interval(Model):
    """Days ``valid_from``..``valid_to`` (None: onwards) with the same rule. ``level`` is the
    rule in force for certain (None: no rule); when ``uncertain`` the days lie in a change's
    window, and ``pending`` is the rule once that change has taken effect."""

    valid_from: Day
    valid_to: OptionalDay = None
    level: Level | None = None
    uncertain: bool = False
    pending: Level | None = None


class Band(Model):
    scope: Scope
    dimension: str
    intervals: tuple[Interval, ...] = ()


class Amendment(Model):
    revision: int
    measure: Measure
    effective: EffectiveDate
    recorded_at: datetime
    reported_on: Day


class TimelineChange(Model):
    """A change as known then: when it takes effect, was first recorded and first reported;
    its amendments and its retraction, if known then."""

    change_id: UUID
    kind: str
    scope: Scope
    measure: Measure
    effective: EffectiveDate
    window_start: Day
    window_end: Day
    recorded_at: datetime
    reported_on: Day
    sources: tuple[Source, ...] = ()
    amendments: tuple[Amendment, ...] = ()
    retracted_at: datetime | None = None
    retracted_on: OptionalDay = None


class OfficeTimeline(Model):
    office: str
    bands: tuple[Band, ...] = ()
    changes: tuple[TimelineChange, ...] = ()


class Timeline(Model):
    """Offices' timelines, as the log said up to ``position`` (ledger digest ``digest``)."""

    position: int = 0
    digest: str = ""
    offices: tuple[OfficeTimeline, ...] = ()


def joined(replies: Iterable[Any]) -> Timeline:
    """``GetTimeline``'s messages as one ``Timeline``: an office's messages joined."""
    offices: dict[str, dict[str, list[Any]]] = {}
    position, digest = 0, ""
    for reply in replies:
        position, digest = reply.position, reply.digest
        parts = offices.setdefault(reply.office, {"bands": [], "changes": []})
        parts["bands"].extend(to_data(band) for band in reply.bands)
        parts["changes"].extend(to_data(change) for change in reply.changes)
    return Timeline.model_validate(
        {
            "position": position,
            "digest": digest,
            "offices": [{"office": code, **parts} for code, parts in offices.items()],
        }
    )


class Timelines(Connection):
    """The timeline question."""

    def timeline(
        self,
        offices: str | Iterable[str],
        *,
        valid_from: When = None,
        valid_to: When = None,
        direction: str | None = None,
        channel: str | None = None,
        traveller: str | None = None,
        goods: str | None = None,
        known_at: When = None,
        basis: str | None = None,
        known_at_position: int | None = None,
        min_position: int = 0,
    ) -> Timeline:
        """One or more offices' timelines between two days (None: from the first rule, or
        onwards), for the scopes the filters keep, as known at ``known_at`` on ``basis`` or
        up to ``known_at_position``."""
        codes = [offices] if isinstance(offices, str) else list(offices)
        request = {
            "offices": codes,
            "valid_from": text(valid_from),
            "valid_to": text(valid_to),
            "direction": direction,
            "channel": channel,
            "traveller": traveller,
            "goods": goods,
            "known_at": text(known_at),
            "basis": basis,
            "known_at_position": known_at_position,
            "min_position": min_position,
        }
        return joined(self.stream("GetTimeline", request, timeout=self.timeout))
