"""d. The naive event-sourced check against the projection, on one office's long history.

Naive: read the office's events from the store (``recorder.select_events``, no cache), decode
each (``mapper.to_domain_event``), fold them into the live changes (``benchmarks.folding``) and
resolve the asked item's inspection. Project: ``Ledger.check`` on the same ledger. Both must
give the same inspection for every question, or the run fails.
"""

from __future__ import annotations

import time

from benchmarks.context import Context
from benchmarks.folding import by_scope, candidate_scopes, fold, inspection_at
from benchmarks.results import Figure, Group, Target, WrongAnswer, seconds
from benchmarks.synth import Question
from benchmarks.timing import Latency
from ledger.bootstrap import Ledger
from ledger.domain.office import office_id

__all__ = ["measure", "naive_inspection"]


def naive_inspection(ledger: Ledger, question: Question) -> str | None:
    """Replay the office from the store and answer the question's inspection."""
    app = ledger.app
    stored = app.recorder.select_events(office_id(question.office))
    forms = fold(app.mapper.to_domain_event(event) for event in stored)
    return inspection_at(by_scope(forms), candidate_scopes(question), question.at)


def measure(context: Context) -> Group:
    source = context.naive
    office = source.longest
    group = Group("d", f"Naive event-sourced check ({office.events:,} events on one office)")
    questions = source.questions(context.plan.naive_questions, "naive")
    requests = [question.request() for question in questions]
    naive_times, check_times = [], []
    answered = 0
    with context.open(source) as ledger:
        for request in requests:  # warm: the office is in the rule index before timing
            ledger.reader.check(request)
        with context.steps.step("d. naive replay and check", len(questions)) as advance:
            for question, request in zip(questions, requests, strict=True):
                started = time.perf_counter()
                naive = naive_inspection(ledger, question)
                middle = time.perf_counter()
                item = ledger.reader.check(request).items[0]
                ended = time.perf_counter()
                naive_times.append(middle - started)
                check_times.append(ended - middle)
                answer = None if item.inspection is None else str(item.inspection)
                if naive != answer:
                    raise WrongAnswer(_disagreement(question, naive, answer))
                answered += answer is not None
                advance(1)
    naive_latency, check_latency = Latency.of(naive_times), Latency.of(check_times)
    group.figures = [
        Figure(
            "naive p50 / check p50",
            f"{seconds(check_latency.p50)} p50 (check)",
            f"{seconds(naive_latency.p50)} p50 (naive)",
            naive_latency.p50 / check_latency.p50,
            Target(">=", 100),
        )
    ]
    group.notes = [
        f"A dedicated one-office ledger of {source.size:,} events (the office's registration "
        f"and {office.events - 1:,} changes, amendments and retractions over "
        f"{len(office.scopes)} scopes). Baseline, the naive way, per question: "
        "`app.recorder.select_events(office_id)` (every stored event of the office, no "
        "cache), `app.mapper.to_domain_event` on each, a fold into the live changes "
        "(amendments applied, retractions dropped), then the latest change stating inspection "
        "in the most specific covering scope, both in force and certain (as the product "
        'answers, README "Checks"). Project: `Ledger.check` with the same question, after '
        "one warm pass.",
        f"Both gave the same inspection for all {len(questions)} questions ({answered} a "
        f"level, {len(questions) - answered} none: no rule yet, or a date inside a change's "
        "window, where the two candidate answers differ); a disagreement fails the run.",
    ]
    return group


def _disagreement(question: Question, naive: str | None, answer: str | None) -> str:
    return f"naive replay says inspection {naive}, Ledger.check says {answer}, for {question}"
