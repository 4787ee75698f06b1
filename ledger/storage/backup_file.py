"""A backup file: written beside its name and renamed onto it at the end, and read without
writing to it (what it is, and the digest and Merkle root its read model holds).

A backup is a SQLite ledger file of this schema version (``ledger.storage.backup`` makes and
restores one). ``written`` gives a new file beside the name, so that a copy that fails leaves
nothing under the name; ``examine`` says what a file is, or refuses it in words; ``reading``
opens one read only, leaving nothing beside it.
"""

from __future__ import annotations

import os
import secrets
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import NamedTuple

from ledger.application.app import LedgerApplication
from ledger.domain import merkle
from ledger.domain.chain import GENESIS
from ledger.domain.errors import LedgerError
from ledger.storage.identity import APPLICATION, SCHEMA_VERSION, SQLITE_V1, Found, listed
from ledger.storage.sqlite import SQLITE_HEADER, found_in, open_read_only

__all__ = [
    "EMPTY",
    "BackupRefused",
    "Head",
    "Examined",
    "written",
    "examine",
    "head_of",
    "reading",
    "holding",
]

_NAME = LedgerApplication.name  # the read model's tracking row
_A_BACKUP = "name a backup file `ledger backup --out FILE` wrote, e.g. backups/ledger.sqlite"
# What a restore writes into.
EMPTY = (
    "a missing or empty SQLite file (sqlite:///PATH), or a PostgreSQL schema with no tables "
    "(CREATE SCHEMA NAME, then postgresql://USER:PASSWORD@HOST:PORT/DATABASE?schema=NAME)"
)


class BackupRefused(LedgerError):
    """A backup or a restore that cannot be made as asked; nothing was written."""


class Head(NamedTuple):
    """A ledger's digest and Merkle root at the end of its log."""

    position: int
    root: str
    merkle_root: str

    def __str__(self) -> str:
        return f"{self.position}:{self.root}:{self.merkle_root}"


class Examined(NamedTuple):
    """A backup file: its schema version, and whether its read model has followed its log
    to the end (a file ``ledger backup`` wrote always has)."""

    version: int
    complete: bool

    @property
    def current(self) -> bool:
        return self.version == SCHEMA_VERSION and self.complete


