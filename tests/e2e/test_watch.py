"""Watch: catch-up then live, resume after a reconnect, deadlines, and load."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from ledger_client import LedgerClient, LedgerClientError, WatchEvent, command_message
from tests.e2e.support import (
    SEED_EVENTS,
    RunningServer,
    collect_watch,
    log_end,
    new_office,
    source,
    start_server,
)

SCOPE = {"direction": "inbound", "channel": "cargo-air", "goods": "30"}


def observe(client: LedgerClient, office: str, inspection: str = "standard") -> Any:
    return client.record(
        "observed",
        office,
        scope=SCOPE,
        measure={"inspection": inspection},
        effective={"on": "2025-01-01"},
        sources=[source("2025-01-02")],
    )


class Watcher:
    """A watch read on its own connection and thread: what arrived, and how it ended."""

    def __init__(self, address: str, after: int = 0, timeout: float = 20.0) -> None:
        self.events: list[WatchEvent] = []
        self.error: BaseException | None = None
        self.arrived = threading.Condition()
        self._client = LedgerClient(address)
        self._thread = threading.Thread(target=self._run, args=(after, timeout), daemon=True)
        self._thread.start()

    def _run(self, after: int, timeout: float) -> None:
        try:
            for event in self._client.watch(after, timeout=timeout):
                with self.arrived:
                    self.events.append(event)
                    self.arrived.notify_all()
        except BaseException as error:  # reported to the test, whatever it is
            self.error = error
        finally:
            with self.arrived:
                self.arrived.notify_all()

    def wait_for(self, count: int, seconds: float = 10.0) -> list[WatchEvent]:
        with self.arrived:
            self.arrived.wait_for(
                lambda: len(self.events) >= count or not self._thread.is_alive(), seconds
            )
            return list(self.events)

    def close(self) -> BaseException | None:
        """Hang up (closing the connection cancels the watch); returns any other error."""
        self._client.close()
        self._thread.join(10)
        cancelled = (
            isinstance(self.error, LedgerClientError)
            and self.error.code is grpc.StatusCode.CANCELLED
        )
        return None if cancelled else self.error


class TestCatchUpThenLive:
    def test_a_watch_replays_the_log_then_delivers_a_new_change_as_it_is_recorded(
        self, server: RunningServer, client: LedgerClient
    ) -> None:
        watcher = Watcher(server.address)
        caught_up = watcher.wait_for(SEED_EVENTS)
        assert [e.position for e in caught_up] == list(range(1, SEED_EVENTS + 1))
        code = new_office()
        started = time.monotonic()
        registered = client.register_office(code, "Live customs")
        observed = observe(client, code)
        live = watcher.wait_for(SEED_EVENTS + 2)
        latency = time.monotonic() - started
        assert watcher.close() is None
        assert [e.position for e in live] == list(range(1, SEED_EVENTS + 3))
        assert [(e.type, e.office, e.event_id) for e in live[-2:]] == [
            ("OfficeRegistered", code, registered.change_id),
            ("PolicyObserved", code, observed.change_id),
        ]
        assert live[-1].position == observed.position
        assert live[-1].event["measure"]["inspection"] == "standard"
        assert latency < 5

    def test_two_watchers_see_the_same_live_events_in_the_same_order(
        self, server: RunningServer, client: LedgerClient
    ) -> None:
        code = new_office()
        client.register_office(code, "Twice watched")
        end = log_end(client)
        watchers = [Watcher(server.address, end) for _ in range(2)]
        for inspection in ("light", "standard", "thorough"):
            observe(client, code, inspection)
        seen = [w.wait_for(3) for w in watchers]
        assert [w.close() for w in watchers] == [None, None]
        assert [e.event_id for e in seen[0]] == [e.event_id for e in seen[1]]
        assert [e.position for e in seen[0]] == [end + 1, end + 2, end + 3]


class TestResume:
    def test_reconnecting_after_the_last_position_seen_misses_nothing_and_repeats_nothing(
        self, client: LedgerClient
    ) -> None:
        first = collect_watch(client, 0, seconds=5, until=lambda got: len(got) == 4)
        assert [e.position for e in first] == [1, 2, 3, 4]
        code = new_office()
        written = [client.register_office(code, "Resumed customs")]
        written += [observe(client, code, i) for i in ("light", "standard", "rigorous")]
        total = SEED_EVENTS + len(written)
        second = collect_watch(
            client, first[-1].position, seconds=5, until=lambda got: len(got) == total - 4
        )
        positions = [e.position for e in first + second]
        assert positions == list(range(1, total + 1))
        assert [e.event_id for e in second[-4:]] == [r.change_id for r in written]

    def test_a_watch_after_the_last_position_waits_for_what_comes_next(
        self, server: RunningServer, client: LedgerClient
    ) -> None:
        code = new_office()
        client.register_office(code, "Next customs")
        end = log_end(client)
        watcher = Watcher(server.address, end)
        assert watcher.wait_for(1, seconds=0.5) == []
        receipt = observe(client, code)
        [event] = watcher.wait_for(1)
        assert watcher.close() is None
        assert (event.position, event.event_id) == (end + 1, receipt.change_id)


class TestDeadlines:
    def test_a_watch_with_a_short_timeout_ends_with_deadline_exceeded(
        self, shared_client: LedgerClient
    ) -> None:
        events: list[WatchEvent] = []
        started = time.monotonic()
        with pytest.raises(LedgerClientError) as ended:
            events.extend(shared_client.watch(0, timeout=0.5))
        assert ended.value.code is grpc.StatusCode.DEADLINE_EXCEEDED
        assert time.monotonic() - started < 5
        assert len(events) == SEED_EVENTS  # what was there came before the deadline

    def test_a_watch_at_the_end_of_the_log_ends_with_deadline_exceeded(
        self, shared_client: LedgerClient
    ) -> None:
        started = time.monotonic()
        with pytest.raises(LedgerClientError) as ended:
            next(shared_client.watch(log_end(shared_client), timeout=0.3))
        assert ended.value.code is grpc.StatusCode.DEADLINE_EXCEEDED
        assert time.monotonic() - started < 5

    def test_the_server_keeps_answering_after_watches_time_out(
        self, shared_client: LedgerClient
    ) -> None:
        for _ in range(3):
            with pytest.raises(LedgerClientError):
                list(shared_client.watch(SEED_EVENTS, timeout=0.2))
        assert shared_client.health() == "SERVING"


class TestUnderLoad:
    def test_a_watch_during_a_large_import_names_the_office_of_every_event(
        self, server: RunningServer, client: LedgerClient
    ) -> None:
        end = log_end(client)
        watcher = Watcher(server.address, end, timeout=30)
        time.sleep(0.3)  # the watch is waiting at the end of the log
        offices = [new_office() for _ in range(300)]
        commands = []
        for code in offices:
            commands.append(
                command_message(
                    "register", {"request_id": f"r-{code}", "office": code, "name": "x"}
                )
            )
            commands.append(
                command_message(
                    "observe",
                    {
                        "request_id": f"o-{code}",
                        "office": code,
                        "scope": SCOPE,
                        "measure": {"inspection": "light"},
                        "effective": {"on": "2025-01-01"},
                        "sources": [source("2025-01-02")],
                    },
                )
            )
        assert client.import_commands(commands).stored == len(commands)
        events = watcher.wait_for(len(commands), seconds=20)
        error = watcher.close()
        assert error is None, repr(error)
        expected = [code for code in offices for _ in range(2)]
        assert [e.office for e in events] == expected


@pytest.fixture
def two_worker_server(tmp_path: Path) -> Iterator[RunningServer]:
    """Two workers, so (by default, half the workers) one watch at most."""
    running = start_server(tmp_path, env={"LEDGER_WORKERS": "2"})
    try:
        yield running
    finally:
        running.stop()


class TestWatchLimit:
    def test_a_watch_beyond_the_limit_is_refused_and_other_calls_still_answer(
        self, two_worker_server: RunningServer
    ) -> None:
        address = two_worker_server.address
        first = Watcher(address, SEED_EVENTS, timeout=10)
        time.sleep(0.3)  # the first watch is open and waiting
        second = Watcher(address, SEED_EVENTS, timeout=10)
        assert second.wait_for(1, seconds=5) == []
        refused = second.close()
        assert isinstance(refused, LedgerClientError), refused
        assert refused.code is grpc.StatusCode.RESOURCE_EXHAUSTED
        with LedgerClient(address, timeout=2) as probe:
            assert probe.health() == "SERVING"
            assert probe.get_office("CN-DANDONG").version == 5
        assert first.close() is None

    def test_a_closed_watch_gives_its_place_back(self, two_worker_server: RunningServer) -> None:
        address = two_worker_server.address
        first = Watcher(address, SEED_EVENTS, timeout=10)
        time.sleep(0.3)
        assert first.close() is None
        deadline = time.monotonic() + 5
        with LedgerClient(address) as again:
            while True:  # the server learns of the hang-up a moment later
                try:
                    events = collect_watch(again, 0, seconds=2, until=lambda got: len(got) == 1)
                    break
                except LedgerClientError as error:
                    if error.code is not grpc.StatusCode.RESOURCE_EXHAUSTED:
                        raise
                    if time.monotonic() > deadline:
                        pytest.fail("the closed watch's place was never given back")
                    time.sleep(0.1)
        assert [e.position for e in events] == [1]
