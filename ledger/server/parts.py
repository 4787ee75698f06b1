"""What the servicer's method groups (``StreamRPCs``, ``DecisionRPCs``) need of the servicer
they are part of: the read side, the places for watches, the stop signal, and two of its
steps — turning refusals into statuses, and waiting for a ``min_position``.
``PolicyLedgerServicer`` provides them all."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import threading
    from contextlib import AbstractContextManager

    import grpc

    from ledger.readmodel.reader import Reader
    from ledger.server.limits import Places

__all__ = ["ServicerParts"]


class ServicerParts:
    """The servicer's parts its method groups use."""

    reader: Reader
    stopping: threading.Event
    _watches: Places

    def _refusals(self, context: grpc.ServicerContext) -> AbstractContextManager[None]:
        raise NotImplementedError

    def _caught_up(self, data: dict[str, Any], context: grpc.ServicerContext) -> dict[str, Any]:
        raise NotImplementedError
