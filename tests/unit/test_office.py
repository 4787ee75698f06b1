"""The ``Office`` aggregate on its own: its events, the direction invariant, amendments."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from uuid import UUID, uuid4

import pytest
from pydantic import ValidationError

from ledger.application.commands import RecordChange
from ledger.domain.chain import canonical_json
from ledger.domain.dates import EffectiveDate
from ledger.domain.errors import (
    ChangeAlreadyRetracted,
    ChangeNotFound,
    DirectionViolation,
    NothingToAmend,
)
from ledger.domain.events import (
    ChangeAmended,
    ChangeRetracted,
    OfficeRegistered,
    PolicyChanged,
    PolicyLoosened,
    PolicyObserved,
    PolicyTightened,
)
from ledger.domain.office import Office, office_id
from ledger.domain.values import ChangeKind, Measure, Scope, Source
from tests.support import ALLOWED, DANDONG, PROHIBITED, WORKER_BAGGAGE, limit, source

OBSERVED, TIGHTENED, LOOSENED = ChangeKind.OBSERVED, ChangeKind.TIGHTENED, ChangeKind.LOOSENED
SOURCES = (Source.model_validate(source()),)

# For each dimension: a prior value, one stricter and one looser than it.
DIMENSIONS = pytest.mark.parametrize(
    ("prior", "stricter", "looser"),
    [
        (limit(2), PROHIBITED, ALLOWED),
        ({"inspection": "standard"}, {"inspection": "rigorous"}, {"inspection": "light"}),
        ({"enforcement": "fine"}, {"enforcement": "detention"}, {"enforcement": "refusal"}),
    ],
    ids=["admissibility", "inspection", "enforcement"],
)


def usd(amount: str, currency: str = "USD") -> dict[str, Any]:
    return {"admissibility": {"kind": "value-limit", "amount": amount, "currency": currency}}


def effective(on: str, precision: str = "day") -> EffectiveDate:
    return EffectiveDate.model_validate({"on": on, "precision": precision})


def new_office() -> Office:
    return Office.register(DANDONG, "Dandong customs", event_id=uuid4())


def record(
    office: Office,
    kind: ChangeKind,
    measure: dict[str, Any],
    on: str,
    precision: str = "day",
    **scope: str,
) -> UUID:
    """Record a change in the worker-baggage scope (or another) and return its id."""
    change_id = uuid4()
    verbs = {OBSERVED: office.observe, TIGHTENED: office.tighten, LOOSENED: office.loosen}
    verbs[kind](
        Scope.model_validate({**WORKER_BAGGAGE, **scope}),
        Measure.model_validate(measure),
        effective(on, precision),
        SOURCES,
        event_id=change_id,
    )
    return change_id


def amend_it(office: Office, change_id: UUID, sources: tuple[Source, ...]) -> None:
    office.amend(
        change_id, "typo", sources, measure=Measure.model_validate(limit(1)), event_id=uuid4()
    )


def retract_it(office: Office, change_id: UUID, sources: tuple[Source, ...]) -> None:
    office.retract(change_id, "hoax", sources, event_id=uuid4())


AMEND_OR_RETRACT = pytest.mark.parametrize("act", [amend_it, retract_it], ids=["amend", "retract"])


def names_prior(office: Office, change_id: UUID) -> str:
    """The part of a DirectionViolation's message that names the prior change."""
    prior = office.changes[change_id]
    return re.escape(f"the prior measure ({prior.measure}, change {change_id}")


