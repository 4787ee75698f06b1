"""The decisions a recorded event changed (``GetImpact``, ``ledger impact``) and the watch of
them (``WatchImpacts``, ``ledger watch --impacts``), against real ``ledger serve`` processes;
each expected set derived here from plain checks asked ``known_at_position`` either side of
the event. The watch runs on SQLite and on PostgreSQL, and there also with the event recorded
through a second server on the same database."""

from __future__ import annotations

import contextlib
import json
import subprocess
from collections.abc import Iterator, Sequence

import grpc
import pytest

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_client import LedgerClient, LedgerClientError
from ledger_client.decisions import Impact, impacts_of
from tests.conftest import need_postgres, postgres_schema
from tests.e2e.decision_support import (
    PROHIBITED,
    WAIT,
    Logged,
    Question,
    back_date,
    baseline,
    event_id_at,
    json_of,
    rule,
    substance,
    verdicts,
    words,
)
from tests.e2e.support import (
    Cli,
    RunningServer,
    Watching,
    log_end,
    new_office,
    start_server,
)


@pytest.fixture(scope="module", params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The module's shared server is on SQLite: the backends differ only in the watch."""
    return str(request.param)


# -- 5. impact ------------------------------------------------------------------------------


class TestImpact:
    def test_an_events_impact_is_exactly_the_decisions_whose_answer_it_changed(
        self, shared_cli: Cli, shared_client: LedgerClient
    ) -> None:
        client = shared_client
        office, neighbour = baseline(client), baseline(client)
        logged = Logged()
        in_window = Question((office,), "2025-06-10")
        asked = {
            "in the window": logged.log(client, in_window),
            "before the window": logged.log(client, Question((office,), "2025-05-01")),
            "three items": logged.log(client, Question((office,), "2025-06-10", (("8516", 3),))),
            "other goods": logged.log(client, Question((office,), "2025-06-10", (("0901", 1),))),
            "other office": logged.log(client, Question((neighbour,), "2025-06-10")),
            "comparison": logged.log(
                client, Question((neighbour, office), "2025-06-10", comparison=True)
            ),
            "pinned": logged.log(
                client,
                Question((office,), "2025-06-10", known_at_position=log_end(client)),
            ),
            "inbound": logged.log(client, Question((office,), "2025-06-10", direction="inbound")),
            "trader": logged.log(client, Question((office,), "2025-06-10", traveller="trader")),
        }

        def impacted(position: int) -> list[str]:
            report = client.impact(position)
            assert str(report.event_id) == event_id_at(client, position)
            assert report.office == office
            for found in report.impacts:
                assert (found.position, found.event_id) == (position, report.event_id)
                assert found.decision == client.get_decision(found.decision_id)
                question = logged.asked[str(found.decision_id)]
                assert substance(found.before) == substance(
                    question.ask(client, within=position - 1)
                )
                assert substance(found.after) == substance(question.ask(client, within=position))
            return [str(found.decision_id) for found in report.impacts]

        def candidates(since: str) -> int:
            """The decisions the rules of ``ARCHITECTURE.md`` name as ones the changes (workers'
            outbound baggage of electronics at ``office``, from ``since``) could reach."""
            return sum(
                1
                for decision_id, q in logged.asked.items()
                if office in q.offices
                and (q.direction, q.channel, q.traveller)
                == ("outbound", "personal-baggage", "worker")
                and any(goods.startswith("85") for goods, _ in q.items)
                and q.at >= since
                and client.get_decision(decision_id).position < log_end(client)
            )

        # A ban from 2025-06-01: the decisions about that office in its window change.
        ban = rule(client, "tightened", office, "2025-06-01", PROHIBITED)
        changed = logged.changed_by(client, ban.position)
        assert impacted(ban.position) == changed
        assert changed == [asked["in the window"], asked["three items"], asked["comparison"]]
        assert client.impact(ban.position).candidates == candidates("2025-06-01")
        # Just after the event, its impact is what a replay of each decision says changed.
        for decision_id in logged.asked:
            replayed = client.replay_decision(decision_id)
            assert replayed.matches, decision_id
            assert replayed.changed is (decision_id in changed), decision_id

        status, out, err = shared_cli("impact", str(ban.position))
        assert status == 0, err
        text = words(out)
        assert f"event at position {ban.position}: PolicyTightened at {office}" in text
        assert f"3 of the {candidates('2025-06-01')} logged decisions" in text
        for decision_id in logged.asked:
            assert (decision_id in text) is (decision_id in changed), decision_id
        assert "ALLOWED → PROHIBITED" in text and "LIMIT_EXCEEDED → PROHIBITED" in text
        assert "rank: 1 → 2" in text  # the office falls behind its neighbour

        # A decision logged after the ban, about a day before it.
        late = logged.log(client, Question((office,), "2025-05-10"))
        # Back-dated to 2025-04-15: the decisions about May change; those in June stay banned.
        amended = back_date(client, office, ban, "2025-04-15")
        changed = logged.changed_by(client, amended.position)
        assert impacted(amended.position) == changed
        assert changed == [asked["before the window"], late]
        assert client.impact(amended.position).candidates == candidates("2025-04-15")
        report = json_of(shared_cli("impact", str(amended.position), "--json"))
        assert [found["decision_id"] for found in report["impacts"]] == changed
        assert report["event_type"] == "ChangeAmended"

        # Retracted: every answer the ban gave goes back, whatever event gave it.
        retracted = client.retract(office, ban.change_id, reason="recorded in error")
        changed = logged.changed_by(client, retracted.position)
        assert impacted(retracted.position) == changed
        assert set(changed) == {
            asked[name]
            for name in ("in the window", "before the window", "three items", "comparison")
        } | {late}
        assert all(not client.replay_decision(d).changed for d in logged.asked)

        # An event that rules nothing logged: no impact, and the CLI says so.
        registered = client.register_office(new_office(), "Quiet customs")
        assert client.impact(registered.position).impacts == ()
        status, out, err = shared_cli("impact", str(registered.position))
        assert status == 0, err
        assert "no logged decision changed" in words(out)

    def test_a_position_beyond_the_log_is_refused_naming_position(
        self, shared_cli: Cli, shared_client: LedgerClient
    ) -> None:
        beyond = log_end(shared_client) + 1
        status, out, err = shared_cli("impact", str(beyond))
        assert status == 3, (out, err)
        assert "position" in words(err)
        with pytest.raises(LedgerClientError) as refused:
            shared_client.impact(beyond)
        assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [name for name, _ in refused.value.fields] == ["position"]


# -- 6. the watch of impacts ----------------------------------------------------------------


def watching(address: str, after: int, offices: Sequence[str]) -> Watching[Impact]:
    """A watch of impacts read on its own thread: the impacts as they arrive."""
    return Watching(
        address, lambda client: client.watch_impacts(after, offices=offices, timeout=60)
    )


def impacts_until(
    client: LedgerClient, after: int, offices: Sequence[str], end: int
) -> list[Impact]:
    """Every impact a watch from ``after`` sends until it has considered the log up to
    ``end`` (its replies say how far they reach: nothing is left to wait for)."""
    request = pb.WatchImpactsRequest(after_position=after, offices=offices)
    call = client.stub.WatchImpacts(request, timeout=WAIT)
    found: list[Impact] = []
    try:
        for reply in call:
            found.extend(impacts_of([reply], after))
            after = reply.resume_position
            if after >= end:
                return found
    finally:
        call.cancel()
    raise AssertionError(f"the watch ended at {after}, before {end}")


def said(impacts: Sequence[Impact]) -> list[tuple[str, int, str, list[str], list[str]]]:
    """Each impact: the decision, the event's position and type, the verdicts before and
    after."""
    return [
        (str(i.decision_id), i.position, i.event_type, verdicts(i.before), verdicts(i.after))
        for i in impacts
    ]


@pytest.fixture(scope="module")
def postgres_pair(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[RunningServer, RunningServer]]:
    """Two servers on one fresh PostgreSQL schema (the first over the example ledger)."""
    need_postgres()
    folder = tmp_path_factory.mktemp("postgres")
    with postgres_schema("e2e") as url:
        first = start_server(folder / "a", database_url=url)
        try:
            second = start_server(folder / "b", database_url=url, example=False)
            try:
                yield first, second
            finally:
                with contextlib.suppress(subprocess.TimeoutExpired):
                    second.stop()
        finally:
            with contextlib.suppress(subprocess.TimeoutExpired):
                first.stop()


@pytest.fixture(params=["sqlite", "postgres"], ids=["watch-sqlite", "watch-postgres"])
def watched(request: pytest.FixtureRequest, shared_server: RunningServer) -> RunningServer:
    """A server to watch, on each backend: the module's, or the first of the PostgreSQL
    pair."""
    if request.param == "postgres":
        pair: tuple[RunningServer, RunningServer] = request.getfixturevalue("postgres_pair")
        return pair[0]
    return shared_server


class TestWatchImpacts:
    def test_a_watch_hears_each_impact_as_recorded_and_a_resumed_one_nothing_twice(
        self, watched: RunningServer
    ) -> None:
        with LedgerClient(watched.address) as client:
            office, elsewhere = baseline(client), baseline(client)
            logged = Logged()
            june = logged.log(client, Question((office,), "2025-06-10"))
            may = logged.log(client, Question((office,), "2025-05-10"))
            away = logged.log(client, Question((elsewhere,), "2025-06-10"))
            start = log_end(client)
            watch = watching(watched.address, start, [office])
            try:
                ban = rule(client, "tightened", office, "2025-06-01", PROHIBITED)
                [first] = watch.next(1)
                # Elsewhere: a decision changes, but not one about the office watched.
                other = rule(client, "tightened", elsewhere, "2025-06-01", PROHIBITED)
                amended = back_date(client, office, ban, "2025-05-01")
                [second] = watch.next(1)
            finally:
                watch.close()
            assert logged.changed_by(client, ban.position) == [june]
            assert logged.changed_by(client, other.position) == [away]
            assert logged.changed_by(client, amended.position) == [may]
            heard = [first, second]
            assert said(heard) == [
                (june, ban.position, "PolicyTightened", ["ALLOWED"], ["PROHIBITED"]),
                (may, amended.position, "ChangeAmended", ["ALLOWED"], ["PROHIBITED"]),
            ]
            assert [str(i.event_id) for i in heard] == [
                event_id_at(client, ban.position),
                event_id_at(client, amended.position),
            ]
            assert [i.office for i in heard] == [office, office]
            assert first.decision == client.get_decision(june)
            assert [i.resume_position for i in heard] == [ban.position, amended.position]

            # Resumed after the first: only the second; after the second: nothing, though the
            # log goes on.
            end = client.register_office(new_office(), "Quiet customs").position
            again = impacts_until(client, first.resume_position, [office], end)
            assert said(again) == said([second])
            assert impacts_until(client, second.resume_position, [office], end) == []
            # For every office: the other office's impact too, in log order.
            every = impacts_until(client, start, [], end)
            assert [(str(i.decision_id), i.position) for i in every] == [
                (june, ban.position),
                (away, other.position),
                (may, amended.position),
            ]

    def test_impacts_of_events_sent_together_each_resume_after_themselves(
        self, shared_cli: Cli, shared_client: LedgerClient
    ) -> None:
        client = shared_client
        office = baseline(client)
        logged = Logged()
        june = logged.log(client, Question((office,), "2025-06-10"))
        may = logged.log(client, Question((office,), "2025-05-10"))
        start = log_end(client)
        ban = rule(client, "tightened", office, "2025-06-01", PROHIBITED)
        amended = back_date(client, office, ban, "2025-05-01")
        # Both events recorded before the watch starts: their impacts come in one reply.
        heard = impacts_until(client, start, [office], amended.position)
        assert [str(i.decision_id) for i in heard] == [june, may]
        again = impacts_until(client, heard[0].resume_position, [office], amended.position)
        assert said(again) == said(heard[1:])
        status, _, err = shared_cli(
            "watch", "--impacts", "--after", str(start), "--office", office, "--count", "1"
        )
        assert status == 0, err
        assert f"--after {ban.position} " in words(err)

    def test_a_watch_on_one_server_hears_an_event_recorded_through_another(
        self, postgres_pair: tuple[RunningServer, RunningServer]
    ) -> None:
        first, second = postgres_pair
        with LedgerClient(first.address) as a, LedgerClient(second.address) as b:
            office = baseline(a)
            logged = Logged()
            through_a = logged.log(a, Question((office,), "2025-06-10"))
            end = log_end(a)
            # Logged through the other server, once it has read the office's rule.
            b.get_office(office, min_position=end)
            through_b = logged.log(b, Question((office,), "2025-06-20", (("8516", 3),)))
            watch = watching(first.address, end, [office])
            try:
                ban = rule(b, "tightened", office, "2025-06-01", PROHIBITED)
                heard = watch.next(2)
            finally:
                watch.close()
            assert said(heard) == [
                (through_a, ban.position, "PolicyTightened", ["ALLOWED"], ["PROHIBITED"]),
                (through_b, ban.position, "PolicyTightened", ["LIMIT_EXCEEDED"], ["PROHIBITED"]),
            ]
            assert logged.changed_by(a, ban.position) == [through_a, through_b]
            for server in (a, b):
                found = server.impact(ban.position).impacts
                assert [str(i.decision_id) for i in found] == [through_a, through_b]

    def test_the_cli_prints_each_impact_and_where_to_go_on_from(
        self, shared_cli: Cli, shared_client: LedgerClient
    ) -> None:
        client = shared_client
        office = baseline(client)
        logged = Logged()
        june = logged.log(client, Question((office,), "2025-06-10"))
        may = logged.log(client, Question((office,), "2025-05-10"))
        start = log_end(client)
        ban = rule(client, "tightened", office, "2025-06-01", PROHIBITED)
        status, out, err = shared_cli(
            "watch", "--impacts", "--after", str(start), "--office", office, "--count", "1"
        )
        assert status == 0, err
        [line] = out.splitlines()
        assert line.split()[:2] == [str(ban.position), "PolicyTightened"]
        assert june in line and may not in line
        assert "ALLOWED → PROHIBITED" in line
        resume = f"ledger watch --impacts --after {ban.position} --office {office}"
        assert f"to go on from here: {resume}" in words(err)

        amended = back_date(client, office, ban, "2025-05-01")
        status, out, err = shared_cli(
            "watch", "--impacts", "--after", str(ban.position), "--office", office,
            "--count", "1", "--json",
        )  # fmt: skip
        assert status == 0, err
        [resumed] = [json.loads(line) for line in out.splitlines()]
        assert (resumed["decision_id"], resumed["position"]) == (may, amended.position)
        assert resumed["resume_position"] == amended.position
