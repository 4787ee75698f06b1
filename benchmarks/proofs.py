"""o. Merkle proofs against one check, at each ledger size (in-process).

On a copy of each ledger, in this process: a sampled check (as in c) is the baseline; against
it, an inclusion proof of a sampled position in the current tree (``Proofs.inclusion``: the
event as stored, the head, the path), its verification by the client's code (the event's hash,
its leaf, RFC 9162's algorithm), and a consistency proof from the tree of half the log to the
whole, made and verified. Each is O(log n): the figures at the largest ledger against the
smallest show it.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Any

from benchmarks.context import Context
from benchmarks.ledgers import GeneratedLedger
from benchmarks.results import Figure, Group, Target, seconds
from benchmarks.timing import Latency, time_each
from ledger.readmodel.proofs import ConsistencyRequest, InclusionRequest, Proofs
from ledger_api.merkle import leaf_hash, verify_consistency, verify_inclusion
from ledger_api.verify import event_hash

__all__ = ["measure"]

_PASSES = 3


@dataclass(frozen=True)
class SizeProofs:
    ledger: GeneratedLedger
    check: Latency
    inclusion: Latency
    verify: Latency
    consistency: Latency
    path: int  # hashes in an inclusion path, at most


def _verify(proof: dict[str, Any]) -> None:
    event, tree = proof["event"], proof["tree"]
    leaf = leaf_hash(event["position"], event_hash(event["type"], event["stored_json"]))
    root = bytes.fromhex(tree["merkle_root"])
    verify_inclusion(leaf, event["position"] - 1, tree["position"], proof["path"], root)


def _consistent(proofs: Proofs, old: int) -> None:
    proof = proofs.consistency(ConsistencyRequest(old_size=old))
    heads = proof["old"], proof["new"]
    verify_consistency(
        heads[0]["position"],
        heads[1]["position"],
        bytes.fromhex(heads[0]["merkle_root"]),
        bytes.fromhex(heads[1]["merkle_root"]),
        proof["proof"],
    )


def _best(call: Any, items: list[Any]) -> Latency:
    """The quietest of a few passes (the machine is shared)."""
    return min((Latency.of(time_each(call, items)) for _ in range(_PASSES)), key=lambda x: x.p50)


def _measure(context: Context, ledger: GeneratedLedger) -> SizeProofs:
    questions = ledger.questions(context.plan.check_samples, "proofs")
    requests = [question.request() for question in questions]
    count = len(requests)
    step = context.steps.step(f"o. proofs on {ledger.label}", (3 * _PASSES + 1) * count)
    with context.open(ledger) as app, step as advance:
        proofs = Proofs(app.reader)
        size = proofs.head()["position"]
        sample = random.Random(f"proofs-{ledger.size}")
        asked = [InclusionRequest(position=sample.randint(1, size)) for _ in range(count)]
        time_each(app.reader.check, requests)  # fills the rule index, as a server's would be
        advance(count)
        check = _best(app.reader.check, requests)
        inclusion = _best(proofs.inclusion, asked)
        advance(_PASSES * count)
        made = [proofs.inclusion(request) for request in asked]
        verify = _best(_verify, made)
        advance(_PASSES * count)
        halves = [max(1, size // 2 + sample.randint(-5, 5)) for _ in range(count)]
        consistency = _best(lambda old: _consistent(proofs, old), halves)
        advance(_PASSES * count)
    return SizeProofs(
        ledger, check, inclusion, verify, consistency, max(len(p["path"]) for p in made)
    )


def measure(context: Context) -> Group:
    sizes = [_measure(context, context.ledgers[size]) for size in context.plan.sizes]
    smallest, largest = sizes[0], sizes[-1]
    group = Group("o", "Merkle proofs against one check (in-process)")
    for size in sizes:
        label = size.ledger.label
        group.figures += [
            Figure(
                f"inclusion proof p50 / check p50, {label}",
                seconds(size.inclusion.p50),
                seconds(size.check.p50),
                size.inclusion.p50 / size.check.p50,
            ),
            Figure(
                f"its verification here p50 / check p50, {label}",
                seconds(size.verify.p50),
                seconds(size.check.p50),
                size.verify.p50 / size.check.p50,
            ),
            Figure(
                f"consistency proof, half the log to all, made and verified p50 / check p50, "
                f"{label}",
                seconds(size.consistency.p50),
                seconds(size.check.p50),
                size.consistency.p50 / size.check.p50,
            ),
        ]
    group.figures.append(
        Figure(
            f"inclusion proof p50, {largest.ledger.label} / {smallest.ledger.label} "
            "(O(log n): at most the ratio of the path lengths)",
            seconds(largest.inclusion.p50),
            seconds(smallest.inclusion.p50),
            largest.inclusion.p50 / smallest.inclusion.p50,
            Target("<=", max(2.0, largest.path / max(smallest.path, 1))),
        )
    )
    paths = ", ".join(f"{size.path}" for size in sizes)
    group.notes = [
        "In this process on a copy of each ledger (SQLite): `Proofs(reader).inclusion` for "
        f"{smallest.check.count:,} positions drawn uniformly from the log, in the current "
        "tree; their verification with `ledger_api.merkle` (the event's hash and leaf computed "
        "here, then RFC 9162's algorithm); `Proofs.consistency` from a tree of about half the "
        "log to the whole, made and verified. Baseline: the same number of sampled checks "
        "(`reader.check`, one item each, as in c) on the same copy, after a pass that fills "
        "the rule index. Each figure is the quietest of three passes.",
        f"An inclusion path holds at most {paths} hashes in the respective ledgers; each "
        "stored subtree is read by its key, once per proof.",
    ]
    return group
