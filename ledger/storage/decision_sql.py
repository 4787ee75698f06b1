"""The decision log in SQL: its statements and its store, shared by SQLite and PostgreSQL.

The statements are written once, with ``{p}`` for a parameter and ``{decisions}`` for the
table, and formatted by each backend in its dialect; ``{sequences}`` in ``by_sequences`` is
the backend's test of a sequence against one parameter holding many (``SEQUENCES``). A
backend says only that, and how an append excludes every other (``_exclude``). Decisions are
stored as text (ISO times, JSON lists), in ``Decision``'s field order.
"""

from __future__ import annotations

import builtins
import json
from abc import abstractmethod
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from ledger.application.decisions import Decision, NewDecision, Question, chained
from ledger.application.ports import DecisionStore

__all__ = ["DECISION_STATEMENTS", "SEQUENCES", "SQLDecisionStore", "decision_row"]

DECISION_STATEMENTS = {
    "insert": "INSERT INTO {decisions} VALUES (" + ",".join(["{p}"] * 13) + ")",
    "get": "SELECT * FROM {decisions} WHERE decision_id={p}",
    "list": "SELECT * FROM {decisions} WHERE sequence>{p} ORDER BY sequence LIMIT {p}",
    "last": "SELECT * FROM {decisions} ORDER BY sequence DESC LIMIT 1",
    # {sequences}: one parameter holding many (a backend says how: ``SEQUENCES``).
    "by_sequences": "SELECT * FROM {decisions} WHERE sequence {sequences} ORDER BY sequence",
    "questions": "SELECT sequence, rpc, request, position FROM {decisions} "
    "WHERE sequence {sequences} ORDER BY sequence",
}

# ``{sequences}`` in each dialect: SQLite reads a JSON array, PostgreSQL an array parameter.
SEQUENCES = {"sqlite": "IN (SELECT value FROM json_each(?))", "postgres": "= ANY(%s)"}
# Sequences read per statement by ``by_sequences``.
_CHUNK = 1000


class SQLDecisionStore(DecisionStore):
    """The decision log in a SQL table, through a library datastore; ``statements`` are
    ``DECISION_STATEMENTS`` in the backend's dialect. ``present`` is false for a ledger of a
    schema before the decision log, read as it is: it has no decisions."""

    def __init__(self, datastore: Any, statements: dict[str, Any], *, present: bool = True):
        self.datastore = datastore
        self.statements = statements
        self.present = present

    @abstractmethod
    def _exclude(self, cursor: Any) -> None:
        """Make the transaction the only append until it ends (first, before any read)."""

    @abstractmethod
    def _many(self, sequences: builtins.list[int]) -> Any:
        """``sequences`` as the one parameter of ``by_sequences``."""

    def append(self, decisions: Sequence[NewDecision]) -> builtins.list[Decision]:
        if not decisions:
            return []
        with self.datastore.transaction(commit=True) as cursor:
            self._exclude(cursor)
            cursor.execute(self.statements["last"])
            row = cursor.fetchone()
            stored = chained(decisions, None if row is None else decision_from_row(row))
            cursor.executemany(self.statements["insert"], [decision_row(d) for d in stored])
        return stored

    def get(self, decision_id: UUID) -> Decision | None:
        rows = self._rows("get", str(decision_id))
        return decision_from_row(rows[0]) if rows else None

    def list(self, after_sequence: int, limit: int) -> builtins.list[Decision]:
        return [decision_from_row(row) for row in self._rows("list", after_sequence, limit)]

    def by_sequences(self, sequences: Sequence[int]) -> builtins.list[Decision]:
        return [decision_from_row(row) for row in self._chunked("by_sequences", sequences)]

    def questions(self, sequences: Sequence[int]) -> builtins.list[Question]:
        return [
            Question(row["sequence"], row["rpc"], row["request"], row["position"])
            for row in self._chunked("questions", sequences)
        ]

    def _chunked(self, name: str, sequences: Sequence[int]) -> builtins.list[Any]:
        rows: builtins.list[Any] = []
        for start in range(0, len(sequences), _CHUNK):
            chunk = builtins.list(sequences[start : start + _CHUNK])
            rows.extend(self._rows(name, self._many(chunk)))
        return rows

    def last(self) -> Decision | None:
        rows = self._rows("last")
        return decision_from_row(rows[0]) if rows else None

    def _rows(self, name: str, *params: Any) -> builtins.list[Any]:
        if not self.present:
            return []
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self.statements[name], params)
            return builtins.list(cursor.fetchall())


def decision_row(decision: Decision) -> tuple[Any, ...]:
    """A decision as both SQL backends store it, in the table's column order."""
    return (
        decision.sequence,
        str(decision.decision_id),
        decision.asked_at.isoformat(),
        decision.asked_by,
        decision.label,
        decision.rpc,
        decision.request,
        decision.answer,
        decision.position,
        decision.digest,
        json.dumps([str(event_id) for event_id in decision.event_ids]),
        decision.prev_hash,
        decision.hash,
    )


def decision_from_row(row: Any) -> Decision:
    return Decision(
        decision_id=UUID(row["decision_id"]),
        sequence=row["sequence"],
        asked_at=datetime.fromisoformat(row["asked_at"]),
        asked_by=row["asked_by"],
        label=row["label"],
        rpc=row["rpc"],
        request=row["request"],
        answer=row["answer"],
        position=row["position"],
        digest=row["digest"],
        event_ids=tuple(UUID(event_id) for event_id in json.loads(row["event_ids"])),
        prev_hash=row["prev_hash"],
        hash=row["hash"],
    )
