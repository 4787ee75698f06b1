"""The decision log as a server would send it, built with the generated stubs; a stored chain
built from the published definition (with ``json`` and ``hashlib`` alone, not the verifier's
helpers); and a fake server that answers with them (``FakeLedger``): samples for the client's
models, the verifier and the CLI."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import grpc

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc

DANDONG, HUNCHUN, CHANGBAI = "CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"
FIRST = "1b4e28ba-2fa1-41d2-883f-0016d3cca427"
SECOND = "7d3f0c2e-9a41-4b8e-a1c5-2f6e8d9b0a13"
EVENT = "e0a1b2c3-d4e5-4f60-8a7b-9c0d1e2f3a4b"
DIGEST = "ab" * 32
GENESIS = "0" * 64
QUANTITIES = (1, 3)  # the rice cookers checked: one, then three
ASKED_AT = datetime(2026, 12, 1, 10, 0, 0, 123456, tzinfo=UTC)

Data = dict[str, Any]


def check_request(office: str = DANDONG, **more: Any) -> pb.CheckRequest:
    return pb.CheckRequest(
        office=office,
        at="2025-03-20",
        direction=pb.DIRECTION_OUTBOUND,
        channel=pb.CHANNEL_PERSONAL_BAGGAGE,
        traveller=pb.TRAVELLER_WORKER,
        items=[
            pb.CheckItem(goods="8516.60", quantity=1),
            pb.CheckItem(goods="8516.60", quantity=3),
        ],
        **more,
    )


def item(quantity: int, verdict: int, inspection: int = 0) -> pb.ItemResult:
    return pb.ItemResult(
        item=pb.CheckItem(goods="851660", quantity=quantity),
        verdict=verdict,
        inspection=inspection,
        event_ids=[EVENT],
    )


def check_answer(*verdicts: int, office: str = DANDONG) -> pb.DecisionAnswer:
    """A check's answer for the items ``check_request`` asks about, in order."""
    items = [
        item(quantity, verdict) for quantity, verdict in zip(QUANTITIES, verdicts, strict=False)
    ]
    return pb.DecisionAnswer(check=pb.CheckResponse(office=office, items=items))


def compare_answer(*ranked: tuple[str, int, int]) -> pb.DecisionAnswer:
    """Offices as (office, rank, verdict of their one item)."""
    rankings = [
        pb.OfficeRanking(
            rank=rank,
            office=office,
            items=[pb.ItemResult(item=pb.CheckItem(goods="electronics", quantity=1), verdict=v)],
            standing=pb.STANDING_RANKED if rank else pb.STANDING_UNKNOWN,
        )
        for office, rank, v in ranked
    ]
    return pb.DecisionAnswer(comparison=pb.CompareOfficesResponse(rankings=rankings))


def comparison_request() -> pb.CompareOfficesRequest:
    return pb.CompareOfficesRequest(
        offices=[DANDONG, HUNCHUN, CHANGBAI],
        at="2025-04-28",
        direction=pb.DIRECTION_OUTBOUND,
        channel=pb.CHANNEL_CARGO_ROAD,
        traveller=pb.TRAVELLER_TRADER,
        items=[pb.CheckItem(goods="electronics")],
    )


def checked(
    decision_id: str = FIRST, sequence: int = 1, label: str = "CASE-2026-118"
) -> pb.Decision:
    """A logged check: a worker's rice cookers at Dandong, one allowed, three prohibited."""
    decision = pb.Decision(
        decision_id=decision_id,
        sequence=sequence,
        asked_by="desk-3",
        label=label,
        check=check_request(),
        answer=check_answer(pb.VERDICT_ALLOWED, pb.VERDICT_PROHIBITED),
        position=42,
        digest=DIGEST,
        event_ids=[EVENT],
        prev_hash=GENESIS,
        hash="cd" * 32,
    )
    decision.asked_at.FromDatetime(ASKED_AT)
    return decision


def compared(decision_id: str = SECOND, sequence: int = 2) -> pb.Decision:
    """A logged comparison of three offices for a trader's electronics by road."""
    decision = pb.Decision(
        decision_id=decision_id,
        sequence=sequence,
        comparison=comparison_request(),
        answer=compare_answer(
            (HUNCHUN, 1, pb.VERDICT_ALLOWED),
            (DANDONG, 2, pb.VERDICT_LIMIT_EXCEEDED),
            (CHANGBAI, 0, pb.VERDICT_NO_RULE),
        ),
        position=57,
        digest="ef" * 32,
        prev_hash="cd" * 32,
        hash="12" * 32,
    )
    decision.asked_at.FromDatetime(ASKED_AT)
    return decision


def impact_of_amendment(decision: pb.Decision | None = None) -> pb.Impact:
    """An amendment at position 57 that turned the three rice cookers from prohibited to
    allowed with a thorough inspection."""
    decision = decision or checked()
    return pb.Impact(
        decision_id=decision.decision_id,
        decision=decision,
        before=check_answer(pb.VERDICT_ALLOWED, pb.VERDICT_PROHIBITED),
        after=pb.DecisionAnswer(
            check=pb.CheckResponse(
                office=DANDONG,
                items=[
                    item(1, pb.VERDICT_ALLOWED),
                    item(3, pb.VERDICT_ALLOWED, pb.INSPECTION_THOROUGH),
                ],
            )
        ),
        position=57,
        event_id=EVENT,
        event_type="ChangeAmended",
        office=DANDONG,
    )


