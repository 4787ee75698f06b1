"""Fuzzed and malformed input against a real server, through the generated stubs.

Every RPC gets random and adversarial requests (unknown enum numbers, empty and megabyte
strings, absurd dates and numbers, unknown offices, long lists, huge positions and page sizes)
and random bytes in place of a request. Every answer is OK or a refusal the caller can act on,
never UNKNOWN or INTERNAL; a refused request changes nothing (the digest before and after is
the same; a read never changes it); a write that succeeded returns the same receipt when sent
again; and the server keeps serving. The explicit size limits are each checked to be refused
with INVALID_ARGUMENT naming the field, and messages beyond 16 MiB with RESOURCE_EXHAUSTED.

CI runs a few hundred cases per backend; ``LEDGER_LONG=1`` about 10,000 in all.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any

import grpc
import pytest
from google.protobuf.message import DecodeError, Message
from google.rpc import error_details_pb2
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_status import rpc_status
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger.application.importer import parse_lines
from ledger_api.commands import change_id_for
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc
from ledger_client import LedgerClient, LedgerClientError, command_message
from tests.e2e.support import EXAMPLE, WORKER_BAGGAGE, RunningServer, run_cli, source
from tests.hardening.support import (
    BACKENDS,
    LONG,
    database,
    exported,
    need_backend,
    report,
    serving,
)

pytestmark = pytest.mark.hardening

Code = grpc.StatusCode
SERVICE = pb.DESCRIPTOR.services_by_name["PolicyLedger"]
RPCS = [method.name for method in SERVICE.methods]
WRITES = {
    "RegisterOffice",
    "RecordObservation",
    "RecordTightening",
    "RecordLoosening",
    "AmendChange",
    "RetractChange",
    "ImportCommands",
}
# What a caller may be told. UNAVAILABLE only when it asked to read after a position the
# server has not reached; never UNKNOWN or INTERNAL, which would say the server failed.
REFUSALS = {
    Code.INVALID_ARGUMENT,
    Code.NOT_FOUND,
    Code.FAILED_PRECONDITION,
    Code.ALREADY_EXISTS,
    Code.ABORTED,
    Code.OUT_OF_RANGE,
    Code.RESOURCE_EXHAUSTED,
}
MESSAGE_LIMIT = 16 * 1024 * 1024
TIMEOUT = 30.0
# A read beyond the log's end (a min_position, a watch after it) waits: keep that short.
WAITING_TIMEOUT = 0.3

# Cases per RPC: typed requests and random bytes. About 10,000 in all when long.
TYPED_CASES = 280 if LONG else 8
RAW_CASES = 50 if LONG else 4

# --- Strategies ------------------------------------------------------------------------------
#
# Each message has a shape: per field, a strategy of valid values and one of odd values. A
# request is valid throughout (it reaches the ledger itself: a write may be stored, or refused
# by the domain), or valid but for one field that is odd or missing (at any depth), or made of
# anything at all.

KNOWN_OFFICES = ("CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI")
EXAMPLE_CHANGES = tuple(
    str(change_id_for(command.request_id))
    for _, command in parse_lines(EXAMPLE.read_text(encoding="utf-8").splitlines())
)
ADVERSARIAL = (
    "",
    " ",
    "\x00",
    "\n",
    "\t\r",
    "null",
    "NaN",
    "-1",
    "1e400",
    "' OR '1'='1",
    "%s%n%x",
    "\u202e\u200b",
    "\U0001f642",
    "../../etc/passwd",
    "<script>alert(1)</script>",
    "CN-DANDONG\x00",
    " CN-DANDONG",
    "cn-dandong",
)
HUGE_SIZES = (201, 2_001, 70_000, 3 * 2**20)


def huge() -> st.SearchStrategy[str]:
    """Strings just over a limit, far over it, and a few megabytes."""
    return st.tuples(st.sampled_from(HUGE_SIZES), st.sampled_from("A7é\x00-\U0001f642")).map(
        lambda size_char: size_char[1] * size_char[0]
    )


TEXT = st.one_of(st.text(max_size=40), st.sampled_from(ADVERSARIAL), huge())
ODD_DATES = (
    "0001-01-01",
    "9999-12-31",
    "2024-02-29",
    "2025-02-29",
    "2025-02-30",
    "2025-04-31",
    "2025-13-01",
    "2025-00-10",
    "2025-01-00",
    "0000-01-01",
    "10000-01-01",
    "-0001-01-01",
    "+2025-03-01",
    "20250301",
    "2025/03/01",
    "2025-3-1",
    "2025-03-01T00:00:00",
    "2025-03-01T25:00:00Z",
    "2025-03-01 00:00",
    "yesterday",
)
PAST = st.dates(min_value=date(2020, 1, 1), max_value=date(2025, 6, 30)).map(date.isoformat)
ODD_DATE = st.one_of(st.dates().map(date.isoformat), st.sampled_from(ODD_DATES), TEXT)
OFFSETS = st.timedeltas(min_value=timedelta(hours=-23, minutes=-59), max_value=timedelta(hours=23))
KNOWN_AT = st.one_of(
    st.just(""),
    PAST,
    st.datetimes(
        min_value=datetime(2020, 1, 1),
        timezones=st.one_of(st.none(), OFFSETS.map(timezone)),
    ).map(lambda moment: moment.isoformat()),
)
ODD_KNOWN_AT = st.one_of(
    ODD_DATE,
    st.datetimes(timezones=st.one_of(st.none(), OFFSETS.map(timezone))).map(
        lambda moment: moment.isoformat()
    ),
    st.sampled_from(
        (
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "2025-03-15T12:00:00+25:00",
            "2025-03-15T12:00:00.123456789Z",
        )
    ),
)
ODD_ENUM = st.one_of(st.integers(-3, 12), st.integers(-(2**31), 2**31 - 1))


def enum(largest: int, smallest: int = 0) -> st.SearchStrategy[int]:
    """The numbers of an enum's values (0 is UNSPECIFIED: a default, or refused)."""
    return st.integers(smallest, largest)


