"""The decision log: the answers a server logged, what recorded events changed of them, and
the log as stored, verified here.

A check or a comparison is logged when asked so (``check(..., log=True, label=...)``) or when
the server logs every call; its result's ``decision_id`` names it. A logged decision keeps the
question as asked (``check`` or ``comparison``: the request's plain data), the answer as sent,
and the ledger position and digest it was answered at, chained by hashes like the events:
``verify_decisions`` recomputes the chain here (``ledger_api.verify_decisions``), trusting
nothing the server says.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime
from typing import Any
from uuid import UUID

from pydantic import Field, model_validator

from ledger_api.convert import to_data
from ledger_api.verify_decisions import DecisionChainVerifier, decision_digest_problems
from ledger_client.audit import RemoteAudit
from ledger_client.connection import Connection
from ledger_client.models import Model
from ledger_client.queries import CheckResult, CompareResult, When, text

__all__ = [
    "resume_points",
    "Decisions",
    "Decision",
    "DecisionAnswer",
    "DecisionPage",
    "Replay",
    "Impact",
    "ImpactReport",
    "StoredDecision",
    "DecisionAudit",
    "impacts_of",
]

Data = dict[str, Any]
# The question each logged RPC keeps, by the oneof's field.
_RPCS = {"check": "Check", "comparison": "CompareOffices"}


class DecisionAnswer(Model):
    """A check's or a comparison's answer, as sent: one of the two is given."""

    check: CheckResult | None = None
    comparison: CompareResult | None = None


class Decision(Model):
    """A logged check or comparison: who asked what, when, and what was answered, at which
    ledger position; its place in the decision log and its link in the chain."""

    decision_id: UUID
    sequence: int = 0
    asked_at: datetime
    asked_by: str = ""  # the token's name, on a server that checks tokens
    label: str = ""
    rpc: str = ""  # "Check" or "CompareOffices": which question was asked
    check: Data | None = None  # the check asked, as the request's plain data
    comparison: Data | None = None  # the comparison asked
    answer: DecisionAnswer = DecisionAnswer()
    position: int = 0
    digest: str = ""
    event_ids: tuple[UUID, ...] = ()
    prev_hash: str = ""
    hash: str = ""

    @model_validator(mode="before")
    @classmethod
    def _asked(cls, data: Any) -> Any:
        """``rpc`` from the question given (the wire says it by which one is set)."""
        if isinstance(data, dict) and not data.get("rpc"):
            asked = next((rpc for field, rpc in _RPCS.items() if data.get(field)), "")
            return {**data, "rpc": asked}
        return data

    @property
    def offices(self) -> tuple[str, ...]:
        """The offices asked about."""
        if self.check is not None:
            return (str(self.check.get("office", "")),)
        return tuple((self.comparison or {}).get("offices", ()))


class DecisionPage(Model):
    """A page of decisions, in the order logged."""

    decisions: tuple[Decision, ...] = ()
    next_page_token: str = ""  # empty on the last page


class Replay(Model):
    """A decision answered again: as known at its position (``then``: ``matches`` when it is
    the logged answer, exactly) and as known now (``changed`` when a verdict, an inspection,
    an enforcement or a ranking differs from the logged answer)."""

    decision: Decision
    then: DecisionAnswer = DecisionAnswer()
    matches: bool = False
    now: DecisionAnswer = DecisionAnswer()
    now_position: int = 0
    changed: bool = False


class Impact(Model):
    """A logged decision whose answer the event at ``position`` changed: its answer just
    before the event, and with it. From a watch, ``resume_position`` is where to resume so as
    to miss nothing after this impact (``impacts_of``)."""

    decision_id: UUID
    decision: Decision
    before: DecisionAnswer = DecisionAnswer()
    after: DecisionAnswer = DecisionAnswer()
    position: int = 0
    event_id: UUID
    event_type: str = ""
    office: str = ""
    resume_position: int = 0


class ImpactReport(Model):
    """The decisions one event changed, in the order logged, out of the ``candidates``
    answered again (those that could have depended on it)."""

    event_id: UUID
    event_type: str = ""
    office: str = ""
    impacts: tuple[Impact, ...] = ()
    candidates: int = 0


class StoredDecision(Model):
    """A logged decision exactly as stored: the canonical JSON text its hash is over."""

    sequence: int
    decision_json: str
    hash: str


class DecisionAudit(Model):
    """What a client-side replay of the decision log found: ``decisions`` verified, the last
    one's ``last_sequence`` and ``last_hash`` (recomputed: keep them to check later that none
    was removed from the end), and the problems (the first 100)."""

    ok: bool
    decisions: int
    last_sequence: int = 0
    last_hash: str
    problems: tuple[str, ...] = ()
    # Ledger positions whose digest, as decisions state it, was compared with the event log
    # replayed here (``against``).
    digests_checked: int = 0
    # Position → (the first decision answered there, the digest it states).
    digests: dict[int, tuple[int, str]] = Field(default_factory=dict, exclude=True)

    @property
    def positions(self) -> frozenset[int]:
        """The ledger positions decisions were answered at: the roots a log replay keeps."""
        return frozenset(self.digests)

    def against(self, log: RemoteAudit) -> DecisionAudit:
        """This audit, with each decision's digest compared with the root the event log
        replayed here reaches at its position (``log``, from ``audit(roots_at=positions)``)."""
        found, checked = decision_digest_problems(self.digests, log.roots, log.digest.position)
        return self.model_copy(
            update={
                "ok": self.ok and not found,
                "problems": (*self.problems, *map(str, found)),
                "digests_checked": checked,
            }
        )


def resume_points(reply: Any, previous: int) -> list[int]:
    """Where to resume after each impact of a ``WatchImpacts`` reply (a message), the watch
    having resumed after ``previous`` before it: after the reply's point for its last impact;
    after its event's position for the last impact of an event; just before its event for any
    other (resuming there sends that event's impacts again: nothing is missed)."""
    impacts = reply.impacts
    points = []
    for number, impact in enumerate(impacts):
        if number == len(impacts) - 1:
            points.append(max(previous, reply.resume_position))
        elif impacts[number + 1].position != impact.position:
            points.append(max(previous, impact.position))
        else:
            points.append(max(previous, impact.position - 1))
    return points


def impacts_of(replies: Iterable[Any], after_position: int = 0) -> Iterator[Impact]:
    """The impacts of ``WatchImpacts``'s replies (messages), each with where to resume after
    it (``resume_points``). ``after_position``: where the watch started."""
    previous = after_position
    for reply in replies:
        for impact, point in zip(reply.impacts, resume_points(reply, previous), strict=True):
            yield Impact.model_validate({**to_data(impact), "resume_position": point})
        previous = max(previous, reply.resume_position)


class Decisions(Connection):
    """The decision log: decisions by id or filters, replays, impacts, and the export."""

    def get_decision(self, decision_id: UUID | str) -> Decision:
        reply = self.call("GetDecision", {"decision_id": str(decision_id)})
        return Decision.model_validate(reply["decision"])

    def list_decisions(
        self,
        *,
        office: str | None = None,
        label: str | None = None,
        asked_from: When = None,
        asked_until: When = None,
        from_position: int = 0,
        to_position: int = 0,
        page_size: int = 0,
        page_token: str | None = None,
    ) -> DecisionPage:
        """One page of the decisions that match every filter given: about ``office``, with
        ``label``, asked from ``asked_from`` (a date: its start, UTC) and before
        ``asked_until``, answered at positions ``from_position`` to ``to_position`` (0: no
        bound). ``page_token``: the previous page's ``next_page_token``."""
        request = {
            "office": office,
            "label": label,
            "asked_from": text(asked_from),
            "asked_until": text(asked_until),
            "from_position": from_position,
            "to_position": to_position,
            "page_size": page_size,
            "page_token": page_token,
        }
        return DecisionPage.model_validate(self.call("ListDecisions", request))

    def all_decisions(
        self,
        *,
        office: str | None = None,
        label: str | None = None,
        asked_from: When = None,
        asked_until: When = None,
        from_position: int = 0,
        to_position: int = 0,
        page_size: int = 0,
    ) -> Iterator[Decision]:
        """Every decision ``list_decisions`` finds with these filters, page after page."""
        token = None
        while True:
            page = self.list_decisions(
                office=office,
                label=label,
                asked_from=asked_from,
                asked_until=asked_until,
                from_position=from_position,
                to_position=to_position,
                page_size=page_size,
                page_token=token,
            )
            yield from page.decisions
            if not page.next_page_token:
                return
            token = page.next_page_token

    def replay_decision(self, decision_id: UUID | str) -> Replay:
        """The decision answered again, as known at its position and as known now."""
        return Replay.model_validate(self.call("ReplayDecision", {"decision_id": str(decision_id)}))

    def impact(self, position: int, *, min_position: int = 0) -> ImpactReport:
        """The logged decisions whose answer the event at ``position`` changed."""
        request = {"position": position, "min_position": min_position}
        return ImpactReport.model_validate(self.call("GetImpact", request))

    def watch_impacts(
        self,
        after_position: int = 0,
        *,
        offices: Sequence[str] = (),
        timeout: float | None = None,
    ) -> Iterator[Impact]:
        """The impacts of the events after ``after_position`` (an impact's
        ``resume_position``), those recorded, then new ones, on decisions about ``offices``
        (none: every office), until ``timeout`` (None: until the caller stops iterating or the
        server stops)."""
        request = {"after_position": after_position, "offices": list(offices)}
        replies = self.stream("WatchImpacts", request, timeout=timeout)
        yield from impacts_of(replies, after_position)

    def export_decisions(
        self, after_sequence: int = 0, batch_size: int = 0
    ) -> Iterator[StoredDecision]:
        """The decision log exactly as stored, in order, after ``after_sequence``."""
        request = {"after_sequence": after_sequence, "batch_size": batch_size}
        for reply in self.stream("ExportDecisions", request):
            for stored in reply.decisions:
                yield StoredDecision(
                    sequence=stored.sequence, decision_json=stored.decision_json, hash=stored.hash
                )

    def verify_decisions(
        self, *, progress: Callable[[StoredDecision], None] | None = None
    ) -> DecisionAudit:
        """Replay the whole decision log here, trusting nothing the server says: every hash
        recomputed from the stored text, every link and sequence checked. Compare the digests
        the decisions state with the event log's (``DecisionAudit.against``) to know that
        each was answered at a state the ledger really was in."""
        verifier = DecisionChainVerifier()
        for stored in self.export_decisions():
            verifier.add(stored.sequence, stored.decision_json, stored.hash)
            if progress is not None:
                progress(stored)
        return DecisionAudit(
            ok=verifier.problem_count == 0,
            decisions=verifier.decisions,
            last_sequence=verifier.sequence,
            last_hash=verifier.last_hash,
            problems=tuple(map(str, verifier.problems)),
            digests=verifier.digests,
        )
