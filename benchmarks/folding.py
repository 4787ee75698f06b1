"""An independent reading of the rules, written from the README: the naive way to answer a check.

``fold`` turns one office's decoded events into the current form of each live change
(amendments applied, retractions dropped). ``candidate_scopes`` lists the scopes that cover an
item, most specific first (longest HS prefix, then an HS code over a category of the same
length, then a named traveller over ``any``). ``inspection_at`` picks, per candidate scope, the
latest live change stating inspection whose window starts on or before the date; the product
answers an inspection only when that agrees with the latest one whose window has ended (the
certain state), so this computes both. Nothing here calls the product's query code.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from benchmarks.synth import Question
from ledger.domain.events import ChangeAmended, ChangeRetracted, PolicyChanged
from ledger.domain.goods import categories, normalise_goods
from ledger.domain.values import Measure

__all__ = ["Form", "ScopeTuple", "fold", "by_scope", "candidate_scopes", "inspection_at"]

ScopeTuple = tuple[str, str, str, str]  # direction, channel, traveller, canonical goods


@dataclass(frozen=True)
class Form:
    """The current form of one live change."""

    scope: ScopeTuple
    seq: int
    start: date
    end: date
    measure: Measure

    @property
    def order(self) -> tuple[date, int]:
        return self.start, self.seq


def fold(events: Iterable[Any]) -> list[Form]:
    """The live changes of one office, from its events in the order recorded."""
    forms: dict[Any, Form] = {}
    for event in events:
        if isinstance(event, PolicyChanged):
            scope = event.scope
            start, end = event.effective.window
            forms[event.change_id] = Form(
                (str(scope.direction), str(scope.channel), str(scope.traveller), scope.goods),
                event.originator_version,
                start,
                end,
                event.measure,
            )
        elif isinstance(event, ChangeAmended):
            form = forms[event.change_id]
            start, end = (
                (form.start, form.end) if event.effective is None else event.effective.window
            )
            forms[event.change_id] = Form(
                form.scope, form.seq, start, end, event.measure or form.measure
            )
        elif isinstance(event, ChangeRetracted):
            del forms[event.change_id]
    return list(forms.values())


def by_scope(forms: Iterable[Form]) -> dict[ScopeTuple, list[Form]]:
    grouped: dict[ScopeTuple, list[Form]] = {}
    for form in forms:
        grouped.setdefault(form.scope, []).append(form)
    return grouped


def candidate_scopes(question: Question) -> list[ScopeTuple]:
    """The scopes covering the question's item, most specific first."""
    code = normalise_goods(question.goods)
    goods = [(length, 1, code[:length]) for length in range(2, len(code) + 1)]
    for name, prefixes in categories().items():
        covering = [len(prefix) for prefix in prefixes if code.startswith(prefix)]
        if covering:
            goods.append((max(covering), 0, name))
    goods.sort(reverse=True)
    travellers = [question.traveller, "any"] if question.traveller != "any" else ["any"]
    return [
        (question.direction, question.channel, traveller, value)
        for _, _, value in goods
        for traveller in travellers
    ]


def _latest(forms: list[Form], at: date, *, certain: bool) -> Form | None:
    best = None
    for form in forms:
        if form.start > at or (certain and form.end > at) or form.measure.inspection is None:
            continue
        if best is None or form.order > best.order:
            best = form
    return best


def _resolve(
    grouped: dict[ScopeTuple, list[Form]], scopes: list[ScopeTuple], at: date, *, certain: bool
) -> str | None:
    for scope in scopes:
        form = _latest(grouped.get(scope, []), at, certain=certain)
        if form is not None:
            return str(form.measure.inspection)
    return None


def inspection_at(
    grouped: dict[ScopeTuple, list[Form]], scopes: list[ScopeTuple], at: date
) -> str | None:
    """The inspection a check answers: None when the certain and in-force states differ."""
    certain = _resolve(grouped, scopes, at, certain=True)
    in_force = _resolve(grouped, scopes, at, certain=False)
    return certain if certain == in_force else None
