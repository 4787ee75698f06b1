"""Installing without make: the client alone, and the whole ledger, each in a fresh virtualenv.

``pip install ./clients/python`` gives a client that calls a running server with no server
code installed (no ``ledger`` package, no ``eventsourcing``); ``pip install .`` gives a
working ``ledger serve`` (with its web console, which ``make test`` builds first), ``ledger
check`` and ``ledger report`` (the generated stubs are shipped, so nothing is generated at
install time). Each venv takes some seconds to build from PyPI (or pip's cache).
"""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import pytest

from tests.e2e.http_support import call
from tests.e2e.support import REPO, SEED_EVENTS, start_server

pytestmark = pytest.mark.packaging

INSTALL_SECONDS = 600
CHECK = [
    *("--office", "CN-DANDONG", "--at", "2025-03-20", "--direction", "outbound"),
    *("--channel", "personal-baggage", "--traveller", "worker", "--item", "8516.60:1"),
]


def fresh_venv(folder: Path, *requirements: str) -> Path:
    """A new virtualenv in ``folder`` with ``requirements`` installed by pip; its bin folder."""
    venv.create(folder, with_pip=True)
    bin_ = folder / "bin"
    subprocess.run(
        [bin_ / "pip", "install", "--quiet", "--disable-pip-version-check", *requirements],
        check=True,
        timeout=INSTALL_SECONDS,
        capture_output=True,
    )
    return bin_


@pytest.fixture(scope="module")
def server_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory.mktemp("server-venv"), str(REPO))


@pytest.fixture(scope="module")
def client_bin(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return fresh_venv(tmp_path_factory.mktemp("client-venv"), str(REPO / "clients" / "python"))


class TestTheClientAlone:
    def test_it_installs_without_the_server_or_the_event_store(
        self, client_bin: Path, tmp_path: Path
    ) -> None:
        probe = (
            "import importlib.util as u; "
            "print([m for m in ('ledger', 'eventsourcing', 'psycopg') if u.find_spec(m)])"
        )
        found = subprocess.run(
            [client_bin / "python", "-c", probe],
            check=True,
            capture_output=True,
            text=True,
            cwd=tmp_path,  # not the repository, whose folders would be found from here
        )
        assert found.stdout.strip() == "[]"

    def test_it_calls_a_running_server(self, client_bin: Path, tmp_path: Path) -> None:
        server = start_server(tmp_path)
        script = (
            "import sys\n"
            "from ledger_client import LedgerClient\n"
            "with LedgerClient(sys.argv[1]) as ledger:\n"
            "    result = ledger.check('CN-DANDONG', '2025-03-20', direction='outbound',\n"
            "        channel='personal-baggage', traveller='worker',\n"
            "        items=[{'goods': '8516.60', 'quantity': 1}])\n"
            "    print(result.items[0].verdict.value, ledger.get_digest().position)\n"
        )
        try:
            ran = subprocess.run(
                [client_bin / "python", "-c", script, server.address],
                capture_output=True,
                text=True,
                timeout=60,
                cwd=tmp_path,  # not the repository: nothing of it on the path
            )
        finally:
            server.stop()
        assert ran.returncode == 0, ran.stderr
        assert ran.stdout.split() == ["PROHIBITED", str(SEED_EVENTS)]


class TestTheWholeLedger:
    def test_its_ledger_serves_and_its_cli_checks(self, server_bin: Path, tmp_path: Path) -> None:
        server = start_server(
            tmp_path, ledger=str(server_bin / "ledger"), flags=["--web", "127.0.0.1:0"]
        )
        try:
            # The web console's built files came with the install, and are served.
            assert server.web is not None
            page = call(server.web, "/", http_method="GET")
            script = call(server.web, "/console.js", http_method="GET")
            ran = subprocess.run(
                [server_bin / "ledger", "check", *CHECK, "--json"],
                capture_output=True,
                text=True,
                timeout=60,
                cwd=tmp_path,
                env={"LEDGER_SERVER": server.address, "PATH": "/usr/bin:/bin"},
            )
            # The report's template and the plotting libraries came with the install.
            report = tmp_path / "report.html"
            drew = subprocess.run(
                [server_bin / "ledger", "report", "--out", str(report)],
                capture_output=True,
                text=True,
                timeout=120,
                cwd=tmp_path,
                env={"LEDGER_SERVER": server.address, "PATH": "/usr/bin:/bin"},
            )
        finally:
            assert server.stop() == 0
        assert ran.returncode == 0, ran.stderr
        assert '"verdict": "PROHIBITED"' in ran.stdout
        assert drew.returncode == 0, drew.stderr
        assert "CN-DANDONG" in report.read_text()
        assert page.status == 200
        assert b"console.js" in page.body
        assert b"not built" not in page.body
        assert script.status == 200
        assert script.headers["content-type"].startswith("text/javascript")

    def test_its_packages_are_the_ledger_the_api_and_the_client(self, server_bin: Path) -> None:
        probe = "import ledger.bootstrap, ledger_api.ledger.v1.ledger_pb2, ledger_client; print(1)"
        ran = subprocess.run(
            [server_bin / "python", "-c", probe], capture_output=True, text=True, cwd="/"
        )
        assert ran.returncode == 0, ran.stderr
