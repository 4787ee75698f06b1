"""A Node.js client (@grpc/grpc-js, the .proto loaded at run time) against a real server.

The server runs as a subprocess (``ledger serve`` on SQLite with the example ledger) and
``tests/interop/ledger-client.mjs`` asks it a health check, a check, a streamed history and a
refused check, printing one JSON report. ``make test`` installs the Node packages and sets
``LEDGER_NODE_MODULES``; without it these tests are skipped, except in CI, where they fail.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NoReturn

import pytest

ROOT = Path(__file__).parents[2]
CLIENT = ROOT / "tests" / "interop" / "ledger-client.mjs"
EXAMPLE = ROOT / "examples" / "dandong-2025.jsonl"
DANDONG = "CN-DANDONG"
READY = "ledger serving on "
START_TIMEOUT = 15.0
CLIENT_TIMEOUT = 60.0
STOP_TIMEOUT = 20.0


def _in_ci() -> bool:
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _node_modules() -> Path:
    """The folder holding @grpc/grpc-js and @grpc/proto-loader; skip or fail without it."""
    folder = os.environ.get("LEDGER_NODE_MODULES", "")
    if not folder:
        if _in_ci():
            pytest.fail(
                "LEDGER_NODE_MODULES is not set, and CI is: the Node interoperability test must "
                "run in CI. Run it with `make test` (which installs the packages with `make node` "
                "and sets LEDGER_NODE_MODULES=.tools/node_modules)."
            )
        pytest.skip("LEDGER_NODE_MODULES is not set (`make test` sets it)")
    path = Path(folder)
    missing = [
        package
        for package in ("@grpc/grpc-js", "@grpc/proto-loader")
        if not (path / package / "package.json").is_file()
    ]
    if missing:
        pytest.fail(
            f"LEDGER_NODE_MODULES={folder} lacks {', '.join(missing)}: run `make node` "
            "(npm install of tests/interop/package.json into .tools)"
        )
    return path


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("LEDGER_NODE_MODULES is set but there is no `node` on PATH")
    return node


def _pump(stream: IO[str], lines: queue.Queue[str | None]) -> None:
    """Read the server's stdout to its end, so it never blocks on a full pipe."""
    for line in stream:
        lines.put(line)
    lines.put(None)


