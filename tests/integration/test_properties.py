"""Property: for random histories, the projection's answer equals folding all events by hand,
and equals the answer after a rebuild (and, on SQLite, after reopening the file).

The oracle below reads the raw events of the office and applies the documented semantics
(DESIGN.md, "Time: two axes" and "Point-in-time check") directly; it uses neither the
projection, nor its revisions, nor the rule index.
"""

from __future__ import annotations

import calendar
import tempfile
import uuid
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from unittest import mock
from uuid import UUID

import pytest
from hypothesis import HealthCheck, given, note, settings
from hypothesis import strategies as st

from ledger.bootstrap import Ledger
from ledger.domain.dates import EffectiveDate
from ledger.domain.errors import (
    AmendmentContradicts,
    ChangeAlreadyRetracted,
    DirectionViolation,
)
from ledger.domain.events import ChangeAmended, ChangeRetracted, OfficeEvent, PolicyChanged
from ledger.domain.values import DIMENSIONS, AdmissibilityKind, Enforcement, Inspection, Measure
from ledger.readmodel.answers import RuleState, StateRequest, Verdict
from ledger.readmodel.follower import ProjectionFollower
from ledger.settings import Settings
from tests.conftest import IN_CI, POSTGRES_URL
from tests.support import DANDONG, amend, check, record, register, retract

OFFICE = DANDONG
DIRECTION = "outbound"
CHANNEL = "personal-baggage"
TRAVELLER = "worker"

# Scope goods the histories use, with the HS prefixes each covers (the categories copied from
# ledger/data/goods_categories.json, so the oracle does not ask the ledger).
GOODS_PREFIXES: dict[str, tuple[str, ...]] = {
    "85": ("85",),
    "8516": ("8516",),
    "851660": ("851660",),
    "electronics": (
        "8471",
        "8509",
        "8516",
        "8517",
        "8518",
        "8519",
        "8521",
        "8525",
        "8527",
        "8528",
    ),
    "all": ("",),
}
CATEGORIES = frozenset({"electronics", "all"})
ITEM_CODES = ("851660", "8516", "85")
PRECISIONS = ("day", "early-month", "mid-month", "late-month", "month", "quarter", "year")
KINDS = ("observed", "tightened", "loosened")

Key = tuple[str, str, str, str]

# --------------------------------------------------------------------------------------------
# Strategies: a history is a list of abstract steps; queries name events by index, so they can
# be drawn before the history exists and resolved against its events afterwards.


@st.composite
def measures(draw: st.DrawFn) -> dict[str, Any]:
    dimensions = draw(st.sets(st.sampled_from(DIMENSIONS), min_size=1))
    measure: dict[str, Any] = {}
    if "admissibility" in dimensions:
        measure["admissibility"] = draw(
            st.one_of(
                st.just({"kind": "prohibited"}),
                st.just({"kind": "allowed"}),
                st.integers(0, 3).map(lambda n: {"kind": "quantity-limit", "quantity": n}),
            )
        )
    if "inspection" in dimensions:
        measure["inspection"] = draw(st.sampled_from(list(Inspection))).value
    if "enforcement" in dimensions:
        measure["enforcement"] = draw(st.sampled_from(list(Enforcement))).value
    return measure


@st.composite
def effectives(draw: st.DrawFn) -> dict[str, str]:
    """An effective date in 2025 whose ``on`` lies in the window of its precision."""
    precision = draw(st.sampled_from(PRECISIONS))
    month = draw(st.integers(1, 12))
    last = calendar.monthrange(2025, month)[1]
    low, high = {"early-month": (1, 10), "mid-month": (11, 20), "late-month": (21, last)}.get(
        precision, (1, last)
    )
    day = draw(st.integers(low, high))
    return {"on": date(2025, month, day).isoformat(), "precision": precision}


