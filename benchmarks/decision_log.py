"""l. The decision log: what logging every check costs a server, what many logged decisions cost
a write and its impact, and what a replay costs next to a check.

1. Check throughput with 64 calls in flight, every call logged (``log: true``), against the same
   checks not logged: rounds alternate plain, logged, plain, logged on the server of a, b, g.
2. Recording one event and finding its impact (``Impacts.of_event``), in process, on a copy of
   the server ledger holding ``plan.decisions`` logged decisions (``decision_cache``) against a
   copy holding none; the two copies alternate event by event.
3. ``ReplayDecision`` of decisions logged in 1's rounds against ``Check`` of the same questions,
   one call at a time, interleaved call by call.
"""

from __future__ import annotations

import ctypes
import gc
import shutil
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import grpc

from benchmarks.context import Context
from benchmarks.decision_cache import DecisionsLedger, decision_questions, decisions_ledger
from benchmarks.ledgers import sqlite_url
from benchmarks.results import Figure, Group, Target, WrongAnswer, megabytes, rate, seconds
from benchmarks.rpc_latency import Call, interleaved
from benchmarks.rpc_throughput import in_flight
from benchmarks.server import Server, check_message, open_stub
from benchmarks.synth import Question
from benchmarks.timing import Latency
from ledger.application.commands import RecordChange
from ledger.bootstrap import Ledger
from ledger.readmodel.impact import EventImpact
from ledger.settings import Settings
from ledger_api.ledger.v1 import ledger_pb2 as pb

__all__ = ["measure", "ImpactRun"]

TIMEOUT = 120.0


@dataclass
class ImpactRun:
    """Figure 2: per-event times on each copy, and what the copy with decisions did."""

    decisions: DecisionsLedger
    warm: int = 0  # untimed events first on each copy
    index_seconds: float = 0.0  # the decision index's catch-up over every decision
    index_rss: int = 0  # the process's RSS growth over that catch-up, in bytes
    loaded: list[float] = field(default_factory=list)  # seconds per event, with decisions
    empty: list[float] = field(default_factory=list)  # seconds per event, without
    candidates: int = 0  # summed over the timed events (with decisions)
    impacts: int = 0

    @property
    def loaded_mean(self) -> float:
        return sum(self.loaded) / len(self.loaded)

    @property
    def empty_mean(self) -> float:
        return sum(self.empty) / len(self.empty)


def _rss() -> int:
    """This process's VmRSS once garbage is collected and freed heap given back to the system
    (glibc's ``malloc_trim``), so that memory freed earlier and reused does not hide growth."""
    gc.collect()
    with suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6").malloc_trim(0)
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS in /proc/self/status")


def _change(question: Question, number: int) -> RecordChange:
    """An observed ban at the question's office and scope, for any traveller (every decision
    of the scope is then a candidate), effective the day before the question's date."""
    on = question.at - timedelta(days=1)
    published = min(on, datetime.now(UTC).date())
    return RecordChange.model_validate(
        {
            "request_id": f"bench-impact-{number}",
            "office": question.office,
            "kind": "observed",
            "scope": {
                "direction": question.direction,
                "channel": question.channel,
                "traveller": "any",
                "goods": question.goods,
            },
            "measure": {"admissibility": {"kind": "prohibited"}},
            "effective": {"on": on.isoformat(), "precision": "day"},
            "sources": [
                {
                    "publisher": "Benchmark desk",
                    "url": "https://example.org/benchmark",
                    "published": published.isoformat(),
                    "language": "en",
                    "grade": "B2",
                }
            ],
        }
    )


def _record(ledger: Ledger, change: RecordChange) -> tuple[float, EventImpact]:
    started = time.perf_counter()
    receipt = ledger.app.execute(change)
    found = ledger.impacts.of_event(receipt.position)
    return time.perf_counter() - started, found


