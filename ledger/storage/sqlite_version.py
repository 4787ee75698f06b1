"""``PRAGMA data_version`` without letting go of the GIL: SQLite's C API called through ctypes.

Every query asks the follower whether anyone committed since it last looked (another server
may share the file). The ``sqlite3`` module releases the GIL around every statement, and
under load a thread that lets it go for a 3 µs pragma waits behind every other thread to get
it back: with 64 checks in flight this cost a fifth of the server's throughput. Here the
same pragma runs on a connection of its own, prepared once, through ``ctypes.PyDLL``, whose
calls keep the GIL; a lock taken without waiting keeps the statement to one look at a time.
The statement reads SQLite's own change counter, so its meaning is the pragma's; a step that
fails (the file busy, say) answers a value never seen before, and the follower then asks the
database itself, as it would without this.

Only the very copy of SQLite the ``sqlite3`` module uses is called (found in the process's
memory map): where there is none to find (SQLite built into Python, or no /proc),
``native_data_version`` returns None and the ``sqlite3`` module's connection is used.
"""

from __future__ import annotations

import ctypes
import itertools
import logging
import threading

__all__ = ["NativeDataVersion", "native_data_version"]

log = logging.getLogger("ledger.storage.sqlite")

_OK, _ROW = 0, 100
_OPEN_READONLY, _OPEN_URI = 0x00000001, 0x00000040
_PRAGMA = b"PRAGMA data_version"


def _mapped_sqlite() -> str | None:
    """The file of the SQLite library the ``sqlite3`` module uses, as this process mapped it;
    None when it is not a shared library of its own (built in), or where /proc cannot say."""
    import _sqlite3  # noqa: F401  # the module's SQLite is mapped once this is loaded

    try:
        with open("/proc/self/maps", encoding="utf-8") as maps:
            for line in maps:
                path = line.split(maxsplit=5)[-1].strip()
                if "/libsqlite3" in path and path.startswith("/"):
                    return path
    except OSError:
        pass
    return None


def _library() -> ctypes.PyDLL | None:
    # The very copy of SQLite that the sqlite3 module uses, never a second one: two copies in
    # one process do not share SQLite's table of open files, and one copy closing the file
    # would drop the other's POSIX locks (sqlite.org/howtocorrupt.html, 2.2.1).
    path = _mapped_sqlite()
    if path is None:
        return None
    try:
        library = ctypes.PyDLL(path)  # the same file: the loader gives the loaded copy
    except OSError:
        return None
    void_p, int_ = ctypes.c_void_p, ctypes.c_int
    library.sqlite3_open_v2.argtypes = [ctypes.c_char_p, ctypes.POINTER(void_p), int_, void_p]
    library.sqlite3_prepare_v2.argtypes = [
        void_p, ctypes.c_char_p, int_, ctypes.POINTER(void_p), void_p,
    ]  # fmt: skip
    library.sqlite3_step.argtypes = [void_p]
    library.sqlite3_reset.argtypes = [void_p]
    library.sqlite3_column_int64.argtypes = [void_p, int_]
    library.sqlite3_column_int64.restype = ctypes.c_int64
    library.sqlite3_finalize.argtypes = [void_p]
    library.sqlite3_close_v2.argtypes = [void_p]
    return library


class NativeDataVersion:
    """The file's data version (``DataVersion``), read with the GIL held."""

    def __init__(
        self, library: ctypes.PyDLL, database: ctypes.c_void_p, statement: ctypes.c_void_p
    ) -> None:
        self._library, self._database = library, database
        self._statement: ctypes.c_void_p | None = statement
        self._unknown = itertools.count(-1, -1)
        self._lock = threading.Lock()

    def version(self) -> int:
        # Each C call holds the GIL, but the GIL may pass to another thread between two of
        # them: the statement is this look's alone while it holds the lock. A thread that
        # finds it taken (rarely: a look is a few microseconds) does not wait for it, which
        # would let go of the GIL: its look is new, and the follower asks the database.
        if not self._lock.acquire(blocking=False):
            return next(self._unknown)
        try:
            statement = self._statement
            if statement is None:
                return next(self._unknown)  # closed: every look is new
            library = self._library
            try:
                if library.sqlite3_step(statement) != _ROW:
                    return next(self._unknown)
                return int(library.sqlite3_column_int64(statement, 0))
            finally:
                library.sqlite3_reset(statement)
        finally:
            self._lock.release()

    def close(self) -> None:
        with self._lock:
            statement, self._statement = self._statement, None
        if statement is not None:
            self._library.sqlite3_finalize(statement)
            self._library.sqlite3_close_v2(self._database)


def native_data_version(path: str) -> NativeDataVersion | None:
    """A data version of the SQLite file at ``path`` read through SQLite's C API, or None."""
    library = _library()
    if library is None:
        return None
    database, statement = ctypes.c_void_p(), ctypes.c_void_p()
    opened = library.sqlite3_open_v2(path.encode(), ctypes.byref(database), _OPEN_READONLY, None)
    if opened != _OK or not database.value:
        library.sqlite3_close_v2(database)
        log.info("PRAGMA data_version through ctypes unavailable (open: %d)", opened)
        return None
    prepared = library.sqlite3_prepare_v2(database, _PRAGMA, -1, ctypes.byref(statement), None)
    if prepared != _OK or not statement.value:
        library.sqlite3_close_v2(database)
        log.info("PRAGMA data_version through ctypes unavailable (prepare: %d)", prepared)
        return None
    return NativeDataVersion(library, database, statement)