# A stored chain, from the definition.


def canonical(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def hashed(decision_json: str) -> str:
    return hashlib.sha256(b"Decision\n" + decision_json.encode("utf-8")).hexdigest()


def fields(sequence: int, prev_hash: str, **more: Any) -> Data:
    """A decision's stored fields: every key of the definition, no hash."""
    return {
        "answer": canonical({"office": DANDONG, "items": [{"verdict": "PROHIBITED"}]}),
        "asked_at": "2026-12-01T10:00:00.123456+00:00",
        "asked_by": "desk-3",
        "decision_id": f"00000000-0000-4000-8000-{sequence:012d}",
        "digest": DIGEST,
        "event_ids": [EVENT],
        "label": "",
        "position": 42,
        "prev_hash": prev_hash,
        "request": canonical({"office": DANDONG, "at": "2025-03-20"}),
        "rpc": "Check",
        "sequence": sequence,
        **more,
    }


def chain(count: int, **more: Any) -> list[tuple[int, str, str]]:
    """``count`` decisions as exported: (sequence, decision_json, hash), chained from 64
    zeros; ``more``: fields every decision has."""
    stored = []
    prev_hash = GENESIS
    for sequence in range(1, count + 1):
        text = canonical(fields(sequence, prev_hash, **more))
        prev_hash = hashed(text)
        stored.append((sequence, text, prev_hash))
    return stored


def rechained(stored: list[tuple[int, str, str]]) -> list[tuple[int, str, str]]:
    """``stored`` with every hash recomputed from its text as it is (links left as they are):
    a forger's export whose only faults are the links and numbers it has."""
    return [(sequence, text, hashed(text)) for sequence, text, _ in stored]


def as_messages(stored: list[tuple[int, str, str]]) -> list[pb.StoredDecision]:
    return [
        pb.StoredDecision(sequence=sequence, decision_json=text, hash=hash_)
        for sequence, text, hash_ in stored
    ]


class FakeLedger(ledger_pb2_grpc.PolicyLedgerServicer):
    """Canned replies, and every request received, by method."""

    def __init__(self) -> None:
        self.requests: dict[str, list[Any]] = {}
        self.replay = pb.ReplayDecisionResponse(
            decision=checked(), then=checked().answer, matches=True, now=checked().answer
        )
        self.impact = pb.GetImpactResponse(
            event_id=EVENT,
            event_type="ChangeAmended",
            office=DANDONG,
            impacts=[impact_of_amendment()],
            candidates=5,
        )
        self.watched = [
            pb.WatchImpactsResponse(
                impacts=[impact_of_amendment(), impact_of_amendment(compared())],
                resume_position=57,
            ),
            pb.WatchImpactsResponse(resume_position=80),
        ]
        self.stored = as_messages(chain(3, position=0, digest=GENESIS))

    def _asked(self, method: str, request: Any) -> None:
        self.requests.setdefault(method, []).append(request)

    def Check(self, request: Any, context: Any) -> pb.CheckResponse:
        self._asked("Check", request)
        answer = check_answer(pb.VERDICT_ALLOWED, pb.VERDICT_PROHIBITED).check
        return pb.CheckResponse(
            office=answer.office, items=answer.items, decision_id=FIRST if request.log else ""
        )

    def CompareOffices(self, request: Any, context: Any) -> pb.CompareOfficesResponse:
        self._asked("CompareOffices", request)
        answer = compared().answer.comparison
        return pb.CompareOfficesResponse(
            rankings=answer.rankings, decision_id=SECOND if request.log else ""
        )

    def GetDecision(self, request: Any, context: Any) -> pb.GetDecisionResponse:
        self._asked("GetDecision", request)
        found = {FIRST: checked(), SECOND: compared()}.get(request.decision_id)
        if found is None:
            context.abort(grpc.StatusCode.NOT_FOUND, f"no decision {request.decision_id}")
        return pb.GetDecisionResponse(decision=found)

    def ListDecisions(self, request: Any, context: Any) -> pb.ListDecisionsResponse:
        self._asked("ListDecisions", request)
        if not request.page_token:
            return pb.ListDecisionsResponse(decisions=[checked()], next_page_token="2")
        return pb.ListDecisionsResponse(decisions=[compared()])

    def ReplayDecision(self, request: Any, context: Any) -> pb.ReplayDecisionResponse:
        self._asked("ReplayDecision", request)
        return self.replay

    def GetImpact(self, request: Any, context: Any) -> pb.GetImpactResponse:
        self._asked("GetImpact", request)
        return self.impact

    def WatchImpacts(self, request: Any, context: Any) -> Iterator[pb.WatchImpactsResponse]:
        self._asked("WatchImpacts", request)
        yield from self.watched

    def ExportDecisions(self, request: Any, context: Any) -> Iterator[Any]:
        self._asked("ExportDecisions", request)
        yield pb.ExportDecisionsResponse(decisions=self.stored)

    def GetDigest(self, request: Any, context: Any) -> pb.GetDigestResponse:
        return pb.GetDigestResponse(digest=pb.Digest(position=0, root=GENESIS))

    def ExportLedger(self, request: Any, context: Any) -> Iterator[Any]:
        yield from ()
