"""Verify a ledger's decision log by replaying it: each logged answer's hash, link and
sequence, and the digest it states against the event log replayed here.

The auditor's side of the decision chain (``ExportDecisions``), written from its definition,
independently of the server's code, so that a client trusts nothing it is sent:

- a decision is stored as ``DECISION_JSON``, the canonical JSON text (keys sorted, no spaces,
  non-ASCII as it is, UTF-8) of exactly the fields in ``DECISION_FIELDS``; its hash is
  ``sha256("Decision" + "\\n" + DECISION_JSON)`` (hex);
- its ``prev_hash`` is the hash of the decision before it (64 zeros for the first), and its
  ``sequence`` follows that one's: 1, 2, 3, ... without gaps;
- it states the ledger position it was answered at and the digest root there, which the event
  log replayed here (``ledger_api.verify``) must reach at that position
  (``decision_digest_problems``).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, TypeGuard
from uuid import UUID

from ledger_api.verify import GENESIS

__all__ = [
    "DECISION_FIELDS",
    "DecisionProblem",
    "DecisionChainVerifier",
    "decision_hash",
    "canonical_text",
    "decision_digest_problems",
]

_MAX_PROBLEMS = 100

_HEX64 = re.compile(r"[0-9a-f]{64}")


def canonical_text(value: Any) -> str:
    """The canonical JSON text of ``value``: keys sorted, no spaces, non-ASCII as it is."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def decision_hash(decision_json: str) -> str:
    return hashlib.sha256(b"Decision\n" + decision_json.encode()).hexdigest()


@dataclass(frozen=True)
class DecisionProblem:
    """What is wrong with a logged decision: the first broken one is the first problem."""

    sequence: int
    what: str

    def __str__(self) -> str:
        return f"decision {self.sequence}: {self.what}"


@dataclass
class DecisionChainVerifier:
    """Feed it the decision log in order, as exported; it recomputes every hash from the
    stored text and lists every inconsistency.

    To verify from a later point, start it with the last decision already verified:
    ``sequence`` and ``last_hash`` (by default, the log's start). Removing the newest decisions
    leaves no trace in the chain itself: compare ``sequence`` and ``last_hash`` with what an
    earlier audit found.
    """

    sequence: int = 0  # the last decision's, as its own text states it
    last_hash: str = GENESIS  # recomputed, never taken from the sender
    decisions: int = 0
    problems: list[DecisionProblem] = field(default_factory=list)
    problem_count: int = 0
    # Each ledger position a decision was answered at: (the first such decision, the digest
    # root it states), for ``decision_digest_problems``.
    digests: dict[int, tuple[int, str]] = field(default_factory=dict)
    _ids: dict[str, int] = field(default_factory=dict)

    def add(self, sequence: int, decision_json: str, stored_hash: str) -> str:
        """Check one stored decision (its sequence and hash as exported beside its text);
        returns its hash, recomputed."""
        hash_ = decision_hash(decision_json)
        data = self._parsed(sequence, decision_json)
        stated = data.get("sequence")
        if _whole(stated) and stated != sequence:
            self._problem(
                stated, f"is exported as decision {sequence}, but its stored text says {stated}"
            )
        if _whole(stated) and stated >= 1:
            sequence = stated  # the hashed text, not the label beside it
        if stored_hash != hash_:
            self._problem(
                sequence,
                f"its stored hash is {_quoted(stored_hash)}, but its stored text hashes to "
                f"{hash_}: it was altered after it was logged",
            )
        if sequence > self.sequence + 1:
            self._problem(
                sequence, f"decisions missing at sequences {self.sequence + 1}..{sequence - 1}"
            )
        elif sequence <= self.sequence:
            self._problem(
                sequence,
                f"follows decision {self.sequence}: decisions were reordered, or one repeated",
            )
        if "prev_hash" in data and data["prev_hash"] != self.last_hash:
            before = "the log's start (64 zeros)" if self.sequence == 0 else "the decision before"
            self._problem(
                sequence,
                f"links to {_quoted(data['prev_hash'])}, but {before} has hash "
                f"{self.last_hash}: that decision or this one was altered, or one was removed",
            )
        self._fields(sequence, data)
        self.sequence = sequence
        self.last_hash = hash_
        self.decisions += 1
        return hash_

    def _parsed(self, sequence: int, decision_json: str) -> dict[str, Any]:
        """The stored text's fields, if it is the canonical JSON of an object (else ``{}``)."""
        try:
            data = json.loads(decision_json)
        except ValueError:
            data = None
        if not isinstance(data, dict):
            self._problem(sequence, "its stored text is not a JSON object")
            return {}
        if canonical_text(data) != decision_json:
            self._problem(
                sequence,
                "its stored text is not canonical JSON (keys sorted, no spaces): the same "
                "decision could be stored, and hashed, more than one way",
            )
        found = set(data)
        if found != DECISION_FIELDS:
            missing = ", ".join(sorted(DECISION_FIELDS - found)) or "none"
            extra = ", ".join(sorted(found - DECISION_FIELDS)) or "none"
            self._problem(
                sequence, f"its fields are not a decision's: missing {missing}; unexpected {extra}"
            )
        return data

    def _fields(self, sequence: int, data: dict[str, Any]) -> None:
        """Each field's form; a decision id seen once only; one digest per position."""
        wrong = [
            name for name, (valid, _) in _FORMS.items() if name in data and not valid(data[name])
        ]
        for name in wrong:
            self._problem(sequence, f"its {name} {_quoted(data[name])} is not {_FORMS[name][1]}")
        decision_id = data.get("decision_id")
        if isinstance(decision_id, str):
            if decision_id in self._ids:
                first = self._ids[decision_id]
                self._problem(sequence, f"repeats the id {decision_id} of decision {first}")
            else:
                self._ids[decision_id] = sequence
        position, digest = data.get("position"), data.get("digest")
        if "position" in wrong or "digest" in wrong or position is None or digest is None:
            return
        first_at, stated = self.digests.setdefault(position, (sequence, digest))
        if stated != digest:
            self._problem(
                sequence,
                f"states digest {digest} at position {position}, but decision {first_at} "
                f"states {stated} there",
            )

    def _problem(self, sequence: int, what: str) -> None:
        self.problem_count += 1
        if len(self.problems) < _MAX_PROBLEMS:
            self.problems.append(DecisionProblem(sequence, what))


