"""Synthetic ledgers: a deterministic stream of import-format commands, realistically shaped.

Many offices (``size / 1000``, at least 10, at most 1000; ``CN-SYN0001``, ``RU-SYN0002``,
``KP-SYN0003``, ...) share a fixed list of about 300 scopes. Events per office follow a Zipf-like
law (weights ``1 / rank**1.1``), so most offices have short histories and a few very long ones.
Per office, effective dates grow with the office's sequence over 2000-01-01..2025-12-31 (mostly
precision ``day``, some early/mid/late-month, month and quarter windows, never starting before
the office's previous window), and the generator keeps, per (office, scope), the live
inspection level of each change, so that a stricter level is recorded as ``tighten``, a looser
one as ``loosen`` and an equal one as ``observe``: the ledger refuses no command. Admissibility
and enforcement appear only on observations; about 8% of the events amend an observation (a
new measure) and 4% retract one, always naming it by its ``ref``.

Everything is drawn from ``random.Random(seed)``: the same size and seed give the same commands.
"""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ledger.readmodel.answers import CheckRequest

__all__ = [
    "GENERATOR_VERSION",
    "DEFAULT_SEED",
    "SCOPES",
    "INSPECTIONS",
    "OfficePlan",
    "Synthesis",
    "office_count",
    "Question",
    "sample_questions",
]

# Bump whenever the stream of commands changes: cached ledgers are keyed by it.
GENERATOR_VERSION = 1
DEFAULT_SEED = 2025

FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2025, 12, 31)
LAST_PUBLISHED = date(2026, 1, 1)
COUNTRIES = ("CN", "RU", "KP")
INSPECTIONS = ("none", "light", "standard", "thorough", "rigorous")

AMEND_SHARE = 0.08
RETRACT_SHARE = 0.04

# Goods of the scopes, each with HS codes an item under it may have (for the questions).
_HS_ITEMS = {
    "85": ("8516.60", "8517.13", "8528.72"),
    "8516": ("8516.60", "8516.10"),
    "8516.60": ("8516.60",),
    "8471": ("8471.30",),
    "8517": ("8517.13",),
    "8703": ("8703.23",),
    "84": ("8471.30", "8450.11"),
    "10": ("1006.30", "1001.99"),
    "1006": ("1006.30",),
    "27": ("2710.12", "2709.00"),
    "2710": ("2710.12",),
    "61": ("6109.10", "6110.20"),
    "7113": ("7113.19",),
    "9101": ("9101.21",),
}
ITEMS: dict[str, tuple[str, ...]] = {
    **_HS_ITEMS,
    "all": tuple(dict.fromkeys(code for codes in _HS_ITEMS.values() for code in codes)),
    "electronics": ("8516.60", "8471.30", "8517.13", "8528.72"),
    "machinery": ("8450.11", "8504.40", "8471.30"),
    "vehicles": ("8703.23", "8711.20"),
    "luxury": ("7113.19", "9101.21", "6109.10", "4202.21"),
    "cash": ("4907.00", "7118.90"),
}
_DIRECTIONS = ("outbound", "inbound")
_CHANNELS = ("personal-baggage", "cargo-road", "cargo-rail", "cargo-sea", "cargo-air", "postal")
_TRAVELLERS = ("any", "worker", "trader", "driver")
_SCOPE_COUNT = 300
_THIRDS = (("early-month", 1), ("mid-month", 11), ("late-month", 21))


def _scopes() -> tuple[tuple[str, str, str, str], ...]:
    """A fixed list of ~300 scopes (direction, channel, traveller, goods), in a fixed order."""
    every = list(itertools.product(_DIRECTIONS, _CHANNELS, _TRAVELLERS, ITEMS))
    return tuple(random.Random(f"scopes-v{GENERATOR_VERSION}").sample(every, _SCOPE_COUNT))


SCOPES = _scopes()
# An office mostly records rules about a few favourite scopes: scope popularity is Zipf-like
# too, rotated by an office-specific offset.
_SCOPE_WEIGHTS = list(itertools.accumulate(1 / (rank**0.8) for rank in range(1, _SCOPE_COUNT + 1)))

_PUBLISHERS = (
    ("Daily NK", "https://www.dailynk.com/english/", "en", "B2"),
    ("Yonhap", "https://en.yna.co.kr/", "en", "B2"),
    ("NK News", "https://www.nknews.org/", "en", "B3"),
    ("Radio Free Asia", "https://www.rfa.org/korean/", "ko", "C3"),
    ("General Administration of Customs", "http://www.customs.gov.cn/", "zh", "A1"),
    ("Federal Customs Service", "https://customs.gov.ru/", "ru", "A2"),
    ("Border trader (interview)", "https://example.org/interviews/", "en", "D4"),
)


