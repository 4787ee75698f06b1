"""Signed checkpoints: fetched, verified here against the keys you trust, and checked against a
replay of the log (``Audit.audit(trust=...)``).

A server with a signing key signs a checkpoint after each of its writes, naming the positions
the write took (``from``..size). An auditor who trusts its key requires of the log: every
signed checkpoint verifies with a trusted key, its roots (linear and Merkle) are those the
replay reaches at its size, no checkpoint is beyond the log's end (events were removed), and
every event is inside the range of one (an event appended by anyone without the key is in
none). ``ledger_api.note`` reads and verifies the notes.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator

from ledger_api.note import Checkpoint, NoteError, VerifierKey, open_checkpoint, trusted_keys
from ledger_client.connection import Connection

__all__ = [
    "Checkpoint",
    "CheckpointAudit",
    "Checkpoints",
    "NoteError",
    "VerifierKey",
    "trusted_keys",
]

_PAGE = 1000
_SHOWN = 10  # problems of one kind listed; the rest are counted


class Checkpoints(Connection):
    """The server's signed checkpoints."""

    def checkpoint_notes(self, after_size: int = 0) -> Iterator[tuple[int, str]]:
        """Every signed checkpoint of a tree larger than ``after_size``, as (size, note),
        smallest first, a page at a time."""
        while True:
            reply = self.call("ListCheckpoints", {"after_size": after_size, "limit": _PAGE})
            page = [
                (int(c.get("size", 0)), c.get("note", "")) for c in reply.get("checkpoints", [])
            ]
            yield from page
            if len(page) < _PAGE:
                return
            after_size = page[-1][0]

    def latest_checkpoint(self, trusted: Iterable[VerifierKey]) -> Checkpoint:
        """The latest signed checkpoint, verified with ``trusted``; ``NoteError`` if it does
        not verify, or if the server has none."""
        found = self.call("ListCheckpoints", {"latest": True}).get("checkpoints", [])
        if not found:
            raise NoteError("the server has no signed checkpoint: it signs none (no signing key)")
        return open_checkpoint(found[0].get("note", ""), trusted)


class CheckpointAudit:
    """Checks the signed checkpoints against a replay, as the replay reaches each position."""

    def __init__(self, notes: Iterator[tuple[int, str]], trusted: Iterable[VerifierKey]) -> None:
        self._notes = notes
        self._trusted = list(trusted)
        self._next = next(self._notes, None)
        self._uncovered: list[list[int]] = []  # runs [first, last] of events in no checkpoint
        self._last_event = 0
        self.verified = 0
        self.signers: set[str] = set()
        self._problems: dict[str, list[str]] = {}

    def reached(self, position: int, chain_root: str, merkle_root: Callable[[], bytes]) -> None:
        """The replay has added the event at ``position``; its roots there."""
        if self._uncovered and self._uncovered[-1][1] == self._last_event:
            self._uncovered[-1][1] = position
        else:
            self._uncovered.append([position, position])
        self._last_event = position
        while self._next is not None and self._next[0] <= position:
            size, note = self._next
            self._next = next(self._notes, None)
            if size < position:
                self._problem(
                    "size", f"a checkpoint signs a tree of size {size}, a position no event took"
                )
                continue
            self._check(size, note, chain_root, merkle_root())

    def finish(self, end: int) -> list[str]:
        """The problems found, once the replay has reached ``end`` (the server's digest)."""
        while self._next is not None and self._next[0] <= end:
            size = self._next[0]
            self._next = next(self._notes, None)
            self._problem(
                "beyond",
                f"a checkpoint signs a tree of size {size}, beyond the log, which ends at "
                f"position {self._last_event}: events were removed",
            )
        for first, last in self._uncovered:
            what = (
                f"the event at position {first} is"
                if first == last
                else f"the events at positions {first}-{last} are"
            )
            self._problem(
                "uncovered",
                f"{what} in no signed checkpoint: written without the key (appended), or by "
                "a server that stopped before it signed",
            )
        found = []
        for problems in self._problems.values():
            found += problems[:_SHOWN]
            if len(problems) > _SHOWN:
                found.append(f"... and {len(problems) - _SHOWN} more like it")
        return found

    def _check(self, size: int, note: str, chain_root: str, merkle_root: bytes) -> None:
        try:
            checkpoint = open_checkpoint(note, self._trusted)
        except NoteError as error:
            self._problem("note", f"checkpoint of size {size}: {error}")
            return
        if checkpoint.size != size:
            self._problem(
                "note", f"the checkpoint listed at size {size} signs size {checkpoint.size}"
            )
        elif checkpoint.chain_root != chain_root or checkpoint.merkle_root != merkle_root:
            self._problem(
                "roots",
                f"the checkpoint of size {size} signs roots the replay does not reach there: "
                "the log up to it was changed after it was signed",
            )
        else:
            self.verified += 1
            self.signers.add(checkpoint.signed_by.id)
            self._cover(checkpoint.first, size)

    def _cover(self, first: int, last: int) -> None:
        """Events ``first``..``last`` are in a signed checkpoint's range."""
        kept = []
        for start, end in self._uncovered:
            if end < first or start > last:
                kept.append([start, end])
                continue
            if start < first:
                kept.append([start, first - 1])
            if end > last:
                kept.append([last + 1, end])
        self._uncovered = kept

    def _problem(self, kind: str, text: str) -> None:
        self._problems.setdefault(kind, []).append(text)
