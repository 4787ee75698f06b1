"""Questions about rules: the state at a date, point-in-time checks, route comparison.

Every answer is read from the rule index: for each dimension, the most specific matching
scope that states it wins (longest HS prefix, then an HS code over a category, then a named
traveller over ``any``). Where the date lies inside a change's effective window, the answer is
computed twice — with the change not yet in force and in force — and is ``UNCERTAIN`` when the
two differ.
"""

from __future__ import annotations

from contextlib import suppress
from datetime import date
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Protocol
from uuid import UUID

from ledger.domain.errors import InvalidRequest, OfficeNotFound, Unavailable
from ledger.domain.goods import categories, hs_prefixes
from ledger.domain.values import (
    DIMENSIONS,
    Admissibility,
    AdmissibilityKind,
    Channel,
    Dimension,
    Direction,
    Scope,
    Source,
    Traveller,
)
from ledger.readmodel.answers import (
    Check,
    CheckItem,
    CheckRequest,
    CheckResult,
    CompareRequest,
    CompareResult,
    ItemResult,
    OfficeRanking,
    Outcome,
    RuleState,
    Ruling,
    ScopeState,
    Standing,
    StateRequest,
    StateResult,
    Verdict,
)
from ledger.readmodel.model import Knowledge

if TYPE_CHECKING:
    from ledger.readmodel.index import OfficeRules, RuleIndex, ScopeKey
    from ledger.readmodel.model import Revision
    from ledger.readmodel.view import RuleView

__all__ = ["RuleQueries", "ValueRequired", "Abandoned", "Progress", "Proceed", "matching_scopes"]


class Progress(Protocol):
    """Follows a check's work item by item: whether to go on (the caller still waits) before
    each item, and each item's answer after it (raising a refusal stops the work)."""

    def proceed(self) -> bool: ...

    def item(self, result: ItemResult) -> None: ...


Proceed = Progress | None

# A change's ruling on a dimension is built once and shared by every answer that cites it; this
# many are kept, the oldest forgotten first.
_RULINGS_KEPT = 20_000


class RuleQueries:
    """Answers questions from the rule index; never replays events.

    Results are built from values the ledger validated when they were recorded: they are
    constructed, not validated again (``model_construct``), and a change's ruling on a dimension
    is built once and shared by every answer that cites it."""

    def __init__(self, index: RuleIndex, view: RuleView) -> None:
        self.index = index
        self.view = view
        self._registered: set[str] = set()  # offices are never unregistered
        self._rulings: dict[tuple[UUID, int, Dimension], Ruling] = {}

    def state(self, request: StateRequest) -> StateResult:
        rules = self._rules(request.office)
        knowledge = request.knowledge
        scopes = []
        with self.index.lock:
            rules.load_all()
            keys = sorted(rules.scopes, key=lambda key: tuple(map(str, key)))
            for key in keys:
                before = rules.state(key, request.at, knowledge, certain=True)
                after = rules.state(key, request.at, knowledge, certain=False)
                if not after:
                    continue
                states = (self._rule_state(before), self._rule_state(after))
                scope = Scope(direction=key[0], channel=key[1], traveller=key[2], goods=key[3])
                uncertain = before != after
                scopes.append(
                    ScopeState(
                        scope=scope, uncertain=uncertain, states=states if uncertain else states[1:]
                    )
                )
        return StateResult(
            office=request.office,
            at=request.at,
            known_at=request.known_at,
            basis=request.basis,
            scopes=tuple(scopes),
        )

    def check(
        self, request: CheckRequest, proceed: Proceed = None, within: int | None = None
    ) -> CheckResult:
        """``within``: answer from the log up to that position only (``Knowledge.within``)."""
        return self._check(request.office, request, proceed, within)

    def compare(
        self, request: CompareRequest, proceed: Proceed = None, within: int | None = None
    ) -> CompareResult:
        results = [
            self._check(office, request, proceed, within)
            for office in dict.fromkeys(request.offices)
        ]
        return CompareResult(offices=_ranked(results))

    def _rules(self, office: str) -> OfficeRules:
        if office not in self._registered:
            if self.view.get_office(office) is None:
                raise OfficeNotFound(office)
            self._registered.add(office)
        return self.index.rules(office)

    def _check(
        self, office: str, request: Check, proceed: Proceed, within: int | None
    ) -> CheckResult:
        rules = self._rules(office)
        knowledge = request.knowledge
        if within is not None:
            knowledge = knowledge.within(within)
        results = []
        # The index's lock is taken item by item, never across a whole request; and a request
        # whose caller has gone stops within an item.
        for number, item in enumerate(request.items, start=1):
            if proceed is not None and not proceed.proceed():
                raise Abandoned()
            with self.index.lock:
                result = self._check_item(rules, request, knowledge, number, item)
            if proceed is not None:
                proceed.item(result)
            results.append(result)
        items = tuple(results)
        return CheckResult.model_construct(
            office=office,
            at=request.at,
            known_at=request.known_at,
            basis=request.basis,
            items=items,
        )

    def _check_item(
        self, rules: OfficeRules, request: Check, knowledge: Knowledge, number: int, item: CheckItem
    ) -> ItemResult:
        """A category is checked as each of its HS prefixes; the most restrictive answer stands."""
        results = [
            self._check_code(rules, request, knowledge, number, item, code)
            for code in hs_prefixes(item.goods)
        ]
        return max(results, key=lambda result: result.verdict.severity)

    def _check_code(
        self,
        rules: OfficeRules,
        request: Check,
        knowledge: Knowledge,
        number: int,
        item: CheckItem,
        code: str,
    ) -> ItemResult:
        scopes = matching_scopes(request.direction, request.channel, request.traveller, code)
        found = _resolve(rules, scopes, request.at, knowledge, certain=True)
        before = self._outcome(found, item, number)
        found = _resolve(rules, scopes, request.at, knowledge, certain=False)
        after = self._outcome(found, item, number)
        if _same_answer(before, after):
            return _item_result(item, before.verdict, (before,))
        return _item_result(item, Verdict.UNCERTAIN, (before, after))

    def _rule_state(self, found: dict[Dimension, Revision]) -> RuleState:
        return RuleState.model_construct(**self._state_fields(found))

    def _outcome(self, found: dict[Dimension, Revision], item: CheckItem, number: int) -> Outcome:
        fields = self._state_fields(found)
        verdict, reason = _admit(fields.get("admissibility"), item, number)
        return Outcome.model_construct(**fields, verdict=verdict, reason=reason)

    def _state_fields(self, found: dict[Dimension, Revision]) -> dict[str, Any]:
        fields: dict[str, Any] = {
            dimension: getattr(revision.measure, dimension) for dimension, revision in found.items()
        }
        fields["rulings"] = tuple(
            self._ruling(dimension, revision) for dimension, revision in found.items()
        )
        return fields

    def _ruling(self, dimension: Dimension, revision: Revision) -> Ruling:
        key = (revision.change_id, revision.rev, dimension)
        rulings = self._rulings
        ruling = rulings.get(key)
        if ruling is None:
            if len(rulings) >= _RULINGS_KEPT:
                # The oldest (a hit costs nothing to keep); another thread may drop it first.
                with suppress(KeyError, RuntimeError, StopIteration):
                    del rulings[next(iter(rulings))]
            ruling = rulings[key] = Ruling.model_construct(
                dimension=dimension,
                change_id=revision.change_id,
                kind=revision.kind,
                scope=revision.scope,
                measure=revision.measure,
                effective=revision.effective,
                event_ids=revision.event_ids,
                sources=revision.sources,
            )
        return ruling