INT64_EDGES = (
    0,
    1,
    -1,
    2,
    1000,
    10**9,
    10**9 + 1,
    2**31,
    2**53 + 1,
    2**63 - 2,
    2**63 - 1,
    -(2**63),
)
ODD_INT64 = st.one_of(
    st.integers(-3, 40), st.sampled_from(INT64_EDGES), st.integers(-(2**63), 2**63 - 1)
)
BATCH = st.integers(0, 20)
ODD_BATCH = st.one_of(
    st.sampled_from((10_000, 10_001, -1, 2**31 - 1, -(2**31))),
    st.integers(-(2**31), 2**31 - 1),
)
# Mostly answerable at once: each position beyond the log costs a (short) deadline.
MIN_POSITION = st.one_of(st.just(0), st.integers(1, 9))
ODD_MIN_POSITION = st.one_of(st.integers(-2, 12), st.sampled_from((2**63 - 1, -(2**63), 10**6)))
POSITION = st.integers(0, 40)
OFFICE = st.one_of(
    st.sampled_from(KNOWN_OFFICES),
    st.sampled_from(("CN-NOWHERE", "KP-SINUIJU", "RU-KHASAN", "CN-" + "A" * 97)),
)
NEW_OFFICE = st.integers(0, 10**6).map(lambda number: f"CN-FUZZ{number}")
ODD_OFFICE = st.one_of(
    st.sampled_from(
        ("XX-FOO", "CN-", "CN--A", "CN-A-", "C-DANDONG", "CN_DANDONG", "CN-" + "A" * 98)
    ),
    TEXT,
)
GOODS = st.sampled_from(
    ("85", "8516", "8516.60", "851660", "8516.60.1234", "electronics", "all", "cash", "luxury")
)
ODD_GOODS = st.one_of(
    st.sampled_from(("8", "8516.6.0", "12x", "85.16", " 85 ", "ELECTRONICS", "0" * 11, "8" * 100)),
    TEXT,
)
CURRENCY = st.sampled_from(("USD", "CNY", "KPW", "EUR"))
ODD_CURRENCY = st.one_of(st.sampled_from(("XXX", "ZZZ", "usd", "US", "USDD")), TEXT)
AMOUNT = st.decimals(min_value=0, max_value=10**6, places=2).map(str)
ODD_AMOUNT = st.one_of(
    st.sampled_from(("-1", "-0", "1e400", "1e-50", "NaN", "Infinity", "1" * 40, "1" * 41)),
    st.decimals(allow_nan=False, allow_infinity=False).map(str),
    TEXT,
)
URL = st.sampled_from(("https://www.dailynk.com/english/", "http://x.example/a?b=c#d"))
ODD_URL = st.one_of(
    st.sampled_from(("ftp://x", "https://", "https://a\x00b", "https:// x", "javascript:alert(1)")),
    huge().map(lambda text: "https://" + text),
    TEXT,
)
GRADE = st.sampled_from(("B2", "A1", "F6", "C3"))
ODD_GRADE = st.one_of(st.sampled_from(("G1", "b2", "B7", "B22")), TEXT)
LANGUAGE = st.sampled_from(("en", "ko", "zh-Hans"))
ODD_LANGUAGE = st.one_of(st.sampled_from(("EN", "e", "english", "en" + "-ab" * 20)), TEXT)
REQUEST_ID = st.one_of(st.uuids().map(lambda u: f"fuzz-{u}"), st.just("fuzz-reused"))
ODD_REQUEST_ID = st.one_of(st.sampled_from(("a" * 201, "é", "id\x00", "with space")), TEXT)
CHANGE_ID = st.sampled_from(EXAMPLE_CHANGES)
ODD_CHANGE_ID = st.one_of(st.uuids().map(str), TEXT)
ROOT = st.sampled_from(("0" * 64, "f" * 64))
ODD_ROOT = st.one_of(st.sampled_from(("F" * 64, "0" * 63)), TEXT)
SHORT_TEXT = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00"),
    min_size=1,
    max_size=40,
)

Strategy = st.SearchStrategy[Any]


@dataclass(frozen=True)
class Shape:
    """A message type and, per field, (valid values, odd values): either may be a Shape."""

    type_: type[Message]
    fields: dict[str, tuple[Any, Any]]

    def valid(self) -> Strategy:
        return st.fixed_dictionaries({n: _valid(v) for n, (v, _) in self.fields.items()}).map(
            lambda values: self.type_(**values)
        )

    def odd(self) -> Strategy:
        """Valid but for one field, odd or missing; or anything at all."""
        valid = {name: _valid(v) for name, (v, _) in self.fields.items()}
        names = sorted(self.fields)
        one_odd = st.sampled_from(names).flatmap(
            lambda name: st.fixed_dictionaries({**valid, name: _odd(self.fields[name][1])})
        )
        one_missing = st.sampled_from(names).flatmap(
            lambda name: st.fixed_dictionaries({n: s for n, s in valid.items() if n != name})
        )
        anything = st.fixed_dictionaries(
            {},
            optional={n: st.one_of(_valid(v), _odd(o)) for n, (v, o) in self.fields.items()},
        )
        return st.one_of(one_odd, one_missing, anything).map(lambda values: self.type_(**values))

    def any(self) -> Strategy:
        return st.one_of(self.valid(), self.odd()) if self.fields else self.valid()


def _valid(field: Any) -> Strategy:
    return field.valid() if isinstance(field, Shape) else field


def _odd(field: Any) -> Strategy:
    return field.odd() if isinstance(field, Shape) else field


def listed(shape: Shape, limit: int, *, least: int = 1) -> tuple[Strategy, Strategy]:
    """(a few valid ones; a few of anything, none, or just over and far over ``limit``)."""
    valid = st.lists(shape.valid(), min_size=least, max_size=3)
    bulky = st.tuples(shape.valid(), st.sampled_from((limit + 1, limit * 10)))
    odd = st.one_of(
        st.lists(shape.any(), max_size=3), bulky.map(lambda one_size: [one_size[0]] * one_size[1])
    )
    return valid, odd


