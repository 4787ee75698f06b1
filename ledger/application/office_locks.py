"""Writes to one office, within one process, take turns.

Two writes to one office that run at once cannot both be stored: the second save finds the
office's next version taken and is tried again from a fresh load (``LedgerApplication``). Within
one process that race is pure waste, and under load a writer can lose it again and again. So a
write holds its offices' locks from loading them to the end of its save, and a write to the
same office waits for its turn; writes to other offices do not wait. Races with other
processes on the same database are still settled by the store and retried.

The locks are taken in the offices' sorted order, so two batches never hold one each of the
other's; a lock exists only while a write holds or awaits it. The wait is bounded: a write
that cannot have its offices within ``timeout`` seconds is refused as ``OfficeBusy``.
"""

from __future__ import annotations

import threading
import time
import weakref
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from ledger.domain.errors import Conflict

__all__ = ["OfficeBusy", "OfficeLocks"]


class OfficeBusy(Conflict):
    """Other writes held an office for longer than a write may wait for it."""

    def __init__(self, code: str, waited: float) -> None:
        super().__init__(
            f"office {code} is busy with other writes: waited {waited:g} s for them to finish; "
            "try again (sending the same request id is safe)"
        )
        self.code = code


class _Lock:
    """A lock that can be weakly referenced, so an office's lock goes when no write needs it."""

    __slots__ = ("__weakref__", "lock")

    def __init__(self) -> None:
        self.lock = threading.Lock()


class OfficeLocks:
    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._locks: weakref.WeakValueDictionary[str, _Lock] = weakref.WeakValueDictionary()
        self._guard = threading.Lock()

    @contextmanager
    def holding(self, codes: Iterable[str]) -> Iterator[None]:
        """Hold every one of ``codes``' locks, taken in sorted order, within ``timeout``."""
        with self._guard:
            wanted = [(code, self._lock(code)) for code in sorted(set(codes))]
        deadline = time.monotonic() + self.timeout
        held: list[_Lock] = []
        try:
            for code, lock in wanted:
                if not lock.lock.acquire(timeout=max(0.0, deadline - time.monotonic())):
                    raise OfficeBusy(code, self.timeout)
                held.append(lock)
            yield
        finally:
            for lock in reversed(held):
                lock.lock.release()

    def _lock(self, code: str) -> _Lock:
        lock = self._locks.get(code)
        if lock is None:
            lock = self._locks[code] = _Lock()
        return lock
