"""The hash chain and the ledger digest, as an outside auditor recomputes them.

- An event is stored as its **canonical JSON**: the event's fields (``prev_hash`` included)
  serialised with keys sorted, no insignificant whitespace, UTF-8, non-ASCII characters as
  themselves (Python: ``json.dumps(fields, sort_keys=True, separators=(",", ":"),
  ensure_ascii=False)``).
- An event's **hash** is ``sha256(TYPE + "\\n" + STORED_JSON)`` in lower-case hex, where TYPE
  is the event type (``PolicyTightened``) and STORED_JSON the exact stored bytes. Nothing needs
  re-encoding to check it.
- Each event's ``prev_hash`` is the hash of the previous event of its office; the first
  event of an office (``OfficeRegistered``) has ``prev_hash`` = 64 zeros.
- The **ledger digest** at global position *n* is ``root(n) = sha256(root(n-1) + ":" + n + ":"
  + hash(n))`` in hex, over the events in global order, with ``root(0)`` = 64 zeros. A digest
  is the pair (*n*, ``root(n)``); a digest pinned earlier is a prefix of the log when
  recomputing from the first event reaches the same root at the same position.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

__all__ = ["GENESIS", "canonical_json", "event_hash", "next_root"]

GENESIS = "0" * 64


def canonical_json(fields: dict[str, Any]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def event_hash(event_type: str, stored_json: bytes) -> str:
    return hashlib.sha256(event_type.encode() + b"\n" + stored_json).hexdigest()


def next_root(root: str, position: int, hash_: str) -> str:
    return hashlib.sha256(f"{root}:{position}:{hash_}".encode()).hexdigest()
