"""The ledger application: the service layer and unit of work over the office aggregates.

A command loads its office, applies itself to it (``Command.handle``), and the application
makes one ``save()`` that writes the event and its request-id row in one transaction. A batch
(an import) applies every command to the offices in memory first and saves them all in one
transaction, or refuses the whole batch. Read models follow the log through ``on_saved``
listeners, so nothing here knows about them; which database, recorder and mapper are used is
the infrastructure factory's business (``ledger.storage``), chosen by ``PERSISTENCE_MODULE``.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, ClassVar, NamedTuple, cast
from uuid import UUID

from eventsourcing.application import AggregateNotFoundError, Application
from eventsourcing.persistence import IntegrityError

from ledger.application.commands import Command, Receipt
from ledger.application.office_locks import OfficeLocks
from ledger.application.ports import LedgerStore, RequestRecord
from ledger.domain.errors import (
    AlreadyExists,
    Conflict,
    LedgerError,
    OfficeAlreadyRegistered,
    OfficeNotFound,
)
from ledger.domain.events import OfficeEvent
from ledger.domain.office import Change, Office, office_id
from ledger_api.commands import change_id_for

if TYPE_CHECKING:
    from eventsourcing.persistence import Recording

__all__ = [
    "LedgerApplication",
    "Executed",
    "VersionConflict",
    "RequestIdReused",
    "BatchRefused",
]

# How often a write is tried when another process's write to the same office wins the race
# (writes within this process take turns: ``office_locks``); each attempt reloads the offices
# and re-checks every invariant. Not when the caller gave an expected version: then the race is
# theirs to resolve. Before each retry the writer waits a random time under a bound that doubles
# from 2 ms up to 50 ms ("full jitter"), so writers that collided do not collide again in step:
# at most 0.21 s of waiting in all.
_WRITE_ATTEMPTS = 8
_FIRST_WAIT = 0.002
_LONGEST_WAIT = 0.05


class Executed(NamedTuple):
    """A batch's receipts, one per command, and how many events this batch wrote (the other
    receipts are those of earlier uses of the same request ids)."""

    receipts: list[Receipt]
    stored: int


class LedgerApplication(Application[UUID]):
    """Commands over ``Office`` aggregates; see ``ledger.application.commands``."""

    name = "Ledger"
    env: ClassVar[dict[str, str]] = {"AGGREGATE_CACHE_MAXSIZE": "1000"}

    def __init__(self, env: dict[str, str] | None = None) -> None:
        super().__init__(env)
        # Called after each save with what it recorded (events and their positions).
        self.on_saved: list[Callable[[Sequence[Recording[UUID]]], object]] = []
        # Held by a write from loading its offices to the end of its save; the wait for them
        # is bounded (the server sets it to ``LEDGER_MAX_WAIT_SECONDS``).
        self.office_locks = OfficeLocks(timeout=30.0)

    @property
    def store(self) -> LedgerStore:
        """The recorder, as the request-id index and the log as stored."""
        return cast("LedgerStore", self.recorder)

    def _notify(self, recordings: list[Recording[UUID]]) -> None:
        for listener in self.on_saved:
            listener(recordings)

    # Commands.

    def execute(self, command: Command) -> Receipt:
        """Apply one command and save its event; the receipt of an earlier use of its request
        id if there was one."""
        try:
            return self.execute_batch([command]).receipts[0]
        except BatchRefused as refused:
            raise refused.errors[0][1] from None

    def execute_batch(self, commands: Sequence[Command]) -> Executed:
        """All commands or none: raises ``BatchRefused`` listing every refused command."""
        offices = [command.office for command in commands]
        for attempt in range(_WRITE_ATTEMPTS):
            if attempt:
                time.sleep(random.uniform(0, min(_LONGEST_WAIT, _FIRST_WAIT * 2**attempt)))
            with self.office_locks.holding(offices):
                executed = self._try_batch(commands)
            if executed is not None:
                return executed
        raise VersionConflict(None, None, None)

    # Queries.

    def get_office(self, code: str) -> Office:
        try:
            office: Office = self.repository.get(office_id(code), projector_func=_replay)
        except AggregateNotFoundError:
            raise OfficeNotFound(code) from None
        return office

    def change_at(self, code: str, change_id: UUID, version: int) -> Change | None:
        """A change as it stood at the office's ``version`` (None before it was recorded)."""
        office: Office = self.repository.get(
            office_id(code), version=version, projector_func=_replay
        )
        return office.changes.get(change_id)

    def office_events(self, code: str) -> list[OfficeEvent]:
        """Every event of an office, in the order recorded."""
        events = cast("list[OfficeEvent]", list(self.events.get(office_id(code))))
        if not events:
            raise OfficeNotFound(code)
        return events

    # The unit of work.

    def _try_batch(self, commands: Sequence[Command]) -> Executed | None:
        """Apply and save; ``None`` when a concurrent write won and the batch should be retried."""
        offices: dict[str, Office] = {}
        done: dict[int, Receipt] = {}
        new: dict[int, RequestRecord] = {}
        errors: list[tuple[int, LedgerError]] = []
        seen: dict[str, tuple[int, str]] = {}
        recorded = self.store.get_requests([command.request_id for command in commands])
        for number, command in enumerate(commands):
            fingerprint = command.fingerprint()
            try:
                first = self._first_receipt(command, fingerprint, seen, recorded)
                if first is None:
                    new[number] = self._apply(command, fingerprint, offices)
                elif isinstance(first, Receipt):
                    done[number] = first
            except LedgerError as error:
                errors.append((number, error))
            seen.setdefault(command.request_id, (number, fingerprint))
        if errors:
            raise BatchRefused(errors)
        if new:
            try:
                recordings = self.save(*offices.values(), requests=list(new.values()))
            except IntegrityError:
                # Another write won: a racing retry of one of these requests, a registration
                # of the same office, or a write to the same office. Refuse or retry.
                self._explain_conflict(commands, new)
                return None
            self._cache(offices.values())
            positions = {
                (r.domain_event.originator_id, r.domain_event.originator_version): r.notification.id
                for r in recordings
            }
            for number, request in new.items():
                done[number] = _receipt(
                    request, positions[request.originator_id, request.office_version]
                )
        # A request id repeated within the batch is a retry of its first use.
        receipts = [
            done[number] if number in done else done[seen[command.request_id][0]]
            for number, command in enumerate(commands)
        ]
        return Executed(receipts, len(new))

    @staticmethod
    def _first_receipt(
        command: Command,
        fingerprint: str,
        seen: dict[str, tuple[int, str]],
        recorded: dict[str, RequestRecord],
    ) -> Receipt | bool | None:
        """The receipt of an earlier use of the request id, ``True`` for an earlier use in
        this batch, ``None`` if unused; a use with another payload is refused."""
        earlier = seen.get(command.request_id)
        if earlier is not None:
            if earlier[1] != fingerprint:
                raise RequestIdReused(command.request_id)
            return True
        existing = recorded.get(command.request_id)
        if existing is None:
            return None
        if existing.fingerprint != fingerprint:
            raise RequestIdReused(command.request_id)
        return _receipt(existing, existing.position)

    def _apply(
        self, command: Command, fingerprint: str, offices: dict[str, Office]
    ) -> RequestRecord:
        event_id = change_id_for(command.request_id)
        if command.creates_office:
            if command.office in offices or self._exists(command.office):
                raise OfficeAlreadyRegistered(command.office)
            office = command.handle(None, event_id)
        else:
            office = offices.get(command.office) or self.get_office(command.office)
            expected = getattr(command, "expected_version", None)
            if expected is not None and office.version != expected:
                raise VersionConflict(command.office, expected, office.version)
            command.handle(office, event_id)
        offices[command.office] = office
        event = office.pending_events[-1]
        assert isinstance(event, OfficeEvent)
        return RequestRecord(
            request_id=command.request_id,
            fingerprint=fingerprint,
            office=command.office,
            originator_id=office.id,
            change_id=event.event_id,
            office_version=event.originator_version,
            recorded_at=event.timestamp,
            hash=event.hash,
        )

    def _cache(self, offices: Iterable[Office]) -> None:
        """Keep the saved offices as the cached ones. The library caches an office when it is
        read and fast-forwards it on the next read by replaying the events stored since; an
        office written here would replay its own new events. Writes by other processes are
        still read on the next fast-forward."""
        cache = self.repository.cache
        if cache is not None:
            for office in offices:
                cache.put(office.id, office)

    def _exists(self, code: str) -> bool:
        try:
            self.get_office(code)
        except OfficeNotFound:
            return False
        return True

    def _explain_conflict(self, commands: Sequence[Command], new: dict[int, RequestRecord]) -> None:
        """After a lost race: raise if retrying cannot help, return if it can."""
        if self.store.get_requests([request.request_id for request in new.values()]):
            return  # a racing retry won: the retry returns its receipt
        for number in new:
            command = commands[number]
            if command.creates_office and self._exists(command.office):
                raise BatchRefused([(number, OfficeAlreadyRegistered(command.office))])
            expected = getattr(command, "expected_version", None)
            if expected is not None:
                raise BatchRefused([(number, VersionConflict(command.office, expected, None))])


