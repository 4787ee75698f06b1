"""What one check or comparison may cost: rule lookups before the work, answer bytes during
it.

A check looks up each item's goods as each HS prefix its category expands to, at each office
asked about: ``offices x items x prefixes`` lookups, bounded by ``LEDGER_MAX_LOOKUPS`` and
refused before any work. Its answer cites, for every item, the changes behind it with their
sources in full, so the reply's size depends on what the ledger holds, not only on the
request: it is added up item by item as the work goes (from the cached size of each ruling
and source), and the work stops at the item that would take the answer past ``MAX_REPLY_BYTES``.
Both refusals are ``RESOURCE_EXHAUSTED`` and say how to split the request.
"""

from __future__ import annotations

from collections.abc import Callable

from ledger.domain.errors import Exhausted
from ledger.domain.goods import hs_prefixes
from ledger.readmodel.answers import Check, CompareRequest, ItemResult
from ledger_api.convert import Shared
from ledger_api.ledger.v1 import ledger_pb2 as pb

__all__ = ["lookups", "check_lookups", "AnswerBudget", "MAX_REPLY_BYTES"]

# The largest answer sent: 4 MiB, what gRPC clients receive by default (the ledger's own
# client takes 16 MiB, but a caller in another language should not need to know), less room
# for the envelope. Streamed replies (history, watch, export) keep their pages as small.
MAX_REPLY_BYTES = 4 * 1024 * 1024 - 64 * 1024
# What an item's answer and each of its candidates hold besides their text, rulings and
# sources (tags, lengths, verdicts, a quantity, an admissibility), at most.
_ITEM_BYTES = 40
_CANDIDATE_BYTES = 40


def _offices(request: Check) -> int:
    """The offices a check or comparison is answered at (one named twice is answered once)."""
    return len(set(request.offices)) if isinstance(request, CompareRequest) else 1


def lookups(request: Check) -> int:
    """The rule lookups a check or comparison asks for."""
    return _offices(request) * sum(len(hs_prefixes(item.goods)) for item in request.items)


def check_lookups(request: Check, limit: int) -> None:
    """Refuse, before any work, a check or comparison asking for more than ``limit`` lookups."""
    asked = lookups(request)
    if asked <= limit:
        return
    items = len(request.items)
    per_item = asked / items  # lookups of one item at every office asked about
    shape = f"{items} items"
    if isinstance(request, CompareRequest):
        offices = _offices(request)
        shape = f"{offices} offices x {items} items"
        per_item /= offices
        if per_item * items <= limit:  # all the items fit, at fewer offices a call
            fit = int(limit // (per_item * items))
            split = "one office per call" if fit == 1 else f"at most {fit} offices per call"
        else:
            split = f"compare one office at a time, at most {int(limit // per_item)} items a call"
    else:
        split = f"ask about at most {max(1, int(limit // per_item))} items per call"
    raise Exhausted(
        f"this request asks for {asked:,} rule lookups ({shape}, each goods looked up as every "
        f"HS prefix its category covers); a request may ask for at most {limit:,} "
        f"(LEDGER_MAX_LOOKUPS): split it: {split}"
    )


class AnswerBudget:
    """Follows a check or comparison item by item (``Progress``): stops the work as soon as
    the caller has gone, or as soon as the answer so far would not fit in a reply.

    The work stops at the item that overflows, so a refused answer costs at most the work of
    one reply's worth of items; the refusal extrapolates the whole answer's size from the
    items answered and says how many a call may hold."""

    def __init__(self, request: Check, shared: Shared, alive: Callable[[], bool]) -> None:
        self.asked = _offices(request) * len(request.items)  # item answers, every office
        self.shared = shared
        self.alive = alive
        self.bytes = 0
        self.items = 0

    def proceed(self) -> bool:
        return self.alive()

    def item(self, result: ItemResult) -> None:
        self.bytes += _item_bytes(result, self.shared)
        self.items += 1
        if self.bytes > MAX_REPLY_BYTES:
            per_item = self.bytes / self.items
            fit = max(1, int(MAX_REPLY_BYTES // per_item))
            raise Exhausted(
                f"the answer would take about {per_item * self.asked / 1e6:,.1f} MB, more than "
                f"the {MAX_REPLY_BYTES / 1e6:.1f} MB a reply may hold: every item's answer "
                "cites its changes' sources in full, and these cite many or long ones; split "
                f"the request into calls of at most {fit} items (offices x items, in a "
                "comparison)"
            )


def _item_bytes(item: ItemResult, shared: Shared) -> int:
    """An item's answer's size on the wire, within a few bytes: its rulings and sources from
    their (cached) messages, the rest from its few short fields."""
    rulings = [r for candidate in item.candidates for r in candidate.rulings]
    if item.governing is not None:
        rulings.append(item.governing)
    size = _ITEM_BYTES + len(item.item.goods) + 40 * len(item.event_ids)
    size += sum(_CANDIDATE_BYTES + len(c.reason.encode()) for c in item.candidates)
    size += sum(shared.byte_size(ruling, pb.Ruling) for ruling in rulings)
    size += sum(shared.byte_size(source, pb.Source) for source in item.sources)
    return size
