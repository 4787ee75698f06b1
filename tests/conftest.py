"""Fixtures: the in-memory store is the fake; SQLite runs for real in a temporary folder."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger.service import Ledger
from ledger.settings import Settings


@pytest.fixture
def ledger() -> Iterator[Ledger]:
    """A ledger on the in-memory store."""
    with Ledger(Settings(database_url="memory://")) as opened:
        yield opened


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'ledger.sqlite'}"


@pytest.fixture(params=["memory", "sqlite"])
def any_ledger(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Ledger]:
    """The same test body on each storage backend."""
    url = "memory://" if request.param == "memory" else f"sqlite:///{tmp_path / 'ledger.sqlite'}"
    with Ledger(Settings(database_url=url)) as opened:
        yield opened
