"""The signed checkpoints in SQL: statements and a store, shared by SQLite and PostgreSQL.

The statements are written once, with ``{p}`` for a parameter and ``{signed}`` for the table,
and formatted by each backend in its dialect (``ledger.storage.sqlite``, ``postgres``).
"""

from __future__ import annotations

import builtins
from typing import Any

from ledger.application.ports import SignedStore

__all__ = ["SIGNED_STATEMENTS", "SQLSignedStore"]

SIGNED_STATEMENTS = {
    # Another server's checkpoint of the same size stays: the first is kept.
    "add": "INSERT INTO {signed} (position, note) VALUES ({p}, {p}) ON CONFLICT DO NOTHING "
    "RETURNING position",
    "latest": "SELECT position, note FROM {signed} ORDER BY position DESC LIMIT 1",
    "latest_at_most": "SELECT position, note FROM {signed} WHERE position<={p} "
    "ORDER BY position DESC LIMIT 1",
    "after": "SELECT position, note FROM {signed} WHERE position>{p} ORDER BY position LIMIT {p}",
}


class SQLSignedStore(SignedStore):
    """Signed checkpoints in a SQL table, through a library datastore; ``statements`` are
    ``SIGNED_STATEMENTS`` in the backend's dialect. ``present`` is false for a ledger of a
    schema before them, read as it is: it has none."""

    def __init__(self, datastore: Any, statements: dict[str, Any], *, present: bool = True):
        self.datastore = datastore
        self.statements = statements
        self.present = present

    def add(self, position: int, note: str) -> bool:
        with self.datastore.transaction(commit=True) as cursor:
            cursor.execute(self.statements["add"], (position, note))
            return bool(cursor.fetchall())

    def latest(self, at_most: int | None = None) -> tuple[int, str] | None:
        rows = self._rows("latest") if at_most is None else self._rows("latest_at_most", at_most)
        return (rows[0]["position"], rows[0]["note"]) if rows else None

    def after(self, position: int, limit: int) -> builtins.list[tuple[int, str]]:
        return [(row["position"], row["note"]) for row in self._rows("after", position, limit)]

    def _rows(self, name: str, *params: Any) -> builtins.list[Any]:
        if not self.present:
            return []
        with self.datastore.transaction(commit=False) as cursor:
            cursor.execute(self.statements[name], params)
            return builtins.list(cursor.fetchall())
