"""Every RPC of ``ledger.v1.PolicyLedger`` (and health, reflection) through the client library."""

from __future__ import annotations

import threading
from datetime import date, timedelta

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_client import LedgerClient, LedgerClientError, Verdict, command_message
from tests.e2e.support import (
    SEED_EVENTS,
    WORKER_BAGGAGE,
    collect_watch,
    log_end,
    new_office,
    source,
)

DANDONG, HUNCHUN, CHANGBAI = "CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"
RICE_COOKER = "8516.60"


def check_rice_cooker(client: LedgerClient, at: str, quantity: int = 1, **knowledge: str):
    return client.check(
        DANDONG,
        at,
        direction="outbound",
        channel="personal-baggage",
        traveller="worker",
        items=[{"goods": RICE_COOKER, "quantity": quantity}],
        **knowledge,
    ).items[0]


class TestHealthPingAndReflection:
    def test_health_reports_the_server_and_the_ledger_service_serving(
        self, shared_client: LedgerClient
    ) -> None:
        assert shared_client.health() == "SERVING"
        assert shared_client.health("ledger.v1.PolicyLedger") == "SERVING"

    def test_health_of_an_unknown_service_is_not_found(self, shared_client: LedgerClient) -> None:
        with pytest.raises(LedgerClientError) as refused:
            shared_client.health("no.such.Service")
        assert refused.value.code is grpc.StatusCode.NOT_FOUND

    def test_ping_answers_with_nothing(self, shared_client: LedgerClient) -> None:
        assert shared_client.ping() is None
        reply = shared_client.stub.Ping(pb.PingRequest(), timeout=5)
        assert reply == pb.PingResponse()

    def test_reflection_lists_the_ledger_and_health_services(
        self, shared_client: LedgerClient
    ) -> None:
        stub = reflection_pb2_grpc.ServerReflectionStub(shared_client.channel)
        request = reflection_pb2.ServerReflectionRequest(list_services="")
        replies = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
        services = {s.name for s in replies[0].list_services_response.service}
        assert {"ledger.v1.PolicyLedger", "grpc.health.v1.Health"} <= services

    def test_reflection_describes_the_ledger_service_by_symbol(
        self, shared_client: LedgerClient
    ) -> None:
        stub = reflection_pb2_grpc.ServerReflectionStub(shared_client.channel)
        request = reflection_pb2.ServerReflectionRequest(
            file_containing_symbol="ledger.v1.PolicyLedger"
        )
        reply = next(iter(stub.ServerReflectionInfo(iter([request]), timeout=5)))
        files = reply.file_descriptor_response.file_descriptor_proto
        assert files, reply
        assert any(b"ledger/v1/ledger.proto" in raw for raw in files)


class TestOffices:
    def test_list_offices_gives_the_example_offices_by_code(
        self, shared_client: LedgerClient
    ) -> None:
        offices = shared_client.list_offices()
        assert [o.code for o in offices] == [CHANGBAI, DANDONG, HUNCHUN]
        # A retraction is not a change: Changbai's five events hold three.
        assert {o.code: (o.version, o.changes) for o in offices} == {
            CHANGBAI: (5, 3),
            DANDONG: (5, 4),
            HUNCHUN: (3, 2),
        }

    def test_get_office_gives_its_name_crossings_and_version(
        self, shared_client: LedgerClient
    ) -> None:
        office = shared_client.get_office(DANDONG)
        assert office.name == "Dandong Customs"
        assert [c.mode for c in office.crossings] == ["bridge", "rail"]
        assert office.version == 5
        assert office.changes == 4
        assert office.registered_at.tzinfo is not None

    def test_a_registered_office_is_listed_and_can_be_fetched(self, client: LedgerClient) -> None:
        code = new_office()
        receipt = client.register_office(
            code, "Ji'an Customs", [{"counterpart": "Manpo, KP", "mode": "bridge"}]
        )
        assert (receipt.office, receipt.office_version) == (code, 1)
        assert receipt.position == SEED_EVENTS + 1
        office = client.get_office(code)
        assert (office.name, office.version, office.changes) == ("Ji'an Customs", 1, 0)
        assert [(c.counterpart, c.mode) for c in office.crossings] == [("Manpo, KP", "bridge")]
        assert code in [o.code for o in client.list_offices()]


