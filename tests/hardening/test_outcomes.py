"""A write the server never answers: the CLI says the outcome is unknown and how to send it
again, and sending it again stores each command once (issue 12, row 15).

The server is killed (SIGKILL) while ``ledger import`` of a large file is in flight, at one of
two moments, each made certain rather than hoped for: the server is first frozen (SIGSTOP),
the database is read to see where it stands, and only then is it killed.

- *before the commit*: it is working on the import (its CPU time grows) and nothing of it is
  stored yet;
- *after the commit, before the answer*: every command is stored, but the projection has not
  caught up, and the server answers an import only once it has; the CLI never hears that the
  import went through.

Either way the CLI cannot know which, so it must say the same: the outcome is unknown, never
"nothing stored", with the command to run again. A server restarted on the same database
then runs that command: it stores what is missing, recognises what is stored, and every line
of the file is in the log exactly once. A single command (``ledger register``) whose server
dies before answering names its request id, and the same command with it stores it once.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shlex
import signal
import sqlite3
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from ledger_api.commands import change_id_for, read_lines
from ledger_client import LedgerClient
from tests.e2e.support import LEDGER, REPO, RunningServer, new_office, run_cli, start_server
from tests.hardening.support import (
    OBSERVATION,
    database,
    event_ids,
    exported,
    report,
    serving,
    store_audit,
)

# Alone: it times calls, races writers, kills or restarts what others would share.
pytestmark = [pytest.mark.hardening, pytest.mark.alone]

OFFICES = 20
# Enough that the server works on the import for a second or more, and no more: on PostgreSQL
# a batch of ~10,000 often hangs the server in psycopg's pipeline (pure-Python libpq wrapper).
OBSERVATIONS = 4_980
COMMANDS = OFFICES + OBSERVATIONS
# The server's CPU time on the import, in clock ticks, before it is frozen "before the commit":
# well inside the seconds it takes to receive, check and apply the batch.
WORKING_TICKS = 20
WAIT = 120.0
EXIT_UNKNOWN = 4


def _command_file(folder: Path) -> Path:
    """Registrations, then observations spread over the offices; half of the observations
    carry a ref, the others get their request ids from their content."""
    lines = [
        {"ref": f"office-{k}", "command": "register", "office": f"CN-KILL{k}", "name": f"K{k}"}
        for k in range(OFFICES)
    ]
    for number in range(OBSERVATIONS):
        line = {"command": "observe", "office": f"CN-KILL{number % OFFICES}", **OBSERVATION}
        line["note"] = f"observation {number}"
        lines.append({"ref": f"seen-{number}", **line} if number % 2 else line)
    path = folder / "large import.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def _change_ids(path: Path) -> set[str]:
    """The id each line's event gets: derived from the line's request id."""
    with path.open(encoding="utf-8") as text:
        commands, errors = read_lines(text)
    assert not errors
    return {str(change_id_for(command.data["request_id"])) for command in commands}


class _Peek:
    """The database, read beside the server through one connection (table names as stored):
    a new connection per look would cost PostgreSQL a process each, and the server its CPU."""

    def __init__(self, url: str) -> None:
        self.sqlite = url.startswith("sqlite:")
        if self.sqlite:
            path = url.removeprefix("sqlite:///")
            self.connection: Any = sqlite3.connect(path, timeout=30, isolation_level=None)
            self.events, self.tracking = "stored_events", "tracking"
        else:
            import psycopg

            parts = urlsplit(url)
            schema = parse_qs(parts.query)["schema"][0]
            plain = parts._replace(query="").geturl()
            self.connection = psycopg.connect(plain, autocommit=True)
            self.events, self.tracking = f'"{schema}".ledger_events', f'"{schema}".ledger_tracking'

    def close(self) -> None:
        self.connection.close()

    def _number(self, sql: str) -> int:
        row = self.connection.execute(sql).fetchone()
        return int(row[0] or 0)

    def stored(self) -> int:
        """How many events are committed."""
        return self._number(f"SELECT count(*) FROM {self.events}")

    def projected(self) -> int:
        """How far the projection got: the server answers a write only after it caught up."""
        return self._number(f"SELECT max(notification_id) FROM {self.tracking}")


@contextlib.contextmanager
def _peeking(url: str) -> Iterator[_Peek]:
    peek = _Peek(url)
    try:
        yield peek
    finally:
        peek.close()


def _cpu_ticks(pid: int) -> int:
    """The process's CPU time (user and system), in clock ticks."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return int(fields[11]) + int(fields[12])