SCOPE = Shape(
    pb.Scope,
    {
        "direction": (enum(2, 1), ODD_ENUM),
        "channel": (enum(6, 1), ODD_ENUM),
        "traveller": (enum(8), ODD_ENUM),
        "goods": (GOODS, ODD_GOODS),
    },
)
LIMIT = Shape(
    pb.Admissibility,
    {"kind": (st.just(2), ODD_ENUM), "quantity": (st.integers(0, 5), ODD_INT64)},
)
VALUE_LIMIT = Shape(
    pb.Admissibility,
    {
        "kind": (st.just(3), ODD_ENUM),
        "amount": (AMOUNT, ODD_AMOUNT),
        "currency": (CURRENCY, ODD_CURRENCY),
    },
)
ADMISSIBILITY = st.one_of(
    st.sampled_from((1, 4)).map(lambda kind: pb.Admissibility(kind=kind)),
    LIMIT.valid(),
    VALUE_LIMIT.valid(),
)
ODD_ADMISSIBILITY = st.one_of(LIMIT.odd(), VALUE_LIMIT.odd())
MEASURE = Shape(
    pb.Measure,
    {
        "admissibility": (ADMISSIBILITY, ODD_ADMISSIBILITY),
        "inspection": (enum(5), ODD_ENUM),
        "enforcement": (enum(5), ODD_ENUM),
    },
)
EFFECTIVE = Shape(pb.EffectiveDate, {"on": (PAST, ODD_DATE), "precision": (enum(7), ODD_ENUM)})
SOURCE = Shape(
    pb.Source,
    {
        "publisher": (SHORT_TEXT, TEXT),
        "url": (URL, ODD_URL),
        "published": (PAST, ODD_DATE),
        "language": (LANGUAGE, ODD_LANGUAGE),
        "grade": (GRADE, ODD_GRADE),
    },
)
SOURCES = listed(SOURCE, 50)
CROSSING = Shape(pb.Crossing, {"counterpart": (SHORT_TEXT, TEXT), "mode": (enum(5, 1), ODD_ENUM)})
CHANGE = Shape(
    pb.PolicyChange,
    {
        "scope": (SCOPE, SCOPE),
        "measure": (MEASURE, MEASURE),
        "effective": (EFFECTIVE, EFFECTIVE),
        "sources": SOURCES,
        "note": (st.text(max_size=20).filter(lambda note: "\x00" not in note), TEXT),
    },
)
ITEM = Shape(
    pb.CheckItem,
    {
        "goods": (GOODS, ODD_GOODS),
        "quantity": (st.integers(0, 5), ODD_INT64),
        "value": (AMOUNT, ODD_AMOUNT),
        "currency": (CURRENCY, ODD_CURRENCY),
    },
)
QUESTION = {
    "at": (PAST, ODD_DATE),
    "known_at": (KNOWN_AT, ODD_KNOWN_AT),
    "basis": (enum(2), ODD_ENUM),
    "direction": (enum(2, 1), ODD_ENUM),
    "channel": (enum(6, 1), ODD_ENUM),
    "traveller": (enum(8), ODD_ENUM),
    "items": listed(ITEM, 1000),
    "min_position": (MIN_POSITION, ODD_MIN_POSITION),
    "log": (st.booleans(), st.booleans()),
    "label": (st.one_of(st.just(""), SHORT_TEXT), TEXT),
}
RECORDED = {
    "request_id": (REQUEST_ID, ODD_REQUEST_ID),
    "office": (OFFICE, ODD_OFFICE),
    # Mostly absent: a stale version is refused, and refusals are the rest of the fuzz.
    "expected_version": (st.integers(1, 12), ODD_INT64),
}
SHAPES = {
    "register": Shape(
        pb.RegisterOfficeRequest,
        {
            "request_id": (REQUEST_ID, ODD_REQUEST_ID),
            "office": (st.one_of(NEW_OFFICE, OFFICE), ODD_OFFICE),
            "name": (SHORT_TEXT, TEXT),
            "crossings": listed(CROSSING, 100, least=0),
        },
    ),
    **{
        kind: Shape(request, {**RECORDED, "change": (CHANGE, CHANGE)})
        for kind, request in (
            ("observe", pb.RecordObservationRequest),
            ("tighten", pb.RecordTighteningRequest),
            ("loosen", pb.RecordLooseningRequest),
        )
    },
    "amend": Shape(
        pb.AmendChangeRequest,
        {
            **RECORDED,
            "change_id": (CHANGE_ID, ODD_CHANGE_ID),
            "effective": (EFFECTIVE, EFFECTIVE),
            "measure": (MEASURE, MEASURE),
            "reason": (SHORT_TEXT, TEXT),
            "sources": SOURCES,
        },
    ),
    "retract": Shape(
        pb.RetractChangeRequest,
        {
            **RECORDED,
            "change_id": (CHANGE_ID, ODD_CHANGE_ID),
            "reason": (SHORT_TEXT, TEXT),
            "sources": SOURCES,
        },
    ),
}
COMMAND = st.one_of(
    st.just(pb.Command()),
    *(
        shape.any().map(lambda request, kind=kind: pb.Command(**{kind: request}))
        for kind, shape in SHAPES.items()
    ),
)
VALID_SOURCE = pb.Source(**source())
VALID_CROSSING = pb.Crossing(counterpart="Sinuiju, KP", mode=pb.CROSSING_MODE_BRIDGE)
VALID_COMMAND = command_message(
    "observe",
    {
        "request_id": "fuzz-import",
        "office": "CN-DANDONG",
        "scope": WORKER_BAGGAGE,
        "measure": {"inspection": "standard"},
        "effective": {"on": "2025-06-01"},
        "sources": [source()],
    },
)
QUERIES = {
    "GetOffice": Shape(
        pb.GetOfficeRequest,
        {"office": (OFFICE, ODD_OFFICE), "min_position": (MIN_POSITION, ODD_MIN_POSITION)},
    ),
    "ListOffices": Shape(pb.ListOfficesRequest, {"min_position": (MIN_POSITION, ODD_MIN_POSITION)}),
    "GetHistory": Shape(
        pb.GetHistoryRequest,
        {
            "office": (OFFICE, ODD_OFFICE),
            "valid_from": (PAST, ODD_DATE),
            "valid_to": (PAST, ODD_DATE),
            "known_at": (KNOWN_AT, ODD_KNOWN_AT),
            "basis": (enum(2), ODD_ENUM),
            "batch_size": (BATCH, ODD_BATCH),
            "min_position": (MIN_POSITION, ODD_MIN_POSITION),
        },
    ),
    # A finite stream, like GetHistory: read to its end.
    "GetTimeline": Shape(
        pb.GetTimelineRequest,
        {
            "offices": (
                st.lists(OFFICE, min_size=1, max_size=4),
                st.one_of(
                    st.lists(st.one_of(OFFICE, ODD_OFFICE), max_size=4),
                    st.sampled_from((101, 5000)).map(lambda size: ["CN-DANDONG"] * size),
                ),
            ),
            "valid_from": (st.one_of(st.just(""), PAST), ODD_DATE),
            "valid_to": (st.one_of(st.just(""), PAST), ODD_DATE),
            "direction": (enum(2), ODD_ENUM),
            "channel": (enum(6), ODD_ENUM),
            "traveller": (enum(8), ODD_ENUM),
            "goods": (st.one_of(st.just(""), GOODS), ODD_GOODS),
            "known_at": (KNOWN_AT, ODD_KNOWN_AT),
            "basis": (enum(2), ODD_ENUM),
            "min_position": (MIN_POSITION, ODD_MIN_POSITION),
            # Unset (None) or a position: with known_at, or beyond the log, it is refused.
            "known_at_position": (st.one_of(st.none(), POSITION), ODD_INT64),
        },
    ),
    "GetRuleState": Shape(
        pb.GetRuleStateRequest,
        {
            "office": (OFFICE, ODD_OFFICE),
            "at": (PAST, ODD_DATE),
            "known_at": (KNOWN_AT, ODD_KNOWN_AT),
            "basis": (enum(2), ODD_ENUM),
            "min_position": (MIN_POSITION, ODD_MIN_POSITION),
        },
    ),
    "Check": Shape(pb.CheckRequest, {"office": (OFFICE, ODD_OFFICE), **QUESTION}),
    "CompareOffices": Shape(
        pb.CompareOfficesRequest,
        {
            "offices": (
                st.lists(OFFICE, min_size=1, max_size=4),
                st.one_of(
                    st.lists(st.one_of(OFFICE, ODD_OFFICE), max_size=4),
                    st.sampled_from((501, 5000)).map(lambda size: ["CN-DANDONG"] * size),
                ),
            ),
            **QUESTION,
        },
    ),
    "Watch": Shape(
        pb.WatchRequest,
        {"after_position": (POSITION, ODD_INT64), "batch_size": (BATCH, ODD_BATCH)},
    ),
    "ListUpcoming": Shape(
        pb.ListUpcomingRequest,
        {
            "offices": (
                st.lists(OFFICE, max_size=3),
                st.one_of(
                    st.lists(st.one_of(OFFICE, ODD_OFFICE), max_size=4),
                    st.sampled_from((501, 5000)).map(lambda size: ["CN-DANDONG"] * size),
                ),
            ),
            "from_date": (PAST, ODD_DATE),
            "to_date": (PAST, ODD_DATE),
            "page_size": (BATCH, ODD_BATCH),
            "page_token": (st.just(""), TEXT),
            "min_position": (MIN_POSITION, ODD_MIN_POSITION),
        },
    ),
    "WatchEffective": Shape(
        pb.WatchEffectiveRequest,
        {
            "offices": (
                st.lists(OFFICE, max_size=3),
                st.lists(st.one_of(OFFICE, ODD_OFFICE), max_size=4),
            ),
            "after_date": (PAST, ODD_DATE),
            "after_position": (POSITION, ODD_INT64),
        },
    ),
    "Ping": Shape(pb.PingRequest, {}),
    "GetDigest": Shape(pb.GetDigestRequest, {}),
    "VerifyDigest": Shape(
        pb.VerifyDigestRequest,
        {
            "pinned": (
                Shape(pb.Digest, {"position": (POSITION, ODD_INT64), "root": (ROOT, ODD_ROOT)}),
                Shape(pb.Digest, {"position": (POSITION, ODD_INT64), "root": (ROOT, ODD_ROOT)}),
            )
        },
    ),
    "ExportLedger": Shape(
        pb.ExportLedgerRequest,
        {"after_position": (POSITION, ODD_INT64), "batch_size": (BATCH, ODD_BATCH)},
    ),
    # Merkle proofs: positions and trees in the log mostly, beyond it or negative otherwise.
    "GetInclusionProof": Shape(
        pb.GetInclusionProofRequest,
        {
            "position": (POSITION, ODD_INT64),
            "tree_size": (POSITION, ODD_INT64),
            "event_id": (st.just(""), st.one_of(st.uuids().map(str), TEXT)),
        },
    ),
    "GetConsistencyProof": Shape(
        pb.GetConsistencyProofRequest,
        {"old_size": (POSITION, ODD_INT64), "new_size": (POSITION, ODD_INT64)},
    ),
    "ListCheckpoints": Shape(
        pb.ListCheckpointsRequest,
        {"after_size": (POSITION, ODD_INT64), "limit": (BATCH, ODD_BATCH)},
    ),
    # The decision log: ids mostly not logged (random), or not ids at all.
    "GetDecision": Shape(pb.GetDecisionRequest, {"decision_id": (st.uuids().map(str), TEXT)}),
    "ReplayDecision": Shape(pb.ReplayDecisionRequest, {"decision_id": (st.uuids().map(str), TEXT)}),
    "ListDecisions": Shape(
        pb.ListDecisionsRequest,
        {
            "office": (OFFICE, ODD_OFFICE),
            "label": (SHORT_TEXT, TEXT),
            "asked_from": (KNOWN_AT, ODD_KNOWN_AT),
            "asked_until": (KNOWN_AT, ODD_KNOWN_AT),
            "from_position": (POSITION, ODD_INT64),
            "to_position": (POSITION, ODD_INT64),
            "page_size": (BATCH, ODD_BATCH),
            "page_token": (st.just(""), TEXT),
        },
    ),
    "GetImpact": Shape(
        pb.GetImpactRequest,
        {"position": (POSITION, ODD_INT64), "min_position": (MIN_POSITION, ODD_MIN_POSITION)},
    ),
    "WatchImpacts": Shape(
        pb.WatchImpactsRequest,
        {
            "after_position": (POSITION, ODD_INT64),
            "offices": (
                st.lists(OFFICE, max_size=3),
                st.lists(st.one_of(OFFICE, ODD_OFFICE), max_size=4),
            ),
        },
    ),
    "ExportDecisions": Shape(
        pb.ExportDecisionsRequest,
        {"after_sequence": (POSITION, ODD_INT64), "batch_size": (BATCH, ODD_BATCH)},
    ),
}
REQUESTS: dict[str, Strategy] = {
    "RegisterOffice": SHAPES["register"].any(),
    "RecordObservation": SHAPES["observe"].any(),
    "RecordTightening": SHAPES["tighten"].any(),
    "RecordLoosening": SHAPES["loosen"].any(),
    "AmendChange": SHAPES["amend"].any(),
    "RetractChange": SHAPES["retract"].any(),
    "ImportCommands": st.one_of(
        st.lists(st.lists(COMMAND, max_size=4), max_size=3).map(
            lambda chunks: [pb.ImportCommandsRequest(commands=chunk) for chunk in chunks]
        ),
        # Over the import limit, in chunks that each fit a message.
        st.builds(lambda: [pb.ImportCommandsRequest(commands=[VALID_COMMAND] * 1001)] * 10),
    ),
    **{rpc: shape.any() for rpc, shape in QUERIES.items()},
}
RAW_BYTES = st.one_of(
    st.binary(max_size=64),
    st.binary(min_size=1, max_size=4096),
    st.sampled_from(
        (
            b"",
            b"\xff" * 16,
            b"\x08",  # a varint cut short
            b"\x0a\x05ab",  # a string longer than what follows
            b"\x12\x02\xc3\x28",  # a string field that is not UTF-8
            b"\x0a\x80\x80\x80\x80\x10",  # a length beyond the message
            b"\x0f",  # a field number of 0... with an end-group tag
            b"\x42" + b"\x0a" * 200,
        )
    ),
)