published_dates = st.dates(date(2024, 12, 1), date(2025, 12, 31)).map(date.isoformat)
scopes = st.builds(
    lambda traveller, goods: {
        "direction": DIRECTION,
        "channel": CHANNEL,
        "traveller": traveller,
        "goods": goods,
    },
    st.sampled_from(("worker", "any")),
    st.sampled_from(tuple(GOODS_PREFIXES)),
)
record_steps = st.tuples(
    st.just("record"), st.sampled_from(KINDS), scopes, measures(), effectives(), published_dates
)
amend_steps = st.sampled_from(("effective", "measure", "both", "clear")).flatmap(
    lambda what: st.tuples(
        st.just("amend"),
        st.integers(0, 24),
        st.none() if what in ("measure", "clear") else effectives(),
        st.none() if what in ("effective", "clear") else measures(),
        published_dates,
        # Dimensions cleared: mostly none, sometimes one or two.
        st.lists(st.sampled_from(DIMENSIONS), max_size=2, unique=True)
        if what in ("clear", "both")
        else st.just([]),
    )
)
retract_steps = st.tuples(st.just("retract"), st.integers(0, 24), published_dates)
# Mostly new changes, some amendments, a few retractions.
steps = st.sampled_from((record_steps,) * 6 + (amend_steps,) * 3 + (retract_steps,)).flatmap(
    lambda strategy: strategy
)
# 1 to 25 steps, the length drawn evenly (plain st.lists would favour short histories).
histories = st.integers(1, 25).flatmap(lambda n: st.lists(steps, min_size=n, max_size=n))

valid_times = st.one_of(
    st.tuples(st.just("date"), st.dates(date(2024, 12, 1), date(2026, 1, 31))),
    # A window boundary of some effective date in the history: start/end, the day before/after.
    st.tuples(
        st.just("edge"),
        st.integers(0, 60),
        st.sampled_from(("start", "end")),
        st.sampled_from((-1, 0, 1)),
    ),
)
knowledge_times = st.one_of(
    st.tuples(st.just("now"), st.sampled_from(("recorded", "reported"))),
    # At an event's recorded timestamp, or the microsecond before it: any event, or an
    # amendment or retraction (where a form of a change stops being the known one).
    st.tuples(st.sampled_from(("recorded", "corrected")), st.integers(0, 60), st.booleans()),
    st.tuples(st.just("reported"), st.dates(date(2024, 11, 1), date(2026, 1, 31))),
    # At an event's reported date, or the day before it.
    st.tuples(st.just("reported-edge"), st.integers(0, 60), st.booleans()),
    # As recorded up to an event's log position, or the position before it.
    st.tuples(st.just("position"), st.integers(0, 60), st.booleans()),
)
query_lists = st.lists(
    st.tuples(valid_times, knowledge_times, st.integers(0, 4)), min_size=3, max_size=10
)

# --------------------------------------------------------------------------------------------
# Building the history through the ledger's commands.


def _stored(ledger: Ledger) -> int:
    return ledger.app.recorder.max_notification_id() or 0


def build_history(ledger: Ledger, steps: list[tuple[Any, ...]]) -> None:
    register(ledger)
    changes: list[tuple[UUID, str]] = []  # (change id, kind), in the order recorded
    retracted: set[UUID] = set()
    for step in steps:
        stored = _stored(ledger)
        action = step[0]
        if action == "record":
            _, kind, scope, measure, effective, published = step
            try:
                receipt = record(
                    ledger,
                    kind,
                    measure,
                    effective["on"],
                    effective["precision"],
                    scope=scope,
                    published=published,
                )
            except DirectionViolation:
                assert kind != "observed", "an observation has no direction to violate"
                assert _stored(ledger) == stored, "a refused change stored something"
                continue
            changes.append((receipt.change_id, kind))
        elif not changes:
            continue  # nothing to amend or retract yet
        elif action == "amend":
            _, target, effective, measure, published, clear = step
            change_id, kind = changes[target % len(changes)]
            fields: dict[str, Any] = {}
            if effective is not None:
                fields["effective"] = effective
            if measure is not None:
                fields["measure"] = measure
            if measure is not None:  # a dimension restated is not also cleared
                clear = [d for d in clear if measure.get(d) is None]
            if clear:
                fields["clear"] = tuple(clear)
            if not fields:
                continue
            if change_id in retracted:
                with pytest.raises(ChangeAlreadyRetracted):
                    amend(ledger, change_id, published=published, **fields)
                assert _stored(ledger) == stored
                continue
            try:
                amend(ledger, change_id, published=published, **fields)
            except DirectionViolation:
                assert kind != "observed", "an observation has no direction to violate"
                assert _stored(ledger) == stored, "a refused amendment stored something"
                continue
            except AmendmentContradicts:  # it would have cleared every dimension
                assert clear, "only clearing can leave a change stating nothing"
                assert _stored(ledger) == stored, "a refused amendment stored something"
                continue
        else:
            _, target, published = step
            change_id, _kind = changes[target % len(changes)]
            if change_id in retracted:
                with pytest.raises(ChangeAlreadyRetracted):
                    retract(ledger, change_id, published=published)
                assert _stored(ledger) == stored
                continue
            retract(ledger, change_id, published=published)
            retracted.add(change_id)
        assert _stored(ledger) == stored + 1


