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
from ledger.readmodel.answers import CheckRequest, CompareRequest, CompareResult, StateRequest
from ledger.readmodel.model import OfficeRow
from ledger.readmodel.reader import Reader
from ledger.tokens import Role

__all__ = ["Query", "QUERIES", "OfficeRequest", "PinnedDigest", "office_data"]


class OfficeRequest(Value):
    office: OfficeCode


class PinnedDigest(Value):
    position: int = Field(default=0, ge=0)
    root: str = Field(pattern=r"^[0-9a-f]{64}$")


@dataclass(frozen=True)
class Query:
    """A unary question: the model its request validates into (None: it takes no fields), how
    the read side answers it, the reply's data (a result model, or plain data), and who may
    ask it."""

    request: type[BaseModel] | None
    answer: Callable[[Reader, Any], BaseModel | dict[str, Any]]
    role: Role = Role.READER


def office_data(row: OfficeRow) -> dict[str, Any]:
    return {**asdict(row), "crossings": [c.model_dump(mode="json") for c in row.crossings]}


def _rankings(result: CompareResult) -> dict[str, Any]:
    return {
        "rankings": [
            {"rank": r.rank, "office": r.office, "items": r.result.model_dump(mode="json")["items"]}
            for r in result.offices
        ]
    }


QUERIES: dict[str, Query] = {
    "GetOffice": Query(
        OfficeRequest, lambda read, r: {"office": office_data(read.office(r.office))}
    ),
    "ListOffices": Query(
        None, lambda read, _: {"offices": [office_data(o) for o in read.offices()]}
    ),
    "GetRuleState": Query(StateRequest, Reader.state),
    "Check": Query(CheckRequest, Reader.check),
    "CompareOffices": Query(CompareRequest, lambda read, r: _rankings(read.compare(r))),
}