def _replay(office: Office | None, events: Iterable[OfficeEvent]) -> Office | None:
    """An office moved on by its events, one after another: the library's
    ``project_aggregate`` without its assertion that each event is ``CanMutateProtocol``, an
    ``isinstance`` against a runtime-checkable protocol that cost a fifth of loading a long
    office (every event here is an ``OfficeEvent``)."""
    for event in events:
        office = event.mutate(office)
    return office


def _receipt(request: RequestRecord, position: int) -> Receipt:
    return Receipt.model_construct(
        change_id=request.change_id,
        office=request.office,
        office_version=request.office_version,
        position=position,
        recorded_at=request.recorded_at,
        hash=request.hash,
    )


class VersionConflict(Conflict):
    """Optimistic concurrency: the office changed since the caller read it."""

    def __init__(self, code: str | None, expected: int | None, actual: int | None) -> None:
        if expected is None:
            detail = "other writes kept winning; try again"
        elif actual is None:
            detail = f"expected version {expected}, but another write got there first"
        else:
            detail = f"expected version {expected}, but it is at version {actual}"
        super().__init__(f"office {code or '(batch)'} changed concurrently: {detail}")
        self.code = code
        self.expected = expected
        self.actual = actual


class RequestIdReused(AlreadyExists):
    def __init__(self, request_id: str) -> None:
        super().__init__(
            f"request id {request_id!r} was already used for a different command; "
            "use a new request id for a new command"
        )
        self.request_id = request_id


class BatchRefused(LedgerError):
    """Some commands of a batch were refused, so none was stored; ``errors`` lists each."""

    def __init__(self, errors: list[tuple[int, LedgerError]]) -> None:
        super().__init__(
            "the batch was refused, nothing was stored: "
            + "; ".join(f"command {number + 1}: {error}" for number, error in errors)
        )
        self.errors = errors

    @property
    def fields(self) -> tuple[tuple[str, str], ...]:
        return tuple((f"commands[{number}]", str(error)) for number, error in self.errors)