# --------------------------------------------------------------------------------------------
# The oracle: fold the raw events by hand.


@dataclass(frozen=True)
class Form:
    """The form of a change visible at some knowledge time."""

    change_id: UUID
    seq: int
    scope: Key
    measure: Measure
    effective: EffectiveDate
    event_ids: tuple[UUID, ...]

    @property
    def start(self) -> date:
        return self.effective.window[0]

    @property
    def end(self) -> date:
        return self.effective.window[1]


@dataclass(frozen=True)
class Knowing:
    """Knowledge time: a basis and an instant (datetime for RECORDED, date for REPORTED),
    or ``at=None`` for everything known now."""

    basis: str
    at: datetime | date | None
    # As recorded up to a log position: the position, and every event's.
    position: int | None = None
    positions: tuple[tuple[UUID, int], ...] = ()

    def knows(self, event: OfficeEvent) -> bool:
        if self.position is not None:
            return dict(self.positions)[event.event_id] <= self.position
        if self.at is None:
            return True
        if self.basis == "recorded":
            assert isinstance(self.at, datetime)
            return event.timestamp <= self.at
        assert not isinstance(self.at, datetime)
        return min(source.published for source in getattr(event, "sources", ())) <= self.at


def _key(scope: Any) -> Key:
    return (str(scope.direction), str(scope.channel), str(scope.traveller), scope.goods)


def visible_forms(events: list[OfficeEvent], knowing: Knowing) -> list[Form]:
    originals: dict[UUID, PolicyChanged] = {}
    amendments: dict[UUID, list[ChangeAmended]] = defaultdict(list)
    retracted: set[UUID] = set()
    for event in events:  # in the order recorded
        if isinstance(event, PolicyChanged):
            originals[event.event_id] = event
        elif isinstance(event, ChangeAmended):
            amendments[event.change_id].append(event)
        elif isinstance(event, ChangeRetracted) and knowing.knows(event):
            retracted.add(event.change_id)
    forms = []
    for change_id, original in originals.items():
        if not knowing.knows(original) or change_id in retracted:
            continue
        corrections = amendments[change_id]
        last = max((i for i, a in enumerate(corrections) if knowing.knows(a)), default=-1)
        effective, measure, event_ids = original.effective, original.measure, [original.event_id]
        for correction in corrections[: last + 1]:
            if correction.effective is not None:
                effective = correction.effective
            # Each dimension an amendment restates replaces the change's; those it clears go;
            # the others stay.
            stated = {d: getattr(measure, d) for d in DIMENSIONS if getattr(measure, d) is not None}
            if correction.measure is not None:
                stated |= {
                    d: getattr(correction.measure, d)
                    for d in DIMENSIONS
                    if getattr(correction.measure, d) is not None
                }
            for dimension in correction.clear:
                stated.pop(dimension, None)
            measure = Measure(**stated)
            event_ids.append(correction.event_id)
        forms.append(
            Form(
                change_id=change_id,
                seq=original.originator_version,
                scope=_key(original.scope),
                measure=measure,
                effective=effective,
                event_ids=tuple(event_ids),
            )
        )
    return forms


