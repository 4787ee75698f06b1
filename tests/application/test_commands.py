"""Commands: receipts, idempotent retries, optimistic concurrency, refusals that store nothing."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import pytest
from eventsourcing.persistence import IntegrityError
from pydantic import ValidationError

from ledger.application import app as app_module
from ledger.application.app import RequestIdReused, VersionConflict
from ledger.application.commands import RecordChange, RegisterOffice
from ledger.bootstrap import Ledger
from ledger.domain.errors import (
    ChangeNotFound,
    DirectionViolation,
    OfficeAlreadyRegistered,
    OfficeNotFound,
)
from tests.support import (
    DANDONG,
    PROHIBITED,
    WORKER_BAGGAGE,
    amend,
    limit,
    record,
    register,
    retract,
    source,
)


def stored(ledger: Ledger) -> int:
    return ledger.app.recorder.max_notification_id() or 0


def tightening(request_id: str, quantity: int = 0, **fields: object) -> RecordChange:
    return RecordChange.model_validate(
        {
            "request_id": request_id,
            "office": DANDONG,
            "kind": "tightened",
            "scope": WORKER_BAGGAGE,
            "measure": limit(quantity),
            "effective": {"on": "2025-03-01", "precision": "early-month"},
            "sources": [source()],
            **fields,
        }
    )


class TestReceipts:
    def test_a_receipt_names_the_change_version_position_and_recorded_time(
        self, any_ledger: Ledger
    ) -> None:
        before = datetime.now(UTC)
        registered = register(any_ledger)
        receipt = record(any_ledger, "observed", limit(2), "2024-01-01", "year")
        assert (registered.office_version, registered.position) == (1, 1)
        assert (receipt.office_version, receipt.position) == (2, 2)
        assert receipt.office == DANDONG
        assert before <= receipt.recorded_at <= datetime.now(UTC)
        events = any_ledger.app.office_events(DANDONG)
        assert events[-1].event_id == receipt.change_id
        assert events[-1].timestamp == receipt.recorded_at

    def test_recorded_at_cannot_be_given_by_the_caller(self) -> None:
        with pytest.raises(ValidationError, match="recorded_at"):
            tightening("r1", recorded_at=datetime(2020, 1, 1, tzinfo=UTC))


class TestIdempotency:
    def test_a_retry_returns_the_first_receipt_and_writes_nothing(self, any_ledger: Ledger) -> None:
        register(any_ledger)
        first = any_ledger.app.execute(tightening("retry-me"))
        count = stored(any_ledger)
        again = any_ledger.app.execute(tightening("retry-me"))
        assert again == first
        assert stored(any_ledger) == count

    def test_a_retry_after_other_writes_still_returns_the_first_receipt(
        self, any_ledger: Ledger
    ) -> None:
        register(any_ledger)
        first = any_ledger.app.execute(tightening("retry-me", expected_version=1))
        record(any_ledger, "observed", {"inspection": "rigorous"}, "2025-05-01")
        assert any_ledger.app.execute(tightening("retry-me", expected_version=1)) == first

    def test_the_same_request_id_with_another_payload_is_refused(self, any_ledger: Ledger) -> None:
        register(any_ledger)
        any_ledger.app.execute(tightening("once", quantity=0))
        count = stored(any_ledger)
        with pytest.raises(RequestIdReused, match="'once'"):
            any_ledger.app.execute(tightening("once", quantity=1))
        assert stored(any_ledger) == count

    def test_registration_retries_are_idempotent_too(self, any_ledger: Ledger) -> None:
        command = RegisterOffice(request_id="reg", office=DANDONG, name="Dandong Customs")
        assert any_ledger.app.execute(command) == any_ledger.app.execute(command)
        assert stored(any_ledger) == 1


class TestOptimisticConcurrency:
    def test_the_current_expected_version_is_accepted(self, any_ledger: Ledger) -> None:
        register(any_ledger)
        receipt = any_ledger.app.execute(tightening("r", expected_version=1))
        assert receipt.office_version == 2

    def test_a_stale_expected_version_is_refused_as_a_conflict(self, any_ledger: Ledger) -> None:
        register(any_ledger)
        record(any_ledger, "observed", limit(2), "2024-01-01", "year")
        with pytest.raises(VersionConflict, match="expected version 1, but it is at version 2"):
            any_ledger.app.execute(tightening("stale", expected_version=1))
        assert stored(any_ledger) == 2


class TestLostRaces:
    """A write without an expected version that loses the race to its office is tried again,
    after a short random wait, a bounded number of times."""

    @staticmethod
    def losing(ledger: Ledger, monkeypatch: pytest.MonkeyPatch, losses: int) -> list[float]:
        """Make the next ``losses`` saves lose as a race does; returns the waits slept."""
        save = ledger.app.save
        left = [losses]
        waits: list[float] = []

        def racing_save(*args: Any, **kwargs: Any) -> Any:
            if left[0]:
                left[0] -= 1
                raise IntegrityError("another write got there first")
            return save(*args, **kwargs)

        monkeypatch.setattr(ledger.app, "save", racing_save)
        monkeypatch.setattr(app_module.time, "sleep", waits.append)
        return waits

    def test_a_write_that_loses_seven_races_is_stored_by_the_eighth_try(
        self, any_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        register(any_ledger)
        waits = self.losing(any_ledger, monkeypatch, 7)
        receipt = any_ledger.app.execute(tightening("patient"))
        assert (receipt.office_version, stored(any_ledger)) == (2, 2)
        # A wait before each retry, none before the first try, each under its doubling bound.
        assert len(waits) == 7
        assert all(0 <= wait <= min(0.05, 0.002 * 2**n) for n, wait in enumerate(waits, 1))

    def test_a_write_that_loses_every_race_is_refused_and_stores_nothing(
        self, any_ledger: Ledger, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        register(any_ledger)
        waits = self.losing(any_ledger, monkeypatch, 8)
        with pytest.raises(VersionConflict, match="other writes kept winning; try again"):
            any_ledger.app.execute(tightening("unlucky"))
        assert stored(any_ledger) == 1
        assert len(waits) == 7
        assert sum(waits) < 0.25  # each under its bound: 0.21 s at most
        # The same request id, sent again once the office is quiet, is stored.
        assert any_ledger.app.execute(tightening("unlucky")).office_version == 2


class TestRefusals:
    def test_an_unknown_office_is_not_found(self, any_ledger: Ledger) -> None:
        with pytest.raises(OfficeNotFound, match="CN-HUNCHUN"):
            any_ledger.app.execute(tightening("r", office="CN-HUNCHUN"))
        assert stored(any_ledger) == 0

    def test_an_office_registers_once(self, any_ledger: Ledger) -> None:
        register(any_ledger)
        with pytest.raises(OfficeAlreadyRegistered, match=DANDONG):
            register(any_ledger)
        assert stored(any_ledger) == 1

    def test_a_tightening_that_loosens_is_refused_naming_the_prior_measure(
        self, any_ledger: Ledger
    ) -> None:
        register(any_ledger)
        prior = record(any_ledger, "tightened", PROHIBITED, "2025-03-01")
        with pytest.raises(DirectionViolation, match=f"prohibited.*{prior.change_id}"):
            record(any_ledger, "tightened", limit(1), "2025-04-01")
        assert stored(any_ledger) == 2

    def test_a_loosening_that_tightens_is_refused(self, any_ledger: Ledger) -> None:
        register(any_ledger)
        record(any_ledger, "observed", {"inspection": "light"}, "2025-01-01")
        with pytest.raises(DirectionViolation, match="inspection"):
            record(any_ledger, "loosened", {"inspection": "standard"}, "2025-02-01")

    def test_amending_or_retracting_an_unknown_change_is_refused(self, any_ledger: Ledger) -> None:
        register(any_ledger)
        receipt = record(any_ledger, "observed", limit(2), "2025-01-01")
        unknown = UUID(int=1)
        assert receipt.change_id != unknown
        with pytest.raises(ChangeNotFound, match=str(unknown)):
            amend(any_ledger, unknown, effective={"on": "2025-02-01"})
        with pytest.raises(ChangeNotFound, match=str(unknown)):
            retract(any_ledger, unknown)
        assert stored(any_ledger) == 2

    def test_a_change_without_sources_is_refused_at_the_edge(self) -> None:
        with pytest.raises(ValidationError, match="sources"):
            tightening("r", sources=[])

    def test_a_loosening_back_dated_before_a_tightening_compares_with_its_own_past(
        self, any_ledger: Ledger
    ) -> None:
        register(any_ledger)
        record(any_ledger, "observed", limit(1), "2024-01-01", "year")
        record(any_ledger, "tightened", PROHIBITED, "2025-03-01")
        # Back-dated to February: it replaces the 2024 limit of 1, not the March ban.
        receipt = record(any_ledger, "loosened", limit(2), "2025-02-01")
        assert receipt.office_version == 4


def test_recorded_at_is_the_ledgers_own_clock(any_ledger: Ledger) -> None:
    register(any_ledger)
    receipt = record(any_ledger, "observed", limit(2), "2020-01-01")
    assert abs(receipt.recorded_at - datetime.now(UTC)) < timedelta(minutes=1)
