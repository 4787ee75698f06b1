"""The service's questions, as a table: each unary query's request, answer, reply and role.

A query's request is validated into its model, the read side answers it, and the answer
becomes the reply (a result model, or the reply's plain data). ``ledger.server.servicer``
serves every entry; adding a question adds one line here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from pydantic import BaseModel, Field

from ledger.domain.values import OfficeCode, Value
from ledger.readmodel.answers import (
    CheckRequest,
    CompareRequest,
    CompareResult,
    ItemResult,
    Standing,
    StateRequest,
)
from ledger.readmodel.model import OfficeRow
from ledger.readmodel.proofs import ConsistencyRequest, InclusionRequest, Proofs
from ledger.readmodel.reader import Reader
from ledger.readmodel.upcoming import UpcomingRequest
from ledger.tokens import Role

__all__ = [
    "Query",
    "QUERIES",
    "OfficeRequest",
    "PinnedDigest",
    "office_data",
    "rankings",
    "checked_goods",
    "compared_goods",
]


class OfficeRequest(Value):
    office: OfficeCode


class PinnedDigest(Value):
    position: int = Field(default=0, ge=0)
    root: str = Field(pattern=r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Query:
    """A unary question: the model its request validates into (None: it takes no fields), how
    the read side answers it (checks given their budget, ``ledger.server.budget``, which
    follows the work item by item), the reply's data (a result model, or plain data), and who
    may ask it."""

    request: type[BaseModel] | None
    # A question whose answer may be logged (``ledger.server.decision_log``) also takes the
    # log position to answer from (``within``, a fourth argument).
    answer: Callable[..., BaseModel | dict[str, Any]]
    role: Role = Role.READER
    # Puts back into the reply (second) what the request (first) said as the caller wrote it.
    as_written: Callable[[Any, Any], None] | None = None


def office_data(row: OfficeRow) -> dict[str, Any]:
    return {**asdict(row), "crossings": [c.model_dump(mode="json") for c in row.crossings]}


class Ranking(BaseModel):
    """An office's place in a comparison, shaped as its reply (``OfficeRanking``)."""

    rank: int
    office: str
    items: tuple[ItemResult, ...]
    standing: Standing


class Rankings(BaseModel):
    rankings: tuple[Ranking, ...]


def rankings(result: CompareResult) -> Rankings:
    """The comparison as its reply's model: built, not validated, sharing the results' items
    (their rulings are converted once each, not dumped office by office)."""
    return Rankings.model_construct(
        rankings=tuple(
            Ranking.model_construct(
                rank=r.rank, office=r.office, items=r.result.items, standing=r.standing
            )
            for r in result.offices
        )
    )


def checked_goods(request: Any, reply: Any) -> None:
    """Each item's goods as the caller wrote them (``8471.30``; the ledger reads ``847130``)."""
    for answered, asked in zip(reply.items, request.items, strict=True):
        answered.item.goods = asked.goods


def compared_goods(request: Any, reply: Any) -> None:
    for ranking in reply.rankings:
        checked_goods(request, ranking)


QUERIES: dict[str, Query] = {
    "GetOffice": Query(
        OfficeRequest, lambda read, r, _: {"office": office_data(read.office(r.office))}
    ),
    "ListOffices": Query(
        None, lambda read, _, __: {"offices": [office_data(o) for o in read.offices()]}
    ),
    "GetRuleState": Query(StateRequest, lambda read, r, _: read.state(r)),
    "Check": Query(CheckRequest, Reader.check, as_written=checked_goods),
    "CompareOffices": Query(
        CompareRequest,
        lambda read, r, go, within=None: rankings(read.compare(r, go, within)),
        as_written=compared_goods,
    ),
    "ListUpcoming": Query(UpcomingRequest, lambda read, r, _: read.upcoming(r)),
    # A reader checks the answers it is given: the proofs are a reader's, as the answers are.
    "GetInclusionProof": Query(InclusionRequest, lambda read, r, _: Proofs(read).inclusion(r)),
    "GetConsistencyProof": Query(
        ConsistencyRequest, lambda read, r, _: Proofs(read).consistency(r)
    ),
}