def _until(holds: Callable[[], bool], what: str, cli: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + WAIT
    while not holds():
        if cli.poll() is not None:
            pytest.fail(f"the CLI ended before {what}: {cli.communicate()}")
        if time.monotonic() > deadline:
            pytest.fail(f"not {what} after {WAIT}s")
        time.sleep(0.005)


def _cli(address: str, *args: str) -> subprocess.Popen[str]:
    """``ledger ARGS`` against ``address``, running on while the test acts."""
    return subprocess.Popen(
        [LEDGER, *args],
        cwd=REPO,
        env={**os.environ, "LEDGER_SERVER": address, "COLUMNS": "1000", "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _kill(server: RunningServer) -> None:
    server.process.send_signal(signal.SIGKILL)
    server.process.wait(WAIT)


def _kill_during_import(server: RunningServer, peek: _Peek, path: Path, moment: str) -> str:
    """Run the import, kill the server at ``moment``; the CLI's standard error."""
    idle = _cpu_ticks(server.process.pid)
    cli = _cli(server.address, "import", str(path))
    try:
        if moment == "before the commit":
            working = lambda: _cpu_ticks(server.process.pid) - idle >= WORKING_TICKS  # noqa: E731
            _until(working, "the server worked on the import", cli)
            server.process.send_signal(signal.SIGSTOP)
            assert peek.stored() == 0, "frozen too late: the import was already committed"
        else:
            _until(lambda: peek.stored() >= COMMANDS, "the import was committed", cli)
            server.process.send_signal(signal.SIGSTOP)
            # Frozen before the projection caught up, so before the server could answer.
            projected = peek.projected()
            assert projected < COMMANDS, "frozen too late: the server may have answered"
            report(f"frozen after the commit with {projected}/{COMMANDS} events projected")
        assert cli.poll() is None
        _kill(server)
        out, err = cli.communicate(timeout=WAIT)
    finally:
        if cli.poll() is None:
            cli.kill()
            cli.communicate()
    assert cli.returncode == EXIT_UNKNOWN, (out, err)
    return err


def _retry_line(err: str) -> list[str]:
    """The command the CLI says to run again, on its own indented line."""
    found = re.search(r"^  (ledger import .+)$", err, re.MULTILINE)
    assert found is not None, err
    return shlex.split(found.group(1))


@pytest.mark.parametrize("moment", ["before the commit", "after the commit"])
def test_an_import_cut_off_by_a_kill_is_unknown_and_its_retry_stores_each_line_once(
    backend: str, moment: str, tmp_path: Path
) -> None:
    path = _command_file(tmp_path)
    with database(backend, tmp_path / "db") as url:
        server = start_server(tmp_path / "first", example=False, database_url=url)
        try:
            with _peeking(url) as peek:
                err = _kill_during_import(server, peek, path, moment)
                stored = peek.stored()
        finally:
            if server.process.poll() is None:
                _kill(server)
        said = err.splitlines()[0] if err else ""
        report(f"import killed {moment} ({backend}): {stored}/{COMMANDS} stored; CLI: {said}")
        assert stored == (0 if moment == "before the commit" else COMMANDS)

        assert "the outcome is unknown" in err
        assert "nothing stored" not in err
        assert "UNAVAILABLE" in err or "CANCELLED" in err or "INTERNAL" in err, err
        retry = _retry_line(err)
        assert retry == ["ledger", "import", str(path.resolve())]

        with serving(tmp_path / "second", url, example=False) as again:
            status, out, err = run_cli(again.address, *retry[1:], timeout=WAIT * 2)
            assert status == 0, err
            assert f"{COMMANDS} commands, {COMMANDS - stored} new events stored" in out
            with LedgerClient(again.address, timeout=60) as client:
                ids = event_ids(exported(client))
        assert len(ids) == COMMANDS
        assert set(ids) == _change_ids(path)
        store_audit(url)


def test_a_write_whose_server_dies_names_its_request_id_and_the_retry_stores_it_once(
    backend: str, tmp_path: Path
) -> None:
    code = new_office()
    register = ("register", "--office", code, "--name", "Killed customs")
    with database(backend, tmp_path / "db") as url:
        server = start_server(tmp_path / "first", example=False, database_url=url)
        server.process.send_signal(signal.SIGSTOP)
        cli = _cli(server.address, *register)
        try:
            time.sleep(1.0)  # the CLI starts and waits: the frozen server never answers
            _kill(server)
            out, err = cli.communicate(timeout=WAIT)
        finally:
            if cli.poll() is None:
                cli.kill()
                cli.communicate()
        assert cli.returncode == EXIT_UNKNOWN, (out, err)
        assert "the outcome is unknown" in err
        assert "nothing stored" not in err
        found = re.search(r"Run the same command again with --request-id (\S+):", err)
        assert found is not None, err
        request_id = found.group(1)

        with serving(tmp_path / "second", url, example=False) as again:
            status, first, err = run_cli(again.address, *register, "--request-id", request_id)
            assert status == 0, err
            status, second, err = run_cli(again.address, *register, "--request-id", request_id)
            assert status == 0, err
            assert second == first  # the first receipt, again
            with LedgerClient(again.address) as client:
                ids = event_ids(exported(client))
        assert ids == [str(change_id_for(request_id))]