class Server:
    """``ledger serve`` in a subprocess; its log (stderr) goes to a file."""

    def __init__(self, folder: Path) -> None:
        self.log_path = folder / "server.log"
        self.log = self.log_path.open("w")
        env = {
            **os.environ,
            "LEDGER_DATABASE_URL": f"sqlite:///{folder / 'ledger.sqlite'}",
            "LEDGER_LISTEN": "127.0.0.1:0",
        }
        self.process = subprocess.Popen(
            [str(Path(sys.executable).parent / "ledger"), "serve", "--example", str(EXAMPLE)],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=self.log,
            text=True,
        )
        self.lines: queue.Queue[str | None] = queue.Queue()
        assert self.process.stdout is not None
        threading.Thread(target=_pump, args=(self.process.stdout, self.lines), daemon=True).start()
        self.address = self._wait_until_ready()

    def _wait_until_ready(self) -> str:
        """The address from the server's ready line; fails if it exits or stays silent."""
        deadline = time.monotonic() + START_TIMEOUT
        seen: list[str] = []
        while True:
            try:
                line = self.lines.get(timeout=max(deadline - time.monotonic(), 0))
            except queue.Empty:
                self.fail(f"no {READY!r} line within {START_TIMEOUT} s; stdout so far: {seen!r}")
            if line is None:
                self.process.wait(timeout=STOP_TIMEOUT)
                self.fail(f"the server exited with {self.process.returncode} before serving")
            if line.startswith(READY):
                return line.removeprefix(READY).strip()
            seen.append(line)

    def fail(self, message: str) -> NoReturn:
        self.kill()
        pytest.fail(f"{message}\n--- server log ---\n{self.log_path.read_text()}")

    def stop(self) -> int | None:
        """SIGTERM, then wait for a graceful exit: the exit status, or None if it was killed."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=STOP_TIMEOUT)
            except subprocess.TimeoutExpired:
                self.kill()
                return None
        self.log.close()
        return self.process.returncode

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
            self.process.wait()
        self.log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    _node_modules()  # skip (or fail, in CI) before starting anything
    _node()
    started = Server(tmp_path_factory.mktemp("node-interop"))
    try:
        yield started
    finally:
        started.stop()  # if no test did; a server that ignores SIGTERM is killed


@pytest.fixture(scope="module")
def report(server: Server) -> dict[str, Any]:
    """What the Node client printed, after asking the running server."""
    node_modules = _node_modules()
    try:
        ran = subprocess.run(
            [_node(), str(CLIENT), server.address],
            cwd=ROOT,
            env={**os.environ, "LEDGER_NODE_MODULES": str(node_modules)},
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
        )
    except subprocess.TimeoutExpired as error:
        server.fail(f"the Node client did not finish within {CLIENT_TIMEOUT} s: {error}")
    if ran.returncode != 0:
        server.fail(
            f"the Node client exited with {ran.returncode}\n--- stderr ---\n{ran.stderr}"
            f"\n--- stdout ---\n{ran.stdout}"
        )
    try:
        printed: dict[str, Any] = json.loads(ran.stdout)
    except json.JSONDecodeError:
        server.fail(f"the Node client's stdout is not one JSON object:\n{ran.stdout}")
    return printed


def _example_commands(office: str) -> list[dict[str, Any]]:
    with EXAMPLE.open() as lines:
        commands = [json.loads(line) for line in lines if line.strip()]
    return [command for command in commands if command.get("office") == office]


def test_the_node_client_finds_the_server_serving_by_the_standard_health_check(
    report: dict[str, Any],
) -> None:
    assert report["health"]["status"] == "SERVING"


def test_a_workers_rice_cooker_leaving_dandong_on_20_march_is_prohibited_and_confiscated(
    report: dict[str, Any],
) -> None:
    check = report["check"]
    assert check["office"] == DANDONG
    assert check["items"] == 1
    assert check["verdict"] == "VERDICT_PROHIBITED"
    assert check["enforcement"] == "ENFORCEMENT_CONFISCATION"
    assert check["published"] == "2025-03-19"


def test_the_history_streams_in_several_messages_and_holds_every_event_of_the_office(
    report: dict[str, Any],
) -> None:
    history = report["history"]
    expected = len(_example_commands(DANDONG))
    assert expected == 5  # the example as written; guards against testing nothing
    assert history["messages"] > 1
    assert all(1 <= size <= 2 for size in history["message_sizes"])
    assert sum(history["message_sizes"]) == history["events"]
    assert history["events"] == expected
    assert history["types"][0] == "OfficeRegistered"
    assert len(history["types"]) == expected
    # int64 arrives as a decimal string (longs: String): the versions count up from 1.
    assert history["office_versions"] == [str(version) for version in range(1, expected + 1)]


def test_a_date_that_does_not_exist_is_refused_as_an_invalid_argument_naming_at(
    report: dict[str, Any],
) -> None:
    refused = report["bad_date"]
    assert refused["code"] == 3, refused
    assert refused["code_name"] == "INVALID_ARGUMENT"
    assert "at" in refused["details"]
    assert refused["status_code"] == 3
    assert [violation["field"] for violation in refused["field_violations"]] == ["at"]


def test_the_server_exits_cleanly_on_sigterm_after_serving_the_node_client(
    server: Server, report: dict[str, Any]
) -> None:
    assert report  # the client has been served before the server is stopped
    status = server.stop()
    assert status is not None, f"no exit within {STOP_TIMEOUT} s of SIGTERM (killed)"
    assert status == 0, server.log_path.read_text()
