"""Rows 1-5 of the hardening issue: no caller, with a token or without, takes the workers or
does unbounded work, and a request within the documented limits can succeed.

Each test attacks a real ``ledger serve`` with tokens configured, while a reader pings it with
a 2 s deadline every 0.2 s: every ping must answer. Limits are set short here
(``LEDGER_STREAM_IDLE_SECONDS=1``, ``LEDGER_MAX_WAIT_SECONDS=3``) so that the tests are too.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha import reflection_pb2_grpc

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc
from ledger_client import command_message
from tests.e2e.security import hashed_line
from tests.e2e.support import RunningServer, source
from tests.hardening.support import LONG, database, report, serving

# Alone: it times calls, races writers, kills or restarts what others would share.
pytestmark = [pytest.mark.hardening, pytest.mark.alone]

Code = grpc.StatusCode
IDLE, MOST_WAIT = 1.0, 3.0
# Attacking calls: as many as the workers in CI, four times as many when long.
ATTACKERS = 64 if LONG else 16
LUXURY_ROAD = {
    "direction": "outbound",
    "channel": "cargo-road",
    "traveller": "any",
    "goods": "luxury",
}


class Attacked:
    """A server with a reader's and a recorder's token, and stubs to call it with."""

    def __init__(self, running: RunningServer, reader: str, recorder: str) -> None:
        self.running = running
        self.channel = grpc.insecure_channel(running.address)
        self.stub = ledger_pb2_grpc.PolicyLedgerStub(self.channel)
        self.reader = [("authorization", f"Bearer {reader}")]
        self.recorder = [("authorization", f"Bearer {recorder}")]

    def cpu_seconds(self) -> float:
        """The server process's CPU time so far (user and system)."""
        fields = Path(f"/proc/{self.running.process.pid}/stat").read_text().rsplit(")", 1)[1]
        utime, stime = fields.split()[11:13]
        return (int(utime) + int(stime)) / 100  # clock ticks: 100 a second on Linux

    def import_commands(self, commands: list[pb.Command]) -> None:
        for start in range(0, len(commands), 5000):
            chunk = pb.ImportCommandsRequest(commands=commands[start : start + 5000])
            self.stub.ImportCommands(iter([chunk]), metadata=self.recorder, timeout=120)


@contextlib.contextmanager
def attacked(tmp_path: Path, backend: str = "sqlite", **env: str) -> Iterator[Attacked]:
    reader, reader_line = hashed_line("reader")
    recorder, recorder_line = hashed_line("recorder")
    settings = {
        "LEDGER_TOKENS": f"{reader_line} reader;{recorder_line} recorder",
        "LEDGER_STREAM_IDLE_SECONDS": str(IDLE),
        "LEDGER_MAX_WAIT_SECONDS": str(MOST_WAIT),
        **env,
    }
    with database(backend, tmp_path) as url, serving(tmp_path, url, env=settings) as running:
        server = Attacked(running, reader, recorder)
        try:
            yield server
        finally:
            server.channel.close()


class Pinger:
    """An authorised reader pinging with a 2 s deadline every 0.2 s, from its own channel."""

    def __init__(self, server: Attacked) -> None:
        self.channel = grpc.insecure_channel(server.running.address)
        self.stub = ledger_pb2_grpc.PolicyLedgerStub(self.channel)
        self.metadata = server.reader
        self.answered = 0
        self.failures: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.2):
            try:
                self.stub.Ping(pb.PingRequest(), timeout=2, metadata=self.metadata)
                self.answered += 1
            except grpc.RpcError as error:
                self.failures.append(f"{error.code()}: {error.details()}")

    def __enter__(self) -> Pinger:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.channel.close()


def _code(call: Any, seconds: float = 15.0) -> grpc.StatusCode:
    """The status a unary call ended with, waiting at most ``seconds``."""
    with contextlib.suppress(grpc.RpcError, grpc.FutureTimeoutError):
        call.exception(timeout=seconds)
    assert call.done(), "the call did not end"
    return call.code()  # type: ignore[no-any-return]


