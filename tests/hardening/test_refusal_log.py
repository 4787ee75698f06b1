"""A flood of refused calls does not flood the log: a server that checks tokens takes 2,000
calls with bad tokens, and logs a few of them in full and a count of the rest, not a line
each (issue 12, row 16: one client made ~190 KB/s of log).

Then the counting itself, on a fake clock: a few of each kind in full per interval, one
summary line when the interval is over or the log is flushed, every refusal counted once
whatever the threads.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import grpc
import pytest

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc
from tests.e2e.security import hashed_line
from tests.hardening.support import report, serving

pytestmark = pytest.mark.hardening

CALLS = 2_000
WRONG_ROLE = 10  # of them, a reader's token asking to record: PERMISSION_DENIED
# Lines a flood may leave in the log: each interval (10 s) logs five of each kind in full and
# one summary; 2,000 calls take a few seconds, so one or two intervals.
MOST_LINES = 36
_SUMMARY = re.compile(r"refused ([\d,]+) more calls in [\d.]+ s, not logged one by one: (.*)$")


def _call(stub: Any, number: int, reader: str) -> grpc.StatusCode:
    if number % (CALLS // WRONG_ROLE) == 0:
        metadata = [("authorization", f"Bearer {reader}")]
        request = pb.RegisterOfficeRequest(office="CN-NEVER", name="Never", request_id="r")
        call = stub.RegisterOffice
    else:
        metadata = [("authorization", f"Bearer not-a-token-{number}")]
        request, call = pb.PingRequest(), stub.Ping
    try:
        call(request, metadata=metadata, timeout=30)
    except grpc.RpcError as error:
        return error.code()  # type: ignore[no-any-return]  # grpc is untyped
    return grpc.StatusCode.OK


def test_two_thousand_bad_tokens_leave_a_few_lines_and_a_count(tmp_path: Path) -> None:
    reader, line = hashed_line("reader")
    tokens = tmp_path / "tokens"
    tokens.write_text(line + "\n")
    env = {"LEDGER_TOKENS_FILE": str(tokens)}
    with serving(tmp_path / "server", f"sqlite:///{tmp_path / 'ledger.sqlite'}", env=env) as server:
        with grpc.insecure_channel(server.address) as channel:
            stub = ledger_pb2_grpc.PolicyLedgerStub(channel)  # type: ignore[no-untyped-call]
            with ThreadPoolExecutor(8) as pool:
                codes = list(pool.map(lambda n: _call(stub, n, reader), range(CALLS)))
        assert codes.count(grpc.StatusCode.PERMISSION_DENIED) == WRONG_ROLE
        assert codes.count(grpc.StatusCode.UNAUTHENTICATED) == CALLS - WRONG_ROLE
        assert server.stop() == 0  # a clean stop writes the count still pending
        log = server.log()

    lines = [text for text in log.splitlines() if "refused" in text]
    in_full = [text for text in lines if "refused /ledger.v1.PolicyLedger/" in text]
    summaries = [found for text in lines if (found := _SUMMARY.search(text))]
    report(
        f"refusal log: {CALLS} refused calls, {len(lines)} lines "
        f"({sum(len(text) + 1 for text in lines)} bytes), e.g. {lines[-1] if lines else '-'}"
    )
    assert len(lines) <= MOST_LINES, "\n".join(lines[:50])
    assert summaries, log[-3000:]
    counted = sum(int(found.group(1).replace(",", "")) for found in summaries)
    assert counted + len(in_full) == CALLS, lines
    kinds = " ".join(found.group(2) for found in summaries)
    assert "UNAUTHENTICATED (unknown token)" in kinds
    assert "PERMISSION_DENIED (role too small)" in kinds
    assert len(lines) == len(in_full) + len(summaries), lines
    assert reader not in log


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


class _Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def lines() -> Iterator[_Lines]:
    logger = logging.getLogger("tests.hardening.refusals")
    handler = _Lines()
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    logger.propagate = False
    try:
        yield handler
    finally:
        logger.removeHandler(handler)


def _refusal_log(clock: _Clock) -> Any:
    from ledger.server.refusal_log import RefusalLog

    return RefusalLog(logging.getLogger("tests.hardening.refusals"), interval=10, clock=clock)


class TestRefusalLog:
    def test_the_first_few_of_each_kind_are_logged_in_full_and_the_rest_counted(
        self, lines: _Lines
    ) -> None:
        clock = _Clock()
        refusals = _refusal_log(clock)
        for number in range(100):
            refusals.refused("UNAUTHENTICATED (unknown token)", "refused call %d", number)
        refusals.refused("PERMISSION_DENIED (role too small)", "refused the reader")
        assert lines.lines == [*(f"refused call {n}" for n in range(5)), "refused the reader"]

    def test_the_next_refusal_after_the_interval_logs_the_count_first(self, lines: _Lines) -> None:
        clock = _Clock()
        refusals = _refusal_log(clock)
        for _ in range(1_999):
            clock.now += 0.001
            refusals.refused("UNAUTHENTICATED (unknown token)", "unknown")
        for _ in range(9):
            refusals.refused("PERMISSION_DENIED (role too small)", "denied")
        clock.now += 10
        refusals.refused("UNAUTHENTICATED (no token)", "none")
        assert lines.lines[-2:] == [
            "refused 1,998 more calls in 2.0 s, not logged one by one: "
            "1,994 UNAUTHENTICATED (unknown token), 4 PERMISSION_DENIED (role too small)",
            "none",
        ]
        assert len(lines.lines) == 5 + 5 + 1 + 1

    def test_a_flush_logs_what_was_counted_once_and_nothing_when_nothing_was(
        self, lines: _Lines
    ) -> None:
        refusals = _refusal_log(_Clock())
        refusals.flush()
        for _ in range(7):
            refusals.refused("UNAUTHENTICATED (malformed authorization)", "malformed")
        refusals.flush()
        refusals.flush()
        assert lines.lines == [
            *["malformed"] * 5,
            "refused 2 more calls in 0.0 s, not logged one by one: "
            "2 UNAUTHENTICATED (malformed authorization)",
        ]

    def test_refusals_from_many_threads_are_each_counted_once(self, lines: _Lines) -> None:
        refusals = _refusal_log(_Clock())
        start = threading.Barrier(8)

        def refuse(thread: int) -> None:
            start.wait()
            for _ in range(1_000):
                refusals.refused(f"kind {thread % 2}", "in full")

        threads = [threading.Thread(target=refuse, args=(n,)) for n in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        refusals.flush()
        assert lines.lines[:-1] == ["in full"] * 10
        assert lines.lines[-1].startswith("refused 7,990 more calls")
        assert "3,995 kind 0" in lines.lines[-1] and "3,995 kind 1" in lines.lines[-1]