# --- Talking to the server -------------------------------------------------------------------


@dataclass
class Target:
    """The module's server, its stubs, and what the fuzz has seen so far."""

    backend: str
    server: RunningServer
    channel: grpc.Channel
    stub: Any
    codes: Counter[str]

    def digest(self) -> pb.Digest:
        return self.stub.GetDigest(pb.GetDigestRequest(), timeout=TIMEOUT).digest

    def serving(self) -> bool:
        health = health_pb2_grpc.HealthStub(self.channel)
        reply = health.Check(health_pb2.HealthCheckRequest(), timeout=TIMEOUT)
        return bool(self.server.process.poll() is None and reply.status == reply.SERVING)


@dataclass(frozen=True)
class Answer:
    code: Code
    details: str
    replies: tuple[Any, ...] = ()


def _answer(call: Callable[[], Any]) -> Answer:
    try:
        replies = call()
    except grpc.RpcError as error:
        return Answer(error.code(), error.details() or "")
    return Answer(Code.OK, "", replies)


def send(
    target: Target, rpc: str, request: Any, *, raw: bool = False, end: int | None = None
) -> Answer:
    """One call of ``rpc``; ``request`` is a message, chunks of one, or raw bytes. ``end`` is
    the log's last position: a call asked to read beyond it gets a short deadline."""
    method = SERVICE.methods_by_name[rpc]
    decoded = _decoded(rpc, request) if raw else request
    if end is None:
        end = target.digest().position
    timeout = WAITING_TIMEOUT if _waits(rpc, decoded, end) else TIMEOUT
    if raw:
        path = f"/{SERVICE.full_name}/{rpc}"
        kind = {
            (False, False): target.channel.unary_unary,
            (False, True): target.channel.unary_stream,
            (True, False): target.channel.stream_unary,
        }[method.client_streaming, method.server_streaming]
        function = kind(path, request_serializer=bytes, response_deserializer=bytes)
        if method.client_streaming:
            request = iter([request])
    else:
        function = getattr(target.stub, rpc)
        if method.client_streaming:
            request = iter(request)
    if rpc in ("Watch", "WatchEffective", "WatchImpacts"):  # they never end by themselves
        return _first_of_watch(function(request, timeout=timeout))
    if method.server_streaming:
        return _answer(lambda: tuple(function(request, timeout=timeout)))
    return _answer(lambda: (function(request, timeout=timeout),))