class TestRecordingChanges:
    def test_observation_tightening_and_loosening_each_write_one_event_and_change_the_answer(
        self, client: LedgerClient
    ) -> None:
        code = new_office()
        client.register_office(code, "Test customs")
        scope = {"direction": "inbound", "channel": "postal", "goods": "9504"}

        def verdict(at: str) -> Verdict:
            items = [{"goods": "9504.50", "quantity": 1}]
            result = client.check(code, at, direction="inbound", channel="postal", items=items)
            return result.items[0].verdict

        assert verdict("2025-06-01") is Verdict.NO_RULE
        observed = client.record(
            "observed",
            code,
            scope=scope,
            measure={"admissibility": {"kind": "allowed"}, "inspection": "light"},
            effective={"on": "2025-01-01"},
            sources=[source("2025-01-05")],
            expected_version=1,
        )
        tightened = client.record(
            "tightened",
            code,
            scope=scope,
            measure={"admissibility": {"kind": "prohibited"}, "enforcement": "confiscation"},
            effective={"on": "2025-03-01"},
            sources=[source("2025-03-02")],
            expected_version=2,
        )
        loosened = client.record(
            "loosened",
            code,
            scope=scope,
            measure={"admissibility": {"kind": "quantity-limit", "quantity": 1}},
            effective={"on": "2025-05-01"},
            sources=[source("2025-05-02")],
            note="one console per parcel",
        )
        assert [r.office_version for r in (observed, tightened, loosened)] == [2, 3, 4]
        first = SEED_EVENTS + 2  # after the example and the office's registration
        assert [r.position for r in (observed, tightened, loosened)] == [
            first,
            first + 1,
            first + 2,
        ]
        assert len({observed.change_id, tightened.change_id, loosened.change_id}) == 3
        assert verdict("2025-02-01") is Verdict.ALLOWED
        assert verdict("2025-04-01") is Verdict.PROHIBITED
        assert verdict("2025-06-01") is Verdict.ALLOWED  # at most one, and one is asked
        office = client.get_office(code)
        assert (office.version, office.changes) == (4, 3)
        types = [e.type for e in client.history(code)]
        assert types == ["OfficeRegistered", "PolicyObserved", "PolicyTightened", "PolicyLoosened"]


class TestAmendAndRetract:
    @staticmethod
    def ban_id(client: LedgerClient):
        return check_rice_cooker(client, "2025-03-20").governing.change_id

    def test_amending_the_bans_date_moves_the_uncertain_window(self, client: LedgerClient) -> None:
        ban = self.ban_id(client)
        receipt = client.amend(
            DANDONG,
            ban,
            reason="it took effect on 15 March",
            sources=[source("2025-04-01")],
            effective={"on": "2025-03-15", "precision": "day"},
            expected_version=5,
        )
        assert (receipt.office, receipt.office_version) == (DANDONG, 6)
        assert check_rice_cooker(client, "2025-03-05").verdict is Verdict.ALLOWED
        assert check_rice_cooker(client, "2025-03-14").verdict is Verdict.ALLOWED
        assert check_rice_cooker(client, "2025-03-15").verdict is Verdict.PROHIBITED
        governing = check_rice_cooker(client, "2025-03-20").governing
        assert governing.effective.on == date(2025, 3, 15)
        assert receipt.change_id in governing.event_ids
        office = client.get_office(DANDONG)
        assert (office.version, office.changes) == (6, 4)  # an amendment is not a new change

    def test_amending_the_bans_measure_changes_the_expected_enforcement(
        self, client: LedgerClient
    ) -> None:
        client.amend(
            DANDONG,
            self.ban_id(client),
            reason="detention was reported, not just confiscation",
            sources=[source("2025-04-02")],
            measure={"admissibility": {"kind": "prohibited"}, "enforcement": "detention"},
        )
        assert check_rice_cooker(client, "2025-03-20").enforcement == "detention"

    def test_retracting_the_ban_restores_the_earlier_rule_except_as_known_before(
        self, client: LedgerClient
    ) -> None:
        retracted = client.retract(
            DANDONG, self.ban_id(client), reason="the report was wrong", sources=[source()]
        )
        assert retracted.office_version == 6
        now = check_rice_cooker(client, "2025-03-20")
        assert now.verdict is Verdict.ALLOWED
        before = retracted.recorded_at - timedelta(microseconds=1)
        then = check_rice_cooker(client, "2025-03-20", known_at=before.isoformat())
        assert then.verdict is Verdict.PROHIBITED
        assert [e.type for e in client.history(DANDONG)][-1] == "ChangeRetracted"


