"""Verify a ledger's log by replaying it: hashes, links, versions, positions and the digest.

This is the auditor's side of the hash chain, written from its published definition (README,
"Audit"), independently of the server's code, so that a client trusts nothing it is sent:

- an event's hash is ``sha256(TYPE + "\\n" + STORED_JSON)`` (hex), over the exact stored bytes;
- its ``prev_hash`` is the hash of the previous event of its office (64 zeros for the first);
- the digest after the event at position *n* is ``sha256(ROOT + ":" + n + ":" + HASH)``, chained
  over the whole log in order from 64 zeros.

The decision log's chain is verified by ``ledger_api.verify_decisions``.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from uuid import UUID

__all__ = ["GENESIS", "Problem", "ChainVerifier", "event_hash", "next_root"]

GENESIS = "0" * 64
_MAX_PROBLEMS = 100


def event_hash(event_type: str, stored_json: bytes) -> str:
    return hashlib.sha256(event_type.encode() + b"\n" + stored_json).hexdigest()


def next_root(root: str, position: int, hash_: str) -> str:
    return hashlib.sha256(f"{root}:{position}:{hash_}".encode()).hexdigest()


@dataclass(frozen=True)
class Problem:
    """What is wrong, and where: the first broken event is the first problem."""

    position: int
    office: str
    version: int
    what: str

    def __str__(self) -> str:
        return (
            f"position {self.position}, office {self.office}, version {self.version}: {self.what}"
        )


@dataclass
class ChainVerifier:
    """Feed it the log in order; it keeps the digest and lists every inconsistency.

    ``contiguous`` demands positions 1, 2, 3, ... (SQLite's log has no gaps).
    """

    contiguous: bool = True
    root: str = GENESIS
    position: int = 0
    events: int = 0
    problems: list[Problem] = field(default_factory=list)
    problem_count: int = 0
    roots: dict[int, str] = field(default_factory=dict)
    _offices: dict[str, tuple[int, str]] = field(default_factory=dict)
    _codes: dict[str, str] = field(default_factory=dict)
    _ids: dict[str, str] = field(default_factory=dict)
    keep_roots_at: frozenset[int] = frozenset()

    def add(
        self, position: int, office_id: str, version: int, event_type: str, stored: bytes
    ) -> str:
        """Check one event; returns its hash (recomputed, never taken from the sender)."""
        hash_ = event_hash(event_type, stored)
        office = self._codes.get(office_id, office_id)
        try:
            data = json.loads(stored.decode())  # UTF-8 by definition: no encoding to detect
        except ValueError:
            data = {}
            self._problem(position, office, version, "the stored event is not valid JSON")
        if event_type == "OfficeRegistered" and isinstance(data.get("code"), str):
            office = self._codes[office_id] = data["code"]
        if position <= self.position or (self.contiguous and position != self.position + 1):
            gap = position > self.position + 1
            what = (
                f"events missing at positions {self.position + 1}..{position - 1}"
                if gap
                else f"position {position} does not follow position {self.position}"
            )
            self._problem(position, office, version, what)
        named = data.get("originator_id")
        if named != self._hyphenated(office_id) or data.get("originator_version") != version:
            self._problem(
                position, office, version, "the stored event names another office or version"
            )
        last_version, last_hash = self._offices.get(office_id, (0, GENESIS))
        if version != last_version + 1:
            self._problem(
                position, office, version, f"version {version} follows version {last_version}"
            )
        if data.get("prev_hash") != last_hash:
            self._problem(
                position,
                office,
                version,
                f"links to {data.get('prev_hash')}, but the previous event of its office "
                f"has hash {last_hash}: that event or this one was altered, or one was removed",
            )
        self._offices[office_id] = (version, hash_)
        self.root = next_root(self.root, position, hash_)
        self.position = position
        self.events += 1
        if position in self.keep_roots_at:
            self.roots[position] = self.root
        return hash_

    def _hyphenated(self, office_id: str) -> str:
        """An office id as events name it (SQLite keeps ids without hyphens)."""
        found = self._ids.get(office_id)
        if found is None:
            try:
                found = self._ids[office_id] = str(UUID(office_id))
            except ValueError:
                found = office_id
        return found

    def office_code(self, office_id: str) -> str:
        return self._codes.get(office_id, office_id)

    @property
    def offices(self) -> int:
        return len(self._offices)

    def _problem(self, position: int, office: str, version: int, what: str) -> None:
        self.problem_count += 1
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(Problem(position, office, version, what))
