"""TLS and mutual TLS over real servers, with throwaway certificates made for the module.

One server speaks TLS and checks tokens (the token rides on the TLS channel's credentials);
another requires client certificates signed by the test CA. Servers with broken TLS settings
must refuse to start.
"""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import grpc
import pytest

from ledger_client import LedgerClient, LedgerClientError
from tests.certs import Certificates, make_certificates
from tests.e2e.security import hashed_line, refused_start
from tests.e2e.support import RunningServer, run_cli, start_server

# A client that cannot complete the handshake never reaches the service: it sees the server as
# unavailable (or runs out of time retrying).
NO_CONNECTION = {grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED}


@dataclass
class TlsServer:
    server: RunningServer
    certs: Certificates
    token: str

    @property
    def address(self) -> str:
        return self.server.address


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("certs"))


@pytest.fixture(scope="module")
def impostor(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    """Certificates from another CA, with the same names."""
    return make_certificates(tmp_path_factory.mktemp("impostor"))


@contextlib.contextmanager
def _serving(folder: Path, env: dict[str, str]) -> Iterator[RunningServer]:
    server = start_server(folder, env=env)
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.stop()


@pytest.fixture(scope="module")
def tls(certs: Certificates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    """TLS, and a token of the admin role."""
    token, line = hashed_line("admin")
    env = {
        "LEDGER_TLS_CERT": str(certs.server_cert),
        "LEDGER_TLS_KEY": str(certs.server_key),
        "LEDGER_TOKENS": line,
    }
    with _serving(tmp_path_factory.mktemp("tls"), env) as server:
        yield TlsServer(server, certs, token)


@pytest.fixture(scope="module")
def mutual(certs: Certificates, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Mutual TLS, no tokens (on loopback): the address."""
    env = {
        "LEDGER_TLS_CERT": str(certs.server_cert),
        "LEDGER_TLS_KEY": str(certs.server_key),
        "LEDGER_TLS_CLIENT_CA": str(certs.ca),
    }
    with _serving(tmp_path_factory.mktemp("mtls"), env) as server:
        yield server.address


def _refused(client: LedgerClient) -> grpc.StatusCode:
    with client, pytest.raises(LedgerClientError) as refused:
        client.ping()
    return refused.value.code


class TestTls:
    def test_the_python_client_trusting_the_ca_reads_with_a_token(self, tls: TlsServer) -> None:
        with LedgerClient(tls.address, token=tls.token, root_certificates=tls.certs.ca) as client:
            assert "CN-DANDONG" in {office.code for office in client.list_offices()}
            assert client.get_digest().position > 0

    def test_the_ca_may_be_given_as_pem_bytes_and_the_server_named_localhost(
        self, tls: TlsServer
    ) -> None:
        port = tls.address.rsplit(":", 1)[1]
        ca = tls.certs.ca.read_bytes()
        with LedgerClient(f"localhost:{port}", token=tls.token, root_certificates=ca) as client:
            client.ping()

    def test_the_token_is_still_required_over_tls(self, tls: TlsServer) -> None:
        client = LedgerClient(tls.address, root_certificates=tls.certs.ca)
        assert _refused(client) is grpc.StatusCode.UNAUTHENTICATED

    def test_a_plaintext_client_cannot_talk_to_a_tls_server(self, tls: TlsServer) -> None:
        client = LedgerClient(tls.address, token=tls.token, timeout=3)
        assert _refused(client) in NO_CONNECTION

    def test_a_client_trusting_another_ca_does_not_trust_the_server(
        self, tls: TlsServer, impostor: Certificates
    ) -> None:
        client = LedgerClient(
            tls.address, token=tls.token, root_certificates=impostor.ca, timeout=3
        )
        assert _refused(client) in NO_CONNECTION

    def test_the_cli_connects_with_tls_ca_and_token(self, tls: TlsServer) -> None:
        status, out, err = run_cli(
            tls.address, "offices", "--tls-ca", str(tls.certs.ca), "--token", tls.token
        )
        assert status == 0, err
        assert "CN-DANDONG" in out

    def test_the_cli_reads_ledger_tls_ca_and_ledger_token(self, tls: TlsServer) -> None:
        env = {"LEDGER_TLS_CA": str(tls.certs.ca), "LEDGER_TOKEN": tls.token}
        status, out, err = run_cli(tls.address, "digest", env=env)
        assert status == 0, err
        assert out.strip().split(":")[0].isdigit()

    def test_the_cli_without_tls_is_refused(self, tls: TlsServer) -> None:
        status, _, err = run_cli(tls.address, "offices", "--token", tls.token, timeout=60)
        assert status == 4
        assert "UNAVAILABLE" in err or "DEADLINE_EXCEEDED" in err


class TestMutualTls:
    def test_a_client_with_a_certificate_of_the_ca_is_served(
        self, mutual: str, certs: Certificates
    ) -> None:
        with LedgerClient(
            mutual,
            root_certificates=certs.ca,
            client_cert=certs.client_cert,
            client_key=certs.client_key,
        ) as client:
            assert "CN-DANDONG" in {office.code for office in client.list_offices()}

    def test_a_client_without_a_certificate_is_refused(
        self, mutual: str, certs: Certificates
    ) -> None:
        client = LedgerClient(mutual, root_certificates=certs.ca, timeout=3)
        assert _refused(client) in NO_CONNECTION

    def test_a_client_with_a_certificate_of_another_ca_is_refused(
        self, mutual: str, certs: Certificates, impostor: Certificates
    ) -> None:
        client = LedgerClient(
            mutual,
            root_certificates=certs.ca,
            client_cert=impostor.client_cert,
            client_key=impostor.client_key,
            timeout=3,
        )
        assert _refused(client) in NO_CONNECTION

    def test_the_cli_presents_its_certificate(self, mutual: str, certs: Certificates) -> None:
        status, out, err = run_cli(
            mutual,
            "offices",
            "--tls-ca",
            str(certs.ca),
            "--tls-cert",
            str(certs.client_cert),
            "--tls-key",
            str(certs.client_key),
        )
        assert status == 0, err
        assert "CN-DANDONG" in out

    def test_a_client_certificate_without_its_key_is_refused_before_connecting(
        self, mutual: str, certs: Certificates
    ) -> None:
        status, _, err = run_cli(
            mutual, "offices", "--tls-ca", str(certs.ca), "--tls-cert", str(certs.client_cert)
        )
        assert status == 2
        assert "a client certificate needs its key" in err


class TestBrokenSettings:
    @pytest.mark.parametrize(
        ("given", "reason"),
        [
            (("cert",), "LEDGER_TLS_CERT is set but LEDGER_TLS_KEY is not"),
            (("key",), "LEDGER_TLS_KEY is set but LEDGER_TLS_CERT is not"),
            (("client_ca",), "LEDGER_TLS_CLIENT_CA is set but LEDGER_TLS_CERT and LEDGER_TLS_KEY"),
            (("cert", "key", "missing_ca"), "LEDGER_TLS_CLIENT_CA {missing}: cannot read it"),
            (("missing_cert", "key"), "LEDGER_TLS_CERT {missing}: cannot read it"),
            (("cert", "wrong_key"), "are not a PEM certificate and its unencrypted private key"),
            (("cert", "key", "not_a_ca"), "holds no PEM CA certificate"),
        ],
    )
    def test_the_server_refuses_to_start_saying_what_is_wrong(
        self, certs: Certificates, tmp_path: Path, given: tuple[str, ...], reason: str
    ) -> None:
        missing = tmp_path / "nowhere.pem"
        not_a_ca = tmp_path / "not-a-ca.pem"
        not_a_ca.write_text("this is not a certificate\n")
        settings = {
            "cert": ("LEDGER_TLS_CERT", certs.server_cert),
            "key": ("LEDGER_TLS_KEY", certs.server_key),
            "client_ca": ("LEDGER_TLS_CLIENT_CA", certs.ca),
            "missing_ca": ("LEDGER_TLS_CLIENT_CA", missing),
            "missing_cert": ("LEDGER_TLS_CERT", missing),
            "wrong_key": ("LEDGER_TLS_KEY", certs.client_key),
            "not_a_ca": ("LEDGER_TLS_CLIENT_CA", not_a_ca),
        }
        env = dict(settings[name] for name in given)
        status, err = refused_start(tmp_path, {name: str(path) for name, path in env.items()})
        assert status == 2, err
        assert reason.format(missing=missing) in err
        assert not (tmp_path / "ledger.sqlite").exists()  # refused before opening anything
