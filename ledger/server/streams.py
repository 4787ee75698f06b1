"""The streamed methods of ``ledger.v1.PolicyLedger`` that read: an office's history and its
timeline, the live log (``Watch``), notices of rules taking effect (``WatchEffective``), and
the export.

``PolicyLedgerServicer`` serves them (it is a ``StreamRPCs``). Every reply stays under the
message limit whatever ``batch_size`` asks (``pages``); a watch holds one of the watches'
places and ends when its caller goes or the server stops.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeVar

from ledger.application.ports import ExportRow
from ledger.readmodel.history import HistoryRequest
from ledger.readmodel.timeline import TimelineRequest
from ledger.readmodel.upcoming import Cursor, WatchEffectiveRequest
from ledger.server.errors import Invalid, validated
from ledger.server.parts import ServicerParts
from ledger_api.convert import Shared, from_data, from_model, to_data
from ledger_api.ledger.v1 import ledger_pb2 as pb

if TYPE_CHECKING:
    import grpc


__all__ = ["StreamRPCs", "DEFAULT_BATCH", "MAX_BATCH", "PAGE_BYTES", "pages"]

T = TypeVar("T")

DEFAULT_BATCH = 1000
MAX_BATCH = 10_000
# The databases' positions are signed 64-bit: a read "after" the largest one would overflow.
_MAX_AFTER = 2**63 - 2
# The events of one streamed reply (history, watch, export) stay under this many bytes, however
# many ``batch_size`` allows: an event may hold ~0.5 MB (50 sources of 2000-character URLs),
# and a reply beyond the 16 MiB message limit could never be sent.
PAGE_BYTES = 4 * 1024 * 1024
# The export's messages hold at most this much: grpc moves a stream of 4 MiB messages at two
# thirds of the rate of 1 MiB ones (flow control), and the export is the one bulk stream.
EXPORT_PAGE_BYTES = 1024 * 1024
# A watch with nothing to send re-reads the log this often (in seconds): saves by this
# process wake it at once, saves by another process sharing the database within this delay.
_WATCH_POLL = 0.25
# A watch of effective dates looks at the server's date at least this often (in seconds), and
# at once when an event is saved; with nothing to announce, it tells a new resume point when
# the date moves, and when only the log position moved, at most this often.
_EFFECTIVE_TICK = 1.0
_EFFECTIVE_QUIET = 5.0


def _check_after(position: int) -> None:
    if not 0 <= position <= _MAX_AFTER:
        raise Invalid([("after_position", "must be 0 or a position of the log")])


def pages(items: Iterable[T], size: int, weight: Callable[[T], int]) -> Iterator[list[T]]:
    """``items`` in pages of at most ``size`` and, past the first item, ``PAGE_BYTES``."""
    page: list[T] = []
    total = 0
    for item in items:
        bytes_ = weight(item)
        if page and (len(page) >= size or total + bytes_ > PAGE_BYTES):
            yield page
            page, total = [], 0
        page.append(item)
        total += bytes_
    if page:
        yield page


def _export_pages(rows: list[ExportRow]) -> Iterator[list[ExportRow]]:
    """``pages`` for the export, in one pass over a batch already cut to its size: the rows
    are the bulk of what a server ever streams, and the general one costs a call per row."""
    start = total = 0
    for index, row in enumerate(rows):
        size = len(row.stored_json)
        if total + size > EXPORT_PAGE_BYTES and index > start:
            yield rows[start:index]
            start, total = index, 0
        total += size
    yield rows[start:]


def _batch_size(requested: int) -> int:
    if requested == 0:
        return DEFAULT_BATCH
    if not 1 <= requested <= MAX_BATCH:
        raise Invalid(
            [("batch_size", f"must be between 1 and {MAX_BATCH}, or 0 for {DEFAULT_BATCH}")]
        )
    return requested


def _history_event(data: dict[str, Any]) -> pb.HistoryEvent:
    event = pb.HistoryEvent()
    from_data(data, event)
    return event


class StreamRPCs(ServicerParts):
    """The reading streams, for a servicer that has these parts."""

    _shared: Shared

    def GetHistory(
        self, request: pb.GetHistoryRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.GetHistoryResponse]:
        with self._refusals(context):
            data = self._caught_up(to_data(request), context)
            size = _batch_size(data.pop("batch_size", 0))
            entries = self.reader.history(validated(HistoryRequest, data))
        events = (
            {
                **entry.model_dump(mode="json", exclude={"event"}),
                "event_json": json.dumps(entry.event),
            }
            for entry in entries
        )
        for page in pages(events, size, lambda event: len(event["event_json"])):
            if not context.is_active():
                return
            yield pb.GetHistoryResponse(events=[_history_event(e) for e in page])

    def GetTimeline(
        self, request: pb.GetTimelineRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.GetTimelineResponse]:
        with self._refusals(context):
            data = self._caught_up(to_data(request), context)
            checkpoint, offices = self.reader.timeline(validated(TimelineRequest, data))
        while context.is_active():
            with self._refusals(context):  # each office is read here, when its turn comes
                timeline = next(offices, None)
            if timeline is None:
                return
            parts: list[pb.TimelineBand | pb.TimelineChange] = [
                *(from_model(band, pb.TimelineBand(), self._shared) for band in timeline.bands),
                *(from_model(c, pb.TimelineChange(), self._shared) for c in timeline.changes),
            ]
            # Every office asked has a message, even one with nothing to draw.
            for page in list(pages(parts, MAX_BATCH, lambda part: part.ByteSize())) or [[]]:
                yield pb.GetTimelineResponse(
                    office=timeline.office,
                    bands=[part for part in page if isinstance(part, pb.TimelineBand)],
                    changes=[part for part in page if isinstance(part, pb.TimelineChange)],
                    position=checkpoint.position,
                    digest=checkpoint.root,
                )

    def Watch(
        self, request: pb.WatchRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchResponse]:
        with self._refusals(context):
            size = _batch_size(request.batch_size)
            _check_after(request.after_position)
        release = self._watches.take_or_refuse(context)
        try:
            position = request.after_position
            while context.is_active() and not self.stopping.is_set():
                events = self.reader.log(position, size)
                if events:
                    position = events[-1].position
                    for page in pages(events, size, lambda e: len(e.event_json.encode())):
                        yield pb.WatchResponse(
                            events=[from_model(e, pb.WatchEvent(), self._shared) for e in page]
                        )
                else:
                    self.reader.wait_for_events(position, _WATCH_POLL)
        finally:
            release()

    def WatchEffective(
        self, request: pb.WatchEffectiveRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.WatchEffectiveResponse]:
        with self._refusals(context):
            asked = validated(WatchEffectiveRequest, to_data(request))
            cursor = self.reader.effective_start(asked)
        offices = frozenset(asked.offices) or None
        release = self._watches.take_or_refuse(context)
        try:
            sent: Cursor | None = None
            sent_at = 0.0
            while context.is_active() and not self.stopping.is_set():
                end = self.reader.log_end()
                before = cursor
                with self._refusals(context):
                    notices, cursor = self.reader.effective_due(offices, cursor)
                now = time.monotonic()
                moved = sent is None or cursor.day != sent.day
                quiet = now - sent_at < _EFFECTIVE_QUIET
                if notices or moved or (cursor != sent and not quiet):
                    yield from self._effective_replies(notices, before, cursor)
                    sent, sent_at = cursor, now
                self.reader.wait_for_events(end, _EFFECTIVE_TICK)
        finally:
            release()

    def _effective_replies(
        self, notices: list[Any], before: Cursor, after: Cursor
    ) -> Iterator[pb.WatchEffectiveResponse]:
        """The notices of one tick in replies of bounded size; the last carries the new resume
        point, the others the one before the tick (resuming there misses nothing)."""
        messages = [from_model(notice, pb.EffectiveNotice(), self._shared) for notice in notices]
        replies = list(pages(messages, MAX_BATCH, lambda message: message.ByteSize())) or [[]]
        for number, page in enumerate(replies, 1):
            cursor = after if number == len(replies) else before
            yield pb.WatchEffectiveResponse(
                notices=page,
                resume_date=cursor.day.isoformat(),
                resume_position=cursor.position,
            )

    def ExportLedger(
        self, request: pb.ExportLedgerRequest, context: grpc.ServicerContext
    ) -> Iterator[pb.ExportLedgerResponse]:
        with self._refusals(context):
            size = _batch_size(request.batch_size)
            _check_after(request.after_position)
        position = request.after_position
        while context.is_active() and (batch := self.reader.export(position, size)):
            position = batch[-1].position
            for page in _export_pages(batch):
                reply = pb.ExportLedgerResponse()
                add = reply.events.add
                for row in page:
                    add(
                        position=row.position,
                        office_id=row.office_id,
                        office_version=row.office_version,
                        type=row.type,
                        stored_json=row.stored_json,
                    )
                yield reply
