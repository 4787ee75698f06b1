"""j. PostgreSQL next to SQLite: sequential writes and in-process checks on a small ledger.

The same synthetic commands are written one by one through the ``Ledger`` facade (each its
own transaction, request-id row and projection included) on each backend, then the same
sampled questions are checked. PostgreSQL runs in a schema of its own, dropped at the end;
its URL comes from ``LEDGER_BENCH_POSTGRES_URL`` or else ``LEDGER_TEST_POSTGRES_URL``.
"""

from __future__ import annotations

import os
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg

from benchmarks.context import Context
from benchmarks.ledgers import sqlite_url
from benchmarks.results import Figure, Group, Target, rate, seconds
from benchmarks.synth import Question, Synthesis, sample_questions
from benchmarks.timing import Latency, time_each
from ledger.application.commands import (
    Command,
)
from ledger.application.importer import command_from
from ledger.bootstrap import Ledger
from ledger.settings import Settings

__all__ = ["measure", "postgres_url", "postgres_version"]

WRITERS = 8


def postgres_url() -> str | None:
    return os.environ.get("LEDGER_BENCH_POSTGRES_URL") or os.environ.get("LEDGER_TEST_POSTGRES_URL")


def postgres_version(url: str) -> str:
    with psycopg.connect(url, connect_timeout=5) as connection:
        row = connection.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


@contextmanager
def _schema(url: str) -> Iterator[str]:
    """A PostgreSQL URL on a fresh schema, dropped afterwards."""
    schema = f"bench_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(url, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        yield f"{url}{'&' if '?' in url else '?'}schema={schema}"
    finally:
        with psycopg.connect(url, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


@dataclass(frozen=True)
class Backend:
    name: str
    writes: int
    write_seconds: float
    check: Latency

    @property
    def write_rate(self) -> float:
        return self.writes / self.write_seconds


def _run(
    name: str, url: str, commands: list[Command], questions: list[Question], advance: Any
) -> Backend:
    with Ledger(Settings(database_url=url)) as ledger:
        write = ledger.app.execute
        started = time.perf_counter()
        for command in commands:
            write(command)
            advance(1)
        spent = time.perf_counter() - started
        requests = [question.request() for question in questions]
        # As a server does: on PostgreSQL, a listener follows other servers' commits, and
        # while it listens a query need not ask the database whether any happened.
        listener = ledger.listener()
        if listener is not None:
            listener.start()
            _listening(ledger)
        try:
            time_each(ledger.reader.check, requests)  # warm
            checks = time_each(ledger.reader.check, requests)
        finally:
            if listener is not None:
                listener.stop()
        advance(len(questions))
    return Backend(name, len(commands), spent, Latency.of(checks))


def _writers(url: str, commands: list[Command], writers: int) -> float:
    """Writes/s of ``writers`` threads of one process (a server's workers), each writing the
    commands of its own offices in order, on a fresh database."""
    by_office: dict[str, list[Command]] = {}
    for command in commands:
        by_office.setdefault(str(getattr(command, "office", "")), []).append(command)
    shares: list[list[Command]] = [[] for _ in range(writers)]
    for number, office_commands in enumerate(by_office.values()):
        shares[number % writers].extend(office_commands)
    with Ledger(Settings(database_url=url)) as ledger:
        errors: list[BaseException] = []

        def write(share: list[Command]) -> None:
            try:
                for command in share:
                    ledger.app.execute(command)
            except BaseException as error:  # reported below: the figure would be wrong
                errors.append(error)

        threads = [threading.Thread(target=write, args=(share,)) for share in shares]
        started = time.perf_counter()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        spent = time.perf_counter() - started
    if errors:
        raise RuntimeError(f"{len(errors)} writers failed: {errors[0]!r}")
    return len(commands) / spent


def _listening(ledger: Ledger, seconds: float = 30.0) -> None:
    """Wait until the listener listens: two looks at the version agree."""
    changes = ledger.changes
    deadline = time.monotonic() + seconds
    while changes is not None and changes.version() != changes.version():
        if time.monotonic() > deadline:
            raise RuntimeError(f"the PostgreSQL listener did not listen within {seconds:.0f} s")
        time.sleep(0.02)


def measure(context: Context) -> Group:
    plan = context.plan
    group = Group("j", f"PostgreSQL next to SQLite ({plan.backend_events:,} events)")
    url = context.postgres_url
    if url is None:
        group.skipped = (
            "PostgreSQL skipped: neither LEDGER_BENCH_POSTGRES_URL nor LEDGER_TEST_POSTGRES_URL "
            "is set."
        )
        return group
    synthesis = Synthesis(plan.backend_events, plan.seed)
    commands = [command_from(line) for line in synthesis.commands()]
    questions = sample_questions(synthesis.offices, plan.check_samples, f"{plan.seed}-backends")
    total = 2 * (len(commands) + len(questions))
    with context.steps.step("j. sequential writes, then checks, per backend", total) as advance:
        sqlite = _run(
            "SQLite", sqlite_url(context.folder / "backends.sqlite"), commands, questions, advance
        )
        with _schema(url) as schema_url:
            postgres = _run("PostgreSQL", schema_url, commands, questions, advance)
    step = context.steps.step(f"j. {WRITERS} writers on different offices, PostgreSQL")
    with step, _schema(url) as schema_url:
        many = _writers(schema_url, commands, WRITERS)
    group.figures = [
        Figure(
            "sequential writes/s, PostgreSQL / SQLite",
            rate(postgres.write_rate, "writes/s"),
            rate(sqlite.write_rate, "writes/s"),
            postgres.write_rate / sqlite.write_rate,
            Target(">=", 0.5),
        ),
        Figure(
            "in-process check p50, PostgreSQL / SQLite",
            seconds(postgres.check.p50),
            seconds(sqlite.check.p50),
            postgres.check.p50 / sqlite.check.p50,
            Target("<=", 1.5),
        ),
        Figure(
            f"PostgreSQL writes/s, {WRITERS} writers on different offices / one writer",
            rate(many, "writes/s"),
            rate(postgres.write_rate, "writes/s"),
            many / postgres.write_rate,
        ),
    ]
    group.notes = [
        f"The commands of a synthetic ledger of {plan.backend_events:,} events "
        f"({len(synthesis.offices)} offices), validated untimed, then written one by one "
        "through `Ledger.app.execute` (each its own transaction, with its request-id row, the "
        "projection following before it returns) to a fresh SQLite file (baseline) and to a "
        "fresh schema on the local PostgreSQL server (project). Then, with the backend's "
        "listener started as a server starts it (PostgreSQL: LISTEN for other servers' "
        f"commits), {len(questions):,} sampled questions, `Ledger.reader.check` in this "
        "process, one warm pass and one timed. Targets (issue 17): writes at least half of "
        "SQLite's rate, a check at most 1.5x SQLite's.",
        f"Concurrent writers: the same commands on another fresh schema, by {WRITERS} threads of "
        "one process (as a server's workers), each writing the commands of its own offices in "
        "order (offices dealt round-robin), against the one writer above. Information.",
    ]
    return group
