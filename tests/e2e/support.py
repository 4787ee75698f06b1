"""The e2e tier's toolkit: a real ``ledger serve`` process on port 0, and small builders.

Nothing here imports the server: the tests talk to it over gRPC (the client library, the
generated stubs) and through the ``ledger`` console script, as a user would.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import grpc

from ledger_client import LedgerClient, LedgerClientError, WatchEvent

__all__ = [
    "EXAMPLE",
    "Cli",
    "LEDGER",
    "REPO",
    "SEED_EVENTS",
    "WORKER_BAGGAGE",
    "RunningServer",
    "Watching",
    "collect_watch",
    "log_end",
    "new_office",
    "run_cli",
    "source",
    "start_server",
]

T = TypeVar("T")

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "dandong-2025.jsonl"
# The console script installed next to this interpreter (the venv's ``ledger``).
LEDGER = str(Path(sys.executable).parent / "ledger")
SEED_EVENTS = 13  # lines of the example file: three registrations, nine changes, a retraction
STARTUP_SECONDS = 15.0
STOP_SECONDS = 15.0

WORKER_BAGGAGE = {
    "direction": "outbound",
    "channel": "personal-baggage",
    "traveller": "worker",
    "goods": "electronics",
}

# ``cli(*args)``: run ``ledger`` against a server; (exit status, stdout, stderr).
Cli = Callable[..., tuple[int, str, str]]

_offices = itertools.count(1)


def new_office() -> str:
    """An office code no other test uses (codes allow capitals and digits)."""
    return f"CN-E2E{os.getpid()}X{next(_offices)}"


def source(published: str = "2025-03-19", **fields: Any) -> dict[str, Any]:
    return {
        "publisher": "Daily NK",
        "url": "https://www.dailynk.com/english/",
        "published": published,
        "grade": "B2",
        **fields,
    }


@dataclass
class RunningServer:
    """A ``ledger serve`` subprocess and where to reach it."""

    address: str
    process: subprocess.Popen[str]
    database_url: str
    log_path: Path
    stdout_lines: queue.Queue[str] = field(default_factory=queue.Queue)
    # The HTTP port's URL (the web console and the API over Connect), when served (--web).
    web: str | None = None

    def stop(self, number: signal.Signals = signal.SIGTERM, timeout: float = STOP_SECONDS) -> int:
        """Signal the server and wait for it; returns its exit status (kills it on timeout)."""
        if self.process.poll() is None:
            self.process.send_signal(number)
        try:
            return self.process.wait(timeout)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
            raise

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_server(
    folder: Path,
    *,
    example: bool = True,
    database_url: str | None = None,
    env: dict[str, str] | None = None,
    ledger: str = LEDGER,
    flags: Sequence[str] = (),
) -> RunningServer:
    """Start ``ledger serve`` (the console script ``ledger``) on 127.0.0.1:0 and wait for its
    ``ledger serving on`` line; ``env`` and ``flags`` (``serve``'s options) go over those."""
    folder.mkdir(parents=True, exist_ok=True)
    database_url = database_url or f"sqlite:///{folder / 'ledger.sqlite'}"
    log_path = folder / f"server-{time.monotonic_ns()}.log"
    command = [ledger, "serve"] + (["--example", str(EXAMPLE)] if example else []) + [*flags]
    with log_path.open("w", encoding="utf-8") as log:
        process = subprocess.Popen(
            command,
            cwd=REPO,
            env={
                **os.environ,
                "LEDGER_DATABASE_URL": database_url,
                "LEDGER_LISTEN": "127.0.0.1:0",
                **(env or {}),
            },
            stdout=subprocess.PIPE,
            stderr=log,
            text=True,
        )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:  # keeps reading so the pipe never fills
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True, name="server-stdout").start()
    deadline = time.monotonic() + STARTUP_SECONDS
    web = None
    while True:
        try:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            process.kill()
            process.wait()
            raise RuntimeError(
                f"the server did not start in {STARTUP_SECONDS}s:\n{log_path.read_text()}"
            ) from None
        if line.startswith("ledger web on "):
            web = line.removeprefix("ledger web on ").strip()
        if line.startswith("ledger serving on "):
            address = line.removeprefix("ledger serving on ").strip()
            return RunningServer(address, process, database_url, log_path, lines, web)


@contextlib.contextmanager
def serving_example(folder: Path) -> Iterator[RunningServer]:
    """A server on SQLite over the example ledger, stopped after the block."""
    running = start_server(folder)
    try:
        yield running
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            running.stop()


def run_cli(
    address: str, *args: str, env: dict[str, str] | None = None, timeout: float = 30.0
) -> tuple[int, str, str]:
    """Run the ``ledger`` console script against a server: (exit status, stdout, stderr)."""
    completed = subprocess.run(
        [LEDGER, *args],
        cwd=REPO,
        env={
            **os.environ,
            "LEDGER_SERVER": address,
            # Wide, plain output: rich wraps error text at the terminal width otherwise.
            "COLUMNS": "1000",
            "NO_COLOR": "1",
            **(env or {}),
        },
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return completed.returncode, completed.stdout, completed.stderr


def log_end(client: LedgerClient) -> int:
    """The log's last position: the digest's (a Watch from 0 would need every reply, each
    cut at 4 MiB). Needs a client the server lets read digests (no tokens, or an auditor's)."""
    return client.get_digest().position


def collect_watch(
    client: LedgerClient,
    after: int = 0,
    *,
    seconds: float = 0.5,
    until: Callable[[list[WatchEvent]], bool] | None = None,
) -> list[WatchEvent]:
    """Events of a watch after ``after``, read until ``until`` holds or the deadline passes."""
    events: list[WatchEvent] = []
    try:
        for event in client.watch(after, timeout=seconds):
            events.append(event)
            if until is not None and until(events):
                break
    except LedgerClientError as error:
        if error.code is not grpc.StatusCode.DEADLINE_EXCEEDED:
            raise
    return events


class Watching(Generic[T]):
    """A watch read on its own thread, over a client of its own: what it sends, as it
    arrives (``watch`` opens it on that client). An error ends it and is raised by ``next``."""

    def __init__(self, address: str, watch: Callable[[LedgerClient], Iterable[T]]) -> None:
        self.arrived: queue.Queue[T | BaseException] = queue.Queue()
        self._client = LedgerClient(address)
        self._thread = threading.Thread(target=self._run, args=(watch,), daemon=True)
        self._thread.start()

    def _run(self, watch: Callable[[LedgerClient], Iterable[T]]) -> None:
        try:
            for item in watch(self._client):
                self.arrived.put(item)
        except BaseException as error:  # reported to the test, whatever it is
            self.arrived.put(error)

    def next(self, count: int, wait: float = 20.0) -> list[T]:
        """The next ``count`` items, each within ``wait`` seconds."""
        found = []
        for _ in range(count):
            item = self.arrived.get(timeout=wait)
            if isinstance(item, BaseException):
                raise item
            found.append(item)
        return found

    def close(self, wait: float = 20.0) -> None:
        self._client.close()
        self._thread.join(wait)
