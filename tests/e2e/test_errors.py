"""Every error code, as the client sees it: the status, the fields named, and a store unchanged."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest

from ledger_client import LedgerClient, LedgerClientError
from tests.e2e.support import WORKER_BAGGAGE, log_end, new_office, source

DANDONG = "CN-DANDONG"
NEVER = (grpc.StatusCode.UNKNOWN, grpc.StatusCode.INTERNAL)
# pydantic's and Python's words: a refusal is said in the ledger's own (issue 13, point 9).
LIBRARY_WORDING = (
    "Value error,",
    "String should",
    "Input should",
    "Field required",
    "cannot be interpreted",
    "invalid literal",
    "For further information",
)


@dataclass(frozen=True)
class Setup:
    """What the refusals refer to: a retracted change and a request id already used."""

    office: str
    retracted: uuid.UUID
    used_request_id: str


@dataclass(frozen=True)
class Refusal:
    call: Callable[[LedgerClient, Setup], Any]
    code: grpc.StatusCode
    field: str | None = None


def tightening(client: LedgerClient, office: str = DANDONG, **overrides: Any) -> Any:
    arguments: dict[str, Any] = {
        "scope": WORKER_BAGGAGE,
        "measure": {"inspection": "rigorous"},
        "effective": {"on": "2025-05-01"},
        "sources": [source("2025-05-02")],
        **overrides,
    }
    return client.record("tightened", office, **arguments)


def check(client: LedgerClient, office: str = DANDONG, at: str = "2025-03-20", **more: Any) -> Any:
    arguments: dict[str, Any] = {
        "direction": "outbound",
        "channel": "personal-baggage",
        "traveller": "worker",
        "items": [{"goods": "8516.60"}],
        **more,
    }
    return client.check(office, at, **arguments)


REFUSALS: dict[str, Refusal] = {
    # INVALID_ARGUMENT names the offending field.
    "a check on 30 February": Refusal(
        lambda c, s: check(c, at="2025-02-30"), grpc.StatusCode.INVALID_ARGUMENT, "at"
    ),
    "a rule state in month 13": Refusal(
        lambda c, s: c.rule_state(DANDONG, "2025-13-01"), grpc.StatusCode.INVALID_ARGUMENT, "at"
    ),
    "an office code that is no office code": Refusal(
        lambda c, s: c.get_office("nowhere"), grpc.StatusCode.INVALID_ARGUMENT, "office"
    ),
    "a check of no items": Refusal(
        lambda c, s: check(c, items=[]), grpc.StatusCode.INVALID_ARGUMENT, "items"
    ),
    "a check with a knowledge time that is no time": Refusal(
        lambda c, s: check(c, known_at="yesterday"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "known_at",
    ),
    "a tightening of goods that are neither an HS code nor a category": Refusal(
        lambda c, s: tightening(c, scope={**WORKER_BAGGAGE, "goods": "12x"}),
        grpc.StatusCode.INVALID_ARGUMENT,
        "change.scope.goods",
    ),
    "a tightening citing no sources": Refusal(
        lambda c, s: tightening(c, sources=[]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "change.sources",
    ),
    "a tightening stating no measure": Refusal(
        lambda c, s: tightening(c, measure={}),
        grpc.StatusCode.INVALID_ARGUMENT,
        "change.measure",
    ),
    "a tightening citing a source from the future": Refusal(
        lambda c, s: tightening(c, sources=[source("2999-01-01")]),
        grpc.StatusCode.INVALID_ARGUMENT,
        "change.sources[0].published",
    ),
    "an expected version of zero": Refusal(
        lambda c, s: tightening(c, expected_version=0),
        grpc.StatusCode.INVALID_ARGUMENT,
        "expected_version",
    ),
    "a registration of a code that is not an office code": Refusal(
        lambda c, s: c.register_office("dandong", "Dandong"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "office",
    ),
    "a request id with a space": Refusal(
        lambda c, s: c.register_office(new_office(), "Spaced", request_id="has space"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "request_id",
    ),
    "an amendment of a change id that is no UUID": Refusal(
        lambda c, s: c.amend(
            DANDONG, "ban", reason="r", sources=[source()], effective={"on": "2025-03-02"}
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "change_id",
    ),
    "an amendment that corrects nothing": Refusal(
        lambda c, s: c.amend(
            DANDONG,
            check(c).items[0].governing.change_id,
            reason="nothing to say",
            sources=[source()],
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
    ),
    "a history in batches of 20000": Refusal(
        lambda c, s: list(c.history(DANDONG, batch_size=20_000)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "batch_size",
    ),
    "a watch in batches of -1": Refusal(
        lambda c, s: next(c.watch(0, batch_size=-1, timeout=5)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "batch_size",
    ),
    "a watch from a negative position": Refusal(
        lambda c, s: next(c.watch(-1, timeout=5)),
        grpc.StatusCode.INVALID_ARGUMENT,
        "after_position",
    ),
    # NOT_FOUND.
    "an unknown office": Refusal(
        lambda c, s: c.get_office("CN-NOWHERE"), grpc.StatusCode.NOT_FOUND
    ),
    "a check at an unknown office": Refusal(
        lambda c, s: check(c, office="CN-NOWHERE"), grpc.StatusCode.NOT_FOUND
    ),
    "a comparison including an unknown office": Refusal(
        lambda c, s: c.compare(
            [DANDONG, "CN-NOWHERE"],
            "2025-03-20",
            direction="outbound",
            channel="cargo-road",
            items=[{"goods": "85"}],
        ),
        grpc.StatusCode.NOT_FOUND,
    ),
    "the history of an unknown office": Refusal(
        lambda c, s: list(c.history("CN-NOWHERE")), grpc.StatusCode.NOT_FOUND
    ),
    "a tightening at an unknown office": Refusal(
        lambda c, s: tightening(c, office="CN-NOWHERE"), grpc.StatusCode.NOT_FOUND
    ),
    "an amendment of an unknown change": Refusal(
        lambda c, s: c.amend(
            DANDONG, uuid.uuid4(), reason="r", sources=[source()], effective={"on": "2025-03-02"}
        ),
        grpc.StatusCode.NOT_FOUND,
    ),
    "a retraction of another office's change": Refusal(
        lambda c, s: c.retract(
            "CN-HUNCHUN", check(c).items[0].governing.change_id, reason="r", sources=[source()]
        ),
        grpc.StatusCode.NOT_FOUND,
    ),
    # ALREADY_EXISTS.
    "a second registration of an office": Refusal(
        lambda c, s: c.register_office(DANDONG, "Dandong Customs"),
        grpc.StatusCode.ALREADY_EXISTS,
    ),
    "a request id reused for another payload": Refusal(
        lambda c, s: tightening(c, request_id=s.used_request_id),
        grpc.StatusCode.ALREADY_EXISTS,
    ),
    "a request id reused for another kind of command": Refusal(
        lambda c, s: c.register_office(new_office(), "Reused", request_id=s.used_request_id),
        grpc.StatusCode.ALREADY_EXISTS,
    ),
    # FAILED_PRECONDITION.
    "a tightening that loosens": Refusal(
        lambda c, s: tightening(c, measure={"inspection": "light"}),
        grpc.StatusCode.FAILED_PRECONDITION,
    ),
    "a loosening that tightens": Refusal(
        lambda c, s: c.record(
            "loosened",
            "CN-HUNCHUN",
            scope={"direction": "outbound", "channel": "cargo-road", "traveller": "trader"}
            | {"goods": "all"},
            measure={"inspection": "rigorous"},
            effective={"on": "2025-05-01"},
            sources=[source("2025-05-02")],
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    ),
    "an amendment of a retracted change": Refusal(
        lambda c, s: c.amend(
            s.office,
            s.retracted,
            reason="r",
            sources=[source()],
            effective={"on": "2025-02-02"},
        ),
        grpc.StatusCode.FAILED_PRECONDITION,
    ),
    "a second retraction of a change": Refusal(
        lambda c, s: c.retract(s.office, s.retracted, reason="again", sources=[source()]),
        grpc.StatusCode.FAILED_PRECONDITION,
    ),
    # ABORTED.
    "a stale expected version": Refusal(
        lambda c, s: tightening(c, expected_version=4), grpc.StatusCode.ABORTED
    ),
}


@pytest.fixture(scope="module")
def setup(shared_client: LedgerClient) -> Setup:
    office = new_office()
    shared_client.register_office(office, "Refusals customs")
    request_id = f"used-{uuid.uuid4()}"
    receipt = shared_client.record(
        "observed",
        office,
        scope={"direction": "inbound", "channel": "cargo-sea", "goods": "03"},
        measure={"inspection": "standard"},
        effective={"on": "2025-02-01"},
        sources=[source("2025-02-01")],
        request_id=request_id,
    )
    shared_client.retract(office, receipt.change_id, reason="withdrawn", sources=[source()])
    return Setup(office=office, retracted=receipt.change_id, used_request_id=request_id)


class TestRefusals:
    @pytest.mark.parametrize("refusal", REFUSALS.values(), ids=REFUSALS.keys())
    def test_a_refusal_has_its_status_names_its_field_and_stores_nothing(
        self, shared_client: LedgerClient, setup: Setup, refusal: Refusal
    ) -> None:
        end = log_end(shared_client)
        versions = {o.code: o.version for o in shared_client.list_offices()}
        with pytest.raises(LedgerClientError) as refused:
            refusal.call(shared_client, setup)
        error = refused.value
        assert error.code not in NEVER, error
        assert error.code is refusal.code, error
        assert error.message
        if refusal.field is not None:
            assert refusal.field in [field for field, _ in error.fields], error.fields
            assert all(description for _, description in error.fields)
        for text in (error.message, *(description for _, description in error.fields)):
            assert not any(wording in text for wording in LIBRARY_WORDING), text
        assert log_end(shared_client) == end
        assert {o.code: o.version for o in shared_client.list_offices()} == versions

    def test_a_tightening_that_loosens_names_the_prior_measure(
        self, shared_client: LedgerClient
    ) -> None:
        with pytest.raises(LedgerClientError) as refused:
            tightening(shared_client, measure={"inspection": "light"})
        assert "inspection" in refused.value.message
        assert "looser than the prior measure" in refused.value.message
        assert "thorough" in refused.value.message

    def test_a_stale_expected_version_names_the_office_and_both_versions(
        self, shared_client: LedgerClient
    ) -> None:
        with pytest.raises(LedgerClientError) as refused:
            tightening(shared_client, expected_version=4)
        assert DANDONG in refused.value.message
        assert "expected version 4" in refused.value.message
        assert "version 5" in refused.value.message

    def test_every_offending_field_is_named_at_once(self, shared_client: LedgerClient) -> None:
        with pytest.raises(LedgerClientError) as refused:
            tightening(
                shared_client,
                scope={**WORKER_BAGGAGE, "goods": "12x"},
                effective={"on": "2025-02-30"},
                sources=[],
            )
        fields = {field for field, _ in refused.value.fields}
        assert {"change.scope.goods", "change.effective.on", "change.sources"} <= fields


class TestIdempotency:
    def test_the_same_request_twice_returns_the_identical_receipt_and_writes_once(
        self, client: LedgerClient
    ) -> None:
        end = log_end(client)
        first = tightening(client, request_id="retry-me")
        second = tightening(client, request_id="retry-me")
        assert second == first
        assert log_end(client) == end + 1 == first.position
        assert client.get_office(DANDONG).version == 6
        assert [e.type for e in client.history(DANDONG)].count("PolicyTightened") == 2

    def test_a_retry_after_the_office_moved_on_still_returns_the_first_receipt(
        self, client: LedgerClient
    ) -> None:
        first = tightening(client, request_id="versioned", expected_version=5)
        tightening(client, measure={"enforcement": "detention"})  # the office is now at 7
        again = tightening(client, request_id="versioned", expected_version=5)
        assert again == first
        assert client.get_office(DANDONG).version == 7

    def test_the_same_request_id_with_another_payload_is_refused_and_stores_nothing(
        self, client: LedgerClient
    ) -> None:
        tightening(client, request_id="mine")
        end = log_end(client)
        with pytest.raises(LedgerClientError) as refused:
            tightening(client, request_id="mine", measure={"enforcement": "fine"})
        assert refused.value.code is grpc.StatusCode.ALREADY_EXISTS
        assert "mine" in refused.value.message
        assert log_end(client) == end

    def test_registering_an_office_twice_with_different_request_ids_is_refused(
        self, client: LedgerClient
    ) -> None:
        code = new_office()
        client.register_office(code, "Twice customs", request_id="register-1")
        assert client.register_office(code, "Twice customs", request_id="register-1").position
        end = log_end(client)
        with pytest.raises(LedgerClientError) as refused:
            client.register_office(code, "Twice customs", request_id="register-2")
        assert refused.value.code is grpc.StatusCode.ALREADY_EXISTS
        assert code in refused.value.message
        assert log_end(client) == end


def test_a_bad_item_is_named_without_blaming_its_list(shared_client: LedgerClient) -> None:
    with pytest.raises(LedgerClientError) as refused:
        check(shared_client, items=[{"goods": "8516", "quantity": -1}])
    assert [field for field, _ in refused.value.fields] == ["items[0].quantity"]