class TestImportCommands:
    @staticmethod
    def batch(code: str, tag: str) -> list[pb.Command]:
        scope = {"direction": "outbound", "channel": "cargo-rail", "goods": "87"}
        return [
            command_message(
                "register", {"request_id": f"{tag}-1", "office": code, "name": "Batch customs"}
            ),
            command_message(
                "observe",
                {
                    "request_id": f"{tag}-2",
                    "office": code,
                    "scope": scope,
                    "measure": {"inspection": "standard"},
                    "effective": {"on": "2025-01-01"},
                    "sources": [source("2025-01-02")],
                },
            ),
            command_message(
                "tighten",
                {
                    "request_id": f"{tag}-3",
                    "office": code,
                    "scope": scope,
                    "measure": {"inspection": "rigorous"},
                    "effective": {"on": "2025-02-01"},
                    "sources": [source("2025-02-02")],
                },
            ),
        ]

    def test_a_batch_is_stored_whole_with_one_receipt_per_command(
        self, client: LedgerClient
    ) -> None:
        code = new_office()
        result = client.import_commands(self.batch(code, "whole"), chunk=2)
        assert result.stored == 3
        assert [r.office_version for r in result.receipts] == [1, 2, 3]
        first = SEED_EVENTS + 1
        assert [r.position for r in result.receipts] == [first, first + 1, first + 2]
        assert client.get_office(code).version == 3

    def test_sending_the_same_batch_again_stores_nothing_and_returns_the_first_receipts(
        self, client: LedgerClient
    ) -> None:
        code = new_office()
        first = client.import_commands(self.batch(code, "again"))
        end = log_end(client)
        second = client.import_commands(self.batch(code, "again"))
        assert second.stored == 0
        assert second.receipts == first.receipts
        assert log_end(client) == end

    def test_concurrent_imports_each_count_only_what_they_stored(
        self, client: LedgerClient
    ) -> None:
        """Two imports racing each report their own events, not the other's (stored was once
        the growth of the log while the import ran)."""
        rounds = 8
        replies: list[int] = []

        def one(code: str) -> None:
            command = command_message(
                "register", {"request_id": f"race-{code}", "office": code, "name": "Race customs"}
            )
            replies.append(client.import_commands([command]).stored)

        for _ in range(rounds):
            racers = [threading.Thread(target=one, args=(new_office(),)) for _ in range(2)]
            for racer in racers:
                racer.start()
            for racer in racers:
                racer.join()
        assert replies == [1] * (2 * rounds)

    def test_a_batch_with_one_bad_command_stores_nothing_and_names_it(
        self, client: LedgerClient
    ) -> None:
        code = new_office()
        commands = self.batch(code, "bad")
        commands[2].tighten.change.scope.goods = "12x"
        end = log_end(client)
        with pytest.raises(LedgerClientError) as refused:
            client.import_commands(commands)
        assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [f for f, _ in refused.value.fields] == ["commands[2].tighten.change.scope.goods"]
        assert log_end(client) == end
        with pytest.raises(LedgerClientError) as missing:
            client.get_office(code)
        assert missing.value.code is grpc.StatusCode.NOT_FOUND

    def test_a_batch_with_a_command_the_ledger_refuses_stores_nothing_and_names_it(
        self, client: LedgerClient
    ) -> None:
        code = new_office()
        commands = self.batch(code, "refused")
        commands[2].tighten.change.measure.inspection = pb.INSPECTION_LIGHT  # looser
        end = log_end(client)
        with pytest.raises(LedgerClientError) as refused:
            client.import_commands(commands)
        assert refused.value.code is grpc.StatusCode.FAILED_PRECONDITION
        assert [f for f, _ in refused.value.fields] == ["commands[2]"]
        assert "looser" in refused.value.fields[0][1]
        assert log_end(client) == end


