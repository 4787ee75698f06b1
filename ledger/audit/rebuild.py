"""The store audit's read-model check: the log projected again and compared with the stored model.

The events go through the ledger's own projection (``RuleProjection``, its handlers and its
view's ``save``), a batch at a time as the replay reads them, into a scratch SQLite file;
then the two read models are walked in one ordered pass (office, change id, revision), a page
of rows at a time. Memory stays bounded whatever the length of the log: no event, revision or
row is held beyond its batch or page. A pair of rows with the same stored text holds the same
revision; any other pair is parsed and compared as values, so the findings are those a
comparison of values gives.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, replace
from itertools import zip_longest
from pathlib import Path
from typing import Any, cast

from eventsourcing.persistence import InterfaceError, OperationalError, StoredEvent, Tracking

from ledger.application.ports import ExportRow
from ledger.bootstrap import Ledger
from ledger.readmodel.follower import StuckAt
from ledger.readmodel.model import MerkleNode
from ledger.settings import Settings
from ledger.storage.sql import Parsed, SQLRuleView

__all__ = ["Rebuild"]

Find = Callable[..., None]


class Rebuild:
    """A read model projected from the log fed to ``add``, in a scratch file until ``close``."""

    def __init__(self, stored_event: Callable[[ExportRow], StoredEvent]) -> None:
        self._stored_event = stored_event
        self._folder = tempfile.TemporaryDirectory(prefix="ledger-audit-")
        path = Path(self._folder.name) / "rebuild.sqlite"
        self.ledger = Ledger(Settings(database_url=f"sqlite:///{path}"))
        self.view = cast("SQLRuleView", self.ledger.view)
        self.view.parsed = Parsed(size=10_000)  # forms of amended changes: read once or twice
        with self.view.datastore.transaction(commit=False) as cursor:
            cursor.execute("PRAGMA cache_size=-32768")  # 32 MiB of pages, for the final sort
        self.stuck: StuckAt | None = None
        self.failed: Exception | None = None  # what stops any projection of the log

    def add(self, rows: Sequence[ExportRow]) -> None:
        """Project the next rows of the log (up to an event that cannot be projected)."""
        try:  # every row, as the library would store it: an unknown type fails the whole log
            stored = [self._stored_event(row) for row in rows]
        except Exception as error:
            self.failed = self.failed or error
        if self.failed is not None or self.stuck is not None:
            return
        app = self.ledger.app
        try:
            events = [
                (app.mapper.to_domain_event(event), Tracking(app.name, row.position))
                for event, row in zip(stored, rows, strict=True)
            ]
            self.ledger.projection.process_events(events)
        except (OperationalError, InterfaceError) as error:
            self.failed = error
        except Exception:  # an event the projection cannot apply: find it, as a server does
            self._one_by_one(stored, rows)

    def _one_by_one(self, stored: Sequence[StoredEvent], rows: Sequence[ExportRow]) -> None:
        app = self.ledger.app
        for event, row in zip(stored, rows, strict=True):
            try:
                domain_event = app.mapper.to_domain_event(event)
                self.ledger.projection.process_events(
                    [(domain_event, Tracking(app.name, row.position))]
                )
            except (OperationalError, InterfaceError) as error:
                self.failed = error
                return
            except Exception as error:
                self.stuck = StuckAt(
                    row.position,
                    f"{event.originator_id} version {event.originator_version}",
                    event.topic.rsplit(":", 1)[-1],
                    f"{type(error).__name__}: {error}"[:500],
                )
                return

    def compare(self, kept: SQLRuleView, find: Find) -> None:
        """Find every difference between the rebuilt read model and ``kept``: per office, its
        row, the first revision that differs, and how many revisions each holds."""
        rebuilt = {row.code: row for row in self.view.list_offices()}
        stored = {row.code: row for row in kept.list_offices()}
        mine, theirs = _Offices(self.view.revision_rows()), _Offices(kept.revision_rows())
        for code in sorted(rebuilt.keys() | stored.keys()):
            if rebuilt.get(code) != stored.get(code):
                find(
                    "read model",
                    f"office row differs: stored {_row(stored.get(code))}, "
                    f"rebuilt {_row(rebuilt.get(code))}",
                    office=code,
                )
            counts, differs = [0, 0], False
            for a, b in zip_longest(mine.rows_of(code), theirs.rows_of(code)):
                counts[0] += a is not None
                counts[1] += b is not None
                if differs or a is None or b is None or _values(a) == _values(b):
                    continue
                ours, theirs_ = self.view.revision_of(a), kept.revision_of(b)
                if not kept.positions:  # schema version 1: kept without positions
                    ours = replace(ours, position_from=0, position_until=None)
                if ours != theirs_:
                    differs = True
                    find(
                        "read model",
                        f"revision {theirs_.rev} of change {theirs_.change_id} differs from its "
                        "rebuild",
                        office=code,
                    )
            if counts[0] != counts[1]:
                find(
                    "read model",
                    f"{counts[1]} revisions stored, {counts[0]} rebuilt",
                    office=code,
                )
        if kept.merkle:
            self._compare_merkle(kept, find)

    def _compare_merkle(self, kept: SQLRuleView, find: Find) -> None:
        """The Merkle tree's complete subtrees, compared in one ordered pass by (level,
        index): the first that differs, or that only one of the two holds."""
        counts = [0, 0]
        first: tuple[MerkleNode, str] | None = None
        ours, theirs = self.view.merkle_nodes(), kept.merkle_nodes()
        mine, stored = next(ours, None), next(theirs, None)
        while mine is not None or stored is not None:
            if mine is not None and (stored is None or mine[:2] < stored[:2]):
                counts[0] += 1
                first = first or (mine, "is not stored")
                mine = next(ours, None)
            elif stored is not None and (mine is None or stored[:2] < mine[:2]):
                counts[1] += 1
                first = first or (stored, "is stored, but the log has no such node")
                stored = next(theirs, None)
            elif mine is not None and stored is not None:  # the same node
                counts[0] += 1
                counts[1] += 1
                if mine[2] != stored[2]:
                    first = first or (stored, "differs from its rebuild")
                mine, stored = next(ours, None), next(theirs, None)
        if first is not None:
            (level, index, _), what = first
            low, high = index * 2**level + 1, (index + 1) * 2**level
            leaves = f"position {low}" if level == 0 else f"positions {low} to {high}"
            find(
                "read model",
                f"the Merkle tree's node at level {level}, index {index} ({leaves}) {what}; "
                f"{counts[1]} nodes stored, {counts[0]} rebuilt",
                position=low,
            )

    def close(self) -> None:
        self.ledger.close()
        self._folder.cleanup()


class _Offices:
    """Rows ordered by office, handed out an office at a time, in the order asked."""

    def __init__(self, rows: Iterator[Any]) -> None:
        self._rows = rows
        self._next: Any = next(rows, None)

    def rows_of(self, code: str) -> Iterator[Any]:
        while self._next is not None and self._next["office"] < code:
            self._next = next(self._rows, None)  # revisions of an office with no row
        while self._next is not None and self._next["office"] == code:
            yield self._next
            self._next = next(self._rows, None)


def _values(row: Any) -> tuple[Any, ...]:
    return tuple(row.values()) if isinstance(row, dict) else tuple(row)


def _row(row: Any) -> str:
    return (
        "none" if row is None else str({k: v for k, v in asdict(row).items() if k != "crossings"})
    )