def _decoded(rpc: str, data: bytes) -> Any:
    """What the server will make of raw bytes, if anything."""
    kind = getattr(pb, SERVICE.methods_by_name[rpc].input_type.name)
    try:
        return kind.FromString(data)
    except DecodeError:
        return None


def _first_of_watch(call: Any) -> Answer:
    """A watch never ends by itself: its first reply, its refusal, or its deadline."""
    try:
        first = next(call, None)
    except grpc.RpcError as error:
        return Answer(error.code(), error.details() or "")
    finally:
        call.cancel()
    return Answer(Code.OK, "", () if first is None else (first,))


def _waits(rpc: str, request: Any, end: int) -> bool:
    """Whether a (decoded) request asks to read beyond ``end``, so that it waits: a query
    until the position arrives or its deadline nears (then UNAVAILABLE), a watch until new
    events or its deadline."""
    if rpc in ("Watch", "WatchImpacts"):
        return request is not None and request.after_position >= end
    return getattr(request, "min_position", 0) > end


def judge(target: Target, rpc: str, request: Any, *, raw: bool = False) -> Answer:
    """Send, and hold the answer to what a caller may be told; the store changes only by an
    accepted write, and an accepted write sent again returns the same receipts."""
    before = target.digest()
    answer = send(target, rpc, request, raw=raw, end=before.position)
    after = target.digest()
    decoded = _decoded(rpc, request) if raw else request
    waited = answer.code is Code.DEADLINE_EXCEEDED
    target.codes["WAITED_UNTIL_DEADLINE" if waited else answer.code.name] += 1
    context = f"{rpc} answered {answer.code.name}: {answer.details[:500]}"
    assert answer.code not in (Code.UNKNOWN, Code.INTERNAL), context
    if answer.code is Code.UNAVAILABLE:
        asked = getattr(decoded, "min_position", 0)
        assert asked > before.position and f"not yet at {asked}" in answer.details, context
    elif waited:
        # A watch with nothing to send waits; so may a query whose UNAVAILABLE, due a
        # little before the deadline, is overtaken by it on a busy machine.
        assert _waits(rpc, decoded, before.position), context
    else:
        assert answer.code is Code.OK or answer.code in REFUSALS, context
    if rpc in WRITES and answer.code is Code.OK:
        assert after.position >= before.position
        again = send(target, rpc, request, raw=raw)
        assert again.code is Code.OK, f"{rpc} sent again: {again.code.name} {again.details}"
        assert _receipts(again) == _receipts(answer)
        assert target.digest() == after
    else:
        assert after == before, f"{context}; the digest moved from {before} to {after}"
    return answer


def _receipts(answer: Answer) -> list[Any]:
    """The receipts of an accepted write, whatever the reply's type (raw: its bytes)."""
    reply = answer.replies[0]
    if isinstance(reply, bytes):
        return [reply]
    return list(reply.receipts) if hasattr(reply, "receipts") else [reply.receipt]


@pytest.fixture(scope="module", params=BACKENDS)
def target(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Target]:
    """One server over the example ledger for the module, on each backend."""
    need_backend(request.param)
    folder = tmp_path_factory.mktemp(f"fuzz-{request.param}")
    with database(request.param, folder) as url, serving(folder, url) as server:
        options = [
            ("grpc.max_send_message_length", 4 * MESSAGE_LIMIT),
            ("grpc.max_receive_message_length", 4 * MESSAGE_LIMIT),
        ]
        with grpc.insecure_channel(server.address, options=options) as channel:
            stub = ledger_pb2_grpc.PolicyLedgerStub(channel)
            codes: Counter[str] = Counter()
            yield Target(request.param, server, channel, stub, codes)
            cases = sum(codes.values())
            seen = ", ".join(f"{name} {count}" for name, count in codes.most_common())
            report(f"fuzz {request.param}: {cases} calls; {seen}")


