"""What the server tells health checks, kept true while it runs.

``""`` and ``ledger.v1.PolicyLedger`` are SERVING while the database takes writes; a storage
fault (disk full, connection lost, the database file gone) makes them NOT_SERVING until a
write succeeds again (or, after a lost connection, a question is answered). The read model's
progress is ``ledger.readmodel``: SERVING while it follows the log, NOT_SERVING once it meets
an event it cannot apply (the server still answers, as of the position before it). Each
change is logged once, with its reason.
"""

from __future__ import annotations

import logging
import threading

from grpc_health.v1 import health, health_pb2

from ledger.domain.errors import StorageFault, StorageUnavailable
from ledger.readmodel.follower import StuckAt
from ledger_api.ledger.v1 import ledger_pb2

__all__ = ["ServingState", "READ_MODEL"]

log = logging.getLogger("ledger.server")

SERVICE = ledger_pb2.DESCRIPTOR.services_by_name["PolicyLedger"]
# The health service name of the read model's progress.
READ_MODEL = "ledger.readmodel"

_SERVING = health_pb2.HealthCheckResponse.SERVING
_NOT_SERVING = health_pb2.HealthCheckResponse.NOT_SERVING


class ServingState:
    """The health servicer's statuses, from what the servicer and the follower report."""

    def __init__(self, servicer: health.HealthServicer) -> None:
        self.health = servicer
        self._lock = threading.Lock()
        self._fault: str | None = None
        self._passing = False
        self._stopping = False

    def start(self, stuck: StuckAt | None) -> None:
        for service in ("", SERVICE.full_name):
            self.health.set(service, _SERVING)
        self.health.set(READ_MODEL, _SERVING)
        if stuck is not None:
            self.stuck(stuck)

    def storage_fault(self, error: StorageFault) -> None:
        """A write or read met a storage fault: NOT_SERVING until a write succeeds."""
        with self._lock:
            if self._fault is not None or self._stopping:
                return
            self._fault = str(error)
            self._passing = isinstance(error, StorageUnavailable) and error.passing
            log.error("NOT_SERVING: %s", error)
            for service in ("", SERVICE.full_name):
                self.health.set(service, _NOT_SERVING)

    def wrote(self) -> None:
        """A write succeeded: a storage fault, if there was one, is over."""
        self._over("a write succeeded")

    def read(self) -> None:
        """A call read the database: a passing fault (a lost connection) is over; a full
        disk, or a database file gone, waits for a write."""
        if self._passing:
            self._over("a call read the database")

    def _over(self, why: str) -> None:
        if self._fault is None:  # the common case, without the lock
            return
        with self._lock:
            if self._fault is None or self._stopping:
                return
            log.warning("SERVING again: %s after %s", why, self._fault)
            self._fault = None
            for service in ("", SERVICE.full_name):
                self.health.set(service, _SERVING)

    def stuck(self, stuck: StuckAt) -> None:
        """The read model met an event it cannot apply."""
        self.health.set(READ_MODEL, _NOT_SERVING)

    def stopping(self) -> None:
        with self._lock:
            self._stopping = True
        self.health.enter_graceful_shutdown()
