"""Fixtures: real ``ledger serve`` processes on port 0, the client library and the CLI.

``shared_server`` (one per module, the example ledger loaded) serves the read-only tests;
``server`` is a fresh one per test, for tests that write or stop it. Every test runs once on
SQLite and once on PostgreSQL (``backend``).
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger_client import LedgerClient
from tests.conftest import fresh_database, need_postgres
from tests.e2e.support import Cli, RunningServer, run_cli, start_server


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest) -> str:
    if request.param == "postgres":
        need_postgres()
    return str(request.param)


@contextlib.contextmanager
def _serving(backend: str, folder: Path) -> Iterator[RunningServer]:
    folder.mkdir(parents=True, exist_ok=True)
    with fresh_database(backend, folder, prefix="e2e") as url:
        running = start_server(folder, database_url=url)
        try:
            yield running
        finally:
            with contextlib.suppress(subprocess.TimeoutExpired):
                running.stop()


@pytest.fixture(scope="module")
def shared_server(
    backend: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """One server per module over the example ledger: for tests that only read."""
    with _serving(backend, tmp_path_factory.mktemp("shared")) as running:
        yield running


@pytest.fixture(scope="module")
def shared_client(shared_server: RunningServer) -> Iterator[LedgerClient]:
    with LedgerClient(shared_server.address) as opened:
        yield opened


@pytest.fixture
def shared_cli(shared_server: RunningServer) -> Cli:
    """``ledger ...`` against the module's shared server: (exit status, stdout, stderr)."""
    return lambda *args, **kwargs: run_cli(shared_server.address, *args, **kwargs)


@pytest.fixture
def server(backend: str, tmp_path: Path) -> Iterator[RunningServer]:
    """A fresh server over the example ledger, for one test."""
    with _serving(backend, tmp_path / "server") as running:
        yield running


@pytest.fixture
def client(server: RunningServer) -> Iterator[LedgerClient]:
    with LedgerClient(server.address) as opened:
        yield opened


@pytest.fixture
def cli(server: RunningServer) -> Cli:
    """``ledger ...`` against the test's fresh server: (exit status, stdout, stderr)."""
    return lambda *args, **kwargs: run_cli(server.address, *args, **kwargs)
