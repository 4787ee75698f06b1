"""The HTTP port (``ledger serve --web``): the same service, ledger, tokens, limits and errors as
the gRPC port, over the Connect protocol (JSON, binary, streams) and gRPC-Web, and the console's
files at ``/``. Calls are made with the standard library's HTTP client and the protocols'
documented framing (``http_support``); answers are compared with the gRPC port's.
"""

from __future__ import annotations

import contextlib
import json
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest
from google.rpc import error_details_pb2

from ledger_api.ledger.v1 import ledger_pb2, ledger_pb2_grpc
from ledger_client import LedgerClient, LedgerClientError
from tests.certs import Certificates, make_certificates
from tests.e2e.http_support import (
    SERVICE,
    call,
    envelope,
    envelopes,
    json_call,
    open_stream,
    read_envelope,
)
from tests.e2e.security import hashed_line, refused_start
from tests.e2e.support import (
    LEDGER,
    SEED_EVENTS,
    RunningServer,
    Watching,
    new_office,
    start_server,
)

BAN_DAY = {
    "office": "CN-DANDONG",
    "at": "2025-03-20",
    "direction": "DIRECTION_OUTBOUND",
    "channel": "CHANNEL_PERSONAL_BAGGAGE",
    "traveller": "TRAVELLER_WORKER",
    "items": [{"goods": "8516.60", "quantity": 1}],
}