def _impact(context: Context) -> ImpactRun:
    plan, ledger, steps = context.plan, context.server_ledger, context.steps
    with steps.step(f"l. the ledger with {plan.decisions:,} decisions", plan.decisions) as adv:
        run = ImpactRun(decisions_ledger(ledger, plan.decisions, adv))
    run.warm = warm = max(1, plan.impact_events // 10)
    needed = warm + plan.impact_events
    asked = decision_questions(ledger, plan.decisions, needed)  # fewer with fewer decisions
    changes = [_change(asked[number % len(asked)], number) for number in range(needed)]
    paths = {"loaded": run.decisions.path, "empty": ledger.path}
    copies = {name: context.folder / f"l-{name}.sqlite" for name in paths}
    with steps.step("l. copying both ledgers to the scratch folder"):
        for name, path in paths.items():
            shutil.copyfile(path, copies[name])
    with (
        Ledger(Settings(database_url=sqlite_url(copies["loaded"]))) as loaded,
        Ledger(Settings(database_url=sqlite_url(copies["empty"]))) as empty,
    ):
        with steps.step(f"l. indexing {plan.decisions:,} decisions"):
            before, started = _rss(), time.perf_counter()
            loaded.decision_index.catch_up()
            run.index_seconds = time.perf_counter() - started
            run.index_rss = _rss() - before
            empty.decision_index.catch_up()
        if len(loaded.decision_index) != plan.decisions or len(empty.decision_index):
            raise WrongAnswer(f"{len(loaded.decision_index):,} decisions indexed")
        total = 2 * len(changes)
        with steps.step("l. one event and its impact, alternating copies", total) as advance:
            for number, change in enumerate(changes):
                # Alternate which copy goes first, so that neither always follows the other.
                order = (loaded, empty) if number % 2 else (empty, loaded)
                for copy in order:
                    spent, found = _record(copy, change)
                    advance(1)
                    if number < warm:
                        continue
                    if copy is loaded:
                        run.loaded.append(spent)
                        run.candidates += found.candidates
                        run.impacts += len(found.impacts)
                    else:
                        run.empty.append(spent)
                        if found.candidates:
                            raise WrongAnswer("an impact found candidates among no decisions")
    return run


def _throughput(
    context: Context, stub: Any, questions: list[Question]
) -> tuple[float, float, int, list[str]]:
    """Figure 1: (plain rate, logged rate, calls per kind, the decision ids of the last logged
    round, in the questions' order)."""
    limit = context.plan.in_flight
    plain = [check_message(question) for question in questions]
    logged = [check_message(question) for question in questions]
    for message in logged:
        message.log = True
    ids = [""] * len(logged)
    place = {id(message): number for number, message in enumerate(logged)}

    def check(message: pb.CheckRequest) -> grpc.Future:
        return stub.Check.future(message, timeout=TIMEOUT)

    def check_logged(message: pb.CheckRequest) -> grpc.Future:
        future = stub.Check.future(message, timeout=TIMEOUT)
        number = place[id(message)]

        def keep(done: grpc.Future) -> None:
            if done.exception() is None:
                ids[number] = done.result().decision_id

        future.add_done_callback(keep)
        return future

    spent = {"plain": 0.0, "logged": 0.0}
    # A whole pass of each: every scope asked is then in the server's rule index (a quarter
    # leaves the first plain round partly cold, which flatters the logged rounds).
    with context.steps.step("l. warm-up, plain and logged", 2 * len(plain)) as advance:
        in_flight(check, plain, limit, advance)
        in_flight(check_logged, logged, limit, advance)
    steps = context.steps.step("l. rounds: Check, logged Check, twice", 4 * len(plain))
    with steps as advance:
        for _ in range(2):
            ids[:] = [""] * len(logged)
            spent["plain"] += in_flight(check, plain, limit, advance)
            spent["logged"] += in_flight(check_logged, logged, limit, advance)
    if not all(ids):
        raise WrongAnswer(f"{ids.count('')} logged checks came back without a decision_id")
    calls = 2 * len(plain)
    return calls / spent["plain"], calls / spent["logged"], calls, ids


def _replays(
    context: Context, stub: Any, questions: list[Question], ids: list[str]
) -> tuple[Latency, Latency]:
    """Figure 3: (Check latency, ReplayDecision latency), interleaved call by call."""
    count = min(len(questions), context.plan.rpc_calls)
    asked = [(check_message(q), d) for q, d in zip(questions[:count], ids[:count], strict=True)]

    def compared(decision_id: str) -> None:
        reply = stub.ReplayDecision(
            pb.ReplayDecisionRequest(decision_id=decision_id), timeout=TIMEOUT
        )
        if not reply.matches or reply.changed:
            raise WrongAnswer(f"decision {decision_id} replayed to another answer")

    def plain(decision_id: str) -> None:
        stub.ReplayDecision(pb.ReplayDecisionRequest(decision_id=decision_id), timeout=TIMEOUT)

    def pairs(replay: Callable[[str], None]) -> list[tuple[Call, Call]]:
        return [
            (partial(stub.Check, message, timeout=TIMEOUT), partial(replay, decision_id))
            for message, decision_id in asked
        ]

    with context.steps.step("l. warm-up: Check and ReplayDecision, answers compared", count) as a:
        interleaved(pairs(compared), a)
    with context.steps.step("l. Check and ReplayDecision interleaved", count) as advance:
        return interleaved(pairs(plain), advance)


def measure(context: Context, server: Server) -> Group:
    plan, ledger = context.plan, context.server_ledger
    group = Group("l", f"Decision log ({ledger.label})")
    questions = ledger.questions(plan.flight_calls, "decision-log")
    channel, stub = open_stub(server.address)
    with channel:
        plain, logged, calls, ids = _throughput(context, stub, questions)
        check, replay = _replays(context, stub, questions, ids)
    server.check_alive()
    run = _impact(context)
    events = len(run.loaded)
    loaded_rate, empty_rate = 1 / run.loaded_mean, 1 / run.empty_mean
    made = "generated in this run" if run.decisions.generated else "reused from the cache"
    group.figures = [
        Figure(
            f"logged Check / Check throughput, {plan.in_flight} in flight",
            rate(logged, "calls/s"),
            rate(plain, "calls/s"),
            logged / plain,
            Target(">=", 0.8),
        ),
        Figure(
            f"one event and its impact, events/s: {plan.decisions:,} decisions / none",
            f"{rate(loaded_rate, 'events/s')} ({seconds(run.loaded_mean)} each)",
            f"{rate(empty_rate, 'events/s')} ({seconds(run.empty_mean)} each)",
            loaded_rate / empty_rate,
            Target(">=", 0.5),
        ),
        Figure(
            "ReplayDecision p50 / Check p50",
            f"{seconds(replay.p50)} p50",
            f"{seconds(check.p50)} p50",
            replay.p50 / check.p50,
            Target("<=", 2.0),
        ),
        Figure(
            "ReplayDecision p99 / Check p99",
            f"{seconds(replay.p99)} p99",
            f"{seconds(check.p99)} p99",
            replay.p99 / check.p99,
        ),
    ]
    group.notes = [
        "Throughput: the `ledger serve` process that a, b and g use (`LEDGER_DECISION_LOG` at "
        f"its default, `requested`). Baseline: the same {len(questions):,} sampled Check "
        "requests (as in b) without `log`; the project sends each with `log: true`, so that "
        "the server answers it from the log up to its read model's position, logs it (group "
        "commit: one transaction per batch of waiting calls) and waits for it to be stored "
        "before replying. "
        f"Rounds alternate plain, logged, plain, logged, {calls:,} calls of each kind in all, "
        f"each with {plan.in_flight} `.future()` calls outstanding on one channel, after a "
        "warm-up pass over all the calls of each kind.",
        f"Replay: `ReplayDecision` of {check.count:,} decisions logged in the last logged round "
        "(each answered again as known at its position, and now) against `Check` of the same "
        "questions without `log` (baseline), one call at a time on the same channel, "
        "interleaved call by call after a warm-up pass over the same pairs in which every "
        "replay must match its logged answer.",
        f"Impact: in this process, on two copies of the {ledger.label} ledger (SQLite): one "
        f"with {plan.decisions:,} logged decisions, one with none (baseline). Each of "
        f"{events:,} events (after {run.warm:,} warm-up events) is recorded on both copies, the "
        "order alternating, and timed from `app.execute(RecordChange)` (projection included) to "
        "`impacts.of_event(position)` returned; the figure is events per second, each side's "
        "mean time in brackets. Each event is an observed ban, for any traveller (a worst "
        "case: it covers every traveller's decisions), at the office, direction, channel and HS "
        "code of a logged decision's question, effective the day before its date. Per event "
        f"with decisions, on average: {run.candidates / events:,.1f} candidates (the decisions "
        "the index names for it, each read from the store and, where the change's scope covers "
        "its question, answered before and after the event) and "
        f"{run.impacts / events:,.1f} impacts (answers changed).",
        f"The decisions: `Check` questions sampled as in a (offices in proportion to their "
        "events, scopes they use, dates in their span), each answered in process from the log "
        "up to the ledger's end and logged as `tests/application/test_impact.py`'s `log()` "
        "does, 10,000 per append; the file "
        f"({megabytes(run.decisions.bytes)}) was {made} (generation "
        f"{seconds(run.decisions.seconds)}). Indexing them (`decision_index.catch_up()`, "
        f"before timing): {seconds(run.index_seconds)}, the process's RSS "
        f"+{megabytes(run.index_rss)} (VmRSS after a garbage collection and `malloc_trim`, "
        "before and after).",
    ]
    return group