def governing(
    forms: list[Form], key: Key, dimension: str, at: date, *, before: bool
) -> Form | None:
    """AFTER: changes whose window starts on or before ``at`` are in force; BEFORE: only those
    whose window has ended by ``at``. The greatest (start, order recorded) wins."""
    candidates = [
        form
        for form in forms
        if form.scope == key
        and getattr(form.measure, dimension) is not None
        and (form.end <= at if before else form.start <= at)
    ]
    return max(candidates, key=lambda form: (form.start, form.seq), default=None)


Found = dict[str, Form]


def scope_state(forms: list[Form], key: Key, at: date, *, before: bool) -> Found:
    found = {}
    for dimension in DIMENSIONS:
        form = governing(forms, key, dimension, at, before=before)
        if form is not None:
            found[dimension] = form
    return found


def _ids(found: Found) -> dict[str, UUID]:
    return {dimension: form.change_id for dimension, form in found.items()}


def expected_states(forms: list[Form], at: date) -> dict[Key, tuple[bool, tuple[Found, ...]]]:
    expected = {}
    for key in {form.scope for form in forms}:
        after = scope_state(forms, key, at, before=False)
        if not after:
            continue
        before = scope_state(forms, key, at, before=True)
        uncertain = _ids(before) != _ids(after)
        expected[key] = (uncertain, (before, after) if uncertain else (after,))
    return expected


def candidate_scopes(code: str) -> list[Key]:
    """Scopes covering ``code``, most specific first: longest prefix, an HS code before a
    category of the same length, then the named traveller before ``any``."""
    ranked = []
    for goods, prefixes in GOODS_PREFIXES.items():
        lengths = [len(prefix) for prefix in prefixes if code.startswith(prefix)]
        if lengths:
            ranked.append((-max(lengths), goods in CATEGORIES, goods))
    ranked.sort()
    return [
        (DIRECTION, CHANNEL, who, goods) for _, _, goods in ranked for who in (TRAVELLER, "any")
    ]


def resolve(forms: list[Form], code: str, at: date, *, before: bool) -> Found:
    found = {}
    for dimension in DIMENSIONS:
        for key in candidate_scopes(code):
            form = governing(forms, key, dimension, at, before=before)
            if form is not None:
                found[dimension] = form
                break
    return found


def verdict_of(found: Found, quantity: int) -> Verdict:
    if "admissibility" not in found:
        return Verdict.NO_RULE
    rule = found["admissibility"].measure.admissibility
    assert rule is not None
    if rule.kind is AdmissibilityKind.PROHIBITED:
        return Verdict.PROHIBITED
    if rule.kind is AdmissibilityKind.ALLOWED:
        return Verdict.ALLOWED
    assert rule.kind is AdmissibilityKind.QUANTITY_LIMIT
    assert rule.quantity is not None
    return Verdict.LIMIT_EXCEEDED if quantity > rule.quantity else Verdict.ALLOWED


def _value(found: Found, dimension: str) -> Any:
    return getattr(found[dimension].measure, dimension) if dimension in found else None


# --------------------------------------------------------------------------------------------
# Comparing the ledger's answers with the oracle's.


def assert_rule_state(actual: RuleState, expected: Found, where: str) -> None:
    for dimension in DIMENSIONS:
        assert getattr(actual, dimension) == _value(expected, dimension), f"{where}: {dimension}"
    rulings = {ruling.dimension: ruling for ruling in actual.rulings}
    assert len(rulings) == len(actual.rulings), f"{where}: a dimension ruled twice"
    assert rulings.keys() == expected.keys(), f"{where}: dimensions ruled"
    for dimension, ruling in rulings.items():
        form = expected[dimension]
        assert (ruling.change_id, ruling.measure, ruling.effective, ruling.event_ids) == (
            form.change_id,
            form.measure,
            form.effective,
            form.event_ids,
        ), f"{where}: governing {dimension}"
        assert _key(ruling.scope) == form.scope, f"{where}: scope of the {dimension} ruling"