@contextlib.contextmanager
def _serving(folder: Path, env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    server = start_server(folder, env=env, flags=["--web", "127.0.0.1:0"])
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.stop()


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with _serving(tmp_path_factory.mktemp("web")) as server:
        assert server.web is not None
        yield server


def _url(server: RunningServer) -> str:
    assert server.web is not None
    return server.web


def _grpc_check(address: str) -> ledger_pb2.CheckResponse:
    with grpc.insecure_channel(address) as channel:
        stub = ledger_pb2_grpc.PolicyLedgerStub(channel)
        answer: ledger_pb2.CheckResponse = stub.Check(
            ledger_pb2.CheckRequest(
                office="CN-DANDONG",
                at="2025-03-20",
                direction=ledger_pb2.DIRECTION_OUTBOUND,
                channel=ledger_pb2.CHANNEL_PERSONAL_BAGGAGE,
                traveller=ledger_pb2.TRAVELLER_WORKER,
                items=[ledger_pb2.CheckItem(goods="8516.60", quantity=1)],
            ),
            timeout=10,
        )
        return answer


class TestTheSameService:
    def test_a_json_check_answers_what_the_grpc_port_answers(self, web: RunningServer) -> None:
        reply = json_call(_url(web), "Check", BAN_DAY)
        assert reply.status == 200, reply.body
        assert reply.headers["content-type"] == "application/json"
        from google.protobuf import json_format

        over_http = json_format.Parse(reply.body, ledger_pb2.CheckResponse())
        assert over_http == _grpc_check(web.address)
        assert reply.json()["items"][0]["verdict"] == "VERDICT_PROHIBITED"

    def test_a_binary_check_answers_the_same_message(self, web: RunningServer) -> None:
        request = ledger_pb2.CheckRequest(
            office="CN-DANDONG",
            at="2025-03-20",
            direction=ledger_pb2.DIRECTION_OUTBOUND,
            channel=ledger_pb2.CHANNEL_PERSONAL_BAGGAGE,
            traveller=ledger_pb2.TRAVELLER_WORKER,
            items=[ledger_pb2.CheckItem(goods="8516.60", quantity=1)],
        )
        reply = call(
            _url(web),
            SERVICE + "Check",
            request.SerializeToString(),
            content_type="application/proto",
        )
        assert reply.status == 200
        assert ledger_pb2.CheckResponse.FromString(reply.body) == _grpc_check(web.address)

    def test_grpc_web_answers_in_frames_with_its_status_in_the_trailer(
        self, web: RunningServer
    ) -> None:
        request = ledger_pb2.PingRequest()
        reply = call(
            _url(web),
            SERVICE + "Ping",
            envelope(request.SerializeToString()),
            content_type="application/grpc-web+proto",
        )
        assert reply.status == 200
        (data_flags, data), (trailer_flags, trailer) = envelopes(reply.body)
        assert data_flags == 0
        ledger_pb2.PingResponse.FromString(data)
        assert trailer_flags == 0x80
        assert b"grpc-status:0" in trailer.replace(b" ", b"")

    def test_a_history_streams_every_event_the_grpc_port_streams(self, web: RunningServer) -> None:
        reply = call(
            _url(web),
            SERVICE + "GetHistory",
            envelope(json.dumps({"office": "CN-DANDONG", "batchSize": 2}).encode()),
            content_type="application/connect+json",
        )
        assert reply.status == 200
        *pages, (end_flags, end) = envelopes(reply.body)
        assert end_flags == 0x02
        assert json.loads(end) == {}  # the stream ended without an error
        over_http = [event["eventId"] for _, page in pages for event in json.loads(page)["events"]]
        assert all(len(json.loads(page)["events"]) <= 2 for _, page in pages)
        with LedgerClient(web.address) as client:
            over_grpc = [str(event.event_id) for event in client.history("CN-DANDONG")]
        assert over_http == over_grpc
        assert len(over_http) > 2

    def test_an_event_recorded_over_http_is_in_the_ledger_the_grpc_port_reads(
        self, web: RunningServer
    ) -> None:
        office = new_office()
        reply = json_call(
            _url(web),
            "RegisterOffice",
            {"office": office, "name": "Over HTTP", "requestId": office},
        )
        assert reply.status == 200, reply.body
        position = int(reply.json()["receipt"]["position"])
        with LedgerClient(web.address) as client:
            found = client.get_office(office, min_position=position)
        assert found.name == "Over HTTP"


class TestErrors:
    def test_an_unknown_office_is_not_found_with_the_servers_words(
        self, web: RunningServer
    ) -> None:
        reply = json_call(_url(web), "Check", {**BAN_DAY, "office": "CN-NOWHERE"})
        assert reply.status == 404
        error = reply.json()
        assert error["code"] == "not_found"
        assert "CN-NOWHERE" in error["message"]

    def test_a_bad_date_is_refused_with_the_field_in_the_details(self, web: RunningServer) -> None:
        reply = json_call(_url(web), "Check", {**BAN_DAY, "at": "2025-13-20"})
        assert reply.status == 400
        error = reply.json()
        assert error["code"] == "invalid_argument"
        assert "2025-13-20" in error["message"]
        detail = error["details"][0]
        assert detail["type"] == "google.rpc.BadRequest"
        import base64

        value = base64.b64decode(detail["value"] + "=" * (-len(detail["value"]) % 4))
        fields = [v.field for v in error_details_pb2.BadRequest.FromString(value).field_violations]
        assert fields == ["at"]

    def test_a_misspelt_field_is_refused_naming_the_accepted_ones(self, web: RunningServer) -> None:
        question = {**BAN_DAY, "ofice": "CN-DANDONG"}
        reply = json_call(_url(web), "Check", question)
        assert reply.status == 400
        error = reply.json()
        assert error["code"] == "invalid_argument"
        assert "ofice" in error["message"]
        assert "knownAt" in error["message"]

    def test_values_of_the_wrong_kind_are_each_named_by_their_path(
        self, web: RunningServer
    ) -> None:
        question = {**BAN_DAY, "office": 5, "items": [{"goods": "8516.60", "quantity": "x"}]}
        reply = json_call(_url(web), "Check", {**question, "direction": "OUT"})
        assert reply.status == 400
        message = reply.json()["message"]
        assert "office: expected text" in message
        assert 'items[0].quantity: expected a whole number, e.g. 3 or "3", not "x"' in message
        assert "direction: expected one of" in message
        assert "DIRECTION_OUTBOUND" in message

    def test_a_body_that_is_no_object_is_refused_with_an_example(self, web: RunningServer) -> None:
        reply = call(_url(web), SERVICE + "ListOffices", b"[]")
        assert reply.status == 400
        assert reply.json()["message"].startswith("the request: expected an object of fields")

    def test_a_body_of_another_type_is_told_the_type_to_send(self, web: RunningServer) -> None:
        unary = call(_url(web), SERVICE + "Check", b"{}", content_type="text/plain")
        assert unary.status == 415
        assert b"Content-Type application/json" in unary.body
        stream = call(_url(web), SERVICE + "GetHistory", b"{}")
        assert stream.status == 415
        assert b"application/connect+json" in stream.body

    def test_a_client_stream_is_sent_to_the_grpc_port(self, web: RunningServer) -> None:
        reply = call(
            _url(web),
            SERVICE + "ImportCommands",
            envelope(b"{}"),
            content_type="application/connect+json",
        )
        *_, (_, end) = envelopes(reply.body)
        error = json.loads(end)["error"]
        assert error["code"] == "unimplemented"
        assert "gRPC" in error["message"]
        assert "ledger import" in error["message"]

    def test_a_method_the_service_lacks_is_not_found_naming_those_it_has(
        self, web: RunningServer
    ) -> None:
        reply = json_call(_url(web), "DropLedger", {})
        assert reply.status == 404
        assert b"no method 'DropLedger'" in reply.body
        assert b"Check, CompareOffices" in reply.body

    def test_a_body_beyond_the_message_limit_is_refused(self, web: RunningServer) -> None:
        question = {**BAN_DAY, "label": "x" * (17 * 1024 * 1024)}
        reply = json_call(_url(web), "Check", question, timeout=60)
        assert reply.status != 200
        assert reply.json()["code"] == "resource_exhausted"

    def test_a_wait_for_a_position_ends_at_the_callers_deadline(self, web: RunningServer) -> None:
        started = time.monotonic()
        reply = json_call(
            _url(web),
            "Check",
            {**BAN_DAY, "minPosition": 10**9},
            headers={"Connect-Timeout-Ms": "500"},
        )
        waited = time.monotonic() - started
        assert reply.json()["code"] in {"deadline_exceeded", "unavailable"}
        assert waited < 10, f"a 500 ms deadline was kept waiting {waited:.1f} s"


class TestTheConsolesFiles:
    def test_the_console_is_at_the_root_with_a_policy_of_this_server_only(
        self, web: RunningServer
    ) -> None:
        reply = call(_url(web), "/", http_method="GET")
        assert reply.status == 200
        assert reply.headers["content-type"].startswith("text/html")
        assert "default-src 'self'" in reply.headers["content-security-policy"]
        assert b"<html" in reply.body.lower()

    def test_a_page_that_is_not_there_says_where_the_console_and_the_api_are(
        self, web: RunningServer
    ) -> None:
        reply = call(_url(web), "/no-such-page", http_method="GET")
        assert reply.status == 404
        assert b"the console is at /" in reply.body
        assert b"/ledger.v1.PolicyLedger/METHOD" in reply.body

    def test_a_post_to_a_page_is_refused_saying_what_is_allowed(self, web: RunningServer) -> None:
        reply = call(_url(web), "/", b"{}")
        assert reply.status == 405
        assert reply.headers["allow"] == "GET, HEAD"


@pytest.fixture(scope="module")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[RunningServer, dict]]:
    tokens = {role: hashed_line(role) for role in ("reader", "recorder", "auditor")}
    env = {"LEDGER_TOKENS": ";".join(line for _, line in tokens.values())}
    with _serving(tmp_path_factory.mktemp("guarded"), env) as server:
        yield server, {role: token for role, (token, _) in tokens.items()}


