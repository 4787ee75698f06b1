"""A server that isn't there (issue 13, point 10): the CLI says so in plain words, and a
target without a port means the ledger's port, 50051."""

from __future__ import annotations

import socket

import pytest

from ledger_client.connection import with_default_port
from tests.e2e.support import run_cli


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.mark.parametrize("command", [("offices",), ("history", "--office", "CN-DANDONG")])
def test_no_server_at_the_address_is_said_plainly(command: tuple[str, ...]) -> None:
    address = f"127.0.0.1:{_free_port()}"
    status, out, err = run_cli(address, *command)
    assert status == 4, (out, err)
    assert f"no ledger server at {address}" in err
    assert "make run" in err and "LEDGER_SERVER" in err


def test_a_write_that_reached_no_server_still_says_how_to_retry_it() -> None:
    # The client retries: a refused connection may follow an attempt that reached a server,
    # so a write is never told "nothing stored" by the transport, only by the ledger.
    address = f"127.0.0.1:{_free_port()}"
    status, _, err = run_cli(address, "register", "--office", "CN-NOWHERE", "--name", "Nowhere")
    assert status == 4, err
    assert "outcome is unknown" in err and "--request-id" in err


def test_an_unknown_host_is_said_plainly() -> None:
    status, _, err = run_cli("nosuchhost.invalid", "offices")
    assert status == 4, err
    assert "no ledger server at nosuchhost.invalid:50051" in err


@pytest.mark.parametrize(
    ("target", "meant"),
    [
        ("ledger.example", "ledger.example:50051"),
        ("127.0.0.1", "127.0.0.1:50051"),
        ("[::1]", "[::1]:50051"),
        ("ledger.example:443", "ledger.example:443"),
        ("ipv4:10.0.0.1:50051,10.0.0.2:50051", "ipv4:10.0.0.1:50051,10.0.0.2:50051"),
        ("dns:///ledger.example:50051", "dns:///ledger.example:50051"),
        ("unix:/run/ledger.sock", "unix:/run/ledger.sock"),
    ],
)
def test_a_target_without_a_port_means_the_ledgers_port(target: str, meant: str) -> None:
    assert with_default_port(target) == meant