def decision_digest_problems(
    digests: Mapping[int, tuple[int, str]], roots: Mapping[int, str], end: int
) -> tuple[list[DecisionProblem], int]:
    """The decisions whose digest the event log replayed here does not reach: ``digests`` as
    ``DecisionChainVerifier`` gathers them, ``roots`` the replay's roots at those positions
    (``ChainVerifier(keep_roots_at=...)``), ``end`` the position the replay ended at. Returns
    the problems, and how many positions were checked (those after ``end`` cannot be)."""
    problems = []
    checked = 0
    for position, (sequence, digest) in sorted(digests.items()):
        if position > end:
            continue
        checked += 1
        root = GENESIS if position == 0 else roots.get(position)
        if root is None:
            problems.append(
                DecisionProblem(
                    sequence,
                    f"was answered at position {position}, where the log replayed here holds "
                    "no event",
                )
            )
        elif root != digest:
            problems.append(
                DecisionProblem(
                    sequence,
                    f"states digest {digest} at position {position}, but the log replayed "
                    f"here reaches {root} there: the decision, or the log, was altered",
                )
            )
    return problems, checked


def _quoted(value: Any) -> str:
    """A value as JSON writes it, cut short: messages quote what the log holds."""
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 80 else f"{text[:77]}..."


def _whole(value: Any) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _json_text(value: Any) -> bool:
    try:
        return isinstance(value, str) and canonical_text(json.loads(value)) == value
    except ValueError:
        return False


def _uuid(value: Any) -> bool:
    """A UUID in its usual form: lower-case, hyphenated."""
    try:
        return isinstance(value, str) and str(UUID(value)) == value
    except ValueError:
        return False


def _utc(value: Any) -> bool:
    try:
        moment = datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return False
    return moment is not None and moment.utcoffset() == timedelta(0)


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _hex64(value: Any) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


# Each field's form, and how a message names it.
_FORMS: dict[str, tuple[Callable[[Any], bool], str]] = {
    "answer": (_json_text, "canonical JSON text"),
    "asked_at": (_utc, "an ISO 8601 time in UTC, e.g. 2026-12-01T10:00:00.123456+00:00"),
    "asked_by": (_text, "text"),
    "decision_id": (_uuid, "a UUID, e.g. 1b4e28ba-2fa1-41d2-883f-0016d3cca427"),
    "digest": (_hex64, "64 hexadecimal digits"),
    "event_ids": (lambda v: isinstance(v, list) and all(map(_uuid, v)), "a list of UUIDs"),
    "label": (_text, "text"),
    "position": (lambda v: _whole(v) and v >= 0, "a ledger position (0 or more)"),
    "prev_hash": (_hex64, "64 hexadecimal digits"),
    "request": (_json_text, "canonical JSON text"),
    "rpc": (lambda v: v in ("Check", "CompareOffices"), "Check or CompareOffices"),
    "sequence": (lambda v: _whole(v) and v >= 1, "a sequence number (1 or more)"),
}
DECISION_FIELDS = frozenset(_FORMS)
