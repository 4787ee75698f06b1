"""Storage faults: the database's own errors, told apart from the ledger's refusals.

The event-sourcing library raises its ``PersistenceError`` kinds for whatever the database
driver raised. A full disk (SQLite's ``SQLITE_FULL``, PostgreSQL's ``disk_full`` class 53) is
``StorageFull``; a connection that failed, was lost or timed out, a locked or vanished file, is
``StorageUnavailable``: nothing about the request is wrong, and the same request, with the same
request id, may succeed later. Anything else (a constraint, a bad statement) stays a bug.
"""

from __future__ import annotations

import sqlite3

from eventsourcing.persistence import InterfaceError, OperationalError, PersistenceError

from ledger.domain.errors import StorageFault, StorageFull, StorageUnavailable

__all__ = ["storage_fault"]

_FULL = ("database or disk is full", "no space left on device", "disk full", "could not extend")


def storage_fault(error: BaseException) -> StorageFault | None:
    """The storage fault ``error`` is, or None when it is not one (a bug: let it surface)."""
    if isinstance(error, StorageFault):
        return error
    if not isinstance(error, (PersistenceError, sqlite3.Error)) or _is_bug(error):
        return None
    text = _describe(error)
    sqlstate = getattr(error.__cause__, "sqlstate", None) or ""
    if sqlstate.startswith("53") or any(marker in text.lower() for marker in _FULL):
        return StorageFull(
            f"the database has no room left ({text}): nothing was stored; free space and retry"
        )
    return StorageUnavailable(
        f"the database cannot be used now ({text}); a write refused with this may or may not "
        "have been stored: retry it with the same request id, which the ledger stores once",
        passing=True,
    )


def _is_bug(error: BaseException) -> bool:
    """Errors the request or the code cause, not the environment (a full disk is reported by
    some drivers as a plain database error: its text tells)."""
    environmental = (OperationalError, InterfaceError, sqlite3.OperationalError)
    if isinstance(error, environmental) or isinstance(error.__cause__, environmental):
        return False
    return not any(marker in str(error).lower() for marker in _FULL)


def _describe(error: BaseException) -> str:
    text = " ".join(str(error).split()) or type(error).__name__
    return text[:300]