def _same_answer(a: Outcome, b: Outcome) -> bool:
    return (a.verdict, a.inspection, a.enforcement) == (b.verdict, b.inspection, b.enforcement)


def _item_result(item: CheckItem, verdict: Verdict, candidates: tuple[Outcome, ...]) -> ItemResult:
    """Inspection and enforcement are given when every candidate agrees on them."""
    rulings = [ruling for candidate in candidates for ruling in candidate.rulings]
    inspections = {candidate.inspection for candidate in candidates}
    enforcements = {candidate.enforcement for candidate in candidates}
    return ItemResult.model_construct(
        item=item,
        verdict=verdict,
        inspection=inspections.pop() if len(inspections) == 1 else None,
        enforcement=enforcements.pop() if len(enforcements) == 1 else None,
        governing=next((r for r in candidates[-1].rulings if r.dimension == "admissibility"), None),
        event_ids=tuple(dict.fromkeys(e for ruling in rulings for e in ruling.event_ids)),
        sources=_sources(rulings),
        candidates=candidates,
    )


def _sources(rulings: list[Ruling]) -> tuple[Source, ...]:
    """Every source of the rulings, once each. The rulings of one change share its tuple of
    sources: each tuple is read once (comparing sources one by one was most of a check that
    cited a change with many)."""
    tuples = list({id(ruling.sources): ruling.sources for ruling in rulings}.values())
    if len(tuples) == 1:
        return _unique(tuples[0])
    return tuple(dict.fromkeys(source for sources in tuples for source in sources))


_UNIQUE: dict[int, tuple[tuple[Source, ...], tuple[Source, ...]]] = {}


def _unique(sources: tuple[Source, ...]) -> tuple[Source, ...]:
    """``sources`` without repeats, worked out once per tuple (by identity: the tuple is kept
    with its entry, so its id is not reused while the entry lives)."""
    kept = _UNIQUE.get(id(sources))
    if kept is not None and kept[0] is sources:
        return kept[1]
    if len(_UNIQUE) >= _RULINGS_KEPT:
        with suppress(KeyError, RuntimeError, StopIteration):  # another thread got there first
            del _UNIQUE[next(iter(_UNIQUE))]
    unique = tuple(dict.fromkeys(sources))
    _UNIQUE[id(sources)] = (sources, unique)
    return unique


