"""b. Check RPC with 64 calls in flight: throughput of Check against Ping on the same server.

The client keeps 64 ``.future()`` calls outstanding on one channel until a fixed number has
completed; rounds alternate Ping, Check, Ping, Check so that both see the same machine.

Then the alternative issue 17 asked to measure before choosing: several serving processes on
one port (``LEDGER_SHARE_PORT``, ``SO_REUSEPORT``), each its own index, on one database. The
same rounds, over ``CHANNELS`` channels each with its own connection (the kernel gives each
new connection to one of the processes), first against one such server alone, then with a
second one started on its port.
"""

from __future__ import annotations

import itertools
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
CHANNELS = 8  # connections of the shared-port rounds, spread over the processes


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


def _rounds(
    context: Context, address: str, channels: int, checks: list[Any], label: str
) -> tuple[float, float]:
    """Check and Ping calls/s: a warm-up, then Ping, Check, Ping, Check rounds with
    ``in_flight`` calls outstanding over ``channels`` channels (calls dealt round-robin)."""
    plan = context.plan
    pings = [pb.PingRequest() for _ in checks]
    opened = [open_stub(address, own_connection=channels > 1) for _ in range(channels)]
    turn = itertools.count()

    def check(message: pb.CheckRequest) -> grpc.Future:
        return opened[next(turn) % channels][1].Check.future(message, timeout=TIMEOUT)

    def ping(message: pb.PingRequest) -> grpc.Future:
        return opened[next(turn) % channels][1].Ping.future(message, timeout=TIMEOUT)

    spent = {"Check": 0.0, "Ping": 0.0}
    try:
        with context.steps.step(f"b. warm-up{label}", len(checks) // 2) as advance:
            in_flight(ping, pings[: len(pings) // 4], plan.in_flight, advance)
            in_flight(check, checks[: len(checks) // 4], plan.in_flight, advance)
        with context.steps.step(f"b. rounds{label}", 4 * len(checks)) as advance:
            for _ in range(2):
                spent["Ping"] += in_flight(ping, pings, plan.in_flight, advance)
                spent["Check"] += in_flight(check, checks, plan.in_flight, advance)
    finally:
        for channel, _ in opened:
            channel.close()
    calls = 2 * len(checks)
    return calls / spent["Check"], calls / spent["Ping"]


def _shared_port(context: Context, checks: list[Any]) -> list[Figure]:
    """The same rounds over ``CHANNELS`` connections: one process alone, then two sharing its
    port, on a copy of the server ledger."""
    path = context.copy(context.server_ledger)
    folder = context.folder
    rates = {}
    with Server(path, folder / "server-shared-1.log", share_port=True) as first:
        rates[1] = _rounds(context, first.address, CHANNELS, checks, ", one process")
        second = Server(path, folder / "server-shared-2.log", listen=first.address, share_port=True)
        with second:
            rates[2] = _rounds(context, first.address, CHANNELS, checks, ", two processes")
            first.check_alive()
            second.check_alive()
    in_flight_calls = context.plan.in_flight
    return [
        Figure(
            f"Check / Ping throughput, {in_flight_calls} in flight over {CHANNELS} "
            f"connections, {count} {'process' if count == 1 else 'processes sharing the port'}",
            rate(check_rate, "calls/s"),
            rate(ping_rate, "calls/s"),
            check_rate / ping_rate,
        )
        for count, (check_rate, ping_rate) in rates.items()
    ]


def measure(context: Context, server: Server) -> Group:
    plan, ledger = context.plan, context.server_ledger
    group = Group("b", f"Check RPC, {plan.in_flight} calls in flight ({ledger.label})")
    checks = [check_message(q) for q in ledger.questions(plan.flight_calls, "in-flight")]
    check_rate, ping_rate = _rounds(context, server.address, 1, checks, "")
    calls = 2 * len(checks)
    group.figures = [
        Figure(
            f"Check / Ping throughput, {plan.in_flight} in flight",
            rate(check_rate, "calls/s"),
            rate(ping_rate, "calls/s"),
            check_rate / ping_rate,
            Target(">=", 0.7),
        ),
        *_shared_port(context, checks),
    ]
    group.notes = [
        f"The same server as a. Baseline: Ping throughput, {calls:,} calls in two rounds "
        f"alternating with the Check rounds, each with {plan.in_flight} `.future()` calls "
        "outstanding on one channel (a semaphore refills a slot as each call completes), "
        "after a warm-up round of a quarter of the calls of each. Check asks sampled "
        "questions as in a.",
        f"Several processes on one port (information): the same rounds, over {CHANNELS} "
        "channels each with its own connection, calls dealt round-robin, against a fresh "
        "server started with `LEDGER_SHARE_PORT=true` on another copy of the ledger; then a "
        "second such server is started on the same port and database, and the rounds are "
        f"run again over {CHANNELS} new connections, which the kernel spreads over the two "
        "processes. Each line's baseline is Ping in the same configuration. The client runs "
        "on the same two cores.",
    ]
    return group
