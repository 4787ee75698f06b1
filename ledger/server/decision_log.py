"""Logging checks and comparisons, and logged decisions as messages.

``DecisionLog`` decides whether a call is logged (``LEDGER_DECISION_LOG``: ``off``, ``requested``
— the calls that ask, with ``log: true`` — or ``all``), and logs it once answered: the request
as sent (without ``min_position``, ``log`` and ``label``) and the reply as sent (without its
``decision_id``), each as canonical JSON of its fields; the ledger position the answer was
given at (the question is answered from the log up to there: ``Knowledge.within``) and the
digest there; the events behind the answer; who asked (the token's name) and when. It waits
for the decision to be stored (group commit, ``DecisionWriter``) before the reply goes: an
acknowledged decision is durable.

``DecisionMessages`` builds the API's messages of a logged decision and of an answer given
again (replay, impact) exactly as the call itself built its reply, so that a replay's answer
can be compared with the logged one byte for byte.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any
from uuid import UUID

from ledger.application.decisions import NewDecision, canonical_text
from ledger.domain.chain import GENESIS
from ledger.domain.errors import PreconditionFailed
from ledger.readmodel.answers import CheckResult, CompareResult
from ledger.server.errors import Invalid
from ledger.server.queries import checked_goods, compared_goods, rankings
from ledger_api.convert import Shared, from_data, from_model, to_data
from ledger_api.ledger.v1 import ledger_pb2 as pb

if TYPE_CHECKING:
    import grpc
    from google.protobuf.message import Message

    from ledger.application.decisions import Decision
    from ledger.bootstrap import Ledger
    from ledger.server.auth import Tokens
    from ledger.settings import Settings

__all__ = ["LOGGED", "DecisionLog", "DecisionMessages", "LogOff"]

# The questions whose answers may be logged: RPC → its request and reply message types.
LOGGED: dict[str, tuple[type[Message], type[Message]]] = {
    "Check": (pb.CheckRequest, pb.CheckResponse),
    "CompareOffices": (pb.CompareOfficesRequest, pb.CompareOfficesResponse),
}
_LABEL = 200


class LogOff(PreconditionFailed):
    def __init__(self) -> None:
        super().__init__(
            "this server logs no decisions (LEDGER_DECISION_LOG=off): ask without log, or ask a "
            "server that logs them"
        )


class DecisionLog:
    """Whether each call is logged, and logging it."""

    def __init__(self, ledger: Ledger, settings: Settings, tokens: Tokens | None) -> None:
        self.ledger = ledger
        self.mode = settings.decision_log
        self.wait = settings.decision_wait_seconds
        self.tokens = tokens
        self._root: tuple[int, str] | None = None  # the last position's digest root

    def wanted(self, data: dict[str, Any]) -> str | None:
        """Take ``log`` and ``label`` out of a request's data; the label to log it with, or
        None when it is not logged. Refuses a label without a log, and a log asked of a server
        that logs nothing."""
        asked = bool(data.pop("log", False))
        label = data.pop("label", "")
        if len(label) > _LABEL:
            raise Invalid([("label", f"at most {_LABEL} characters, e.g. case-2025-031")])
        if asked and self.mode == "off":
            raise LogOff()
        if label and not (asked or self.mode == "all"):
            raise Invalid([("label", "a label goes with a logged decision: add log: true")])
        return label if asked or self.mode == "all" else None

    def log(
        self,
        rpc: str,
        question: dict[str, Any],
        reply: Message,
        result: Any,
        position: int,
        label: str,
        context: grpc.ServicerContext,
    ) -> UUID:
        """Log the call (``question``: its request's data, as validated; ``reply`` as it will
        be sent, ``result`` its model), answered at ``position``; wait until stored."""
        callers = self.tokens
        decision = NewDecision(
            asked_at=datetime.now(UTC),
            asked_by="" if callers is None else callers.caller(context.invocation_metadata()),
            label=label,
            rpc=rpc,
            request=canonical_text(question),
            answer=canonical_text(to_data(reply)),
            position=position,
            digest=self._root_at(position),
            event_ids=_event_ids(result),
        )
        return self.ledger.decision_writer.log(decision, self.wait).decision_id

    def _root_at(self, position: int) -> str:
        """The digest root at ``position``: read once per position (calls between two writes
        are answered at the same one)."""
        known = self._root
        if known is None or known[0] != position:
            checkpoint = self.ledger.view.checkpoint_at(position) if position else None
            known = self._root = (position, GENESIS if checkpoint is None else checkpoint.root)
        return known[1]


def _event_ids(result: Any) -> tuple[UUID, ...]:
    """The events behind a check's result, or a comparison's (its reply's ``Rankings``)."""
    answers = result.rankings if hasattr(result, "rankings") else [result]
    return tuple(
        dict.fromkeys(
            event_id for each in answers for item in each.items for event_id in item.event_ids
        )
    )


class DecisionMessages:
    """A logged decision, and answers given again, as the API's messages."""

    def __init__(self, shared: Shared) -> None:
        self.shared = shared

    def decision(self, decision: Decision) -> pb.Decision:
        message = pb.Decision(
            decision_id=str(decision.decision_id),
            sequence=decision.sequence,
            asked_by=decision.asked_by,
            label=decision.label,
            position=decision.position,
            digest=decision.digest,
            event_ids=[str(event_id) for event_id in decision.event_ids],
            prev_hash=decision.prev_hash,
            hash=decision.hash,
        )
        message.asked_at.FromDatetime(decision.asked_at)
        field = "check" if decision.rpc == "Check" else "comparison"
        from_data(json.loads(decision.request), getattr(message, field))
        from_data(json.loads(decision.answer), getattr(message.answer, field))
        return message

    def answer(self, decision: Decision, result: CheckResult | CompareResult) -> pb.DecisionAnswer:
        """``result``, a new answer to the decision's question, as its reply was built."""
        request_type, _ = LOGGED[decision.rpc]
        request = from_data(json.loads(decision.request), request_type())
        message = pb.DecisionAnswer()
        if isinstance(result, CheckResult):
            from_model(result, message.check, self.shared)
            checked_goods(request, message.check)
        else:
            from_model(rankings(result), message.comparison, self.shared)
            compared_goods(request, message.comparison)
        return message

    @staticmethod
    def substance(answer: pb.DecisionAnswer) -> tuple[Any, ...]:
        """What makes an answer right or wrong (``ledger.readmodel.impact.substance``), of a
        message: each item's verdict, inspection and enforcement; each office's rank and
        standing."""

        def items(reply: Any) -> tuple[Any, ...]:
            return tuple((i.verdict, i.inspection, i.enforcement) for i in reply.items)

        if answer.HasField("check"):
            return items(answer.check)
        return tuple((r.office, r.rank, r.standing, items(r)) for r in answer.comparison.rankings)

    @staticmethod
    def text(answer: pb.DecisionAnswer) -> str:
        """An answer as its decision logs it (canonical JSON of the reply's fields)."""
        reply = answer.check if answer.HasField("check") else answer.comparison
        return canonical_text(to_data(reply))