class TestHistory:
    def test_history_streams_in_several_batches_of_the_size_asked(
        self, shared_client: LedgerClient
    ) -> None:
        request = pb.GetHistoryRequest(office=DANDONG, batch_size=2)
        replies = list(shared_client.stub.GetHistory(request, timeout=5))
        assert [len(r.events) for r in replies] == [2, 2, 1]
        versions = [e.office_version for r in replies for e in r.events]
        assert versions == [1, 2, 3, 4, 5]

    def test_history_through_the_client_is_the_same_in_small_batches(
        self, shared_client: LedgerClient
    ) -> None:
        small = list(shared_client.history(DANDONG, batch_size=2))
        whole = list(shared_client.history(DANDONG))
        assert small == whole
        assert [e.type for e in whole] == [
            "OfficeRegistered",
            "PolicyObserved",
            "PolicyTightened",
            "PolicyObserved",
            "PolicyObserved",
        ]
        assert whole[2].event["measure"]["admissibility"]["kind"] == "prohibited"
        assert whole[2].reported_on == date(2025, 3, 19)

    def test_history_filtered_on_valid_time_keeps_the_changes_whose_window_meets_it(
        self, shared_client: LedgerClient
    ) -> None:
        since_2025 = [e.type for e in shared_client.history(DANDONG, valid_from="2025-01-01")]
        assert since_2025 == ["OfficeRegistered", "PolicyTightened"]
        until_2024 = list(shared_client.history(DANDONG, valid_to="2024-12-31", batch_size=2))
        assert [e.office_version for e in until_2024] == [1, 2, 4, 5]

    def test_history_as_reported_by_a_date_keeps_what_had_been_published(
        self, shared_client: LedgerClient
    ) -> None:
        reported = shared_client.history(DANDONG, known_at="2025-03-15", basis="reported")
        assert [e.office_version for e in reported] == [1, 2]

    def test_history_as_recorded_before_the_ledger_existed_is_empty(
        self, shared_client: LedgerClient
    ) -> None:
        assert list(shared_client.history(DANDONG, known_at="2000-01-01", basis="recorded")) == []


class TestRuleState:
    def test_the_worker_baggage_rule_is_uncertain_in_early_march(
        self, shared_client: LedgerClient
    ) -> None:
        state = shared_client.rule_state(DANDONG, "2025-03-05")
        assert state.at == date(2025, 3, 5)
        scopes = {s.scope.channel: s for s in state.scopes}
        assert set(scopes) == {"personal-baggage", "cargo-road", "cargo-rail"}
        baggage = scopes["personal-baggage"]
        assert baggage.scope.model_dump() == WORKER_BAGGAGE
        assert baggage.uncertain
        assert [s.admissibility.kind for s in baggage.states] == ["quantity-limit", "prohibited"]
        assert scopes["cargo-road"].states[0].inspection == "rigorous"

    def test_the_worker_baggage_rule_is_the_ban_later_in_march(
        self, shared_client: LedgerClient
    ) -> None:
        state = shared_client.rule_state(DANDONG, "2025-03-20")
        baggage = next(s for s in state.scopes if s.scope.channel == "personal-baggage")
        assert not baggage.uncertain
        [rule] = baggage.states
        assert (rule.admissibility.kind, rule.inspection, rule.enforcement) == (
            "prohibited",
            "thorough",
            "confiscation",
        )
        assert {r.dimension for r in rule.rulings} == {"admissibility", "inspection", "enforcement"}

    def test_the_rule_as_reported_by_mid_march_is_the_old_limit(
        self, shared_client: LedgerClient
    ) -> None:
        state = shared_client.rule_state(
            DANDONG, "2025-03-20", known_at="2025-03-15", basis="reported"
        )
        [baggage] = state.scopes  # the cargo observations were published on 19 March
        assert baggage.states[0].admissibility.quantity == 2


