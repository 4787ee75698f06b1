"""Refused calls logged by sample: a few in full, then a count.

A client with a bad token can make thousands of calls a second, each refused; a line apiece
fills the log (~190 KB/s from one client) and buries everything else. So in each interval the
first few refusals of each kind are logged in full, and the rest only counted; once the
interval is over, the next refusal (or ``flush``, when the server stops) logs one line for
the ones counted::

    refused 1,994 more calls in 2.3 s, not logged one by one: 1,990 UNAUTHENTICATED
    (unknown token), 4 PERMISSION_DENIED (role too small)

No thread of its own: the counting happens on the threads that refuse, under a lock.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import Counter
from collections.abc import Callable

__all__ = ["RefusalLog", "INTERVAL_SECONDS", "IN_FULL"]

INTERVAL_SECONDS = 10.0
IN_FULL = 5  # refusals of each kind logged in full per interval


class RefusalLog:
    """Logs refusals to ``log``: the first ``in_full`` of each kind per ``interval`` seconds
    whole, and one summary line for the rest. Safe to call from any thread."""

    def __init__(
        self,
        log: logging.Logger,
        *,
        interval: float = INTERVAL_SECONDS,
        in_full: int = IN_FULL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.log = log
        self.interval = interval
        self.in_full = in_full
        self.clock = clock
        self._lock = threading.Lock()
        self._started: float | None = None  # when the current interval began
        self._last = 0.0  # the last refusal counted in it
        self._logged: Counter[str] = Counter()
        self._counted: Counter[str] = Counter()

    def refused(self, kind: str, line: str, *args: object) -> None:
        """A refusal of ``kind`` (``UNAUTHENTICATED (unknown token)``), logged as ``line %
        args`` if it is among the first of its kind in the interval, else counted."""
        now = self.clock()
        # Logged under the lock too, so that the lines keep the order of the counting.
        with self._lock:
            if self._started is None or now - self._started >= self.interval:
                self._summarise()
                self._started = now
            if self._logged[kind] < self.in_full:
                self._logged[kind] += 1
                self.log.info(line, *args)
            else:
                self._counted[kind] += 1
                self._last = now

    def flush(self) -> None:
        """Log the summary of the refusals counted so far, if any (the server is stopping)."""
        with self._lock:
            self._summarise()
            self._started = None

    def _summarise(self) -> None:
        """Log the summary of the interval that ends, if it counted any, and start afresh."""
        counted, self._counted = self._counted, Counter()
        self._logged.clear()
        if not counted or self._started is None:
            return
        kinds = ", ".join(f"{n:,} {kind}" for kind, n in counted.most_common())
        seconds = max(self._last - self._started, 0.0)
        self.log.info(
            "refused %s more calls in %.1f s, not logged one by one: %s",
            f"{counted.total():,}",
            seconds,
            kinds,
        )
