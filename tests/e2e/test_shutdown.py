"""Graceful shutdown on SIGTERM and SIGINT, and a restart on the same database."""

from __future__ import annotations

import ctypes
import platform
import signal
import threading
import time
from pathlib import Path

import grpc
import pytest
from grpc_health.v1 import health_pb2, health_pb2_grpc

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_client import LedgerClient, LedgerClientError, WatchEvent
from tests.e2e.support import SEED_EVENTS, RunningServer, log_end, new_office, start_server

GRACE_SECONDS = 10.0


def refusal_of_a_new_call(address: str) -> grpc.StatusCode:
    """A new Ping's status, on a plain channel (the client's own retries would only wait)."""
    with grpc.insecure_channel(address) as channel:
        ping = channel.unary_unary(
            "/ledger.v1.PolicyLedger/Ping",
            request_serializer=pb.PingRequest.SerializeToString,
            response_deserializer=pb.PingResponse.FromString,
        )
        with pytest.raises(grpc.RpcError) as refused:
            ping(pb.PingRequest(), timeout=5)
    return refused.value.code()


class TestGracefulShutdown:
    def test_sigterm_with_a_watch_open_ends_the_watch_and_exits_0_within_the_grace_period(
        self, server: RunningServer, client: LedgerClient
    ) -> None:
        client.ping()
        assert client.get_office("CN-DANDONG").version == 5
        client.register_office(new_office(), "Before shutdown customs")
        events: list[WatchEvent] = []
        ended: list[LedgerClientError | None] = []

        def watch() -> None:
            with LedgerClient(server.address) as watcher:
                try:
                    events.extend(watcher.watch(0, timeout=30))
                    ended.append(None)
                except LedgerClientError as error:
                    ended.append(error)

        thread = threading.Thread(target=watch, daemon=True)
        thread.start()
        deadline = time.monotonic() + 10
        while len(events) < SEED_EVENTS + 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        started = time.monotonic()
        status = server.stop(signal.SIGTERM, timeout=GRACE_SECONDS + 5)
        took = time.monotonic() - started
        thread.join(5)
        assert status == 0, server.log()
        assert took < GRACE_SECONDS
        assert not thread.is_alive(), "the watch is still open after the server stopped"
        assert len(events) == SEED_EVENTS + 1
        [how] = ended  # the stream ends cleanly, or says the server went away
        assert how is None or how.code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.CANCELLED)
        assert "received SIGTERM" in server.log()
        assert refusal_of_a_new_call(server.address) is grpc.StatusCode.UNAVAILABLE

    def test_sigint_exits_0_and_stops_accepting_calls(
        self, server: RunningServer, client: LedgerClient
    ) -> None:
        client.ping()
        status = server.stop(signal.SIGINT, timeout=GRACE_SECONDS + 5)
        assert status == 0, server.log()
        assert "received SIGINT" in server.log()
        assert refusal_of_a_new_call(server.address) is grpc.StatusCode.UNAVAILABLE

    def test_health_turns_not_serving_as_soon_as_shutdown_begins(self, tmp_path: Path) -> None:
        # An open health watch is an in-flight call: a short grace keeps the test short.
        running = start_server(tmp_path, env={"LEDGER_GRACE_SECONDS": "1"})
        statuses: list[str] = []
        with grpc.insecure_channel(running.address) as channel:
            stub = health_pb2_grpc.HealthStub(channel)
            call = stub.Watch(health_pb2.HealthCheckRequest(service=""), timeout=20)
            name = health_pb2.HealthCheckResponse.ServingStatus.Name
            statuses.append(name(next(call).status))
            started = time.monotonic()
            running.process.send_signal(signal.SIGTERM)
            statuses.append(name(next(call).status))
            status = running.stop(timeout=GRACE_SECONDS + 5)
            took = time.monotonic() - started
        assert statuses == ["SERVING", "NOT_SERVING"]
        assert status == 0, running.log()
        assert took < 1 + 5


def signal_a_thread_other_than_main(pid: int, number: signal.Signals) -> int:
    """Deliver ``number`` to one of the process's threads that is not its main thread (as the
    kernel may with a signal sent to the process), with Linux's ``tgkill``; that thread's id."""
    tid = next(
        int(t.name) for t in sorted(Path(f"/proc/{pid}/task").iterdir()) if t.name != str(pid)
    )
    libc = ctypes.CDLL(None, use_errno=True)
    if libc.syscall(_SYS_TGKILL, pid, tid, int(number)) != 0:
        raise OSError(ctypes.get_errno(), "tgkill failed")
    return tid


_SYS_TGKILL = 234  # x86-64


@pytest.mark.skipif(platform.machine() != "x86_64", reason="tgkill's number is x86-64's")
def test_sigterm_taken_by_another_thread_still_stops_the_server(tmp_path: Path) -> None:
    """Python runs a handler in the main thread only; a SIGTERM the kernel hands to one of
    grpc's threads must still stop the server, as one sent to the main thread does."""
    running = start_server(tmp_path)
    with LedgerClient(running.address) as client:
        assert log_end(client) == SEED_EVENTS
    signal_a_thread_other_than_main(running.process.pid, signal.SIGTERM)
    try:
        status = running.process.wait(5)
    finally:
        running.stop()  # kills it if it did not stop
    assert status == 0, running.log()
    assert "received SIGTERM" in running.log()


class TestRestart:
    def test_a_restart_on_the_same_database_keeps_the_ledger_and_loads_the_example_once(
        self, tmp_path: Path
    ) -> None:
        first = start_server(tmp_path)
        with LedgerClient(first.address) as client:
            code = new_office()
            receipt = client.register_office(code, "Persistent customs")
            assert receipt.position == SEED_EVENTS + 1
        assert first.stop() == 0
        second = start_server(tmp_path, database_url=first.database_url)
        try:
            with LedgerClient(second.address) as client:
                assert log_end(client) == SEED_EVENTS + 1
                assert client.get_office(code).name == "Persistent customs"
                assert [o.version for o in client.list_offices() if o.code == "CN-DANDONG"] == [5]
        finally:
            assert second.stop() == 0
