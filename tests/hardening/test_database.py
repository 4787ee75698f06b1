"""Rows 8, 9, 10 and 13 of the hardening issue: the database is what it claims to be.

- Row 8: the SQLite file deleted (or replaced) under a running server: every write after it
  is UNAVAILABLE and health NOT_SERVING, nothing acknowledged that is not stored; restarted on
  the missing file, the server makes a new ledger.
- Row 9: another application's database (its own ``stored_events`` and a ``users`` table):
  ``ledger serve`` and ``ledger audit --store`` refuse it in plain words, and write nothing to
  it (no WAL switch, no table).
- Row 10: a file of random bytes: refused the same way, no traceback.
- Row 13: four servers started at the same instant on an empty database (a fresh SQLite
  file, a fresh PostgreSQL schema): all four serve, and write.

Every server is a real ``ledger serve`` process (``tests.e2e.support.start_server``).
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import random
import shutil
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from ledger_client import LedgerClient, LedgerClientError
from tests.conftest import POSTGRES_URL
from tests.e2e.support import LEDGER, REPO, SEED_EVENTS, RunningServer, start_server
from tests.hardening.support import (
    LONG,
    database,
    exported,
    observe,
    report,
    serving,
    store_audit,
)

# Alone: it times calls, races writers, kills or restarts what others would share.
pytestmark = [pytest.mark.hardening, pytest.mark.alone]

Code = grpc.StatusCode
# Servers started together (row 13), and how many times.
REPLICAS = 4
ROUNDS = 20 if LONG else 2  # each round starts REPLICAS servers: ~3.5 s (PostgreSQL)
REFUSED_WITHIN = 30.0  # seconds: a server refusing its database exits well within this


def _refusals(command: list[str], url: str) -> tuple[int, str]:
    """Run ``ledger COMMAND`` on ``url``: (exit status, standard error). A server that starts
    serving instead of refusing is stopped, and the test fails."""
    env = {**os.environ, "LEDGER_DATABASE_URL": url, "LEDGER_LISTEN": "127.0.0.1:0"}
    env |= {"COLUMNS": "1000", "NO_COLOR": "1"}
    process = subprocess.Popen(
        [LEDGER, *command],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        out, err = process.communicate(timeout=REFUSED_WITHIN)
    except subprocess.TimeoutExpired:
        process.kill()
        out, err = process.communicate()
        pytest.fail(f"`ledger {' '.join(command)}` opened {url} and kept running: {out}{err}")
    return process.returncode, err


def _assert_refused_plainly(url: str, expected: str) -> list[str]:
    """``ledger serve``, ``ledger audit --store`` and ``ledger rebuild`` each exit 2 saying
    ``expected``, with no traceback; returns their messages."""
    messages = []
    for command in (["serve"], ["audit", "--store"], ["rebuild"]):
        status, err = _refusals(command, url)
        assert "Traceback" not in err, err
        assert status == 2, (command, status, err)
        assert expected in err, (command, err)
        messages.append(next(line for line in err.splitlines() if line.startswith("error:")))
    return messages


def _folder_state(path: Path) -> dict[str, str]:
    """Every file beside ``path``, and a hash of its bytes."""
    return {
        entry.name: hashlib.sha256(entry.read_bytes()).hexdigest()
        for entry in sorted(path.parent.iterdir())
        if entry.is_file()
    }


def _schema_state(url: str) -> list[tuple[str, ...]]:
    """Every relation, column, type and function of the URL's schema."""
    import psycopg

    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(POSTGRES_URL) as connection:
        rows = connection.execute(
            "SELECT 'relation', c.relname || '.' || coalesce(a.attname, '') FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_attribute a "
            "ON a.attrelid = c.oid AND a.attnum > 0 WHERE n.nspname = %(s)s "
            "UNION ALL SELECT 'type', t.typname FROM pg_type t JOIN pg_namespace n "
            "ON n.oid = t.typnamespace WHERE n.nspname = %(s)s "
            "UNION ALL SELECT 'function', p.proname FROM pg_proc p JOIN pg_namespace n "
            "ON n.oid = p.pronamespace WHERE n.nspname = %(s)s ORDER BY 1, 2",
            {"s": schema},
        ).fetchall()
    return [tuple(row) for row in rows]


@contextlib.contextmanager
def _plain_client(address: str) -> Iterator[LedgerClient]:
    """A client whose channel does not retry UNAVAILABLE: each refusal is seen as it is."""
    channel = grpc.insecure_channel(address, options=[("grpc.enable_retries", 0)])
    with LedgerClient(channel=channel, timeout=10) as client:
        yield client


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_row8_a_database_file_gone_under_the_server_refuses_every_write_unavailable(
    how: str, tmp_path: Path
) -> None:
    path = tmp_path / "db" / "ledger.sqlite"
    path.parent.mkdir()
    url = f"sqlite:///{path}"
    before = 12
    with serving(tmp_path / "first", url) as running, _plain_client(running.address) as client:
        for number in range(before):
            observe(client, "CN-DANDONG", f"before-{number}")
        if how == "deleted":
            path.unlink()
        else:  # another file moved over it: a copy, as a careless restore would leave
            shutil.copy(path, tmp_path / "copy.sqlite")
            os.replace(tmp_path / "copy.sqlite", path)
        acknowledged, refused = [], []
        for number in range(20):
            try:
                observe(client, "CN-DANDONG", f"after-{number}")
                acknowledged.append(f"after-{number}")
            except LedgerClientError as error:
                refused.append((error.code, error.message))
        assert not acknowledged, f"acknowledged after the file was {how}: {acknowledged}"
        assert {code for code, _ in refused} == {Code.UNAVAILABLE}, refused
        message = refused[0][1]
        assert "nothing was stored" in message, message
        assert client.health() == "NOT_SERVING"
    if how == "deleted":
        # Restarted on the missing file: a new ledger (the example loaded), and none of the
        # writes refused above.
        with serving(tmp_path / "second", url) as again, LedgerClient(again.address) as client:
            assert len(exported(client)) == SEED_EVENTS
        store_audit(url)
    report(
        f"row 8: file {how} under the server: {len(refused)} writes refused UNAVAILABLE, "
        f"none acknowledged, health NOT_SERVING ({message})"
    )


