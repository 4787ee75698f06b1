"""c. Check cost against history length: in-process checks on each ledger size.

For each synthetic ledger, sampled questions (offices in proportion to their events) are
checked in a cold first pass, which also fills the rule index from the stored read model,
then in warm passes, of which the quietest (lowest p50) is compared: the machine is shared, and
one pass of a few hundred milliseconds can fall entirely on someone else's work.
"""

from __future__ import annotations

from dataclasses import dataclass

from benchmarks.context import Context
from benchmarks.ledgers import GeneratedLedger
from benchmarks.results import Figure, Group, Target, seconds
from benchmarks.timing import Latency, time_each

__all__ = ["measure", "SizeCost"]

_WARM_PASSES = 3


@dataclass(frozen=True)
class SizeCost:
    ledger: GeneratedLedger
    offices: int  # distinct offices asked about
    cold: Latency
    warm: Latency


def _cost(context: Context, ledger: GeneratedLedger) -> SizeCost:
    questions = ledger.questions(context.plan.check_samples, "check-cost")
    requests = [question.request() for question in questions]
    passes = 1 + _WARM_PASSES
    step = context.steps.step(f"c. checks on {ledger.label}", passes * len(requests))
    with context.open(ledger) as app, step as advance:
        cold = Latency.of(time_each(app.reader.check, requests))
        advance(len(requests))
        warm = []
        for _ in range(_WARM_PASSES):
            warm.append(Latency.of(time_each(app.reader.check, requests)))
            advance(len(requests))
    offices = len({question.office for question in questions})
    return SizeCost(ledger, offices, cold, min(warm, key=lambda latency: latency.p50))


def measure(context: Context) -> Group:
    costs = [_cost(context, context.ledgers[size]) for size in context.plan.sizes]
    smallest, largest = costs[0], costs[-1]
    group = Group("c", "Check cost against history length (in-process)")
    group.figures = [
        Figure(
            f"check p50, {largest.ledger.label} / {smallest.ledger.label}",
            seconds(largest.warm.p50),
            seconds(smallest.warm.p50),
            largest.warm.p50 / smallest.warm.p50,
            Target("<=", 1.25),
        ),
        *(
            Figure(
                f"check p50, {cost.ledger.label} / {smallest.ledger.label}",
                seconds(cost.warm.p50),
                seconds(smallest.warm.p50),
                cost.warm.p50 / smallest.warm.p50,
            )
            for cost in costs[1:-1]
        ),
        Figure(
            f"check p99, {largest.ledger.label} / {smallest.ledger.label}",
            seconds(largest.warm.p99),
            seconds(smallest.warm.p99),
            largest.warm.p99 / smallest.warm.p99,
        ),
        *(
            Figure(
                f"cold first pass p50, {cost.ledger.label} / {smallest.ledger.label}",
                seconds(cost.cold.p50),
                seconds(smallest.cold.p50),
                cost.cold.p50 / smallest.cold.p50,
            )
            for cost in costs[1:]
        ),
    ]
    longest = ", ".join(f"{cost.ledger.longest.events:,}" for cost in costs)
    touched = ", ".join(f"{cost.offices:,}" for cost in costs)
    group.notes = [
        "`Ledger.reader.check(CheckRequest)` in this process on a copy of each ledger (SQLite), "
        f"{smallest.warm.count:,} sampled questions per ledger, one item each. Baseline: the "
        f"same measurement on the {smallest.ledger.label} ledger. The longest office has "
        f"{longest} events in the respective ledgers; the questions ask about {touched} "
        "distinct offices.",
        "Each ledger is checked in passes over the same questions, in the same process: the "
        "cold first pass also reads what each check needs from the stored read model into the "
        "rule index (its p50 is shown for information); of three warm passes after it, the one "
        "with the lowest p50 is the figure (the machine is shared: a pass can fall on other "
        "work).",
    ]
    return group