def office_count(size: int) -> int:
    """Offices of a ledger of ``size`` events: one per thousand events, 10 to 1000."""
    return max(10, min(1000, size // 1000))


def _code(number: int) -> str:
    return f"{COUNTRIES[number % len(COUNTRIES)]}-SYN{number + 1:04d}"


@dataclass
class OfficePlan:
    """One office: its code, how many events it gets, and what was generated for it."""

    code: str
    events: int  # its registration included
    first: date = LAST_DAY
    last: date = FIRST_DAY
    scopes: list[int] = field(default_factory=list)  # indices into SCOPES, first use first


@dataclass(eq=False)  # compared by identity: each is one recorded change
class _Live:
    """A live change as the generator tracks it: its ref, level, and whether it observes."""

    ref: str
    scope: int
    level: int
    observed: bool


@dataclass
class _OfficeState:
    plan: OfficePlan
    offset: int
    done: int = 0  # changes generated so far
    floor: date = FIRST_DAY  # the latest window start so far: windows never start before it
    by_scope: dict[int, list[_Live]] = field(default_factory=dict)
    observations: list[_Live] = field(default_factory=list)  # live observations: amendable


def _allocate(size: int, offices: int) -> list[int]:
    """Events per office (registration included), Zipf-like, at least two each, summing to
    ``size`` (largest remainders)."""
    weights = [1 / (rank**1.1) for rank in range(1, offices + 1)]
    spare = size - 2 * offices
    if spare < 0:
        raise ValueError(f"{size} events are too few for {offices} offices")
    shares = [spare * weight / sum(weights) for weight in weights]
    counts = [int(share) for share in shares]
    by_remainder = sorted(range(offices), key=lambda i: counts[i] - shares[i])
    for i in by_remainder[: spare - sum(counts)]:
        counts[i] += 1
    return [2 + count for count in counts]


class Synthesis:
    """The commands of one synthetic ledger, as import-format dicts (``command_from`` input).

    Iterate ``commands()`` once; ``offices`` then tells what each office got (its span, the
    scopes it used), from which ``sample_questions`` draws check questions.
    """

    def __init__(self, size: int, seed: int = DEFAULT_SEED, offices: int | None = None) -> None:
        self.size = size
        self.seed = seed
        self.rng = random.Random(f"{seed}-{size}-{offices}")
        counts = _allocate(size, offices or office_count(size))
        self.offices = [OfficePlan(_code(n), count) for n, count in enumerate(counts)]

    def commands(self) -> Iterator[dict[str, Any]]:
        """Every command: the registrations, then the offices' changes interleaved at random."""
        rng = self.rng
        states = [_OfficeState(plan, rng.randrange(_SCOPE_COUNT)) for plan in self.offices]
        for number, plan in enumerate(self.offices):
            yield _register(plan, number)
        order = [n for n, plan in enumerate(self.offices) for _ in range(plan.events - 1)]
        rng.shuffle(order)
        for number in order:
            yield self._next(states[number])

    def _next(self, state: _OfficeState) -> dict[str, Any]:
        plan, rng = state.plan, self.rng
        span = (LAST_DAY - FIRST_DAY).days
        on = FIRST_DAY + timedelta(days=state.done * span // max(1, plan.events - 2))
        state.done += 1
        ref = f"{plan.code}/{state.done}"
        draw = rng.random()
        if state.observations and draw < RETRACT_SHARE:
            return self._retract(state, ref, on)
        if state.observations and draw < RETRACT_SHARE + AMEND_SHARE:
            return self._amend(state, ref, on)
        return self._change(state, ref, on)

    def _change(self, state: _OfficeState, ref: str, on: date) -> dict[str, Any]:
        rng, plan = self.rng, state.plan
        index = (state.offset + rng.choices(range(_SCOPE_COUNT), cum_weights=_SCOPE_WEIGHTS)[0]) % (
            _SCOPE_COUNT
        )
        live = state.by_scope.setdefault(index, [])
        if not live:
            plan.scopes.append(index)
        level = _walk(rng, live[-1].level if live else None)
        kind = "observe" if not live or level == live[-1].level else "tighten"
        if kind == "tighten" and level < live[-1].level:
            kind = "loosen"
        entry = _Live(ref, index, level, kind == "observe")
        live.append(entry)
        if entry.observed:
            state.observations.append(entry)
        effective = self._effective(state, on)
        plan.first, plan.last = min(plan.first, on), max(plan.last, on)
        direction, channel, traveller, goods = SCOPES[index]
        return {
            "ref": ref,
            "command": kind,
            "office": plan.code,
            "scope": {
                "direction": direction,
                "channel": channel,
                "traveller": traveller,
                "goods": goods,
            },
            "measure": self._measure(level, entry.observed),
            "effective": effective,
            "sources": self._sources(on),
        }

    def _effective(self, state: _OfficeState, on: date) -> dict[str, str]:
        """Mostly a day; some windows, never starting before the office's previous one."""
        draw = self.rng.random()
        if draw < 0.85:
            precision, start = "day", on
        elif draw < 0.92:
            precision, first = _THIRDS[(on.day - 1) // 10 if on.day <= 20 else 2]
            start = on.replace(day=first)
        elif draw < 0.97:
            precision, start = "month", on.replace(day=1)
        else:
            precision, start = "quarter", date(on.year, 3 * ((on.month - 1) // 3) + 1, 1)
        if start < state.floor:
            precision, start = "day", on
        state.floor = start
        return {"on": on.isoformat(), "precision": precision}

    def _measure(self, level: int, observed: bool) -> dict[str, Any]:
        """Every change states inspection; observations may also state the other two."""
        rng = self.rng
        measure: dict[str, Any] = {"inspection": INSPECTIONS[level]}
        if observed and rng.random() < 0.7:
            kind = rng.choice(("allowed", "quantity-limit", "prohibited"))
            admissibility: dict[str, Any] = {"kind": kind}
            if kind == "quantity-limit":
                admissibility["quantity"] = rng.randrange(1, 6)
            measure["admissibility"] = admissibility
        if observed and rng.random() < 0.5:
            measure["enforcement"] = rng.choice(
                ("none", "refusal", "confiscation", "fine", "detention")
            )
        return measure

    def _sources(self, on: date) -> list[dict[str, str]]:
        rng = self.rng
        sources = []
        for publisher, url, language, grade in rng.sample(_PUBLISHERS, rng.choice((1, 1, 1, 2))):
            published = min(on + timedelta(days=rng.randrange(6)), LAST_PUBLISHED)
            sources.append(
                {
                    "publisher": publisher,
                    "url": f"{url}{on.year}/{rng.randrange(10**6)}",
                    "published": published.isoformat(),
                    "language": language,
                    "grade": grade,
                }
            )
        return sources

    def _amend(self, state: _OfficeState, ref: str, on: date) -> dict[str, Any]:
        """A new measure for a live observation (its level changes; observations are not
        checked for direction, so any level will do)."""
        target = self.rng.choice(state.observations)
        target.level = _walk(self.rng, target.level)
        return {
            "ref": ref,
            "command": "amend",
            "office": state.plan.code,
            "change": target.ref,
            "measure": self._measure(target.level, True),
            "reason": "corrected by a later report",
            "sources": self._sources(on),
        }

    def _retract(self, state: _OfficeState, ref: str, on: date) -> dict[str, Any]:
        """Withdraw a live observation; the generator forgets it (the scope's level is then
        the one of the change before it)."""
        observations = state.observations
        position = self.rng.randrange(len(observations))
        target = observations[position]
        observations[position] = observations[-1]
        observations.pop()
        state.by_scope[target.scope].remove(target)
        return {
            "ref": ref,
            "command": "retract",
            "office": state.plan.code,
            "change": target.ref,
            "reason": "the report was withdrawn",
            "sources": self._sources(on),
        }


def _walk(rng: random.Random, level: int | None) -> int:
    """The next inspection level: often the same, else one or two steps either way."""
    if level is None:
        return rng.randrange(len(INSPECTIONS))
    step = rng.choice((0, 0, 0, 1, -1, 1, -1, 2, -2))
    return min(len(INSPECTIONS) - 1, max(0, level + step))


def _register(plan: OfficePlan, number: int) -> dict[str, Any]:
    return {
        "ref": plan.code,
        "command": "register",
        "office": plan.code,
        "name": f"Synthetic office {number + 1}",
        "crossings": [{"counterpart": f"Synthetic crossing {number + 1}", "mode": "road"}],
    }


@dataclass(frozen=True)
class Question:
    """A check that hits real rules: an office, a scope it uses, a date in its span, and an
    item whose HS code lies under the scope's goods."""

    office: str
    at: date
    direction: str
    channel: str
    traveller: str
    goods: str
    quantity: int = 1

    def request(self) -> CheckRequest:
        """The in-process check request of this question."""
        return CheckRequest.model_validate(
            {
                "office": self.office,
                "at": self.at,
                "direction": self.direction,
                "channel": self.channel,
                "traveller": self.traveller,
                "items": [{"goods": self.goods, "quantity": self.quantity}],
            }
        )


def sample_questions(offices: list[OfficePlan], count: int, seed: int | str) -> list[Question]:
    """``count`` questions, offices weighted by their events."""
    rng = random.Random(f"questions-{seed}")
    usable = [plan for plan in offices if plan.scopes]
    picked = rng.choices(usable, weights=[plan.events for plan in usable], k=count)
    questions = []
    for plan in picked:
        direction, channel, traveller, goods = SCOPES[rng.choice(plan.scopes)]
        at = plan.first + timedelta(days=rng.randrange((plan.last - plan.first).days + 1))
        item = rng.choice(ITEMS[goods])
        questions.append(Question(plan.code, at, direction, channel, traveller, item))
    return questions