def assert_state(ledger: Ledger, forms: list[Form], at: date, knowing: Knowing) -> Any:
    result = ledger.reader.state(
        StateRequest(
            office=OFFICE,
            at=at,
            known_at=knowing.at,
            basis=knowing.basis,
            known_at_position=knowing.position,
        )
    )
    expected = expected_states(forms, at)
    actual = {_key(scope_state.scope): scope_state for scope_state in result.scopes}
    assert len(actual) == len(result.scopes), "a scope listed twice"
    assert actual.keys() == expected.keys(), "scopes with a state"
    for key, (uncertain, states) in expected.items():
        where = f"state of {'/'.join(key)} at {at}"
        assert actual[key].uncertain == uncertain, f"{where}: uncertain"
        assert len(actual[key].states) == len(states), f"{where}: number of states"
        for actual_state, expected_state in zip(actual[key].states, states, strict=True):
            assert_rule_state(actual_state, expected_state, where)
    return result


def assert_check(
    ledger: Ledger, forms: list[Form], at: date, knowing: Knowing, code: str, quantity: int
) -> Any:
    result = check(
        ledger,
        at.isoformat(),
        code,
        quantity,
        known_at=knowing.at,
        basis=knowing.basis,
        known_at_position=knowing.position,
    )
    before = resolve(forms, code, at, before=True)
    after = resolve(forms, code, at, before=False)
    outcomes = [
        (verdict_of(found, quantity), _value(found, "inspection"), _value(found, "enforcement"))
        for found in (before, after)
    ]
    where = f"check of {quantity} x {code} at {at}"
    if outcomes[0] == outcomes[1]:
        verdict, candidates = outcomes[0][0], [(before, outcomes[0])]
    else:
        verdict, candidates = Verdict.UNCERTAIN, [(before, outcomes[0]), (after, outcomes[1])]
    assert result.verdict == verdict, f"{where}: verdict"
    assert len(result.candidates) == len(candidates), f"{where}: number of candidates"
    for candidate, (found, outcome) in zip(result.candidates, candidates, strict=True):
        assert candidate.verdict == outcome[0], f"{where}: candidate verdict"
        assert_rule_state(candidate, found, where)
    inspections = {outcome[1] for _, outcome in candidates}
    enforcements = {outcome[2] for _, outcome in candidates}
    assert result.inspection == (inspections.pop() if len(inspections) == 1 else None)
    assert result.enforcement == (enforcements.pop() if len(enforcements) == 1 else None)
    return result


def resolve_queries(
    events: list[OfficeEvent], queries: list[tuple[Any, Any, int]], positions: list[int]
) -> list[tuple[date, Knowing, int]]:
    windows: list[tuple[date, date]] = []
    for event in events:
        if isinstance(event, PolicyChanged | ChangeAmended) and event.effective is not None:
            windows.append(event.effective.window)
    reported = sorted(
        {min(s.published for s in e.sources) for e in events if hasattr(e, "sources")}
    )
    corrections = [e for e in events if isinstance(e, ChangeAmended | ChangeRetracted)]
    resolved = []
    for valid, known, quantity in queries:
        if valid[0] == "date" or not windows:
            at = valid[1] if valid[0] == "date" else date(2025, 3, 1)
        else:
            _, index, which, offset = valid
            start, end = windows[index % len(windows)]
            at = (start if which == "start" else end) + timedelta(days=offset)
        if known[0] == "now":
            knowing = Knowing(known[1], None)
        elif known[0] in ("recorded", "corrected"):
            _, index, just_before = known
            chosen = corrections if known[0] == "corrected" and corrections else events
            moment = chosen[index % len(chosen)].timestamp
            knowing = Knowing("recorded", moment - timedelta(microseconds=just_before))
        elif known[0] == "position":
            _, index, just_before = known
            upto = positions[index % len(positions)] - just_before
            ids = tuple(zip((e.event_id for e in events), positions, strict=True))
            knowing = Knowing("recorded", None, upto, ids)
        elif known[0] == "reported" or not reported:
            day = known[1] if known[0] == "reported" else date(2025, 3, 1)
            knowing = Knowing("reported", day)
        else:
            _, index, day_before = known
            knowing = Knowing("reported", reported[index % len(reported)] - timedelta(day_before))
        resolved.append((at, knowing, quantity))
    return resolved


