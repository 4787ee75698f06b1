"""Fixtures of the hardening tier: the storage backend, and the run's summary of figures."""

from __future__ import annotations

import pytest

from tests.hardening.support import BACKENDS, LONG, SUMMARY, need_backend


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    """The same test body on SQLite and on PostgreSQL."""
    need_backend(request.param)
    return str(request.param)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if SUMMARY:
        terminalreporter.section(f"hardening ({'long' if LONG else 'CI'} run)")
        for line in SUMMARY:
            terminalreporter.write_line(line)
