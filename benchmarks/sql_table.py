"""e. A hand-written SQLite valid-time table against ``Ledger.check``, on the one-office ledger.

The table holds one row per scope and window start (the state carried forward within the
scope, amendments applied, retractions deleted), indexed on (office, direction, channel,
traveller, goods, effective_from). A question is answered by one ``SELECT ... ORDER BY
effective_from DESC LIMIT 1`` per candidate scope, most specific first, stopping at the first
scope with a row.
"""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path

from benchmarks.context import Context
from benchmarks.folding import Form, ScopeTuple, by_scope, candidate_scopes, fold
from benchmarks.results import Figure, Group, Target, WrongAnswer, seconds
from benchmarks.synth import Question
from benchmarks.timing import Latency, time_each
from ledger.bootstrap import Ledger
from ledger.domain.values import Channel, Direction, Traveller
from ledger.readmodel.answers import CheckRequest
from ledger.readmodel.model import Knowledge

__all__ = ["measure", "build_table", "SELECT"]

SELECT = (
    "SELECT admissibility, inspection, enforcement FROM rules WHERE office=? AND direction=? "
    "AND channel=? AND traveller=? AND goods=? AND effective_from<=? "
    "ORDER BY effective_from DESC LIMIT 1"
)
_SCHEMA = (
    "CREATE TABLE rules (office TEXT NOT NULL, direction TEXT NOT NULL, channel TEXT NOT NULL, "
    "traveller TEXT NOT NULL, goods TEXT NOT NULL, effective_from TEXT NOT NULL, "
    "effective_to TEXT, admissibility TEXT, inspection TEXT, enforcement TEXT)",
    "CREATE INDEX rules_by_scope "
    "ON rules (office, direction, channel, traveller, goods, effective_from)",
)


def _rows(office: str, scope: ScopeTuple, forms: list[Form]) -> list[tuple[str | None, ...]]:
    """The scope's valid-time rows: the state after each window start, carried forward."""
    state: dict[str, str | None] = {"admissibility": None, "inspection": None, "enforcement": None}
    by_start: dict[str, tuple[str | None, ...]] = {}
    for form in sorted(forms, key=lambda form: form.order):
        for dimension, value in form.measure.stated().items():
            state[dimension] = str(value)
        by_start[form.start.isoformat()] = (
            state["admissibility"],
            state["inspection"],
            state["enforcement"],
        )
    starts = sorted(by_start)
    return [
        (office, *scope, start, end, *by_start[start])
        for start, end in zip(starts, [*starts[1:], None], strict=True)
    ]


def build_table(path: Path, office: str, forms: list[Form]) -> sqlite3.Connection:
    connection = sqlite3.connect(path)
    for statement in _SCHEMA:
        connection.execute(statement)
    for scope, scoped in by_scope(forms).items():
        connection.executemany(
            "INSERT INTO rules VALUES (?,?,?,?,?,?,?,?,?,?)", _rows(office, scope, scoped)
        )
    connection.commit()
    return connection


def _answer(
    connection: sqlite3.Connection, office: str, scopes: list[ScopeTuple], at: str
) -> str | None:
    for scope in scopes:
        row = connection.execute(SELECT, (office, *scope, at)).fetchone()
        if row is not None:
            return str(row[1])
    return None


def _first_with_row(
    connection: sqlite3.Connection, office: str, scopes: list[ScopeTuple], at: str
) -> ScopeTuple | None:
    for scope in scopes:
        if connection.execute(SELECT, (office, *scope, at)).fetchone() is not None:
            return scope
    return None


