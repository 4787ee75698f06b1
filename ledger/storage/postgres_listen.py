"""Following other servers' writes on PostgreSQL as they commit: the library's recorder sends a
NOTIFY with every insert; a thread LISTENs, brings the read model along, and tells the
follower when it need not ask the database whether anything was committed.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable

from eventsourcing.postgres import PostgresApplicationRecorder
from psycopg.sql import SQL, Identifier

__all__ = ["NotifiedVersion", "PostgresListener"]

log = logging.getLogger("ledger.storage.postgres")


class NotifiedVersion:
    """The follower's cheap test for commits (``DataVersion``), from the listener's NOTIFYs.

    While the listener's LISTEN connection is up, every commit of events anywhere is notified
    to it, and each notification moves this generation before the read model follows it: a
    query that finds the generation unchanged since the follower last caught up has nothing
    to catch up with, and asks the database nothing (it was a round trip on every query). A
    notification still on its way when a query starts is not waited for — a caller who must
    see a write sends its position as ``min_position``, which waits for it. Until the listener
    listens, and whenever it has lost its connection, every look is new: each query asks."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._generation = 0
        self._listening = False
        self._unknown = itertools.count(-1, -1)

    def version(self) -> int:
        with self._lock:
            return self._generation if self._listening else next(self._unknown)

    def notified(self) -> None:
        with self._lock:
            self._generation += 1

    def listening(self, up: bool) -> None:
        """The LISTEN connection is up (every commit will be notified) or gone."""
        with self._lock:
            self._listening = up
            self._generation += 1  # what happened while it was down is looked at again

    def close(self) -> None:
        self.listening(False)


class PostgresListener(threading.Thread):
    """Calls ``on_new_events`` whenever another process commits events (PostgreSQL NOTIFY, which
    the library's recorder sends with every insert), so that a server's read model and its
    watches follow writes made through other servers at once rather than at the next poll;
    and tells ``version`` whether it is listening, and of each notification."""

    def __init__(
        self,
        recorder: PostgresApplicationRecorder,
        on_new_events: Callable[[], object],
        version: NotifiedVersion | None = None,
    ):
        super().__init__(name="ledger-listener", daemon=True)
        self.recorder = recorder
        self.on_new_events = on_new_events
        self.version = version or NotifiedVersion()
        self.stopping = threading.Event()

    def run(self) -> None:
        channel = SQL("LISTEN {}").format(Identifier(self.recorder.channel_name))
        while not self.stopping.is_set():
            try:
                with self.recorder.datastore.get_connection() as connection:
                    connection.execute(channel)
                    connection.commit()
                    self.version.listening(True)
                    while not self.stopping.is_set():
                        for _ in connection.notifies(timeout=0.25, stop_after=1):
                            self.version.notified()
                            self.on_new_events()
            except Exception:  # the database went away: listen again, polls still cover
                self.version.listening(False)
                log.warning("listening for new events failed; retrying", exc_info=True)
                self.stopping.wait(1.0)
        self.version.listening(False)

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=5)