def answers(ledger: Ledger, queries: list[tuple[Any, Any, int]]) -> list[dict[str, Any]]:
    """Every query asked of the ledger and checked against the oracle; the answers dumped."""
    events = ledger.app.office_events(OFFICE)
    positions = ledger.app.store.positions_of(events[0].originator_id)
    dumped = []
    for at, knowing, quantity in resolve_queries(events, queries, positions):
        note(
            f"query: at={at} known_at={knowing.at!r} basis={knowing.basis} "
            f"position={knowing.position} qty={quantity}"
        )
        forms = visible_forms(events, knowing)
        dumped.append(assert_state(ledger, forms, at, knowing).model_dump())
        for code in ITEM_CODES:
            dumped.append(assert_check(ledger, forms, at, knowing, code, quantity).model_dump())
    return dumped


def revisions(ledger: Ledger) -> list[Any]:
    return sorted(
        ledger.view.revisions_of_office(OFFICE),
        key=lambda revision: (revision.change_id, revision.rev),
    )


def check_and_rebuild(ledger: Ledger, queries: list[tuple[Any, Any, int]]) -> list[Any]:
    first = answers(ledger, queries)
    projected = revisions(ledger)
    assert ledger.rebuild() == _stored(ledger)
    assert revisions(ledger) == projected, "revisions differ after a rebuild"
    assert answers(ledger, queries) == first, "answers differ after a rebuild"
    return first


# --------------------------------------------------------------------------------------------
# The properties.


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=histories, queries=query_lists)
def test_projection_equals_fold_and_rebuild_in_memory(
    steps: list[tuple[Any, ...]], queries: list[tuple[Any, Any, int]]
) -> None:
    with Ledger(Settings(database_url="memory://")) as ledger:
        build_history(ledger, steps)
        check_and_rebuild(ledger, queries)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=histories, queries=query_lists)
def test_projection_equals_fold_rebuild_and_reopen_on_sqlite(
    steps: list[tuple[Any, ...]], queries: list[tuple[Any, Any, int]]
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        reopen_property(f"sqlite:///{Path(folder) / 'ledger.sqlite'}", steps, queries)


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(steps=histories, queries=query_lists)
def test_projection_equals_fold_rebuild_and_reopen_on_postgres(
    steps: list[tuple[Any, ...]], queries: list[tuple[Any, Any, int]]
) -> None:
    import psycopg

    require_postgres()
    schema = f"property_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
    try:
        reopen_property(f"{POSTGRES_URL}?schema={schema}", steps, queries)
    finally:
        with psycopg.connect(POSTGRES_URL, autocommit=True) as connection:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def require_postgres() -> None:
    if not POSTGRES_URL:
        if IN_CI:
            pytest.fail("LEDGER_TEST_POSTGRES_URL is not set: PostgreSQL tests must run in CI")
        pytest.skip("PostgreSQL tests need LEDGER_TEST_POSTGRES_URL (see .ci/run)")


def reopen_property(
    url: str, steps: list[tuple[Any, ...]], queries: list[tuple[Any, Any, int]]
) -> None:
    """The property on a durable database, then again after reopening it without a replay."""
    settings_ = Settings(database_url=url)
    with Ledger(settings_) as ledger:
        build_history(ledger, steps)
        first = check_and_rebuild(ledger, queries)
        projected = revisions(ledger)
        position = _stored(ledger)

    replayed: list[int] = []
    catch_up = ProjectionFollower.catch_up

    def counting_catch_up(self: ProjectionFollower) -> int:
        count = catch_up(self)
        replayed.append(count)
        return count

    with mock.patch.object(ProjectionFollower, "catch_up", counting_catch_up):
        reopened = Ledger(settings_)
    with reopened:
        assert replayed == [0], "events were replayed on restart"
        assert reopened.follower.position == position
        assert reopened.follower.catch_up() == 0
        assert revisions(reopened) == projected
        assert answers(reopened, queries) == first
