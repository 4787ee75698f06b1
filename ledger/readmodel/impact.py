"""What a recorded event changed: the logged decisions it gives another answer, and a logged
decision answered again (its replay).

A decision's answer is re-derived from the rule index, never from the decision's stored
answer: *as known at* its question's own knowledge time, *from the log up to* a position
(``Knowledge.within``). The event at position P changed a decision when its answer from the log
up to P - 1 and up to P differ in **substance** (``substance``: each item's verdict,
inspection and enforcement; a comparison's ranks and standings too; not the sources cited).

Only the decisions the event could reach are answered again (``DecisionIndex.candidates``):
those about the event's office, in the direction and channel of a scope the event's change
has before or after it, for its traveller (any, if it names none) and an HS chapter of its
goods, asked about a day on or after the earliest window start of those forms (a change rules
nothing before its window). Of those, a decision answered at or after P (it knew the event),
or pinned to a knowledge position before P, is left out at once, and so is one whose goods and
traveller no scope of the change covers exactly (``matching_scopes``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.domain.errors import Exhausted, NotFound
from ledger.domain.goods import hs_prefixes
from ledger.readmodel.answers import CheckRequest, CheckResult, CompareResult
from ledger.readmodel.decided import Asked, DecisionIndex, asked
from ledger.readmodel.history import change_of
from ledger.readmodel.queries import matching_scopes

if TYPE_CHECKING:
    from collections.abc import Callable

    from ledger.application.decisions import Decision, Question
    from ledger.readmodel.index import ScopeKey
    from ledger.readmodel.reader import Reader

__all__ = ["Result", "substance", "Reanswered", "EventImpact", "Replayed", "Impacts"]

Result = CheckResult | CompareResult


def substance(result: Result) -> tuple[Any, ...]:
    """What makes an answer right or wrong: each item's verdict, inspection and enforcement,
    and a comparison's rank and standing of each office."""
    if isinstance(result, CheckResult):
        return tuple((i.verdict, i.inspection, i.enforcement) for i in result.items)
    return tuple(
        (ranking.office, ranking.rank, ranking.standing, substance(ranking.result))
        for ranking in result.offices
    )


@dataclass(frozen=True, slots=True)
class Reanswered:
    """A decision whose answer an event changed: before the event and with it."""

    decision: Decision
    before: Result
    after: Result


@dataclass(frozen=True, slots=True)
class EventImpact:
    """The decisions the event at ``position`` changed, of the ``candidates`` answered again."""

    position: int
    event_id: UUID
    event_type: str
    office: str
    impacts: tuple[Reanswered, ...]
    candidates: int


@dataclass(frozen=True, slots=True)
class Replayed:
    """A decision answered again as known at its position (``then``) and now."""

    decision: Decision
    then: Result
    now: Result
    now_position: int

    @property
    def changed(self) -> bool:
        """Whether the answer now differs in substance from the answer then."""
        return substance(self.then) != substance(self.now)


class TooManyCandidates(Exhausted):
    def __init__(self, position: int, found: int, limit: int) -> None:
        super().__init__(
            f"the event at position {position} could change {found} logged decisions, more "
            f"than the {limit} one call answers again (LEDGER_MAX_IMPACT_CANDIDATES); ask an "
            "operator to raise the limit"
        )


class NoEventThere(NotFound):
    def __init__(self, position: int) -> None:
        super().__init__(
            f"no event is at log position {position} (PostgreSQL leaves unused positions when "
            "a write loses a race); give a position from a receipt, the history or the watch"
        )


class Impacts:
    """Impacts of events and replays of decisions, over one reader and its decisions."""

    def __init__(self, reader: Reader, decisions: DecisionIndex, limit: int = 100_000) -> None:
        self.reader = reader
        self.decisions = decisions
        self.limit = limit

    def answer(self, question: Asked, within: int) -> Result:
        """The question's answer from the log up to ``within`` (the read model has it)."""
        queries = self.reader.queries
        if isinstance(question, CheckRequest):
            return queries.check(question, None, within)
        return queries.compare(question, None, within)

    def replay(self, decision: Decision) -> Replayed:
        self.reader.catch_up()
        now = self.reader.index.position
        question = asked(decision)
        then = self.answer(question, decision.position)
        return Replayed(decision, then, self.answer(question, now), now)

    def of_event(
        self,
        position: int,
        offices: frozenset[str] | None = None,
        proceed: Callable[[], bool] | None = None,
    ) -> EventImpact:
        """The decisions (about any of ``offices``; None: any) whose answer the event at
        ``position`` changed; the read model must have reached it. ``proceed`` says whether
        to go on (the caller is still there)."""
        found = self.reader.event_at(position)
        if found is None:
            raise NoEventThere(position)
        logged, event = found
        impact = EventImpact(position, logged.event_id, logged.type, logged.office, (), 0)
        change_id = change_of(event)
        touched = (
            [
                revision
                for revision in self.reader.view.revisions_of_change(change_id)
                if position in (revision.position_from, revision.position_until)
            ]
            if change_id is not None
            else []
        )
        if not touched:
            return impact
        since = min(revision.start for revision in touched)
        scopes = {
            (r.scope.direction, r.scope.channel, r.scope.traveller, r.scope.goods) for r in touched
        }
        sequences = sorted(
            {
                sequence
                for revision in touched
                for sequence in self.decisions.candidates(logged.office, revision.scope, since)
            }
        )
        if len(sequences) > self.limit:
            raise TooManyCandidates(position, len(sequences), self.limit)
        store = self.decisions.store
        # Decisions that asked the same question (the same request) share its two answers.
        answered: dict[str, tuple[Result, Result] | None] = {}
        changed: dict[int, tuple[Result, Result]] = {}
        for candidate in store.questions(sequences):
            if proceed is not None and not proceed():
                break
            if candidate.position >= position:
                continue  # answered knowing the event
            if candidate.request not in answered:
                answered[candidate.request] = self._answered(candidate, position, scopes, offices)
            reanswered = answered[candidate.request]
            if reanswered is not None:
                changed[candidate.sequence] = reanswered
        impacts = tuple(
            Reanswered(decision, *changed[decision.sequence])
            for decision in store.by_sequences(sorted(changed))
        )
        return EventImpact(
            position, logged.event_id, logged.type, logged.office, impacts, len(sequences)
        )

    def _answered(
        self,
        candidate: Question,
        position: int,
        scopes: set[ScopeKey],
        offices: frozenset[str] | None,
    ) -> tuple[Result, Result] | None:
        """The question's answers before and with the event at ``position``, if they differ
        (None if they do not, or if the event could not change them)."""
        question = self._reachable(candidate, position, scopes)
        if question is None or (offices is not None and offices.isdisjoint(_offices(question))):
            return None
        before = self.answer(question, position - 1)
        after = self.answer(question, position)
        return (before, after) if substance(before) != substance(after) else None

    @staticmethod
    def _reachable(candidate: Question, position: int, scopes: set[ScopeKey]) -> Asked | None:
        """The decision's question, if the event at ``position`` could change its answer."""
        question = asked(candidate)
        pinned = question.known_at_position
        if pinned is not None and pinned < position:
            return None
        for item in question.items:
            for code in hs_prefixes(item.goods):
                covering = matching_scopes(
                    question.direction, question.channel, question.traveller, code
                )
                if not scopes.isdisjoint(covering):
                    return question
        return None


def _offices(question: Asked) -> tuple[str, ...]:
    return (question.office,) if isinstance(question, CheckRequest) else question.offices
