"""a. Check RPC, sequential: a real server's Check latency against its empty RPC (Ping).

One channel, one call at a time; Check and Ping interleaved call by call so that both see the
same machine noise, after a warm-up pass over every question (which also loads the offices
asked about into the server's rule index). The same again through ``LedgerClient``, which
also decodes each answer into pydantic models: information only.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from benchmarks.context import Context
from benchmarks.results import Figure, Group, Target, seconds
from benchmarks.server import Server, check_message, open_stub
from benchmarks.synth import Question
from benchmarks.timing import Latency
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1.ledger_pb2_grpc import PolicyLedgerStub
from ledger_client import LedgerClient

__all__ = ["measure", "interleaved"]

TIMEOUT = 60.0
Call = Callable[[], object]


def interleaved(
    pairs: Sequence[tuple[Call, Call]], advance: Callable[[int], None] | None = None
) -> tuple[Latency, Latency]:
    """Run ``baseline(); project()`` for each pair; the latencies of each side."""
    baselines, projects = [], []
    for baseline, project in pairs:
        started = time.perf_counter()
        baseline()
        middle = time.perf_counter()
        project()
        ended = time.perf_counter()
        baselines.append(middle - started)
        projects.append(ended - middle)
        if advance:
            advance(1)
    return Latency.of(baselines), Latency.of(projects)


def raw_pairs(stub: PolicyLedgerStub, questions: Sequence[Question]) -> list[tuple[Call, Call]]:
    """(Ping, Check) calls through the generated stub."""
    ping = pb.PingRequest()
    pairs: list[tuple[Call, Call]] = []
    for question in questions:
        message = check_message(question)
        pairs.append(
            (
                lambda: stub.Ping(ping, timeout=TIMEOUT),
                lambda message=message: stub.Check(message, timeout=TIMEOUT),
            )
        )
    return pairs


def _client_pairs(client: LedgerClient, questions: Sequence[Question]) -> list[tuple[Call, Call]]:
    def check(question: Question) -> Call:
        return lambda: client.check(
            question.office,
            question.at,
            direction=question.direction,
            channel=question.channel,
            traveller=question.traveller,
            items=[{"goods": question.goods, "quantity": question.quantity}],
        )

    return [(client.ping, check(question)) for question in questions]


def measure(context: Context, server: Server) -> Group:
    plan, ledger = context.plan, context.server_ledger
    group = Group("a", f"Check RPC, sequential ({ledger.label})")
    questions = ledger.questions(plan.rpc_calls, "rpc")
    channel, stub = open_stub(server.address)
    with channel:
        pairs = raw_pairs(stub, questions)
        with context.steps.step("a. warm-up: one pass of Check and Ping", len(pairs)) as advance:
            interleaved(pairs, advance)
        with context.steps.step("a. Check and Ping interleaved", len(pairs)) as advance:
            ping, check = interleaved(pairs, advance)
    with LedgerClient(server.address, timeout=TIMEOUT) as client:
        pairs = _client_pairs(client, questions[: plan.client_calls])
        with context.steps.step("a. the same through LedgerClient", 2 * len(pairs)) as advance:
            interleaved(pairs, advance)
            client_ping, client_check = interleaved(pairs, advance)
    group.figures = [
        Figure(
            "Check p50 / Ping p50 (generated stub)",
            f"{seconds(check.p50)} p50",
            f"{seconds(ping.p50)} p50",
            check.p50 / ping.p50,
            Target("<=", 1.3),
        ),
        Figure(
            "Check p99 / Ping p99 (generated stub)",
            f"{seconds(check.p99)} p99",
            f"{seconds(ping.p99)} p99",
            check.p99 / ping.p99,
        ),
        Figure(
            "LedgerClient.check p50 / LedgerClient.ping p50",
            f"{seconds(client_check.p50)} p50",
            f"{seconds(client_ping.p50)} p50",
            client_check.p50 / client_ping.p50,
        ),
    ]
    group.notes = [
        f"A `ledger serve` process on a copy of the {ledger.label} ledger (SQLite), the default "
        f"16 worker threads; this process calls it over one insecure channel on 127.0.0.1.",
        f"Baseline: `Ping`, the empty RPC, on the same channel. {check.count:,} pairs, each a "
        "Ping then a Check, one at a time, after a warm-up pass over the same pairs. Check asks "
        "one item (an HS code under a scope the office uses) at a date within the office's "
        "span; offices are sampled in proportion to their events, so long histories dominate.",
        f"The LedgerClient line: {client_check.count:,} pairs of `LedgerClient.ping` and "
        "`LedgerClient.check` (which converts the reply into pydantic models), after a "
        "warm-up pass; information only.",
    ]
    return group