class TestTokens:
    def test_a_call_without_a_token_is_unauthenticated(self, guarded: tuple) -> None:
        server, _ = guarded
        reply = json_call(_url(server), "Check", BAN_DAY)
        assert reply.status == 401
        assert reply.json()["code"] == "unauthenticated"

    def test_a_wrong_token_is_unauthenticated(self, guarded: tuple) -> None:
        server, _ = guarded
        reply = json_call(_url(server), "Check", BAN_DAY, token="not-a-token")
        assert reply.status == 401

    def test_a_reader_may_check(self, guarded: tuple) -> None:
        server, tokens = guarded
        reply = json_call(_url(server), "Check", BAN_DAY, token=tokens["reader"])
        assert reply.status == 200
        assert reply.json()["items"][0]["verdict"] == "VERDICT_PROHIBITED"

    def test_a_reader_may_not_read_the_digest_nor_record(self, guarded: tuple) -> None:
        server, tokens = guarded
        digest = json_call(_url(server), "GetDigest", {}, token=tokens["reader"])
        assert digest.status == 403
        assert digest.json()["code"] == "permission_denied"
        office = new_office()
        record = json_call(
            _url(server),
            "RegisterOffice",
            {"office": office, "name": "x", "requestId": office},
            token=tokens["reader"],
        )
        assert record.json()["code"] == "permission_denied"

    def test_an_auditor_reads_the_digest(self, guarded: tuple) -> None:
        server, tokens = guarded
        reply = json_call(_url(server), "GetDigest", {}, token=tokens["auditor"])
        assert reply.status == 200
        assert int(reply.json()["digest"]["position"]) >= SEED_EVENTS

    def test_a_request_without_a_token_is_refused_before_it_is_read(self, guarded: tuple) -> None:
        server, _ = guarded
        reply = call(_url(server), SERVICE + "Check", b"{not json at all")
        assert reply.status == 401
        assert reply.json()["code"] == "unauthenticated"

    def test_a_stream_without_a_token_ends_unauthenticated(self, guarded: tuple) -> None:
        server, _ = guarded
        reply = call(
            _url(server),
            SERVICE + "Watch",
            envelope(b"{}"),
            content_type="application/connect+json",
        )
        *_, (_, end) = envelopes(reply.body)
        assert json.loads(end)["error"]["code"] == "unauthenticated"