def measure(context: Context) -> Group:
    source = context.naive
    office = source.longest.code
    group = Group("e", f"Hand-written SQLite valid-time table ({source.longest.events:,} events)")
    questions = source.questions(context.plan.sql_questions, "sql")
    with context.open(source) as ledger:
        forms = fold(ledger.app.office_events(office))
        connection = build_table(context.folder / "valid-time.sqlite", office, forms)
        prepared = [(q, candidate_scopes(q), q.at.isoformat(), q.request()) for q in questions]
        with context.steps.step("e. SQL and check, interleaved", 2 * len(prepared)) as advance:
            for _, scopes, at, request in prepared:  # warm both
                _answer(connection, office, scopes, at)
                ledger.reader.check(request)
            advance(len(prepared))
            sql_times, check_times, compared = _timed(connection, ledger, office, prepared)
            advance(len(prepared))
        single, lookup = _single_lookups(connection, ledger, office, prepared)
        rows = connection.execute("SELECT count(*) FROM rules").fetchone()[0]
        connection.close()
    sql, check = Latency.of(sql_times), Latency.of(check_times)
    group.figures = [
        Figure(
            "SQL answer p50 / check p50",
            f"{seconds(check.p50)} p50 (check)",
            f"{seconds(sql.p50)} p50 (SQL)",
            sql.p50 / check.p50,
            Target(">=", 1),
        ),
        Figure(
            "one SELECT p50 / one index lookup p50",
            f"{seconds(lookup.p50)} p50 (rules.ruling)",
            f"{seconds(single.p50)} p50 (SELECT)",
            single.p50 / lookup.p50,
        ),
    ]
    group.notes = [
        f"The same one-office ledger as d, folded once (untimed) into a table of {rows:,} rows "
        "in a SQLite file in the scratch folder: one row per scope and window start, holding "
        "the state carried forward within the scope; amendments applied, retractions deleted. "
        "`effective_from` is the window's first day, so the table answers the in-force state "
        "and knows nothing of uncertain windows or knowledge time.",
        f"Baseline, per question ({sql.count:,}): one `SELECT ... WHERE office=? AND "
        "direction=? AND channel=? AND traveller=? AND goods=? AND effective_from<=? ORDER BY "
        "effective_from DESC LIMIT 1` per candidate scope, most specific first (the product's "
        'order, README "Checks"), until one returns a row. The candidate list is computed '
        "outside the timed part. Project: `Ledger.check` of the same question, interleaved "
        "with the SQL answer, after one warm pass of both.",
        f"Where the check answers an inspection level ({compared:,} questions), the table gives "
        "the same one; a disagreement fails the run.",
        "The info line times one SELECT against one index lookup, "
        '`ledger.index.rules(office).ruling(scope, "inspection", at, Knowledge.of(None), '
        "certain=False)`, on the first candidate scope with a row.",
    ]
    return group


Prepared = tuple[Question, list[ScopeTuple], str, CheckRequest]


def _timed(
    connection: sqlite3.Connection, ledger: Ledger, office: str, prepared: list[Prepared]
) -> tuple[list[float], list[float], int]:
    sql_times, check_times, compared = [], [], 0
    for question, scopes, at, request in prepared:
        started = time.perf_counter()
        sql = _answer(connection, office, scopes, at)
        middle = time.perf_counter()
        item = ledger.reader.check(request).items[0]
        ended = time.perf_counter()
        sql_times.append(middle - started)
        check_times.append(ended - middle)
        if item.inspection is not None:
            compared += 1
            if sql != str(item.inspection):
                raise WrongAnswer(
                    f"the SQL table says inspection {sql}, Ledger.check says "
                    f"{item.inspection}, for {question}"
                )
    return sql_times, check_times, compared


def _single_lookups(
    connection: sqlite3.Connection, ledger: Ledger, office: str, prepared: list[Prepared]
) -> tuple[Latency, Latency]:
    rules = ledger.index.rules(office)
    knowledge = Knowledge.of(None)
    pairs = []
    for _, scopes, at, request in prepared:
        scope = _first_with_row(connection, office, scopes, at)
        if scope is not None:
            direction, channel, traveller, goods = scope
            key = (Direction(direction), Channel(channel), Traveller(traveller), goods)
            pairs.append(((office, *scope, at), key, request.at))
    selects = time_each(lambda pair: connection.execute(SELECT, pair[0]).fetchone(), pairs)
    lookups = time_each(
        lambda pair: rules.ruling(pair[1], "inspection", pair[2], knowledge, certain=False), pairs
    )
    return Latency.of(selects), Latency.of(lookups)
