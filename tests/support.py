"""Builders for commands and requests, so tests state only what they are about."""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
from datetime import date
from pathlib import Path
from typing import Any

import psycopg

from ledger.application.commands import AmendChange, RecordChange, RegisterOffice, RetractChange
from ledger.bootstrap import Ledger
from ledger.domain.values import ChangeKind
from ledger.readmodel.answers import CheckRequest, StateRequest

_ids = itertools.count(1)

DANDONG = "CN-DANDONG"
WORKER_BAGGAGE = {
    "direction": "outbound",
    "channel": "personal-baggage",
    "traveller": "worker",
    "goods": "electronics",
}


def request_id() -> str:
    return f"test-{next(_ids)}"


def source(published: str = "2025-03-19", **fields: Any) -> dict[str, Any]:
    return {
        "publisher": "Daily NK",
        "url": "https://www.dailynk.com/english/",
        "published": published,
        "language": "en",
        "grade": "B2",
        **fields,
    }


def register(ledger: Ledger, code: str = DANDONG, **fields: Any) -> Any:
    return ledger.app.execute(
        RegisterOffice(request_id=request_id(), office=code, name=f"{code} customs", **fields)
    )


def record(
    ledger: Ledger,
    kind: ChangeKind | str,
    measure: dict[str, Any],
    on: str,
    precision: str = "day",
    *,
    office: str = DANDONG,
    scope: dict[str, Any] | None = None,
    published: str = "2025-03-19",
    **fields: Any,
) -> Any:
    return ledger.app.execute(
        RecordChange(
            request_id=fields.pop("request_id", None) or request_id(),
            office=office,
            kind=kind,
            scope=scope or WORKER_BAGGAGE,
            measure=measure,
            effective={"on": on, "precision": precision},
            sources=(source(published),),
            **fields,
        )
    )


def amend(
    ledger: Ledger,
    change_id: Any,
    *,
    office: str = DANDONG,
    published: str = "2025-04-01",
    **fields: Any,
) -> Any:
    return ledger.app.execute(
        AmendChange(
            request_id=request_id(),
            office=office,
            change_id=change_id,
            reason="correction",
            sources=(source(published),),
            **fields,
        )
    )


def retract(
    ledger: Ledger,
    change_id: Any,
    *,
    office: str = DANDONG,
    published: str | None = "2025-04-01",
) -> Any:
    """A retraction citing a source published on ``published``; None: a clerical one."""
    return ledger.app.execute(
        RetractChange(
            request_id=request_id(),
            office=office,
            change_id=change_id,
            reason="the report was wrong" if published else "recorded against the wrong office",
            sources=(source(published),) if published else (),
        )
    )


def limit(quantity: int) -> dict[str, Any]:
    return {"admissibility": {"kind": "quantity-limit", "quantity": quantity}}


PROHIBITED = {"admissibility": {"kind": "prohibited"}}
ALLOWED = {"admissibility": {"kind": "allowed"}}


def check(
    ledger: Ledger,
    at: str,
    goods: str = "8516.60",
    quantity: int = 1,
    *,
    office: str = DANDONG,
    known_at: Any = None,
    basis: str = "recorded",
    known_at_position: int | None = None,
    **fields: Any,
) -> Any:
    """The single item's result of a worker's baggage check."""
    request = CheckRequest(
        office=office,
        at=date.fromisoformat(at),
        known_at=known_at,
        basis=basis,
        known_at_position=known_at_position,
        direction=fields.pop("direction", "outbound"),
        channel=fields.pop("channel", "personal-baggage"),
        traveller=fields.pop("traveller", "worker"),
        items=({"goods": goods, "quantity": quantity, **fields},),
    )
    return ledger.reader.check(request).items[0]


def state(ledger: Ledger, at: str, *, office: str = DANDONG, **fields: Any) -> Any:
    return ledger.reader.state(StateRequest(office=office, at=date.fromisoformat(at), **fields))


def sqlite_rows(path: Path | str, sql: str, *parameters: Any) -> list[Any]:
    """Run ``sql`` on the file as anyone with access to it could, committed; its rows."""
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        return db.execute(sql, parameters).fetchall()


def postgres_rows(url: str, sql: str) -> list[Any]:
    """Run ``sql`` (statements split by ;) in the URL's schema; the last one's rows."""
    from tests.conftest import POSTGRES_URL

    schema = url.rsplit("schema=", 1)[1]
    with psycopg.connect(POSTGRES_URL) as db:
        db.execute(f'SET search_path TO "{schema}"')
        for statement in sql.split(";"):
            cursor = db.execute(statement)  # type: ignore[arg-type]
        return cursor.fetchall() if cursor.description else []


def burn_a_position(url: str) -> None:
    """Use up the next log position on PostgreSQL, as a write rolled back after taking it
    does: no event will ever be at that position."""
    postgres_rows(url, "SELECT nextval(pg_get_serial_sequence('ledger_events', 'notification_id'))")