class TestEvents:
    def test_registering_triggers_office_registered_with_the_given_event_id(self) -> None:
        event_id = uuid4()
        office = Office.register(DANDONG, "Dandong customs", event_id=event_id)
        [registered] = office.collect_events()
        assert isinstance(registered, OfficeRegistered)
        assert (registered.event_id, registered.code) == (event_id, DANDONG)
        assert office.id == registered.originator_id == office_id(DANDONG)

    @pytest.mark.parametrize(
        ("kind", "event_class"),
        [(OBSERVED, PolicyObserved), (TIGHTENED, PolicyTightened), (LOOSENED, PolicyLoosened)],
    )
    def test_each_kind_of_change_triggers_its_event_with_the_given_event_id(
        self, kind: ChangeKind, event_class: type[PolicyChanged]
    ) -> None:
        office = new_office()
        change_id = record(office, kind, limit(2), "2025-03-05")
        event = office.collect_events()[-1]
        assert type(event) is event_class
        assert (event.event_id, event.change_id, event.kind) == (change_id, change_id, kind)
        assert office.changes[change_id].kind is kind

    def test_amend_and_retract_trigger_their_events_with_the_given_event_ids(self) -> None:
        office = new_office()
        change_id = record(office, TIGHTENED, limit(2), "2025-03-05")
        amended_by, retracted_by = uuid4(), uuid4()
        office.amend(
            change_id,
            "was March 3",
            SOURCES,
            effective=effective("2025-03-03"),
            event_id=amended_by,
        )
        office.retract(change_id, "hoax", SOURCES, event_id=retracted_by)
        amended, retracted = office.collect_events()[-2:]
        assert isinstance(amended, ChangeAmended)
        assert (amended.event_id, amended.change_id, amended.measure) == (
            amended_by,
            change_id,
            None,
        )
        assert isinstance(retracted, ChangeRetracted)
        assert (retracted.event_id, retracted.change_id) == (retracted_by, change_id)

    def test_the_cached_bytes_and_hash_change_nothing_a_caller_can_see(self) -> None:
        office = new_office()
        record(office, OBSERVED, limit(2), "2025-03-05")
        event = office.collect_events()[-1]
        fresh = type(event).model_validate_json(event.stored_json())  # nothing cached yet
        assert fresh.hash == event.hash  # computed once, then kept
        assert fresh == event
        assert fresh.model_dump() == event.model_dump()
        assert set(json.loads(event.model_dump_json())) == set(type(event).model_fields)
        assert event.stored_json() == canonical_json(event.model_dump(mode="json"))
        # A copy with other fields has its own bytes and hash, never the original's.
        copy = event.model_copy(update={"prev_hash": "f" * 64})
        assert copy.hash != event.hash
        assert copy.stored_json() == canonical_json(copy.model_dump(mode="json"))

    def test_the_timestamp_is_set_by_the_ledger_not_by_the_caller(self) -> None:
        office = new_office()
        before = datetime.now(UTC)
        record(office, OBSERVED, limit(2), "2025-03-05")
        after = datetime.now(UTC)
        assert before <= office.collect_events()[-1].timestamp <= after
        with pytest.raises(TypeError, match="timestamp"):
            office.observe(  # type: ignore[call-arg]
                Scope.model_validate(WORKER_BAGGAGE),
                Measure.model_validate(limit(2)),
                effective("2025-03-05"),
                SOURCES,
                event_id=uuid4(),
                timestamp=datetime(2000, 1, 1, tzinfo=UTC),
            )

    def test_a_change_without_sources_is_refused_by_the_aggregate_and_the_command(self) -> None:
        office = new_office()
        with pytest.raises(ValidationError, match=r"(?m)^sources$"):
            office.observe(
                Scope.model_validate(WORKER_BAGGAGE),
                Measure.model_validate(limit(2)),
                effective("2025-03-05"),
                (),
                event_id=uuid4(),
            )
        assert office.changes == {}
        with pytest.raises(ValidationError, match=r"(?m)^sources$"):
            RecordChange.model_validate(
                {
                    "request_id": "r-1",
                    "office": DANDONG,
                    "kind": "observed",
                    "scope": WORKER_BAGGAGE,
                    "measure": limit(2),
                    "effective": {"on": "2025-03-05"},
                    "sources": (),
                }
            )