def _stream_code(call: Any, seconds: float = 15.0) -> grpc.StatusCode:
    """The status a streamed reply ended with, reading it for at most ``seconds``."""

    def drain() -> None:
        with contextlib.suppress(grpc.RpcError):
            for _ in call:
                pass

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    reader.join(seconds)
    assert not reader.is_alive(), "the call did not end"
    return call.code()  # type: ignore[no-any-return]


def _names(counted: Counter[grpc.StatusCode]) -> dict[str, int]:
    return {code.name: count for code, count in counted.items()}


def _never(release: threading.Event) -> Iterator[Any]:
    """A request stream that sends nothing until ``release``."""
    release.wait()
    yield from ()


def test_row1_idle_streams_without_a_token_leave_the_workers_to_others(tmp_path: Path) -> None:
    with attacked(tmp_path) as server:
        release = threading.Event()
        attacker = grpc.insecure_channel(server.running.address)
        reflect = reflection_pb2_grpc.ServerReflectionStub(attacker)
        health = health_pb2_grpc.HealthStub(attacker)
        try:
            with Pinger(server) as pinger:
                streams = [reflect.ServerReflectionInfo(_never(release)) for _ in range(ATTACKERS)]
                watches = [health.Watch(health_pb2.HealthCheckRequest()) for _ in range(ATTACKERS)]
                time.sleep(2 * IDLE)
                ended = Counter(_stream_code(call) for call in streams)
                watched = Counter(_stream_code(call) for call in watches)
            assert pinger.failures == [], pinger.failures
            assert pinger.answered >= 5
            # A few of each are served; the rest are refused at once, not queued.
            admitted = ATTACKERS - 4
            assert ended[Code.RESOURCE_EXHAUSTED] >= admitted, ended
            assert ended[Code.DEADLINE_EXCEEDED] + ended[Code.RESOURCE_EXHAUSTED] == ATTACKERS
            assert watched[Code.RESOURCE_EXHAUSTED] >= admitted, watched
            # The admitted health watches end after LEDGER_MAX_WAIT_SECONDS.
            assert watched[Code.DEADLINE_EXCEEDED] + watched[Code.RESOURCE_EXHAUSTED] == ATTACKERS
            report(
                f"row 1: {ATTACKERS} idle reflection streams {_names(ended)}, {ATTACKERS} "
                f"health watches {_names(watched)}; {pinger.answered} pings answered, none failed"
            )
        finally:
            release.set()
            attacker.close()


def _offices(count: int, sources: int = 1, url_length: int = 60) -> list[pb.Command]:
    """``count`` offices, each with a tightening on luxury goods by road citing ``sources``."""
    cited = [
        source(url="https://example.org/" + "a" * url_length + str(n), publisher="P" * 200)
        for n in range(sources)
    ]
    commands = []
    for number in range(count):
        code = f"CN-LIM{number}"
        commands.append(
            command_message(
                "register", {"request_id": f"r-{code}", "office": code, "name": f"Office {number}"}
            )
        )
        commands.append(
            command_message(
                "tighten",
                {
                    "request_id": f"t-{code}",
                    "office": code,
                    "scope": LUXURY_ROAD,
                    "measure": {
                        "admissibility": {"kind": "prohibited"},
                        "inspection": "thorough",
                        "enforcement": "confiscation",
                    },
                    "effective": {"on": "2025-03-01"},
                    "sources": cited,
                },
            )
        )
    return commands


def _compare(offices: int, items: int) -> pb.CompareOfficesRequest:
    return pb.CompareOfficesRequest(
        offices=[f"CN-LIM{n}" for n in range(offices)],
        at="2025-04-01",
        direction=pb.DIRECTION_OUTBOUND,
        channel=pb.CHANNEL_CARGO_ROAD,
        traveller=pb.TRAVELLER_TRADER,
        items=[pb.CheckItem(goods="luxury")] * items,
    )