@contextmanager
def written(path: Path, *, force: bool = False, empty: bool = False) -> Iterator[Path]:
    """A new file beside ``path`` to write in the block, renamed onto ``path`` when the block
    ends well and removed otherwise. ``path`` must not exist (``force``: it is replaced;
    ``empty``: it may be an empty file)."""
    _may_write(path, force=force, empty=empty)
    if not path.parent.is_dir():
        raise BackupRefused(f"{path}: there is no folder {path.parent}; make it first")
    partial = path.parent / f".{path.name}.{secrets.token_hex(4)}.partial"
    try:  # made new (never one that exists), with the mode a new file gets here (the umask)
        os.close(os.open(partial, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
    except OSError as error:
        raise BackupRefused(f"{path}: cannot write in {path.parent} ({error.strerror})") from None
    try:
        yield partial
        _may_write(path, force=force, empty=empty)  # again: something may have come meanwhile
        os.replace(partial, path)
    finally:
        for leftover in (partial, Path(f"{partial}-wal"), Path(f"{partial}-shm")):
            leftover.unlink(missing_ok=True)


def _may_write(path: Path, *, force: bool, empty: bool) -> None:
    if path.is_dir():
        raise BackupRefused(f"{path} is a folder: name a file, e.g. {path / 'ledger.sqlite'}")
    if force or not path.exists() or (empty and path.stat().st_size == 0):
        return
    if empty:
        raise BackupRefused(
            f"sqlite:///{path} holds {_holding_file(path)}: a restore writes only into an empty "
            f"database, {EMPTY}; nothing was changed"
        )
    raise BackupRefused(f"{path} exists: name a new file, or give --force to replace it")


def examine(path: Path) -> Examined:
    """What the backup file at ``path`` is, or ``BackupRefused`` saying what it is not."""
    if not path.is_file():
        what = "is a folder" if path.is_dir() else "does not exist"
        raise BackupRefused(f"{path} {what}: {_A_BACKUP}")
    with reading(path) as db:
        found = found_in(db)
        tables, meta = sorted(found.tables), found.meta or {}
        if not meta and set(SQLITE_V1) <= set(tables):
            return Examined(1, complete=False)  # a ledger of the code before the marker
        if meta.get("application") != APPLICATION:
            raise BackupRefused(f"{path} is not a ledger: it holds {_tables(tables)}; {_A_BACKUP}")
        version = meta.get("schema_version", "")
        if not version.isdigit() or not 1 <= int(version) <= SCHEMA_VERSION:
            raise BackupRefused(
                f"{path} is a ledger of schema version {version or '(none)'}; this release "
                f"reads versions 1 to {SCHEMA_VERSION}: restore it with the release that wrote "
                "it, or a newer one"
            )
        if int(version) < 4:  # before version 4, no Merkle tree: migrating it makes one
            return Examined(int(version), complete=False)
        log, followed, digest = _positions(db)
        return Examined(int(version), complete=log == followed == digest)


def head_of(path: Path) -> Head:
    """The digest and Merkle root the backup file's read model holds at its last position."""
    with reading(path) as db:
        row = db.execute("SELECT position, root FROM digests ORDER BY position DESC LIMIT 1")
        found = row.fetchone()
        if found is None:
            return Head(0, GENESIS, merkle.EMPTY_ROOT.hex())
        position, root = found

        def node(level: int, index: int) -> bytes:
            stored = db.execute(
                "SELECT hash FROM merkle_nodes WHERE level = ? AND idx = ?", (level, index)
            ).fetchone()
            if stored is None:
                raise BackupRefused(f"{path}: its Merkle tree lacks a node ({level}, {index})")
            return bytes(stored[0])

        return Head(position, root, merkle.root(node, position).hex())


def _positions(db: sqlite3.Connection) -> tuple[int, int, int]:
    """The log's last position, the read model's, and its last digest's."""
    log = db.execute("SELECT coalesce(max(rowid), 0) FROM stored_events").fetchone()[0]
    followed = db.execute(
        "SELECT coalesce(max(notification_id), 0) FROM tracking WHERE application_name = ?",
        (_NAME,),
    ).fetchone()[0]
    digest = db.execute("SELECT coalesce(max(position), 0) FROM digests").fetchone()[0]
    return int(log), int(followed), int(digest)


@contextmanager
def reading(path: Path) -> Iterator[sqlite3.Connection]:
    """A read-only connection to the SQLite file at ``path``: nothing written to it, nor left
    beside it."""
    try:
        with path.open("rb") as opened:
            header = opened.read(100)
    except OSError as error:
        raise BackupRefused(f"{path} cannot be read ({error.strerror}): {_A_BACKUP}") from None
    if not header.startswith(SQLITE_HEADER):
        what = "it is empty" if not header else "it is not a SQLite database"
        raise BackupRefused(f"{path} is not a ledger: {what}; {_A_BACKUP}")
    try:
        with closing(open_read_only(path, header)) as db:
            yield db
    except sqlite3.DatabaseError as error:
        raise BackupRefused(
            f"{path} cannot be read as a ledger ({error}): the file is damaged, or not a "
            f"backup; {_A_BACKUP}"
        ) from None


def _holding_file(path: Path) -> str:
    try:
        with reading(path) as db:
            return holding(found_in(db))
    except BackupRefused:
        return f"{path.stat().st_size:,} bytes that are not a ledger"


def holding(found: Found) -> str:
    """What a database that is not empty holds, in a few words."""
    meta = found.meta or {}
    if meta.get("application") == APPLICATION:
        return f"a ledger (schema version {meta.get('schema_version', '?')})"
    return _tables(sorted(found.tables))


def _tables(names: list[str]) -> str:
    if not names:
        return "no tables"
    return f"the table {names[0]}" if len(names) == 1 else f"the tables {listed(names)}"
