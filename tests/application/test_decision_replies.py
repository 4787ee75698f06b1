"""The decision log's replies stay within the message budget, however many decisions an answer
holds: a listing page is cut and its token goes on from the last decision sent, an impact too
large for one reply is refused saying how to follow it, and the watch of impacts splits it
over replies without losing any. The servicer is called in process, with a small budget."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from ledger.bootstrap import Ledger
from ledger.server import decision_rpcs, streams
from ledger.server.queries import QUERIES
from ledger.server.servicer import PolicyLedgerServicer
from ledger_api.ledger.v1 import ledger_pb2 as pb
from tests.support import DANDONG, PROHIBITED, limit, record, register

BUDGET = 6_000  # bytes a reply may hold here (4 MiB in the server)


class Aborted(Exception):
    def __init__(self, status: Any) -> None:
        super().__init__(status.details)
        self.code, self.details = status.code, status.details


class Context:
    """What the servicer asks of a call's context."""

    def __init__(self, calls: int = 10**6) -> None:
        self.calls = calls

    def is_active(self) -> bool:
        self.calls -= 1
        return self.calls > 0

    def time_remaining(self) -> float:
        return 10.0

    def invocation_metadata(self) -> tuple[()]:
        return ()

    def abort_with_status(self, status: Any) -> None:
        raise Aborted(status)

    def add_callback(self, callback: Any) -> bool:
        return True


@pytest.fixture
def servicer(ledger: Ledger, monkeypatch: pytest.MonkeyPatch) -> PolicyLedgerServicer:
    monkeypatch.setattr(decision_rpcs, "PAGE_BYTES", BUDGET)
    monkeypatch.setattr(streams, "PAGE_BYTES", BUDGET)  # the pages of streamed replies
    register(ledger)
    record(ledger, "observed", limit(2), "2024-01-01", "year")
    return PolicyLedgerServicer(ledger)


def logged(servicer: PolicyLedgerServicer, count: int) -> list[str]:
    check = servicer._run_query(QUERIES["Check"], pb.CheckResponse)
    ids = []
    for day in range(1, count + 1):
        request = pb.CheckRequest(
            office=DANDONG,
            at=f"2025-03-{day:02d}",
            direction=pb.DIRECTION_OUTBOUND,
            channel=pb.CHANNEL_PERSONAL_BAGGAGE,
            traveller=pb.TRAVELLER_WORKER,
            items=[pb.CheckItem(goods="8516.60", quantity=1)],
            log=True,
        )
        ids.append(check(request, Context()).decision_id)  # type: ignore[attr-defined]
    return ids


def test_a_listing_page_is_cut_at_the_budget_and_its_token_goes_on(
    servicer: PolicyLedgerServicer,
) -> None:
    ids = logged(servicer, 12)
    seen, token, pages = [], "", 0
    while True:
        reply = servicer.ListDecisions(
            pb.ListDecisionsRequest(page_size=100, page_token=token), Context()
        )
        assert reply.ByteSize() <= BUDGET + 4_000  # one decision may pass it alone
        seen += [decision.decision_id for decision in reply.decisions]
        pages += 1
        token = reply.next_page_token
        if not token:
            break
    assert seen == ids  # each once, in order
    assert pages > 1


def test_an_impact_too_large_for_a_reply_is_refused_saying_how_to_follow_it(
    servicer: PolicyLedgerServicer,
) -> None:
    ids = logged(servicer, 12)
    ban = record(servicer.ledger, "tightened", PROHIBITED, "2025-03-01")
    with pytest.raises(Aborted) as refused:
        servicer.GetImpact(pb.GetImpactRequest(position=ban.position), Context())
    assert refused.value.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert f"changed {len(ids)} logged decisions" in refused.value.details
    assert f"ledger watch --impacts --after {ban.position - 1}" in refused.value.details

    watch = pb.WatchImpactsRequest(after_position=ban.position - 1)
    replies = _until(servicer.WatchImpacts(watch, Context()), ban.position)
    assert len(replies) > 1
    assert all(reply.ByteSize() <= BUDGET + 8_000 for reply in replies)
    assert [impact.decision_id for reply in replies for impact in reply.impacts] == ids
    # Every reply but the last resumes before the event: resuming there misses nothing.
    resumed = [reply.resume_position for reply in replies]
    assert resumed == [ban.position - 1] * (len(replies) - 1) + [ban.position]


def _until(replies: Iterator[pb.WatchImpactsResponse], end: int) -> list[pb.WatchImpactsResponse]:
    """The watch's replies up to the first that resumes at ``end`` (the watch never ends)."""
    found = []
    for reply in replies:
        found.append(reply)
        if reply.resume_position >= end:
            break
    return found
