"""Fixtures: the in-memory store is the fake; SQLite and PostgreSQL run for real.

PostgreSQL tests need ``LEDGER_TEST_POSTGRES_URL`` (``.ci/run`` starts PostgreSQL and sets it).
Without it they are skipped on a developer's machine, and fail in CI (``CI`` set): they must
run there.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.bootstrap import Ledger
from ledger.settings import Settings

POSTGRES_URL = os.environ.get("LEDGER_TEST_POSTGRES_URL", "")
IN_CI = os.environ.get("CI", "").lower() not in ("", "0", "false", "no")


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    """A ledger on the in-memory store."""
    with Ledger(Settings(database_url="memory://")) as opened:
        yield opened


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite'}"


def need_postgres() -> None:
    """Skip a PostgreSQL test without ``LEDGER_TEST_POSTGRES_URL``, or fail it in CI."""
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("LEDGER_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("PostgreSQL tests need LEDGER_TEST_POSTGRES_URL (see .ci/run)")


@contextlib.contextmanager
def postgres_schema(prefix: str = "test") -> Iterator[str]:
    """A PostgreSQL URL whose schema is fresh for the block, and dropped after it."""
    import psycopg

    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{POSTGRES_URL}?schema={schema}"
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@contextlib.contextmanager
def fresh_database(backend: str, folder: Path, prefix: str = "test") -> Iterator[str]:
    """A new, empty database: a SQLite file in ``folder``, or a PostgreSQL schema."""
    if backend == "sqlite":
        folder.mkdir(parents=True, exist_ok=True)
        yield f"sqlite:///{folder / 'ledger.sqlite'}"
        return
    with postgres_schema(prefix) as url:
        yield url


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """A PostgreSQL URL whose schema is fresh for this test, and dropped after it."""
    need_postgres()
    with postgres_schema() as url:
        yield url


@pytest.fixture(params=["memory", "sqlite", "postgres"])
def any_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """The same test body on each storage backend."""
    if request.param == "postgres":
        url = request.getfixturevalue("postgres_url")
    elif request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    else:
        url = "memory://"
    with Ledger(Settings(database_url=url)) as opened:
        yield opened
