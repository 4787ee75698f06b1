"""Commands: register an office, record a change, amend or retract one, import a batch.

Every command gets a request id (generated unless given) before its first attempt, so a retry
of a command that was in fact recorded returns the first receipt.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any, Literal

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_client.connection import Connection, new_request_id
from ledger_client.models import Amended, Model, Receipt

__all__ = ["Commands", "ImportResult"]

Kind = Literal["observed", "tightened", "loosened"]
Data = dict[str, Any]
_VERBS = {"observed": "observe", "tightened": "tighten", "loosened": "loosen"}


class ImportResult(Model):
    receipts: tuple[Receipt, ...] = ()
    stored: int = 0


class Commands(Connection):
    """The commands, each returning its ``Receipt``."""

    def execute(self, command: str, **fields: Any) -> Receipt:
        """Any command, by its verb (``register``, ``observe``, ``tighten``, ``loosen``,
        ``amend``, ``retract``: the proto's ``Command``), with a command file's fields."""
        return Receipt.model_validate(self.send(command, fields))

    def register_office(
        self,
        office: str,
        name: str,
        crossings: Sequence[Data] = (),
        *,
        request_id: str | None = None,
    ) -> Receipt:
        return self.execute(
            "register",
            request_id=request_id or new_request_id(),
            office=office,
            name=name,
            crossings=list(crossings),
        )

    def record(
        self,
        kind: Kind,
        office: str,
        *,
        scope: Data,
        measure: Data,
        effective: Data,
        sources: Sequence[Data],
        note: str = "",
        expected_version: int | None = None,
        request_id: str | None = None,
    ) -> Receipt:
        """Record an observation, a tightening or a loosening."""
        return self.execute(
            _VERBS[kind],
            request_id=request_id or new_request_id(),
            office=office,
            expected_version=expected_version,
            scope=scope,
            measure=measure,
            effective=effective,
            sources=list(sources),
            note=note,
        )

    def amend(
        self,
        office: str,
        change_id: uuid.UUID | str,
        *,
        reason: str,
        sources: Sequence[Data],
        effective: Data | None = None,
        measure: Data | None = None,
        clear: Sequence[str] = (),
        expected_version: int | None = None,
        request_id: str | None = None,
    ) -> Amended:
        """Correct a change: its ``effective`` date, the dimensions ``measure`` states (the
        others stay as they were), the dimensions named in ``clear`` (no longer stated). The
        receipt comes with the change ``before`` and ``after`` the amendment."""
        fields = {
            "request_id": request_id or new_request_id(),
            "office": office,
            "expected_version": expected_version,
            "change_id": str(change_id),
            "effective": effective,
            "measure": measure,
            "clear": list(clear),
            "reason": reason,
            "sources": list(sources),
        }
        reply = self.send_for_reply("amend", fields)
        return Amended.model_validate(
            {**reply["receipt"], "before": reply.get("before"), "after": reply.get("after")}
        )

    def retract(
        self,
        office: str,
        change_id: uuid.UUID | str,
        *,
        reason: str,
        sources: Sequence[Data] = (),
        expected_version: int | None = None,
        request_id: str | None = None,
    ) -> Receipt:
        """Withdraw a change; ``sources`` may be empty (a clerical retraction)."""
        return self.execute(
            "retract",
            request_id=request_id or new_request_id(),
            office=office,
            expected_version=expected_version,
            change_id=str(change_id),
            reason=reason,
            sources=list(sources),
        )

    def import_commands(
        self,
        commands: Sequence[pb.Command],
        *,
        chunk: int = 500,
        progress: Callable[[int], None] | None = None,
    ) -> ImportResult:
        """Send a batch in chunks; the server stores it whole or refuses it whole.

        ``progress`` is called with the number of commands in each chunk as it is sent.
        """

        reply = self.import_batch(commands, chunk=chunk, progress=progress)
        return ImportResult.model_validate(reply)
