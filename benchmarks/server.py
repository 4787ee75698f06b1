"""A real ``ledger serve`` process on a SQLite file, and the raw generated stubs to call it.

The server is started as the README says (``LEDGER_LISTEN=127.0.0.1:0``; it prints ``ledger
serving on HOST:PORT`` once it listens), with every other ``LEDGER_*`` variable of the calling
environment removed, so that a developer's settings cannot change what is measured.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import IO, Any, NoReturn

import grpc

from benchmarks.synth import Question
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc

__all__ = ["Server", "ServerFailed", "check_message", "open_stub", "MAX_MESSAGE_BYTES"]

MAX_MESSAGE_BYTES = 16 * 1024 * 1024
_SERVING = "ledger serving on "
_WEB = "ledger web on "


class ServerFailed(RuntimeError):
    """The server did not start, or died: the run reports it and exits non-zero."""


class Server:
    """``with Server(path, log) as server:`` spawns ``ledger serve``, waits for it to listen,
    and stops it at the end (``start()`` spawns it ahead of the ``with``).

    ``serving_after`` is the time from spawning to the serving line, in seconds.
    """

    def __init__(
        self,
        database: Path,
        log: Path,
        *,
        timeout: float = 300.0,
        web: bool = False,
        listen: str = "127.0.0.1:0",
        share_port: bool = False,
    ) -> None:
        self.database = database
        # With ``share_port``, other servers may serve the same port (LEDGER_SHARE_PORT).
        self.listen = listen
        self.share_port = share_port
        # With ``web``, it also serves HTTP (LEDGER_WEB_LISTEN): ``web`` becomes its URL.
        self.serve_web = web
        self.web = ""
        self.log_path = log
        self.timeout = timeout
        self.process: subprocess.Popen[str] | None = None
        self.address = ""
        self.spawned = 0.0
        self.serving_after = 0.0
        self._log: IO[str] | None = None
        self._reader: threading.Thread | None = None

    def __enter__(self) -> Server:
        return self if self.process is not None else self.start()

    def start(self) -> Server:
        env = {key: value for key, value in os.environ.items() if not key.startswith("LEDGER_")}
        env |= {
            "LEDGER_DATABASE_URL": f"sqlite:///{self.database.resolve()}",
            "LEDGER_LISTEN": self.listen,
        }
        if self.share_port:
            env["LEDGER_SHARE_PORT"] = "true"
        if self.serve_web:
            env["LEDGER_WEB_LISTEN"] = "127.0.0.1:0"
        self._log = self.log_path.open("w")
        self.spawned = time.perf_counter()
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("ledger")), "serve"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        try:
            self.address = self._wait_for_serving_line()
        except BaseException:
            self.stop()
            raise
        self.serving_after = time.perf_counter() - self.spawned
        return self

    def _wait_for_serving_line(self) -> str:
        assert self.process is not None
        assert self.process.stdout is not None
        lines: queue.Queue[str | None] = queue.Queue()
        stdout = self.process.stdout

        def read() -> None:
            for line in stdout:
                lines.put(line)
            lines.put(None)

        self._reader = threading.Thread(target=read, daemon=True)
        self._reader.start()
        deadline = time.monotonic() + self.timeout
        while True:
            try:
                line = lines.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                self._fail(f"no serving line within {self.timeout:.0f} s")
            if line is None:
                self._fail("the server exited before serving")
            if line.startswith(_WEB):
                self.web = line.removeprefix(_WEB).strip()
            if line.startswith(_SERVING):
                if self.serve_web and not self.web:
                    self._fail(f"no {_WEB!r} line before the serving line")
                return line.removeprefix(_SERVING).strip()

    def _fail(self, what: str) -> NoReturn:
        self.stop()  # so that its log is complete
        tail = self.log_path.read_text(errors="replace")[-2000:]
        raise ServerFailed(f"{what} (database {self.database}); its log ends:\n{tail}")

    def rss_bytes(self) -> int:
        """The server's resident set size (VmRSS), from /proc."""
        assert self.process is not None
        status = Path(f"/proc/{self.process.pid}/status").read_text()
        for line in status.splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise ServerFailed("no VmRSS in /proc status")

    def check_alive(self) -> None:
        if self.process is None or self.process.poll() is not None:
            self._fail("the server died")

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        if self._reader is not None:
            self._reader.join(timeout=5)  # it ends at the end of the server's output
        if process is not None and process.stdout is not None:
            process.stdout.close()
        if self._log is not None:
            self._log.close()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def open_stub(
    address: str, *, own_connection: bool = False
) -> tuple[grpc.Channel, ledger_pb2_grpc.PolicyLedgerStub]:
    """One channel and the generated stub on it; with ``own_connection``, a connection of its
    own (grpc otherwise shares one among channels to the same address with the same options)."""
    options: list[tuple[str, Any]] = [
        ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
        ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
    ]
    if own_connection:
        options.append(("grpc.use_local_subchannel_pool", 1))
    channel = grpc.insecure_channel(address, options=options)
    return channel, ledger_pb2_grpc.PolicyLedgerStub(channel)


def _enum(prefix: str, value: str) -> str:
    return f"{prefix}_{value.upper().replace('-', '_')}"


def check_message(question: Question) -> pb.CheckRequest:
    """The Check request of a question, as a client would build it."""
    return pb.CheckRequest(
        office=question.office,
        at=question.at.isoformat(),
        direction=pb.Direction.Value(_enum("DIRECTION", question.direction)),
        channel=pb.Channel.Value(_enum("CHANNEL", question.channel)),
        traveller=pb.Traveller.Value(_enum("TRAVELLER", question.traveller)),
        items=[pb.CheckItem(goods=question.goods, quantity=question.quantity)],
    )
