"""The Node.js client (``ledger-client.mjs``, @grpc/grpc-js) against a server that speaks TLS and
checks tokens: it trusts the test CA (``LEDGER_TLS_CA``) and sends a reader's token
(``LEDGER_TOKEN``) on the TLS channel's credentials; and, against a server requiring mutual
TLS, presents the test client certificate."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from tests.certs import Certificates, make_certificates
from tests.e2e.support import RunningServer, start_server
from tests.interop.test_node_client import CLIENT, CLIENT_TIMEOUT, ROOT, _node, _node_modules

TOKEN = secrets.token_urlsafe(32)


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("node-certs"))


@pytest.fixture(scope="module")
def server(
    certs: Certificates, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    _node_modules()  # skip (or fail, in CI) before starting anything
    _node()
    env = {
        "LEDGER_TLS_CERT": str(certs.server_cert),
        "LEDGER_TLS_KEY": str(certs.server_key),
        "LEDGER_TOKENS": f"reader sha256:{hashlib.sha256(TOKEN.encode()).hexdigest()} node",
    }
    running = start_server(tmp_path_factory.mktemp("node-tls"), env=env)
    try:
        yield running
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            running.stop()


def _run(server: RunningServer, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [_node(), str(CLIENT), server.address],
        cwd=ROOT,
        env={**os.environ, "LEDGER_NODE_MODULES": str(_node_modules()), **env},
        capture_output=True,
        text=True,
        timeout=CLIENT_TIMEOUT,
    )


@pytest.fixture(scope="module")
def report(server: RunningServer, certs: Certificates) -> dict[str, Any]:
    ran = _run(server, LEDGER_TLS_CA=str(certs.ca), LEDGER_TOKEN=TOKEN)
    assert ran.returncode == 0, f"{ran.stderr}\n--- server log ---\n{server.log()}"
    printed: dict[str, Any] = json.loads(ran.stdout)
    return printed


def test_the_node_client_checks_health_over_tls(report: dict[str, Any]) -> None:
    assert report["health"]["status"] == "SERVING"


def test_the_node_client_asks_a_check_and_a_history_with_its_token_over_tls(
    report: dict[str, Any],
) -> None:
    assert report["check"]["verdict"] == "VERDICT_PROHIBITED"
    assert report["history"]["events"] == 5
    assert report["bad_date"]["code_name"] == "INVALID_ARGUMENT"  # refused for the date only


def test_the_node_client_without_its_token_is_unauthenticated(
    server: RunningServer, certs: Certificates
) -> None:
    ran = _run(server, LEDGER_TLS_CA=str(certs.ca))
    assert ran.returncode == 1
    assert "(gRPC status 16)" in ran.stderr  # UNAUTHENTICATED


def test_the_node_client_without_tls_cannot_connect(server: RunningServer) -> None:
    ran = _run(server, LEDGER_TOKEN=TOKEN)
    assert ran.returncode == 1
    assert "(gRPC status 14)" in ran.stderr  # UNAVAILABLE


def test_the_node_client_presents_its_certificate_for_mutual_tls(
    certs: Certificates, tmp_path_factory: pytest.TempPathFactory
) -> None:
    env = {
        "LEDGER_TLS_CERT": str(certs.server_cert),
        "LEDGER_TLS_KEY": str(certs.server_key),
        "LEDGER_TLS_CLIENT_CA": str(certs.ca),
    }
    mutual = start_server(tmp_path_factory.mktemp("node-mtls"), env=env)
    try:
        without = _run(mutual, LEDGER_TLS_CA=str(certs.ca))
        ran = _run(
            mutual,
            LEDGER_TLS_CA=str(certs.ca),
            LEDGER_CLIENT_TLS_CERT=str(certs.client_cert),
            LEDGER_CLIENT_TLS_KEY=str(certs.client_key),
        )
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            mutual.stop()
    assert without.returncode == 1
    assert "(gRPC status 14)" in without.stderr  # no certificate: no connection
    assert ran.returncode == 0, ran.stderr
    assert json.loads(ran.stdout)["check"]["verdict"] == "VERDICT_PROHIBITED"