def _another_applications_database(backend: str, url: str) -> None:
    """Another application's tables where the ledger is pointed: a ``users`` table, and a
    ``stored_events`` table of its own."""
    statements = [
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL)",
        "CREATE TABLE stored_events (id INTEGER PRIMARY KEY, payload TEXT)",
        "INSERT INTO users VALUES (1, 'ada')",
        "INSERT INTO stored_events VALUES (1, 'signed up')",
    ]
    if backend == "sqlite":
        with contextlib.closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as db:
            for statement in statements:
                db.execute(statement)
            db.commit()
        return
    import psycopg

    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(POSTGRES_URL) as connection:
        connection.execute(f'SET search_path TO "{schema}"')
        for statement in statements:
            connection.execute(statement)


def test_row9_another_applications_database_is_refused_and_left_as_it_was(
    backend: str, tmp_path: Path
) -> None:
    with database(backend, tmp_path / "db") as url:
        _another_applications_database(backend, url)
        if backend == "sqlite":
            path = Path(url.removeprefix("sqlite:///"))
            state = _folder_state(path)
        else:
            state = _schema_state(url)
        messages = _assert_refused_plainly(
            url,
            "is not a ledger database: it holds the tables stored_events, users, and no ledger "
            "marker; point LEDGER_DATABASE_URL at a ledger, or at",
        )
        if backend == "sqlite":
            assert _folder_state(path) == state  # no WAL switch, no -wal or -shm, no table
            with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
                assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        else:
            assert _schema_state(url) == state
    report(f"row 9 {backend}: another application's database refused: {messages[0]}")


def test_row10_a_file_of_random_bytes_is_refused_plainly(tmp_path: Path) -> None:
    path = tmp_path / "random.sqlite"
    path.write_bytes(random.Random(10).randbytes(64 * 1024))
    state = _folder_state(path)
    messages = _assert_refused_plainly(
        f"sqlite:///{path}", "is not a ledger database: it is not a SQLite database"
    )
    assert _folder_state(path) == state
    report(f"row 10: random bytes refused: {messages[0]}")


_TOGETHER = """\
#!{python}
# ``ledger`` started with the barrier: every import done before the database is opened, so
# that the servers open it at the same instant.
import os, sys, time
import ledger, ledger.bootstrap, ledger.server.serve, ledger.storage.sqlite, ledger.storage.postgres
from ledger.cli import main
print("imports", ledger.__file__, file=sys.stderr, flush=True)
barrier = os.environ["LEDGER_TEST_BARRIER"]
open(f"{{barrier}}.{{os.getpid()}}", "w").close()
while not os.path.exists(barrier):
    time.sleep(0.0005)
sys.exit(main())
"""


def _start_together(
    folder: Path, url: str, replicas: int, example: bool
) -> list[RunningServer | Exception]:
    """``replicas`` ``ledger serve`` processes, released at the same instant on ``url``, each
    asked to load the example ledger (once: into an empty ledger) or not."""
    ledger = folder / "ledger-together"
    ledger.write_text(_TOGETHER.format(python=sys.executable))
    ledger.chmod(0o755)
    barrier = folder / "go"
    started: list[RunningServer | Exception] = [RuntimeError("not started")] * replicas

    def start(number: int) -> None:
        try:
            started[number] = start_server(
                folder / f"server-{number}",
                database_url=url,
                example=example,
                ledger=str(ledger),
                env={"LEDGER_TEST_BARRIER": str(barrier)},
            )
        except Exception as error:  # reported with the others below
            started[number] = error

    threads = [threading.Thread(target=start, args=(n,)) for n in range(replicas)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 60
    while len(list(folder.glob("go.*"))) < replicas and time.monotonic() < deadline:
        time.sleep(0.01)
    barrier.touch()
    for thread in threads:
        thread.join()
    return started


def test_row13_servers_started_together_on_an_empty_database_all_serve(
    backend: str, tmp_path: Path
) -> None:
    for round_ in range(ROUNDS):
        folder = tmp_path / f"round-{round_}"
        folder.mkdir()
        example = round_ % 2 == 1  # every other round, each server loads the example
        with database(backend, folder / "db") as url:
            started = _start_together(folder, url, REPLICAS, example)
            servers = [server for server in started if isinstance(server, RunningServer)]
            try:
                failed = [str(error)[-800:] for error in started if isinstance(error, Exception)]
                assert not failed, f"round {round_}: {len(failed)} of {REPLICAS} died: {failed}"
                for number, server in enumerate(servers):
                    with LedgerClient(server.address) as client:
                        assert client.health() == "SERVING"
                        client.register_office(f"CN-REPLICA{number}", f"Replica {number}")
                with LedgerClient(servers[0].address) as client:
                    assert len(exported(client)) == REPLICAS + (SEED_EVENTS if example else 0)
            finally:
                for server in servers:
                    with contextlib.suppress(subprocess.TimeoutExpired):
                        server.stop()
            store_audit(url)
    report(f"row 13 {backend}: {ROUNDS} rounds of {REPLICAS} servers started together: all served")
