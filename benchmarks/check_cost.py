"""How a check's cost grows with the length of an office's history (a first figure).

Builds one office with N observations spread over 150 scopes and ten years, then times
in-process checks at random dates on the in-memory store: the index look-ups alone (the part
that must not grow with the history) and the whole check (which also builds the answer, with
its rulings and sources). Prints p50s and their ratio to the smallest N, all measured in the
same run. Not a test: this machine is shared and noisy.

    .venv/bin/python benchmarks/check_cost.py 100 1000 10000
"""

from __future__ import annotations

import random
import statistics
import sys
import time
from datetime import date, timedelta

from ledger.commands import RecordChange, RegisterOffice
from ledger.domain.values import Channel, Direction, Traveller
from ledger.queries import CheckRequest, _matching_scopes, _resolve
from ledger.readmodel import Knowledge
from ledger.service import Ledger
from ledger.settings import Settings

GOODS = ["85", "8516", "851660", "8528", "8471", "electronics", "luxury", "all", "84", "6403"]
TRAVELLERS = ["any", "worker", "trader"]
CHANNELS = ["personal-baggage", "cargo-road", "cargo-rail", "cargo-sea", "postal"]


def build(size: int, rng: random.Random) -> Ledger:
    ledger = Ledger(Settings(database_url="memory://"))
    ledger.register_office(RegisterOffice(request_id="r", office="CN-DANDONG", name="Dandong"))
    commands = []
    for number in range(size):
        on = date(2016, 1, 1) + timedelta(days=rng.randrange(3650))
        commands.append(
            RecordChange.model_validate(
                {
                    "request_id": f"c{number}",
                    "office": "CN-DANDONG",
                    "kind": "observed",
                    "scope": {
                        "direction": "outbound",
                        "channel": rng.choice(CHANNELS),
                        "traveller": rng.choice(TRAVELLERS),
                        "goods": rng.choice(GOODS),
                    },
                    "measure": {
                        "admissibility": {"kind": "quantity-limit", "quantity": rng.randrange(5)},
                        "inspection": rng.choice(["light", "standard", "rigorous"]),
                    },
                    "effective": {"on": on.isoformat()},
                    "sources": [
                        {
                            "publisher": "bench",
                            "url": "https://example.org/",
                            "published": on.isoformat(),
                            "grade": "C3",
                        }
                    ],
                }
            )
        )
    for start in range(0, size, 2000):
        ledger.app.execute_batch(commands[start : start + 2000])
    return ledger


def p50_check(ledger: Ledger, rng: random.Random, calls: int = 2000) -> float:
    timings = []
    for _ in range(calls):
        request = CheckRequest(
            office="CN-DANDONG",
            at=date(2016, 1, 1) + timedelta(days=rng.randrange(3650)),
            direction="outbound",
            channel=rng.choice(CHANNELS),
            traveller=rng.choice(TRAVELLERS),
            items=({"goods": "8516.60", "quantity": 2},),
        )
        started = time.perf_counter()
        ledger.check(request)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def p50_lookup(ledger: Ledger, rng: random.Random, calls: int = 2000) -> float:
    """The index look-ups alone: every dimension, every candidate scope, both candidates."""
    rules = ledger.index.rules("CN-DANDONG")
    knowledge = Knowledge.of(None)
    timings = []
    for _ in range(calls):
        at = date(2016, 1, 1) + timedelta(days=rng.randrange(3650))
        scopes = _matching_scopes(
            Direction.OUTBOUND,
            Channel(rng.choice(CHANNELS)),
            Traveller(rng.choice(TRAVELLERS)),
            "851660",
        )
        started = time.perf_counter()
        _resolve(rules, scopes, at, knowledge, certain=True)
        _resolve(rules, scopes, at, knowledge, certain=False)
        timings.append(time.perf_counter() - started)
    return statistics.median(timings)


def main(sizes: list[int]) -> None:
    rng = random.Random(7)
    results = []
    for size in sizes:
        ledger = build(size, rng)
        p50_check(ledger, rng, 200)  # warm the index
        results.append((size, p50_check(ledger, rng), p50_lookup(ledger, rng)))
    base_check, base_lookup = results[0][1], results[0][2]
    print(f"{'events':>8} {'check p50':>12} {'ratio':>6} {'look-ups p50':>13} {'ratio':>6}")
    for size, check, lookup in results:
        print(
            f"{size:>8} {check * 1e6:>10.1f}us {check / base_check:>6.2f}"
            f" {lookup * 1e6:>11.1f}us {lookup / base_lookup:>6.2f}"
        )


if __name__ == "__main__":
    main([int(arg) for arg in sys.argv[1:]] or [100, 1000, 10000])