def test_row2_a_huge_comparison_is_refused_before_the_work(tmp_path: Path) -> None:
    with attacked(tmp_path) as server:
        server.import_commands(_offices(500))
        before = server.cpu_seconds()
        with Pinger(server) as pinger:
            started = time.monotonic()
            with pytest.raises(grpc.RpcError) as refused:
                server.stub.CompareOffices(_compare(500, 1000), metadata=server.reader, timeout=120)
            took = time.monotonic() - started
        spent = server.cpu_seconds() - before
        assert refused.value.code() is Code.RESOURCE_EXHAUSTED, refused.value.details()
        details = refused.value.details()
        assert "LEDGER_MAX_LOOKUPS" in details and "split" in details, details
        assert pinger.failures == []
        assert took < 10 and spent < 10, (took, spent)  # unbounded before: OOM-killed at 23.8 GB
        report(
            f"row 2: 500 offices x 1000 items refused in {took:.2f} s, {spent:.2f} s CPU: {details}"
        )


def test_row2_work_stops_soon_after_the_deadline(tmp_path: Path) -> None:
    # A budget high enough to admit 100 offices x 1000 items of electronics (a million lookups,
    # several seconds of work), whose answers are short (no rule states them: the answer
    # stays within its bytes for long), to see the work stop when the caller's deadline passes.
    with attacked(tmp_path, LEDGER_MAX_LOOKUPS="10000000") as server:
        server.import_commands(_offices(100))
        request = _compare(100, 1000)
        for item in request.items:
            item.goods = "electronics"
        with pytest.raises(grpc.RpcError) as late:
            server.stub.CompareOffices(request, metadata=server.reader, timeout=1)
        assert late.value.code() is Code.DEADLINE_EXCEEDED, late.value.details()
        after_deadline = server.cpu_seconds()
        time.sleep(3)
        spent = server.cpu_seconds() - after_deadline
        assert spent < 0.5, f"the server worked {spent:.2f} s CPU after the caller's deadline"
        report(f"row 2: 100 x 1000 with a 1 s deadline: {spent:.2f} s CPU after the deadline")


def test_row3_waits_without_a_deadline_are_bounded_and_end_with_their_call(
    backend: str, tmp_path: Path
) -> None:
    with attacked(tmp_path, backend) as server:
        far = pb.ListOfficesRequest(min_position=10**15)
        with Pinger(server) as pinger:
            calls = [
                server.stub.ListOffices.future(far, metadata=server.reader)
                for _ in range(ATTACKERS)
            ]
            time.sleep(0.5)
            for call in calls:
                call.cancel()
            time.sleep(0.5)
            # The server is not wedged: a wait without a deadline ends after the server's
            # longest wait, UNAVAILABLE, saying how far the read model is.
            started = time.monotonic()
            waiting = server.stub.ListOffices.future(far, metadata=server.reader)
            try:
                waited = waiting.exception(timeout=MOST_WAIT + 10)  # the test's own bound
            except grpc.FutureTimeoutError:
                waiting.cancel()
                pytest.fail("a wait without a deadline went on past the server's longest wait")
            took = time.monotonic() - started
        codes = Counter(call.code() for call in calls)
        assert pinger.failures == [], pinger.failures
        assert waited is not None and waited.code() is Code.UNAVAILABLE, waited
        assert "not yet at" in waited.details()
        assert MOST_WAIT - 0.5 < took < MOST_WAIT + 3, took
        report(
            f"row 3 ({backend}): {ATTACKERS} waits without a deadline, cancelled: "
            f"{_names(codes)}; a wait without a deadline ended after {took:.1f} s; pings answered"
        )