FUZZ = settings(
    deadline=None,  # a call's time is the server's business, not a test failure
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.large_base_example,
    ],
)

# --- The fuzz ---------------------------------------------------------------------------------


def test_every_rpc_of_the_service_is_fuzzed() -> None:
    assert set(REQUESTS) == set(RPCS)


@pytest.mark.parametrize("rpc", RPCS)
class TestFuzz:
    @settings(FUZZ, max_examples=TYPED_CASES)
    @given(data=st.data())
    def test_random_requests_are_answered_or_refused_never_failed(
        self, target: Target, rpc: str, data: st.DataObject
    ) -> None:
        judge(target, rpc, data.draw(REQUESTS[rpc], label="request"))
        assert target.serving()

    @settings(FUZZ, max_examples=RAW_CASES)
    @given(payload=RAW_BYTES)
    def test_random_bytes_as_a_request_are_refused_never_failed(
        self, target: Target, rpc: str, payload: bytes
    ) -> None:
        judge(target, rpc, payload, raw=True)
        assert target.serving()


# --- Explicit limits -------------------------------------------------------------------------


def _check(**fields: Any) -> pb.CheckRequest:
    question: dict[str, Any] = {
        "office": "CN-DANDONG",
        "at": "2025-03-20",
        "direction": pb.DIRECTION_OUTBOUND,
        "channel": pb.CHANNEL_PERSONAL_BAGGAGE,
        "items": [pb.CheckItem(goods="8516.60")],
    }
    return pb.CheckRequest(**{**question, **fields})


def _observe(**change: Any) -> pb.RecordObservationRequest:
    details: dict[str, Any] = {
        "scope": pb.Scope(
            direction=pb.DIRECTION_OUTBOUND,
            channel=pb.CHANNEL_PERSONAL_BAGGAGE,
            goods="85",
        ),
        "measure": pb.Measure(inspection=pb.INSPECTION_STANDARD),
        "effective": pb.EffectiveDate(on="2025-06-01"),
        "sources": [VALID_SOURCE],
    }
    return pb.RecordObservationRequest(
        request_id="limits-observe",
        office="CN-DANDONG",
        change=pb.PolicyChange(**{**details, **change}),
    )