@lru_cache(maxsize=4096)
def matching_scopes(
    direction: Direction, channel: Channel, traveller: Traveller, code: str
) -> tuple[ScopeKey, ...]:
    """Scopes that cover ``code``, most specific first (a pure function of the question and the
    fixed goods categories, so one bounded cache serves every ledger)."""
    goods: list[tuple[int, int, str]] = [
        (length, 1, code[:length]) for length in range(2, len(code) + 1)
    ]
    for name, prefixes in categories().items():
        covering = [len(prefix) for prefix in prefixes if code.startswith(prefix)]
        if covering:
            goods.append((max(covering), 0, name))
    goods.sort(reverse=True)
    travellers = [traveller, Traveller.ANY] if traveller is not Traveller.ANY else [Traveller.ANY]
    return tuple((direction, channel, who, value) for _, _, value in goods for who in travellers)


def _resolve(
    rules: OfficeRules,
    scopes: tuple[ScopeKey, ...],
    at: date,
    knowledge: Knowledge,
    *,
    certain: bool,
) -> dict[Dimension, Revision]:
    """Each dimension's ruling from the most specific scope that has one."""
    found: dict[Dimension, Revision] = {}
    for scope in scopes:
        timelines = rules.timelines(scope)
        if not timelines:
            continue
        for dimension, timeline in timelines.items():
            if dimension not in found:
                revision = rules.governing(timeline, at, knowledge, certain)
                if revision is not None:
                    found[dimension] = revision
        if len(found) == len(DIMENSIONS):
            break
    return {dimension: found[dimension] for dimension in DIMENSIONS if dimension in found}


def _admit(rule: Admissibility | None, item: CheckItem, number: int) -> tuple[Verdict, str]:
    if rule is None:
        return Verdict.NO_RULE, "no rule states whether these goods may cross"
    match rule.kind:
        case AdmissibilityKind.PROHIBITED:
            return Verdict.PROHIBITED, "prohibited"
        case AdmissibilityKind.ALLOWED:
            return Verdict.ALLOWED, "allowed"
        case AdmissibilityKind.QUANTITY_LIMIT:
            assert rule.quantity is not None
            if item.quantity > rule.quantity:
                return (
                    Verdict.LIMIT_EXCEEDED,
                    f"{item.quantity} exceeds the limit of {rule.quantity}",
                )
            return Verdict.ALLOWED, f"{item.quantity} within the limit of {rule.quantity}"
        case AdmissibilityKind.VALUE_LIMIT:
            if item.value is None or item.currency != rule.currency:
                raise ValueRequired(number, rule)
            assert rule.amount is not None
            if item.value > rule.amount:
                return Verdict.LIMIT_EXCEEDED, f"{item.value} {item.currency} exceeds {rule}"
            return Verdict.ALLOWED, f"{item.value} {item.currency} within {rule}"
    raise AssertionError(rule.kind)  # pragma: no cover - the match is exhaustive


def _ranked(results: list[CheckResult]) -> tuple[OfficeRanking, ...]:
    """Offices whose every answer is known, least restrictive first, equals sharing a rank
    (1, 1, 3); then those with an uncertain answer, then those with an unknown one, by code:
    an answer the ledger does not know is never ranked as less restrictive than a known one."""
    groups: dict[Standing, list[CheckResult]] = {standing: [] for standing in Standing}
    for result in results:
        groups[Standing.of({item.verdict for item in result.items})].append(result)
    ranked = sorted(groups.pop(Standing.RANKED), key=lambda r: (_restrictiveness(r), r.office))
    rankings, rank, previous = [], 0, None
    for place, result in enumerate(ranked, start=1):
        restrictiveness = _restrictiveness(result)
        if restrictiveness != previous:
            rank, previous = place, restrictiveness
        rankings.append(OfficeRanking(rank=rank, office=result.office, result=result))
    for standing, unranked in groups.items():
        rankings += [
            OfficeRanking(rank=0, office=result.office, result=result, standing=standing)
            for result in sorted(unranked, key=lambda r: r.office)
        ]
    return tuple(rankings)


def _restrictiveness(result: CheckResult) -> tuple[int, int, int]:
    """How restrictive an office is for a check: its most restrictive item decides."""
    return max(
        (
            item.verdict.severity,
            -1 if item.inspection is None else item.inspection.rank,
            -1 if item.enforcement is None else item.enforcement.rank,
        )
        for item in result.items
    )


class ValueRequired(InvalidRequest):
    """A value limit governs the item, and the check did not give its value in that currency."""

    def __init__(self, number: int, rule: Admissibility) -> None:
        super().__init__(
            f"items[{number}]: the rule limits value to {rule.amount} {rule.currency}; "
            f"give the item's value in {rule.currency}"
        )
        self.number = number

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return ((f"items[{self.number - 1}].value", str(self)),)


class Abandoned(Unavailable):
    """The caller stopped waiting (cancelled, or past its deadline): the work was stopped."""

    def __init__(self) -> None:
        super().__init__("the call was cancelled or ran out of time: its work was stopped")
