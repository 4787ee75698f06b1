"""What the decision-log e2e tests share: questions asked and asked again (and their
substance, derived here independently of the server), offices and rules recorded for them,
and a server with settings of its own."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ledger_client import LedgerClient, Receipt
from ledger_client.decisions import DecisionAnswer
from ledger_client.queries import CheckResult, CompareResult
from tests.e2e.support import (
    RunningServer,
    new_office,
    source,
    start_server,
)

WAIT = 20.0  # seconds at most for an impact to arrive (it comes within ~1 s)


# -- questions, asked and asked again -------------------------------------------------------


@dataclass(frozen=True)
class Question:
    """A check (one office) or a comparison (several), as this test asks it."""

    offices: tuple[str, ...]
    at: str
    items: tuple[tuple[str, int], ...] = (("8516.60", 1),)
    direction: str = "outbound"
    channel: str = "personal-baggage"
    traveller: str = "worker"
    known_at_position: int | None = None
    comparison: bool = False

    def ask(
        self, client: LedgerClient, *, within: int | None = None, **logging: Any
    ) -> CheckResult | CompareResult:
        """The answer; ``within``: as recorded up to that log position (a pinned question
        stays pinned where it was, if earlier)."""
        known = self.known_at_position
        if within is not None:
            known = within if known is None else min(known, within)
        asked: dict[str, Any] = {
            "direction": self.direction,
            "channel": self.channel,
            "traveller": self.traveller,
            "items": [{"goods": goods, "quantity": count} for goods, count in self.items],
            "known_at_position": known,
        }
        if self.comparison:
            return client.compare(self.offices, self.at, **asked, **logging)
        return client.check(self.offices[0], self.at, **asked, **logging)


def substance(answer: CheckResult | CompareResult | DecisionAnswer) -> tuple[Any, ...]:
    """What an answer says, as a correction may change it: each item's verdict, inspection
    and enforcement; a comparison's offices with their rank and standing."""
    if isinstance(answer, DecisionAnswer):
        found = answer.check or answer.comparison
        assert found is not None, "an answer holds a check's or a comparison's"
        answer = found
    if isinstance(answer, CheckResult):
        return tuple((i.verdict, i.inspection, i.enforcement) for i in answer.items)
    return tuple(
        (
            r.office,
            r.rank,
            r.standing,
            tuple((i.verdict, i.inspection, i.enforcement) for i in r.items),
        )
        for r in answer.rankings
    )


def verdicts(answer: CheckResult | CompareResult | DecisionAnswer) -> list[str]:
    """A check's verdicts, item by item."""
    if isinstance(answer, DecisionAnswer):
        assert answer.check is not None
        answer = answer.check
    assert isinstance(answer, CheckResult)
    return [str(item.verdict) for item in answer.items]


@dataclass
class Logged:
    """The decisions a test logged: what each asked, by its id, in the order logged."""

    asked: dict[str, Question] = field(default_factory=dict)

    def log(self, client: LedgerClient, question: Question, label: str | None = None) -> str:
        result = question.ask(client, log=True, label=label)
        assert result.decision_id is not None, "a logged question's reply names its decision"
        self.asked[str(result.decision_id)] = question
        return str(result.decision_id)

    def changed_by(self, client: LedgerClient, position: int) -> list[str]:
        """The decisions whose answer the event at ``position`` changed, found by asking each
        question as recorded up to just before it and up to it (those logged knowing it
        excluded: their answers never depended on its absence)."""
        return [
            decision_id
            for decision_id, question in self.asked.items()
            if client.get_decision(decision_id).position < position
            and substance(question.ask(client, within=position - 1))
            != substance(question.ask(client, within=position))
        ]


# -- the ledger's side: offices and rules ---------------------------------------------------


def register(client: LedgerClient) -> str:
    code = new_office()
    client.register_office(code, f"{code} customs")
    return code


def rule(
    client: LedgerClient,
    kind: str,
    office: str,
    on: str,
    admissibility: dict[str, Any],
    goods: str = "electronics",
) -> Receipt:
    """A rule for workers' outbound baggage of ``goods`` at ``office``, from ``on``."""
    return client.record(
        kind,  # type: ignore[arg-type]
        office,
        scope={
            "direction": "outbound",
            "channel": "personal-baggage",
            "traveller": "worker",
            "goods": goods,
        },
        measure={"admissibility": admissibility},
        effective={"on": on},
        sources=[source("2025-05-19")],
    )


def back_date(client: LedgerClient, office: str, change: Receipt, on: str) -> Receipt:
    """The change amended to take effect from ``on``."""
    return client.amend(
        office,
        change.change_id,
        effective={"on": on},
        reason="the notice was dated earlier",
        sources=[source("2025-05-20")],
    )


TWO_ITEMS = {"kind": "quantity-limit", "quantity": 2}
PROHIBITED = {"kind": "prohibited"}


def baseline(client: LedgerClient) -> str:
    """A new office where workers may take two electronic items out from 2025-01-01."""
    office = register(client)
    rule(client, "observed", office, "2025-01-01", TWO_ITEMS)
    return office


def event_id_at(client: LedgerClient, position: int) -> str:
    return str(next(iter(client.watch(position - 1, timeout=10))).event_id)


def words(text: str) -> str:
    """Output with rich's line wrapping undone."""
    return " ".join(text.split())


def json_of(result: tuple[int, str, str], status: int = 0) -> Any:
    code, out, err = result
    assert code == status, (out, err)
    return json.loads(out)


CHECK = (
    "--direction", "outbound", "--channel", "personal-baggage", "--traveller", "worker",
)  # fmt: skip


@contextlib.contextmanager
def serving(folder: Path, **settings: str) -> Iterator[RunningServer]:
    """A SQLite server over the example ledger with these environment settings."""
    running = start_server(folder, env=settings)
    try:
        yield running
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            running.stop()