class TestDirection:
    @DIMENSIONS
    def test_a_tightening_that_loosens_is_refused_naming_the_prior(
        self, prior: dict[str, Any], stricter: dict[str, Any], looser: dict[str, Any]
    ) -> None:
        office = new_office()
        prior_id = record(office, OBSERVED, prior, "2025-01-01", "year")
        [dimension] = prior
        with pytest.raises(DirectionViolation, match=names_prior(office, prior_id)) as refused:
            record(office, TIGHTENED, looser, "2025-03-01", "early-month")
        assert re.search(
            f"a tightening cannot set {dimension} .* is looser than", str(refused.value)
        )
        assert list(office.changes) == [prior_id]

    @DIMENSIONS
    def test_a_loosening_that_tightens_is_refused_naming_the_prior(
        self, prior: dict[str, Any], stricter: dict[str, Any], looser: dict[str, Any]
    ) -> None:
        office = new_office()
        prior_id = record(office, TIGHTENED, prior, "2025-01-01", "year")
        [dimension] = prior
        with pytest.raises(DirectionViolation, match=names_prior(office, prior_id)) as refused:
            record(office, LOOSENED, stricter, "2025-03-01", "early-month")
        assert re.search(
            f"a loosening cannot set {dimension} .* is stricter than", str(refused.value)
        )
        assert list(office.changes) == [prior_id]

    @DIMENSIONS
    def test_an_equal_or_rightly_directed_value_is_accepted(
        self, prior: dict[str, Any], stricter: dict[str, Any], looser: dict[str, Any]
    ) -> None:
        office = new_office()
        record(office, OBSERVED, prior, "2025-01-01", "year")
        record(office, TIGHTENED, prior, "2025-02-01", "month")
        record(office, TIGHTENED, stricter, "2025-03-01", "month")
        record(office, LOOSENED, stricter, "2025-04-01", "month")
        record(office, LOOSENED, looser, "2025-05-01", "month")
        assert len(office.changes) == 5

    def test_an_observation_is_never_refused(self) -> None:
        office = new_office()
        record(office, TIGHTENED, {**PROHIBITED, "inspection": "rigorous"}, "2025-01-01")
        record(office, OBSERVED, {**ALLOWED, "inspection": "none"}, "2025-02-01")
        record(office, OBSERVED, {**PROHIBITED, "inspection": "rigorous"}, "2025-03-01")
        assert [change.kind for change in office.changes.values()] == [
            TIGHTENED,
            OBSERVED,
            OBSERVED,
        ]

    def test_a_tightening_with_no_prior_in_its_scope_is_accepted(self) -> None:
        office = new_office()
        change_id = record(office, TIGHTENED, {**ALLOWED, "inspection": "none"}, "2025-03-01")
        assert office.changes[change_id].kind is TIGHTENED

    @pytest.mark.parametrize(
        "other_scope",
        [
            {"goods": "cash"},
            {"goods": "8516"},
            {"traveller": "any"},
            {"direction": "inbound"},
            {"channel": "cargo-rail"},
        ],
        ids=lambda scope: "-".join(scope.values()),
    )
    def test_a_prior_in_a_different_scope_does_not_constrain(
        self, other_scope: dict[str, str]
    ) -> None:
        office = new_office()
        record(office, TIGHTENED, PROHIBITED, "2025-01-01", **other_scope)
        change_id = record(office, TIGHTENED, ALLOWED, "2025-03-01")
        assert office.changes[change_id].measure == Measure.model_validate(ALLOWED)

    def test_a_back_dated_tightening_compares_with_the_state_before_its_own_start(self) -> None:
        office = new_office()
        baseline = record(office, OBSERVED, limit(2), "2024-01-01", "year")
        record(office, TIGHTENED, PROHIBITED, "2025-03-01", "early-month")
        with pytest.raises(DirectionViolation, match=names_prior(office, baseline)):
            record(office, TIGHTENED, limit(3), "2024-06-01", "month")
        back_dated = record(office, TIGHTENED, limit(1), "2024-06-01", "month")
        assert office.changes[back_dated].kind is TIGHTENED

    def test_a_prior_whose_window_starts_the_same_day_constrains_when_recorded_first(
        self,
    ) -> None:
        office = new_office()
        prior_id = record(office, TIGHTENED, limit(1), "2025-03-05", "early-month")
        with pytest.raises(DirectionViolation, match=names_prior(office, prior_id)):
            record(office, TIGHTENED, limit(2), "2025-03-01")

    def test_only_the_latest_prior_to_state_the_dimension_constrains(self) -> None:
        office = new_office()
        record(office, OBSERVED, {"inspection": "light"}, "2024-01-01")
        rigorous = record(office, TIGHTENED, {"inspection": "rigorous"}, "2025-01-01")
        record(office, LOOSENED, limit(2), "2025-02-01")
        with pytest.raises(DirectionViolation, match=names_prior(office, rigorous)):
            record(office, TIGHTENED, {"inspection": "thorough"}, "2025-03-01")

    def test_a_retracted_prior_does_not_constrain(self) -> None:
        office = new_office()
        allowed = record(office, OBSERVED, ALLOWED, "2024-01-01")
        prohibition = record(office, TIGHTENED, PROHIBITED, "2025-01-01")
        office.retract(prohibition, "hoax", SOURCES, event_id=uuid4())
        record(office, TIGHTENED, limit(2), "2025-03-01")
        with pytest.raises(DirectionViolation, match=names_prior(office, allowed)):
            record(office, LOOSENED, PROHIBITED, "2025-02-01")

    def test_a_mixed_change_is_refused_naming_the_dimension_it_gets_wrong(self) -> None:
        office = new_office()
        record(office, OBSERVED, {**limit(2), "inspection": "standard"}, "2025-01-01")
        with pytest.raises(DirectionViolation, match="cannot set inspection to light") as refused:
            record(office, TIGHTENED, {**PROHIBITED, "inspection": "light"}, "2025-03-01")
        assert refused.value.dimension == "inspection"

    @pytest.mark.parametrize("kind", [TIGHTENED, LOOSENED])
    def test_value_limits_in_different_currencies_are_refused_as_unordered(
        self, kind: ChangeKind
    ) -> None:
        office = new_office()
        prior_id = record(office, OBSERVED, usd("100"), "2025-01-01")
        with pytest.raises(
            DirectionViolation,
            match=re.escape("at most 700 CNY: it cannot be ordered against the prior measure"),
        ):
            record(office, kind, usd("700", "CNY"), "2025-03-01")
        assert list(office.changes) == [prior_id]