def test_row4_waits_and_silent_imports_hold_no_worker_for_long(
    backend: str, tmp_path: Path
) -> None:
    with attacked(tmp_path, backend) as server:
        release = threading.Event()
        far = pb.GetOfficeRequest(office="CN-DANDONG", min_position=10**9)
        try:
            with Pinger(server) as pinger:
                waits = [
                    server.stub.GetOffice.future(far, metadata=server.reader, timeout=8)
                    for _ in range(ATTACKERS + 4)
                ]
                imports = [
                    server.stub.ImportCommands.future(
                        _never(release), metadata=server.recorder, timeout=8
                    )
                    for _ in range(ATTACKERS + 4)
                ]
                time.sleep(2 * IDLE)
                waited = Counter(_code(call) for call in waits)
                imported = Counter(_code(call) for call in imports)
            assert pinger.failures == [], pinger.failures
            assert waited[Code.RESOURCE_EXHAUSTED] >= ATTACKERS - 4, waited
            assert imported[Code.RESOURCE_EXHAUSTED] >= ATTACKERS - 4, imported
            # The admitted imports are ended when idle, well before their 8 s deadline.
            assert sum(imported.values()) == ATTACKERS + 4
            assert imported[Code.DEADLINE_EXCEEDED] + imported[Code.RESOURCE_EXHAUSTED] == sum(
                imported.values()
            )
            report(
                f"row 4 ({backend}): {ATTACKERS + 4} waits {_names(waited)}, as many silent "
                f"imports {_names(imported)}; {pinger.answered} pings, none failed"
            )
        finally:
            release.set()


def test_row5_a_check_whose_answer_cannot_be_sent_says_how_to_split_it(tmp_path: Path) -> None:
    with attacked(tmp_path) as server:
        # Each office's change cites 50 sources with 2000-character URLs: the most allowed.
        server.import_commands(_offices(1, sources=50, url_length=1950))
        check = pb.CheckRequest(
            office="CN-LIM0",
            at="2025-04-01",
            direction=pb.DIRECTION_OUTBOUND,
            channel=pb.CHANNEL_CARGO_ROAD,
            traveller=pb.TRAVELLER_TRADER,
            items=[pb.CheckItem(goods="7113")] * 1000,
        )
        started = time.monotonic()
        with pytest.raises(grpc.RpcError) as refused:
            server.stub.Check(check, metadata=server.reader, timeout=60)
        took = time.monotonic() - started
        assert refused.value.code() is Code.RESOURCE_EXHAUSTED
        details = refused.value.details()
        assert "at most" in details and "items" in details, details
        fit = int(details.split("at most ")[1].split()[0])
        assert 1 <= fit < 1000
        # The split it suggests is answered.
        del check.items[fit:]
        reply = server.stub.Check(check, metadata=server.reader, timeout=60)
        assert len(reply.items) == fit
        assert reply.items[0].verdict == pb.VERDICT_PROHIBITED
        report(
            f"row 5: 1000 items citing 50 long sources refused in {took:.2f} s "
            f"({details}); {fit} items answered, {reply.ByteSize() / 1e6:.1f} MB"
        )


def test_the_largest_import_is_stored(backend: str, tmp_path: Path) -> None:
    """An import at the limit (10,000 commands, ~12 MB): within the limits, so it succeeds.
    On PostgreSQL the library's pipelined insert hung for good on such a batch."""
    with attacked(tmp_path, backend) as server:
        commands = _offices(1)[:1]
        change = _offices(1, sources=2, url_length=300)[1]
        for number in range(9_999):
            copy = pb.Command()
            copy.CopyFrom(change)
            copy.tighten.request_id = f"t-{number}"
            commands.append(copy)
        started = time.monotonic()
        reply = server.stub.ImportCommands(
            iter([pb.ImportCommandsRequest(commands=commands)]),
            metadata=server.recorder,
            timeout=120,
        )
        took = time.monotonic() - started
        assert reply.stored == 10_000
        report(f"largest import ({backend}): 10,000 commands stored in {took:.1f} s")