@pytest.fixture
def one_watch(tmp_path: Path) -> Iterator[RunningServer]:
    """A server with one place for a watch, and room for three HTTP connections at once."""
    env = {"LEDGER_MAX_WATCHES": "1", "LEDGER_MAX_CALLS": "3"}
    with _serving(tmp_path, env) as server:
        yield server


def _grpc_watch(address: str) -> Watching[object]:
    return Watching(address, lambda client: client.watch(SEED_EVENTS))


class TestSharedLimits:
    def test_a_grpc_watch_holding_the_only_place_refuses_an_http_watch(
        self, one_watch: RunningServer
    ) -> None:
        held = _grpc_watch(one_watch.address)
        try:
            time.sleep(0.5)  # the gRPC watch is open and waiting
            connection, answer = open_stream(_url(one_watch), "Watch", {"afterPosition": "0"})
            with contextlib.closing(connection):
                flags, end = read_envelope(answer)
            assert flags == 0x02
            assert end["error"]["code"] == "resource_exhausted"
        finally:
            held.close()

    def test_an_http_watch_whose_caller_went_away_gives_its_place_back(
        self, one_watch: RunningServer
    ) -> None:
        connection, answer = open_stream(_url(one_watch), "Watch", {"afterPosition": "0"})
        flags, first = read_envelope(answer)
        assert flags == 0
        assert len(first["events"]) == SEED_EVENTS
        # While it is open, the place is taken: a gRPC watch is refused.
        with LedgerClient(one_watch.address) as client, pytest.raises(LedgerClientError) as no:
            next(iter(client.watch(0, timeout=5)))
        assert no.value.code is grpc.StatusCode.RESOURCE_EXHAUSTED
        connection.sock.shutdown(socket.SHUT_RDWR)  # type: ignore[union-attr]
        connection.close()
        deadline = time.monotonic() + 10
        while True:  # the server learns of the hang-up a moment later
            try:
                with LedgerClient(one_watch.address) as client:
                    event = next(iter(client.watch(0, timeout=5)))
                break
            except LedgerClientError as error:
                if error.code is not grpc.StatusCode.RESOURCE_EXHAUSTED:
                    raise
                if time.monotonic() > deadline:
                    pytest.fail("the place of an HTTP watch whose caller left was never freed")
                time.sleep(0.2)
        assert event.position == 1

    def test_http_connections_beyond_the_limit_are_refused_and_grpc_still_answers(
        self, one_watch: RunningServer
    ) -> None:
        held = [open_stream(_url(one_watch), "Watch", {"afterPosition": "0"}) for _ in range(3)]
        try:
            reply = json_call(_url(one_watch), "Check", BAN_DAY, timeout=10)
            assert reply.status == 503
            with LedgerClient(one_watch.address, timeout=5) as client:
                answer = client.check(
                    "CN-DANDONG",
                    "2025-03-20",
                    direction="outbound",
                    channel="personal-baggage",
                    traveller="worker",
                    items=[{"goods": "8516.60", "quantity": 1}],
                )
            assert answer.items[0].verdict == "PROHIBITED"
        finally:
            for connection, _ in held:
                connection.close()


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("web-certs"))


