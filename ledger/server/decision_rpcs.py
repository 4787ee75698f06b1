"""The decision log's methods of ``ledger.v1.PolicyLedger``: a decision, a listing, a replay,
an event's impact, the watch of impacts, and the export for an auditor.

``PolicyLedgerServicer`` serves them (it is a ``DecisionRPCs``); the work is the read side's
(``ledger.readmodel.decided``, ``impact``), the messages ``ledger.server.decision_log``'s.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, TypeVar
from uuid import UUID

from pydantic import BaseModel, Field

from ledger.application.decisions import decision_json
from ledger.domain.errors import Exhausted, NotFound
from ledger.domain.values import OfficeCode, Value
from ledger.readmodel.decided import DecisionFilter, page_of_decisions
from ledger.server.errors import Invalid, validated
from ledger.server.parts import ServicerParts
from ledger.server.streams import MAX_BATCH, PAGE_BYTES, pages
from ledger_api.convert import to_data
from ledger_api.ledger.v1 import ledger_pb2 as pb

if TYPE_CHECKING:
    import grpc

    from ledger.application.decisions import Decision
    from ledger.bootstrap import Ledger
    from ledger.readmodel.impact import EventImpact
    from ledger.server.decision_log import DecisionMessages
    from ledger.settings import Settings

__all__ = ["DecisionRPCs"]

M = TypeVar("M", bound=BaseModel)
_MAX_SEQUENCE = 2**63 - 2
# Events a watch of impacts reads from the log at a time; with none new, it looks this often
# (seconds), and at once when this process saves one.
_EVENTS = 100
_POLL = 0.25


class _ImpactWatch(Value):
    after_position: int = Field(default=0, ge=0, le=_MAX_SEQUENCE)
    offices: tuple[OfficeCode, ...] = Field(default=(), max_length=500)


class DecisionNotFound(NotFound):
    def __init__(self, decision_id: UUID) -> None:
        super().__init__(
            f"no decision {decision_id} is logged here: give the decision_id of a logged check "
            "or comparison (ListDecisions, or `ledger decisions list`, lists them)"
        )


class ImpactTooLarge(Exhausted):
    def __init__(self, position: int, impacts: int) -> None:
        super().__init__(
            f"the event at position {position} changed {impacts} logged decisions, more than "
            f"one reply holds: follow them with WatchImpacts from position {position - 1} "
            f"(ledger watch --impacts --after {position - 1} --count {impacts})"
        )


def _decision_id(text: str) -> UUID:
    try:
        return UUID(text)
    except ValueError:
        raise Invalid(
            [
                (
                    "decision_id",
                    f"{text!r} is not a decision id: give the decision_id a reply returned, a "
                    "UUID such as 1b4e28ba-2fa1-11d2-883f-0016d3cca427",
                )
            ]
        ) from None


class DecisionRPCs(ServicerParts):
    """The decision log's RPCs, for a servicer that has these parts."""

    ledger: Ledger
    settings: Settings
    decision_messages: DecisionMessages

    def _logged(self, text: str) -> Decision:
        decision_id = _decision_id(text)
        decision = self.ledger.decisions.get(decision_id)
        if decision is None:
            raise DecisionNotFound(decision_id)
        return decision

    def GetDecision(
        self, request: pb.GetDecisionRequest, context: grpc.ServicerContext
    ) -> pb.GetDecisionResponse:
        with self._refusals(context):
            decision = self._logged(request.decision_id)
        return pb.GetDecisionResponse(decision=self.decision_messages.decision(decision))

    def ListDecisions(
        self, request: pb.ListDecisionsRequest, context: grpc.ServicerContext
    ) -> pb.ListDecisionsResponse:
        with self._refusals(context):
            asked = validated(DecisionFilter, to_data(request))
            page = page_of_decisions(self.ledger.decision_index, asked)
        reply = pb.ListDecisionsResponse(next_page_token=page.next_page_token)
        size = 0
        for decision in page.decisions:
            message = self.decision_messages.decision(decision)
            size += message.ByteSize()
            if reply.decisions and size > PAGE_BYTES:  # the rest on the next page
                reply.next_page_token = str(reply.decisions[-1].sequence)
                break
            reply.decisions.append(message)
        return reply

    def ReplayDecision(
        self, request: pb.ReplayDecisionRequest, context: grpc.ServicerContext
    ) -> pb.ReplayDecisionResponse:
        messages = self.decision_messages
        with self._refusals(context):
            decision = self._logged(request.decision_id)
            # Logged by another server, it may be ahead of this one's read model: wait for it.
            self._caught_up({"min_position": decision.position}, context)
            replayed = self.ledger.impacts.replay(decision)
        logged, then = messages.decision(decision), messages.answer(decision, replayed.then)
        now = messages.answer(decision, replayed.now)
        return pb.ReplayDecisionResponse(
            decision=logged,
            then=then,
            matches=messages.text(then) == decision.answer,
            now=now,
            now_position=replayed.now_position,
            # Against the answer logged, which is ``then`` unless the log was altered.
            changed=messages.substance(now) != messages.substance(logged.answer),
        )

    def GetImpact(
        self, request: pb.GetImpactRequest, context: grpc.ServicerContext
    ) -> pb.GetImpactResponse:
        with self._refusals(context):
            position = request.position
            end = self.reader.log_end()
            if not 1 <= position <= end:
                raise Invalid(
                    [
                        (
                            "position",
                            f"must be the log position of an event, from 1 to {end} (the end of "
                            f"the log): a receipt's position, e.g. {max(end, 1)}",
                        )
                    ]
                )
            self._caught_up({"min_position": max(request.min_position, position)}, context)
            impact = self.ledger.impacts.of_event(position, None, context.is_active)
            reply = pb.GetImpactResponse(
                event_id=str(impact.event_id),
                event_type=impact.event_type,
                office=impact.office,
                impacts=self._impacts(impact),
                candidates=impact.candidates,
            )
            if reply.ByteSize() > PAGE_BYTES:
                raise ImpactTooLarge(position, len(reply.impacts))
        return reply

    def _impacts(self, impact: EventImpact) -> list[pb.Impact]:
        messages = self.decision_messages
        return [
            pb.Impact(
                decision_id=str(item.decision.decision_id),
                decision=messages.decision(item.decision),
                before=messages.answer(item.decision, item.before),
                after=messages.answer(item.decision, item.after),
                position=impact.position,
                event_id=str(impact.event_id),
                event_type=impact.event_type,
                office=impact.office,
            )
            for item in impact.impacts
        ]

    def WatchImpacts(
        self, request: pb.WatchImpactsRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchImpactsResponse]:
        with self._refusals(context):
            asked = validated(_ImpactWatch, to_data(request))
            offices = self.reader.offices_asked(asked.offices)
        release = self._watches.take_or_refuse(context)
        try:
            position = asked.after_position
            while context.is_active() and not self.stopping.is_set():
                events = self.reader.log(position, _EVENTS)
                if not events:
                    self.reader.wait_for_events(position, _POLL)
                    continue
                impacts: list[pb.Impact] = []
                for event in events:
                    with self._refusals(context):
                        self.reader.wait_for_position(
                            event.position, self.settings.max_wait_seconds, context.is_active
                        )
                        found = self.ledger.impacts.of_event(
                            event.position, offices, context.is_active
                        )
                    impacts.extend(self._impacts(found))
                # Replies under the message limit: all but the last resume before this batch.
                replies = list(pages(impacts, MAX_BATCH, lambda m: m.ByteSize())) or [[]]
                for number, page in enumerate(replies, 1):
                    last = number == len(replies)
                    resume = events[-1].position if last else position
                    yield pb.WatchImpactsResponse(impacts=page, resume_position=resume)
                position = events[-1].position
        finally:
            release()

    def ExportDecisions(
        self, request: pb.ExportDecisionsRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ExportDecisionsResponse]:
        with self._refusals(context):
            if not 0 <= request.after_sequence <= _MAX_SEQUENCE:
                raise Invalid([("after_sequence", "must be 0 or a decision's sequence number")])
            size = request.batch_size or 1000
            if not 1 <= size <= 10_000:
                raise Invalid([("batch_size", "must be between 1 and 10000, or 0 for 1000")])
        after = request.after_sequence
        store = self.ledger.decisions
        while context.is_active() and (batch := store.list(after, size)):
            after = batch[-1].sequence
            stored = [
                pb.StoredDecision(
                    sequence=decision.sequence,
                    decision_json=decision_json(decision).decode(),
                    hash=decision.hash,
                )
                for decision in batch
            ]
            for page in pages(stored, size, lambda m: m.ByteSize()):
                yield pb.ExportDecisionsResponse(decisions=page)