MEGABYTES = "A" * (10 * 2**20)
# Events that together are far beyond one message, each within every limit.
BULKY_EVENTS = 40
# Commands (each its length and tag on the wire) that make one chunk larger than 16 MiB.
OVER_16_MIB = MESSAGE_LIMIT // (VALID_COMMAND.ByteSize() + 3) + 100
# id: (rpc, the request (made when the test runs: some are large), the field named)
LIMITS: dict[str, tuple[str, Callable[[], Any], str]] = {
    "a check of 1001 items": (
        "Check",
        lambda: _check(items=[pb.CheckItem(goods="85")] * 1001),
        "items",
    ),
    "a check of a million items": (
        "Check",
        lambda: _check(items=[pb.CheckItem(goods="85")] * 1_000_000),
        "items",
    ),
    "a comparison of 501 offices": (
        "CompareOffices",
        lambda: pb.CompareOfficesRequest(
            offices=["CN-DANDONG"] * 501,
            at="2025-03-20",
            direction=pb.DIRECTION_OUTBOUND,
            channel=pb.CHANNEL_PERSONAL_BAGGAGE,
            items=[pb.CheckItem(goods="85")],
        ),
        "offices",
    ),
    "a 10 MB office code": (
        "GetOffice",
        lambda: pb.GetOfficeRequest(office="CN-" + MEGABYTES),
        "office",
    ),
    "a 101-character office code": (
        "GetOffice",
        lambda: pb.GetOfficeRequest(office="CN-" + "A" * 98),
        "office",
    ),
    "10 MB goods": (
        "Check",
        lambda: _check(items=[pb.CheckItem(goods=MEGABYTES)]),
        "items[0].goods",
    ),
    "a value of 41 digits": (
        "Check",
        lambda: _check(items=[pb.CheckItem(goods="85", value="1" * 41, currency="USD")]),
        "items[0].value",
    ),
    "a quantity over a billion": (
        "Check",
        lambda: _check(items=[pb.CheckItem(goods="85", quantity=10**9 + 1)]),
        "items[0].quantity",
    ),
    "a 10 MB name": (
        "RegisterOffice",
        lambda: pb.RegisterOfficeRequest(
            request_id="limits-name", office="CN-LIMITS", name=MEGABYTES
        ),
        "name",
    ),
    "a name with a NUL character": (
        "RegisterOffice",
        lambda: pb.RegisterOfficeRequest(
            request_id="limits-nul", office="CN-LIMITS", name="a\x00b"
        ),
        "name",
    ),
    "101 crossings": (
        "RegisterOffice",
        lambda: pb.RegisterOfficeRequest(
            request_id="limits-crossings",
            office="CN-LIMITS",
            name="Limits",
            crossings=[VALID_CROSSING] * 101,
        ),
        "crossings",
    ),
    "a 201-character crossing": (
        "RegisterOffice",
        lambda: pb.RegisterOfficeRequest(
            request_id="limits-counterpart",
            office="CN-LIMITS",
            name="Limits",
            crossings=[pb.Crossing(counterpart="A" * 201, mode=pb.CROSSING_MODE_ROAD)],
        ),
        "crossings[0].counterpart",
    ),
    "a 201-character request id": (
        "RegisterOffice",
        lambda: pb.RegisterOfficeRequest(request_id="r" * 201, office="CN-LIMITS", name="Limits"),
        "request_id",
    ),
    "a 10 MB note": ("RecordObservation", lambda: _observe(note=MEGABYTES), "change.note"),
    "51 sources": (
        "RecordObservation",
        lambda: _observe(sources=[VALID_SOURCE] * 51),
        "change.sources",
    ),
    "a 201-character publisher": (
        "RecordObservation",
        lambda: _observe(sources=[pb.Source(**source(publisher="P" * 201))]),
        "change.sources[0].publisher",
    ),
    "a 10 MB URL": (
        "RecordObservation",
        lambda: _observe(sources=[pb.Source(**source(url="https://" + MEGABYTES))]),
        "change.sources[0].url",
    ),
    "a URL with a NUL character": (
        "RecordObservation",
        lambda: _observe(sources=[pb.Source(**source(url="https://a\x00b"))]),
        "change.sources[0].url",
    ),
    "a 10 MB language tag": (
        "RecordObservation",
        lambda: _observe(sources=[pb.Source(**source(language="en" + "-abcd" * 2 * 2**20))]),
        "change.sources[0].language",
    ),
    "an amount of 41 digits": (
        "RecordObservation",
        lambda: _observe(
            measure=pb.Measure(
                admissibility=pb.Admissibility(
                    kind=pb.ADMISSIBILITY_KIND_VALUE_LIMIT, amount="9" * 41, currency="USD"
                )
            )
        ),
        "change.measure.admissibility.amount",
    ),
    "a 10 MB reason": (
        "RetractChange",
        lambda: pb.RetractChangeRequest(
            request_id="limits-reason",
            office="CN-DANDONG",
            change_id=EXAMPLE_CHANGES[-1],
            reason=MEGABYTES,
            sources=[VALID_SOURCE],
        ),
        "reason",
    ),
    "an import of 10,001 commands": (
        "ImportCommands",
        lambda: (
            [pb.ImportCommandsRequest(commands=[VALID_COMMAND] * 1000)] * 10
            + [pb.ImportCommandsRequest(commands=[VALID_COMMAND])]
        ),
        "commands",
    ),
    "a timeline of 101 offices": (
        "GetTimeline",
        lambda: pb.GetTimelineRequest(offices=["CN-DANDONG"] * 101),
        "offices",
    ),
    "a history page of 10,001 events": (
        "GetHistory",
        lambda: pb.GetHistoryRequest(office="CN-DANDONG", batch_size=10_001),
        "batch_size",
    ),
    "a negative history page": (
        "GetHistory",
        lambda: pb.GetHistoryRequest(office="CN-DANDONG", batch_size=-1),
        "batch_size",
    ),
    "a watch page of 10,001 events": (
        "Watch",
        lambda: pb.WatchRequest(batch_size=10_001),
        "batch_size",
    ),
    "an export page of 10,001 events": (
        "ExportLedger",
        lambda: pb.ExportLedgerRequest(batch_size=10_001),
        "batch_size",
    ),
    "an export after the largest position": (
        "ExportLedger",
        lambda: pb.ExportLedgerRequest(after_position=2**63 - 1),
        "after_position",
    ),
    "a watch after the largest position": (
        "Watch",
        lambda: pb.WatchRequest(after_position=2**63 - 1),
        "after_position",
    ),
    "a negative min_position": (
        "ListOffices",
        lambda: pb.ListOfficesRequest(min_position=-1),
        "min_position",
    ),
    "a negative pinned position": (
        "VerifyDigest",
        lambda: pb.VerifyDigestRequest(pinned=pb.Digest(position=-1, root="0" * 64)),
        "pinned.position",
    ),
    "a proof of a negative position": (
        "GetInclusionProof",
        lambda: pb.GetInclusionProofRequest(position=-1),
        "position",
    ),
    "a proof of an event id that is not one": (
        "GetInclusionProof",
        lambda: pb.GetInclusionProofRequest(event_id="CN-DANDONG"),
        "event_id",
    ),
    "a proof in a tree beyond the log": (
        "GetInclusionProof",
        lambda: pb.GetInclusionProofRequest(position=1, tree_size=2**63 - 1),
        "tree_size",
    ),
    "checkpoints after a negative size": (
        "ListCheckpoints",
        lambda: pb.ListCheckpointsRequest(after_size=-1),
        "after_size",
    ),
    "more checkpoints than a page holds": (
        "ListCheckpoints",
        lambda: pb.ListCheckpointsRequest(limit=10_001),
        "limit",
    ),
    "a consistency proof from a negative size": (
        "GetConsistencyProof",
        lambda: pb.GetConsistencyProofRequest(old_size=-1),
        "old_size",
    ),
    "a consistency proof from a tree larger than the other": (
        "GetConsistencyProof",
        lambda: pb.GetConsistencyProofRequest(old_size=5, new_size=3),
        "old_size",
    ),
}


def _refusal(target: Target, rpc: str, request: Any) -> tuple[grpc.RpcError, list[str]]:
    """The refusal of ``request``, and the fields its BadRequest names."""
    function = getattr(target.stub, rpc)
    method = SERVICE.methods_by_name[rpc]

    def call() -> Any:
        if method.client_streaming:
            return function(iter(request), timeout=TIMEOUT)
        if method.server_streaming:
            return list(function(request, timeout=TIMEOUT))
        return function(request, timeout=TIMEOUT)

    with pytest.raises(grpc.RpcError) as refused:
        call()
    fields = []
    status = rpc_status.from_call(refused.value)
    for detail in status.details if status else ():
        bad_request = error_details_pb2.BadRequest()
        if detail.Unpack(bad_request):
            fields += [violation.field for violation in bad_request.field_violations]
    return refused.value, fields


@pytest.mark.parametrize(("rpc", "request_", "field"), LIMITS.values(), ids=list(LIMITS))
def test_a_request_over_a_limit_is_invalid_naming_the_field(
    target: Target, rpc: str, request_: Callable[[], Any], field: str
) -> None:
    before = target.digest()
    error, fields = _refusal(target, rpc, request_())
    assert error.code() is Code.INVALID_ARGUMENT, error.details()
    assert field in fields
    assert (error.details() or "").startswith(f"{field}:")
    assert target.digest() == before


def test_a_refusal_naming_a_thousand_bad_items_fits_the_trailers(target: Target) -> None:
    """Otherwise the client drops the status as too large and sees no field at all."""
    items = [pb.CheckItem(goods=f"bad goods {number} " + "x" * 80) for number in range(1000)]
    error, fields = _refusal(target, "Check", _check(items=items))
    assert error.code() is Code.INVALID_ARGUMENT
    assert fields[0] == "items[0].goods"
    assert 1 < len(fields) < 1000
    assert fields[-1] == "request"  # "... and N more"
    assert len((error.details() or "").encode()) <= 800


