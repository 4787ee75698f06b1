"""Fuzzed input against the HTTP port (``--web``): the gRPC fuzz's adversarial requests, sent
as Connect JSON, and JSON and bytes that are no request at all.

Every answer is a reply or a refusal a caller can act on, never Connect's ``internal`` or
``unknown`` nor an HTTP 500; a refused call changes nothing (the digest before and after is the
same); and both ports keep serving. One backend: the HTTP port adds no storage of its own.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from google.protobuf import json_format
from hypothesis import given, settings
from hypothesis import strategies as st

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc
from tests.e2e.http_support import SERVICE, Reply, call, envelope, envelopes
from tests.e2e.support import RunningServer
from tests.hardening.support import LONG, report, serving
from tests.hardening.test_fuzz import FUZZ, RAW_BYTES, REQUESTS, WRITES

pytestmark = pytest.mark.hardening

METHODS = pb.DESCRIPTOR.services_by_name["PolicyLedger"].methods_by_name
# Client streams are not served over HTTP (refused as unimplemented, checked in tests/e2e).
RPCS = [name for name, method in METHODS.items() if not method.client_streaming]
# Watches never end by themselves; a read beyond the log's end waits: both get a short deadline.
WAIT = {"Connect-Timeout-Ms": "300"}
NEVER = {"internal", "unknown", "data_loss"}

TYPED_CASES = 100 if LONG else 6
JUNK_CASES = 100 if LONG else 6
RAW_CASES = 30 if LONG else 3

JSON_VALUE = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=40),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=12,
)


def _junk(rpc: str) -> st.SearchStrategy[Any]:
    """The request's own field names (JSON and proto spellings) and others, with any JSON
    value; or a JSON value that is no object at all."""
    fields = METHODS[rpc].input_type.fields
    names = [f.json_name for f in fields] + [f.name for f in fields] + ["", "__proto__"]
    return st.dictionaries(st.sampled_from(names) | st.text(max_size=10), JSON_VALUE) | JSON_VALUE


class Web:
    def __init__(self, server: RunningServer, channel: grpc.Channel) -> None:
        assert server.web is not None
        self.url, self.server = server.web, server
        self.stub = ledger_pb2_grpc.PolicyLedgerStub(channel)
        self.codes: Counter[str] = Counter()

    def digest(self) -> pb.Digest:
        return self.stub.GetDigest(pb.GetDigestRequest(), timeout=30).digest

    def send(self, rpc: str, body: bytes, *, binary: bool = False) -> str:
        """One call; its Connect code ("ok" for a reply)."""
        streams = METHODS[rpc].server_streaming
        kind = "proto" if binary else "json"
        reply = call(
            self.url,
            SERVICE + rpc,
            envelope(body) if streams else body,
            content_type=f"application/connect+{kind}" if streams else f"application/{kind}",
            headers=WAIT,
            timeout=30,
        )
        assert reply.status != 500, f"{rpc}: HTTP 500 {reply.body[:300]!r}"
        return _code(reply, streams)

    def judge(self, rpc: str, body: bytes, *, binary: bool = False) -> str:
        before = self.digest()
        code = self.send(rpc, body, binary=binary)
        self.codes[code] += 1
        assert code not in NEVER, f"{rpc} answered {code} to {body[:300]!r}"
        if rpc not in WRITES or code != "ok":
            assert self.digest() == before, f"{rpc} refused ({code}) yet the digest moved"
        assert self.server.process.poll() is None
        ping = self.stub.Ping(pb.PingRequest(), timeout=10)
        assert ping is not None
        return code


def _code(reply: Reply, streams: bool) -> str:
    if not streams:
        return "ok" if reply.status == 200 else str(reply.json()["code"])
    if reply.status != 200:  # refused before the stream began
        return str(reply.json()["code"])
    *_, (flags, end) = envelopes(reply.body)
    if flags & 0x02 == 0:  # cut off by the deadline after a message: it answered
        return "ok"
    error = json.loads(end).get("error")
    return "ok" if error is None else str(error["code"])


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Web]:
    folder = tmp_path_factory.mktemp("web-fuzz")
    url = f"sqlite:///{folder / 'ledger.sqlite'}"
    with serving(folder, url, flags=["--web", "127.0.0.1:0"]) as server:
        with grpc.insecure_channel(server.address) as channel:
            target = Web(server, channel)
            yield target
        seen = ", ".join(f"{code} {count}" for code, count in target.codes.most_common())
        report(f"web fuzz: {sum(target.codes.values())} calls over HTTP; {seen}")


@pytest.mark.parametrize("rpc", RPCS)
class TestWebFuzz:
    @settings(FUZZ, max_examples=TYPED_CASES)
    @given(data=st.data())
    def test_the_grpc_fuzzs_requests_as_json_are_answered_or_refused(
        self, web: Web, rpc: str, data: st.DataObject
    ) -> None:
        request = data.draw(REQUESTS[rpc], label="request")
        web.judge(rpc, json_format.MessageToJson(request).encode())

    @settings(FUZZ, max_examples=JUNK_CASES)
    @given(data=st.data())
    def test_json_that_is_no_request_is_refused_never_failed(
        self, web: Web, rpc: str, data: st.DataObject
    ) -> None:
        junk = data.draw(_junk(rpc), label="json")
        code = web.judge(rpc, json.dumps(junk).encode())
        if not isinstance(junk, dict):
            assert code == "invalid_argument"

    @settings(FUZZ, max_examples=RAW_CASES)
    @given(payload=RAW_BYTES)
    def test_bytes_as_json_or_binary_are_refused_never_failed(
        self, web: Web, rpc: str, payload: bytes
    ) -> None:
        web.judge(rpc, payload)
        web.judge(rpc, payload, binary=True)