class TestAmend:
    def test_amending_an_unknown_change_is_refused_naming_it(self) -> None:
        office = new_office()
        unknown = uuid4()
        with pytest.raises(ChangeNotFound, match=f"office {DANDONG} has no change {unknown}"):
            office.amend(
                unknown, "typo", SOURCES, measure=Measure.model_validate(ALLOWED), event_id=uuid4()
            )

    def test_an_amendment_that_changes_nothing_is_refused(self) -> None:
        office = new_office()
        change_id = record(office, TIGHTENED, limit(2), "2025-03-05")
        with pytest.raises(
            NothingToAmend, match=f"amendment of change {change_id} must correct its effective date"
        ):
            office.amend(change_id, "typo", SOURCES, event_id=uuid4())

    def test_an_amended_measure_replaces_the_measure_and_keeps_the_date(self) -> None:
        office = new_office()
        change_id = record(office, TIGHTENED, limit(2), "2025-03-05", "early-month")
        office.amend(
            change_id, "typo", SOURCES, measure=Measure.model_validate(limit(1)), event_id=uuid4()
        )
        change = office.changes[change_id]
        assert change.measure == Measure.model_validate(limit(1))
        assert change.effective == effective("2025-03-05", "early-month")

    def test_amending_a_tightening_into_a_looser_measure_than_its_prior_is_refused(self) -> None:
        office = new_office()
        prior_id = record(office, OBSERVED, limit(2), "2025-01-01")
        change_id = record(office, TIGHTENED, PROHIBITED, "2025-03-01")
        with pytest.raises(DirectionViolation, match=names_prior(office, prior_id)):
            office.amend(
                change_id,
                "typo",
                SOURCES,
                measure=Measure.model_validate(ALLOWED),
                event_id=uuid4(),
            )
        assert office.changes[change_id].measure == Measure.model_validate(PROHIBITED)

    def test_moving_a_tightening_after_a_stricter_change_is_refused(self) -> None:
        office = new_office()
        record(office, OBSERVED, ALLOWED, "2025-01-01")
        prohibition = record(office, TIGHTENED, PROHIBITED, "2025-05-01")
        change_id = record(office, TIGHTENED, limit(3), "2025-03-01")
        with pytest.raises(DirectionViolation, match=names_prior(office, prohibition)):
            office.amend(
                change_id, "was June", SOURCES, effective=effective("2025-06-01"), event_id=uuid4()
            )

    def test_an_amendment_is_not_compared_with_the_change_it_amends(self) -> None:
        office = new_office()
        change_id = record(office, TIGHTENED, PROHIBITED, "2025-03-01")
        office.amend(
            change_id,
            "was a limit, and in May",
            SOURCES,
            effective=effective("2025-05-01"),
            measure=Measure.model_validate(limit(2)),
            event_id=uuid4(),
        )
        assert office.changes[change_id].effective == effective("2025-05-01")

    @AMEND_OR_RETRACT
    def test_a_retracted_change_can_be_neither_amended_nor_retracted(self, act: Any) -> None:
        office = new_office()
        change_id = record(office, TIGHTENED, limit(2), "2025-03-05")
        retract_it(office, change_id, SOURCES)
        version = office.version
        with pytest.raises(
            ChangeAlreadyRetracted, match=f"change {change_id} of office {DANDONG} is retracted"
        ):
            act(office, change_id, SOURCES)
        assert office.version == version


class TestCopies:
    def test_a_copy_records_changes_without_touching_the_original(self) -> None:
        import copy

        office = new_office()
        office.collect_events()
        clone = copy.deepcopy(office)
        clone.observe(
            Scope.model_validate(WORKER_BAGGAGE),
            Measure.model_validate(limit(2)),
            effective("2025-01-01"),
            SOURCES,
            event_id=uuid4(),
        )
        assert len(clone.changes) == 1
        assert office.changes == {}
        assert (office.version, len(office.pending_events)) == (1, 0)
        assert clone.version == 2
        assert office.last_hash != clone.last_hash