def test_a_message_beyond_16_mib_is_resource_exhausted(target: Target) -> None:
    check = _check(items=[pb.CheckItem(goods="A" * MESSAGE_LIMIT)])
    chunk = pb.ImportCommandsRequest(commands=[VALID_COMMAND] * OVER_16_MIB)
    assert min(check.ByteSize(), chunk.ByteSize()) > MESSAGE_LIMIT
    before = target.digest()
    for rpc, request in (("Check", check), ("ImportCommands", [chunk])):
        answer = send(target, rpc, request)
        assert answer.code is Code.RESOURCE_EXHAUSTED, (rpc, answer.details)
    assert target.digest() == before
    assert target.serving()


@pytest.mark.parametrize("rpc", RPCS)
def test_bytes_that_are_no_request_message_are_invalid_argument_not_internal(
    target: Target, rpc: str
) -> None:
    """gRPC answers an undecodable request with INTERNAL by itself; the server says whose
    mistake it is."""
    corrupt = b"\x0a\x80\x80\x80\x80\x10"  # a field longer than the message
    assert _decoded(rpc, corrupt) is None
    before = target.digest()
    answer = send(target, rpc, corrupt, raw=True)
    assert answer.code is Code.INVALID_ARGUMENT, answer.details
    assert f"not a valid request message for /{SERVICE.full_name}/{rpc}" in answer.details
    assert target.digest() == before


def test_random_bytes_beyond_16_mib_are_resource_exhausted(target: Target) -> None:
    answer = send(target, "Check", b"\xff" * (MESSAGE_LIMIT + 1), raw=True)
    assert answer.code is Code.RESOURCE_EXHAUSTED
    assert target.serving()


def test_events_at_every_size_limit_stream_back_in_messages_under_16_mib(target: Target) -> None:
    """The largest events the limits allow (50 sources of 2000-character URLs, in characters
    of four bytes) are read back by history, watch, export and the audit, page by page."""
    client = LedgerClient(target.server.address, channel=target.channel)
    office, wide = "CN-BULKY", "\U0001f642"
    bulky = pb.Source(
        **source(publisher=wide * 200, url="https://" + wide * (2000 - len("https://")))
    )
    client.register_office(office, "Bulky customs", request_id="bulky-office")
    change = _observe(sources=[bulky] * 50, note=wide * 2000).change
    commands = [
        pb.Command(
            observe=pb.RecordObservationRequest(
                request_id=f"bulky-{number}", office=office, change=change
            )
        )
        for number in range(BULKY_EVENTS)
    ]
    assert BULKY_EVENTS * commands[0].ByteSize() > MESSAGE_LIMIT  # more than one message
    for number in range(0, BULKY_EVENTS, 8):
        part = pb.ImportCommandsRequest(commands=commands[number : number + 8])
        assert target.stub.ImportCommands(iter([part]), timeout=TIMEOUT).stored == len(
            part.commands
        )
    history = target.stub.GetHistory(pb.GetHistoryRequest(office=office), timeout=TIMEOUT)
    pages = [reply.events for reply in history]
    assert len(pages) > 1 and sum(map(len, pages)) == BULKY_EVENTS + 1
    exported_pages = list(target.stub.ExportLedger(pb.ExportLedgerRequest(), timeout=TIMEOUT))
    assert len(exported_pages) > 1
    end = target.digest().position
    assert exported_pages[-1].events[-1].position == end
    last = 0
    for event in client.watch(0, timeout=TIMEOUT):
        last = event.position
        if last >= end:
            break
    assert last == end
    audit = client.audit()
    assert audit.ok, audit.problems


# --- Refused commands change nothing -------------------------------------------------------


def test_a_batch_of_refused_commands_leaves_the_store_as_it_was(target: Target) -> None:
    client = LedgerClient(target.server.address, channel=target.channel)
    office = "CN-REFUSALS"
    change = {"scope": WORKER_BAGGAGE, "sources": [source()]}
    june = {**change, "effective": {"on": "2025-06-01"}}
    client.register_office(office, "Refusals customs", request_id="refusals-office")
    used = client.record(
        "observed",
        office,
        request_id="refusals-used",
        measure={"inspection": "rigorous"},
        effective={"on": "2025-01-01"},
        **change,
    )
    before, log = target.digest(), exported(client)
    refused: list[Callable[[], Any]] = [
        lambda: client.register_office(office, "again"),
        lambda: client.register_office("CN-LIMITS", "a\x00b"),
        lambda: client.record(
            "observed", "CN-UNREGISTERED", measure={"inspection": "light"}, **june
        ),
        lambda: client.record("tightened", office, measure={"inspection": "none"}, **june),
        lambda: client.record(
            "observed", office, measure={"inspection": "light"}, expected_version=1, **june
        ),
        lambda: client.record(
            "observed",
            office,
            request_id="refusals-used",
            measure={"inspection": "light"},
            **june,
        ),
        lambda: client.retract(office, "not-a-uuid", reason="no", sources=[source()]),
        lambda: client.retract(
            office, "00000000-0000-0000-0000-000000000000", reason="no", sources=[source()]
        ),
        lambda: client.import_commands(
            [
                command_message(
                    "register", {"request_id": "refusals-a", "office": "CN-REFUSED", "name": "A"}
                ),
                command_message(
                    "register", {"request_id": "refusals-b", "office": office, "name": "B"}
                ),
            ]
        ),
    ]
    codes = []
    for number, call in enumerate(refused):
        try:
            accepted = call()
        except LedgerClientError as error:
            codes.append(error.code)
        else:
            pytest.fail(f"refusal {number} was accepted: {accepted}")
    assert set(codes) == {
        Code.ALREADY_EXISTS,
        Code.INVALID_ARGUMENT,
        Code.NOT_FOUND,
        Code.FAILED_PRECONDITION,
        Code.ABORTED,
    }
    assert target.digest() == before
    assert exported(client) == log
    assert log[-1].position >= used.position
    with pytest.raises(LedgerClientError) as missing:
        client.get_office("CN-REFUSED")
    assert missing.value.code is Code.NOT_FOUND


def test_after_the_fuzz_the_server_serves_and_both_audits_hold(target: Target) -> None:
    """Whatever the fuzz got stored, the log replays: the store audit, and the remote one
    (which also compares rule states at every change's window edges with the server's)."""
    assert target.serving()
    status, out, err = run_cli(target.server.address, "audit", "--remote", "--json", timeout=300)
    assert status == 0, (out, err)
    status, out, err = run_cli(
        target.server.address,
        "audit",
        "--store",
        "--json",
        env={"LEDGER_DATABASE_URL": target.server.database_url},
        timeout=300,
    )
    assert status == 0, (out, err)
    assert target.server.process.poll() is None
