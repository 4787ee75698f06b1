"""b. Check RPC with 64 calls in flight: throughput of Check against Ping on the same server.

The client keeps 64 ``.future()`` calls outstanding on one channel until a fixed number has
completed; rounds alternate Ping, Check, Ping, Check so that both see the same machine.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence
from typing import Any

import grpc

from benchmarks.context import Context
from benchmarks.results import Figure, Group, Target, rate
from benchmarks.server import Server, ServerFailed, check_message, open_stub
from ledger_api.ledger.v1 import ledger_pb2 as pb

__all__ = ["measure", "in_flight"]

TIMEOUT = 120.0


def in_flight(
    start: Callable[[Any], grpc.Future],
    messages: Sequence[Any],
    limit: int,
    advance: Callable[[int], None] | None = None,
) -> float:
    """Send every message with at most ``limit`` calls outstanding; the seconds it took."""
    slots = threading.Semaphore(limit)
    finished = threading.Event()
    lock = threading.Lock()
    state = {"left": len(messages), "failed": 0}
    errors: list[BaseException] = []

    def done(future: grpc.Future) -> None:
        error = future.exception()
        with lock:
            if error is not None:
                errors.append(error)
            state["left"] -= 1
            if state["left"] == 0:
                finished.set()
        slots.release()
        if advance:
            advance(1)

    started = time.perf_counter()
    for message in messages:
        slots.acquire()
        start(message).add_done_callback(done)
    finished.wait()
    seconds = time.perf_counter() - started
    if errors:
        raise ServerFailed(f"{len(errors)} of {len(messages)} calls failed: {errors[0]}")
    return seconds


def measure(context: Context, server: Server) -> Group:
    plan, ledger = context.plan, context.server_ledger
    group = Group("b", f"Check RPC, {plan.in_flight} calls in flight ({ledger.label})")
    checks = [check_message(q) for q in ledger.questions(plan.flight_calls, "in-flight")]
    pings = [pb.PingRequest() for _ in checks]
    channel, stub = open_stub(server.address)

    def check(message: pb.CheckRequest) -> grpc.Future:
        return stub.Check.future(message, timeout=TIMEOUT)

    def ping(message: pb.PingRequest) -> grpc.Future:
        return stub.Ping.future(message, timeout=TIMEOUT)

    spent = {"Check": 0.0, "Ping": 0.0}
    with channel:
        with context.steps.step("b. warm-up", len(checks) // 2) as advance:
            in_flight(ping, pings[: len(pings) // 4], plan.in_flight, advance)
            in_flight(check, checks[: len(checks) // 4], plan.in_flight, advance)
        with context.steps.step("b. rounds: Ping, Check, Ping, Check", 4 * len(checks)) as adv:
            for _ in range(2):
                spent["Ping"] += in_flight(ping, pings, plan.in_flight, adv)
                spent["Check"] += in_flight(check, checks, plan.in_flight, adv)
    calls = 2 * len(checks)
    check_rate, ping_rate = calls / spent["Check"], calls / spent["Ping"]
    group.figures = [
        Figure(
            f"Check / Ping throughput, {plan.in_flight} in flight",
            rate(check_rate, "calls/s"),
            rate(ping_rate, "calls/s"),
            check_rate / ping_rate,
            Target(">=", 0.7),
        )
    ]
    group.notes = [
        f"The same server as a. Baseline: Ping throughput, {calls:,} calls in two rounds "
        f"alternating with the Check rounds, each with {plan.in_flight} `.future()` calls "
        "outstanding on one channel (a semaphore refills a slot as each call completes), "
        "after a warm-up round of a quarter of the calls of each. Check asks sampled "
        "questions as in a.",
    ]
    return group
