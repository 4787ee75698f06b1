"""i. The biggest ledger: how long a server takes to restart on it, and how much memory it holds.

Restart: from spawning ``ledger serve`` on the existing ledger to the first Check answered (a
question on the longest office, so the first answer includes reading it from the read model).
Memory: the server's VmRSS once the check workload of a has run on this ledger (sampled
offices, the same workload as a), next to its VmRSS right after start.
"""

from __future__ import annotations

import time

from benchmarks.context import Context
from benchmarks.results import Figure, Group, Target, megabytes, seconds
from benchmarks.rpc_latency import TIMEOUT, interleaved, raw_pairs
from benchmarks.server import Server, check_message, open_stub
from benchmarks.synth import Question, sample_questions

__all__ = ["measure"]

RSS_TARGET_MB = 400
RESTART_TARGET_S = 3.0


def _longest_office_question(context: Context) -> Question:
    ledger = context.big_ledger
    return sample_questions([ledger.longest], 1, f"{ledger.seed}-{ledger.size}-restart")[0]


def measure(context: Context) -> Group:
    ledger, plan = context.big_ledger, context.plan
    group = Group("i", f"Restart and memory on the biggest ledger ({ledger.label})")
    path = context.copy(ledger)
    first = check_message(_longest_office_question(context))
    questions = ledger.questions(plan.big_checks, "big")
    step = context.steps.step(f"i. restart on {ledger.label}, then the check workload")
    with step, Server(path, context.folder / "server-big.log") as server:
        at_start = server.rss_bytes()
        channel, stub = open_stub(server.address)
        with channel:
            stub.Check(first, timeout=TIMEOUT, wait_for_ready=True)
            restart = time.perf_counter() - server.spawned
            pairs = raw_pairs(stub, questions)
            interleaved(pairs)  # the workload, also the warm-up
            ping, check = interleaved(pairs)
        server.check_alive()
        after = server.rss_bytes()
    group.figures = [
        Figure(
            "restart: spawn to first Check answered",
            seconds(restart),
            f"{seconds(server.serving_after)} to the serving line",
            restart / server.serving_after,
            Target("<=", RESTART_TARGET_S, absolute=True, unit="s"),
            value=restart,
        ),
        Figure(
            "server RSS after the check workload",
            megabytes(after),
            f"{megabytes(at_start)} right after start",
            after / at_start,
            Target("<=", RSS_TARGET_MB, absolute=True, unit="MB"),
            value=after / 2**20,
        ),
        Figure(
            "Check p50 / Ping p50 on this ledger (as a)",
            f"{seconds(check.p50)} p50",
            f"{seconds(ping.p50)} p50",
            check.p50 / ping.p50,
        ),
    ]
    group.notes = [
        f"A fresh `ledger serve` on a copy of the {ledger.label} ledger "
        f"(longest office {ledger.longest.code}, {ledger.longest.events:,} events). Restart "
        "is timed from spawning the process to the first Check answered, a question on the "
        "longest office (so it includes reading what it needs of that office from the stored "
        "read model into the rule index); the "
        "baseline beside it is the time to the `ledger serving on` line. Both targets are "
        "absolute; the ratios are for information.",
        f"RSS is VmRSS from /proc/PID/status: right after the serving line (baseline), and "
        f"after the workload of a on this ledger: {check.count:,} sampled questions (offices in "
        "proportion to their events) asked twice, interleaved with Ping; the second pass gives "
        "the Check/Ping line.",
    ]
    return group