class TestTls:
    def test_the_http_port_speaks_tls_with_the_grpc_ports_certificate(
        self, certs: Certificates, tmp_path: Path
    ) -> None:
        env = {"LEDGER_TLS_CERT": str(certs.server_cert), "LEDGER_TLS_KEY": str(certs.server_key)}
        with _serving(tmp_path, env) as server:
            url = _url(server)
            assert url.startswith("https://")
            trusted = ssl.create_default_context(cafile=str(certs.ca))
            reply = json_call(url, "Check", BAN_DAY, context=trusted)
            assert reply.json()["items"][0]["verdict"] == "VERDICT_PROHIBITED"
            with pytest.raises(ssl.SSLCertVerificationError):
                json_call(url, "Check", BAN_DAY, context=ssl.create_default_context())

    def test_mutual_tls_refuses_a_caller_without_a_certificate(
        self, certs: Certificates, tmp_path: Path
    ) -> None:
        env = {
            "LEDGER_TLS_CERT": str(certs.server_cert),
            "LEDGER_TLS_KEY": str(certs.server_key),
            "LEDGER_TLS_CLIENT_CA": str(certs.ca),
        }
        with _serving(tmp_path, env) as server:
            anonymous = ssl.create_default_context(cafile=str(certs.ca))
            with pytest.raises((ssl.SSLError, ConnectionError)):
                json_call(_url(server), "Ping", {}, context=anonymous)
            known = ssl.create_default_context(cafile=str(certs.ca))
            known.load_cert_chain(certs.client_cert, certs.client_key)
            assert json_call(_url(server), "Ping", {}, context=known).status == 200


class TestStarting:
    def test_the_http_port_is_off_unless_asked_for(self, tmp_path: Path) -> None:
        server = start_server(tmp_path)
        try:
            assert server.web is None
        finally:
            server.stop()

    def test_an_http_port_open_to_the_network_without_tokens_is_refused(
        self, tmp_path: Path
    ) -> None:
        status, said = refused_start(tmp_path, {"LEDGER_WEB_LISTEN": "0.0.0.0:0"})
        assert status != 0
        assert "LEDGER_WEB_LISTEN 0.0.0.0:0 is not a loopback address" in said

    def test_a_web_address_that_is_not_one_is_refused_with_an_example(self) -> None:
        completed = subprocess.run(
            [LEDGER, "serve", "--database", "memory://", "--web", "8080"],
            capture_output=True,
            text=True,
            timeout=30,
            env={"COLUMNS": "200", "NO_COLOR": "1", "PATH": "/usr/bin:/bin"},
        )
        assert completed.returncode == 2
        assert "--web" in completed.stderr
        assert "127.0.0.1:8080" in completed.stderr

    def test_a_web_port_already_taken_is_refused_naming_it(self, tmp_path: Path) -> None:
        with socket.create_server(("127.0.0.1", 0)) as taken:
            port = taken.getsockname()[1]
            status, said = refused_start(tmp_path, {"LEDGER_WEB_LISTEN": f"127.0.0.1:{port}"})
        assert status != 0
        assert f"127.0.0.1:{port}" in said
        assert "LEDGER_WEB_LISTEN" in said


class TestStopping:
    def test_a_server_stops_promptly_with_an_http_watch_open(self, tmp_path: Path) -> None:
        server = start_server(tmp_path, flags=["--web", "127.0.0.1:0"])
        connection, answer = open_stream(_url(server), "Watch", {"afterPosition": "0"})
        with contextlib.closing(connection):
            assert read_envelope(answer)[0] == 0  # open, and waiting for more
            started = time.monotonic()
            assert server.stop() == 0
            stopped_in = time.monotonic() - started
            flags, end = read_envelope(answer)
        assert (flags, end) == (0x02, {})  # the watch was ended without an error, not cut
        assert stopped_in < 10, f"stopping took {stopped_in:.1f} s with an HTTP watch open"
