"""g. The whole log over gRPC: ``ExportLedger`` through the raw stub, in events per second.

The target is absolute (events/s); a raw ``SELECT`` of the same rows on the same file is
shown beside it for information.
"""

from __future__ import annotations

import time

from benchmarks.audit_speed import raw_read
from benchmarks.context import Context
from benchmarks.progress import Advance
from benchmarks.results import Figure, Group, Target, WrongAnswer, rate, seconds
from benchmarks.server import Server, open_stub
from ledger_api.ledger.v1 import ledger_pb2 as pb

__all__ = ["measure", "BATCH"]

BATCH = 10_000  # events per message: the most the server allows
TARGET = 200_000


def _export(server: Server, advance: Advance | None) -> tuple[int, int, float]:
    """Stream the whole log; events, messages and seconds."""
    channel, stub = open_stub(server.address)
    events = messages = 0
    with channel:
        started = time.perf_counter()
        request = pb.ExportLedgerRequest(after_position=0, batch_size=BATCH)
        for reply in stub.ExportLedger(request, timeout=600):
            events += len(reply.events)
            messages += 1
            if advance:
                advance(len(reply.events))
        seconds_ = time.perf_counter() - started
    return events, messages, seconds_


def measure(context: Context, server: Server) -> Group:
    ledger = context.server_ledger
    group = Group("g", f"Export stream over gRPC ({ledger.label})")
    rows, raw = raw_read(context.copy(ledger), decode=False)
    with context.steps.step("g. ExportLedger, the whole log", rows) as advance:
        _export(server, None)  # warm: the server's page cache and connection
        events, messages, spent = _export(server, advance)
    if events != rows:
        raise WrongAnswer(f"ExportLedger streamed {events:,} events, the store holds {rows:,}")
    export_rate = events / spent
    group.figures = [
        Figure(
            "ExportLedger events/s (raw stub)",
            f"{rate(export_rate)} ({seconds(spent)})",
            f"{rate(rows / raw)} (raw SELECT)",
            export_rate / (rows / raw),
            Target(">=", TARGET, absolute=True, unit="events/s"),
            value=export_rate,
        )
    ]
    group.notes = [
        f"The same server as a. `ExportLedger(after_position=0, batch_size={BATCH:,})` "
        f"through the generated stub: {events:,} events in {messages} messages, after one "
        "untimed identical export. The target is absolute, on the export rate.",
        "For information, the baseline and ratio: the same rows read in this process with "
        "`SELECT rowid, originator_id, originator_version, topic, state FROM stored_events "
        "ORDER BY rowid` (no decoding) on the same file.",
    ]
    return group
