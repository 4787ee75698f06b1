"""Two server processes on one database: read your writes by position, watch across servers,
concurrency, idempotency, on SQLite and on PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc
from ledger_client import LedgerClient, LedgerClientError
from tests.e2e.security import refused_start
from tests.e2e.support import WORKER_BAGGAGE, new_office, source, start_server


@pytest.fixture(params=["sqlite", "postgres"])
def two_servers(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[Any, Any]]:
    url = str(request.getfixturevalue(f"{request.param}_url"))
    first = start_server(tmp_path / "a", database_url=url)
    second = start_server(tmp_path / "b", database_url=url, example=False)
    try:
        with LedgerClient(first.address) as a, LedgerClient(second.address) as b:
            yield a, b
    finally:
        for server in (first, second):
            server.stop()


def observe(client: LedgerClient, office: str, on: str, **more: Any) -> Any:
    return client.record(
        "observed",
        office,
        scope=WORKER_BAGGAGE,
        measure={"admissibility": {"kind": "quantity-limit", "quantity": int(on[-2:])}},
        effective={"on": on},
        sources=[source()],
        **more,
    )


class TestReadYourWrites:
    def test_a_write_through_one_server_is_read_through_the_other_by_position(
        self, two_servers: tuple[LedgerClient, LedgerClient]
    ) -> None:
        a, b = two_servers
        office = new_office()
        a.register_office(office, "Shared customs")
        for day in range(1, 6):
            receipt = observe(a, office, f"2025-01-{day:02d}")
            seen = b.get_office(office, min_position=receipt.position)
            assert seen.version == receipt.office_version
            answer = b.check(
                office,
                f"2025-01-{day:02d}",
                direction="outbound",
                channel="personal-baggage",
                traveller="worker",
                items=[{"goods": "8516", "quantity": day}],
                min_position=receipt.position,
            )
            assert answer.items[0].verdict == "ALLOWED"
            assert answer.items[0].governing is not None
            assert answer.items[0].governing.change_id == receipt.change_id

    def test_a_position_not_reached_within_the_deadline_is_unavailable(
        self, two_servers: tuple[LedgerClient, LedgerClient]
    ) -> None:
        a, _ = two_servers
        beyond = a.get_digest().position + 1000
        # A plain channel: the client library would retry UNAVAILABLE until the deadline.
        with grpc.insecure_channel(a.target) as channel:
            stub = ledger_pb2_grpc.PolicyLedgerStub(channel)
            with pytest.raises(grpc.RpcError) as refused:
                stub.ListOffices(pb.ListOfficesRequest(min_position=beyond), timeout=1.0)
        assert refused.value.code() is grpc.StatusCode.UNAVAILABLE
        assert f"not yet at {beyond}" in (refused.value.details() or "")


class TestAcrossServers:
    def test_a_watch_on_one_server_sees_writes_through_the_other_in_order(
        self, two_servers: tuple[LedgerClient, LedgerClient]
    ) -> None:
        a, b = two_servers
        office = new_office()
        start = b.get_digest().position
        seen: list[Any] = []
        done = threading.Event()

        def follow() -> None:
            try:
                for event in b.watch(start, timeout=15):
                    seen.append(event)
                    if len(seen) == 6:
                        break
            finally:
                done.set()

        watcher = threading.Thread(target=follow)
        watcher.start()
        a.register_office(office, "Watched customs")
        receipts = [observe(a, office, f"2025-02-{day:02d}") for day in range(1, 6)]
        assert done.wait(20)
        watcher.join()
        assert [e.office for e in seen] == [office] * 6
        assert [e.office_version for e in seen] == [1, 2, 3, 4, 5, 6]
        positions = [e.position for e in seen]
        assert positions == sorted(set(positions))
        assert positions[-1] == receipts[-1].position
        # Resume from the third event: the rest again, nothing twice.
        again = [
            e.position for _, e in zip(range(3), b.watch(positions[2], timeout=5), strict=False)
        ]
        assert again == positions[3:]

    def test_concurrent_writers_on_two_servers_lose_nothing_and_conflict_as_aborted(
        self, two_servers: tuple[LedgerClient, LedgerClient]
    ) -> None:
        a, b = two_servers
        office = new_office()
        a.register_office(office, "Contended customs")
        version = b.get_office(office, min_position=a.get_digest().position).version
        results: list[Any] = []

        def write(client: LedgerClient, day: int) -> None:
            try:
                results.append(
                    observe(client, office, f"2025-03-{day:02d}", expected_version=version)
                )
            except LedgerClientError as error:
                results.append(error)

        threads = [threading.Thread(target=write, args=(c, d)) for c, d in ((a, 1), (b, 2))]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        errors = [r for r in results if isinstance(r, LedgerClientError)]
        assert len(errors) == 1
        assert errors[0].code is grpc.StatusCode.ABORTED
        # Without an expected version both land, each once, and a retry through the other
        # server of the same request returns the same receipt.
        first = observe(a, office, "2025-04-01", request_id=f"{office}-once")
        again = observe(b, office, "2025-04-01", request_id=f"{office}-once")
        assert again == first
        final = b.get_office(office, min_position=first.position)
        assert final.version == version + 2


class TestSharedPort:
    """Several server processes on one database may serve one port (LEDGER_SHARE_PORT); a
    server that does not share it refuses a taken port."""

    def test_two_servers_sharing_a_port_both_serve_it(self, tmp_path: Path) -> None:
        url = f"sqlite:///{tmp_path / 'shared.sqlite'}"
        shared = {"LEDGER_SHARE_PORT": "true"}
        first = start_server(tmp_path / "a", database_url=url, env=shared)
        port = first.address.rsplit(":", 1)[1]
        second = start_server(
            tmp_path / "b",
            database_url=url,
            example=False,
            env={**shared, "LEDGER_LISTEN": f"127.0.0.1:{port}"},
        )
        try:
            assert second.address == first.address
            office = new_office()
            with LedgerClient(first.address) as client:
                client.register_office(office, "Shared port customs")
                receipt = observe(client, office, "2025-01-07")
            assert first.stop() == 0
            # Only the second server listens now: a new connection to the port reaches it.
            with LedgerClient(second.address) as client:
                seen = client.get_office(office, min_position=receipt.position)
            assert seen.version == receipt.office_version
        finally:
            for server in (first, second):
                server.stop()

    def test_a_taken_port_is_refused_naming_it_and_the_setting(self, tmp_path: Path) -> None:
        first = start_server(tmp_path / "a")
        try:
            status, said = refused_start(tmp_path / "b", {"LEDGER_LISTEN": first.address})
        finally:
            first.stop()
        assert status != 0
        assert f"cannot serve on {first.address}" in said
        assert "LEDGER_SHARE_PORT=true" in said