class TestCheckSeedStory:
    def test_before_the_ban_one_rice_cooker_is_allowed_and_three_exceed_the_limit(
        self, shared_client: LedgerClient
    ) -> None:
        result = shared_client.check(
            DANDONG,
            "2025-02-20",
            direction="outbound",
            channel="personal-baggage",
            traveller="worker",
            items=[{"goods": RICE_COOKER, "quantity": 1}, {"goods": RICE_COOKER, "quantity": 3}],
        )
        assert result.office == DANDONG
        assert [i.verdict for i in result.items] == [Verdict.ALLOWED, Verdict.LIMIT_EXCEEDED]
        assert [i.item.quantity for i in result.items] == [1, 3]
        assert result.items[0].inspection == "light"

    def test_in_early_march_the_answer_is_uncertain_with_both_candidates(
        self, shared_client: LedgerClient
    ) -> None:
        item = check_rice_cooker(shared_client, "2025-03-05")
        assert item.verdict is Verdict.UNCERTAIN
        assert [c.verdict for c in item.candidates] == [Verdict.ALLOWED, Verdict.PROHIBITED]
        assert item.governing.kind == "tightened"
        assert item.governing.effective.precision == "early-month"
        assert item.inspection is None  # the candidates differ

    def test_after_the_ban_a_rice_cooker_is_prohibited_and_confiscated(
        self, shared_client: LedgerClient
    ) -> None:
        item = check_rice_cooker(shared_client, "2025-03-20")
        assert item.verdict is Verdict.PROHIBITED
        assert (item.inspection, item.enforcement) == ("thorough", "confiscation")
        assert [(s.publisher, s.published, s.grade) for s in item.sources] == [
            ("Daily NK", date(2025, 3, 19), "B2")
        ]
        assert item.governing.change_id in item.event_ids

    def test_as_reported_by_mid_march_a_rice_cooker_was_still_allowed(
        self, shared_client: LedgerClient
    ) -> None:
        item = check_rice_cooker(
            shared_client, "2025-03-20", known_at="2025-03-15", basis="reported"
        )
        assert item.verdict is Verdict.ALLOWED
        assert item.governing.kind == "observed"


class TestCompareOffices:
    def test_hunchun_and_changbai_share_rank_1_and_dandong_is_unknown_for_trader_electronics(
        self, shared_client: LedgerClient
    ) -> None:
        result = shared_client.compare(
            [DANDONG, HUNCHUN, CHANGBAI],
            "2025-04-28",
            direction="outbound",
            channel="cargo-road",
            traveller="trader",
            items=[{"goods": "electronics"}],
        )
        ranked = [(r.rank, r.office, r.standing) for r in result.rankings]
        assert ranked == [(1, CHANGBAI, "ranked"), (1, HUNCHUN, "ranked"), (0, DANDONG, "unknown")]
        assert {r.items[0].verdict.value for r in result.rankings} == {"ALLOWED", "NO_RULE"}
        inspection = {r.office: r.items[0].inspection for r in result.rankings}
        assert inspection == {HUNCHUN: "light", CHANGBAI: "light", DANDONG: "rigorous"}


class TestWatchCatchUp:
    def test_a_watch_from_the_beginning_replays_the_example_ledger_in_order(
        self, shared_client: LedgerClient
    ) -> None:
        events = collect_watch(shared_client, 0, until=lambda got: len(got) == SEED_EVENTS)
        assert [e.position for e in events] == list(range(1, SEED_EVENTS + 1))
        dandong = [e for e in events if e.office == DANDONG]
        assert [e.office_version for e in dandong] == [1, 2, 3, 4, 5]
        assert {e.office for e in events} == {DANDONG, HUNCHUN, CHANGBAI}
        [ban] = [e for e in events if e.type == "PolicyTightened"]
        assert ban.event["measure"]["enforcement"] == "confiscation"

    def test_a_watch_sends_at_most_batch_size_events_per_message(
        self, shared_client: LedgerClient
    ) -> None:
        after = SEED_EVENTS - 7  # seven events to send: 3, 3, then 1
        call = shared_client.stub.Watch(
            pb.WatchRequest(after_position=after, batch_size=3), timeout=5
        )
        try:
            sizes = [len(next(call).events) for _ in range(3)]
        finally:
            call.cancel()
        assert sizes == [3, 3, 1]
