"""Python's cyclic garbage collector, set for a process that holds a ledger in memory.

A server, a rebuild or an import keeps a great many small objects alive for its whole life:
the cached offices with every change they hold, the rule index, the effective edges. Python's
default collector (a young collection every 700 net allocations, a full one whenever the
survivors have grown by a quarter) walks all of them again and again: generating the
benchmarks' 1M-event ledger spent a third of its time in full collections, each about a
second per million objects on this machine, and a write to a long office paid for it.

The ledger makes few reference cycles (its values are frozen, its events refer to nothing
that refers back), so the collector can run far less often without holding much garbage:
``settle`` raises the young threshold to 100,000 net allocations (a few megabytes at most
between collections) and freezes what the process has built so far, as CPython's
documentation suggests for long-lived processes (``gc.freeze``): those objects are never
walked again. Only the process's entry points call it, once their ledger is open.
"""

from __future__ import annotations

import gc

__all__ = ["settle", "THRESHOLDS"]

# Young collections every 100,000 net allocations; a middle one every 20 young ones; a full
# one considered every 10 middle ones (and done when the survivors grew by a quarter).
THRESHOLDS = (100_000, 20, 10)


def settle() -> None:
    """Collect once, freeze what survives, and collect less often from now on."""
    gc.collect()
    gc.freeze()
    gc.set_threshold(*THRESHOLDS)
