"""Tokens and roles over a real server: one ``ledger serve`` on SQLite for the module, with a
token of each role made by ``ledger token new``; and servers that must refuse to start open.

The roles expected here are written out again, as the README states them, rather than
imported from the server: the test states the policy, and the server must keep it.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_reflection.v1alpha import reflection_pb2, reflection_pb2_grpc

from ledger_api.ledger.v1 import ledger_pb2
from ledger_client import LedgerClient, LedgerClientError, command_message
from tests.e2e.http_support import json_call, open_stream, read_envelope
from tests.e2e.security import cli_token, hashed_line, refused_start
from tests.e2e.support import RunningServer, new_office, run_cli, start_server

ROLES = ("reader", "recorder", "auditor", "admin")
INCLUDES = {
    "reader": {"reader"},
    "recorder": {"reader", "recorder"},
    "auditor": {"reader", "auditor"},
    "admin": {"reader", "recorder", "auditor"},
}
NEEDS = {
    "Ping": "reader",
    "GetOffice": "reader",
    "ListOffices": "reader",
    "GetHistory": "reader",
    "GetTimeline": "reader",
    "GetRuleState": "reader",
    "Check": "reader",
    "CompareOffices": "reader",
    "Watch": "reader",
    "ListUpcoming": "reader",
    "WatchEffective": "reader",
    "RegisterOffice": "recorder",
    "RecordObservation": "recorder",
    "RecordTightening": "recorder",
    "RecordLoosening": "recorder",
    "AmendChange": "recorder",
    "RetractChange": "recorder",
    "ImportCommands": "recorder",
    "GetDigest": "auditor",
    "VerifyDigest": "auditor",
    "GetInclusionProof": "reader",
    "GetConsistencyProof": "reader",
    "ListCheckpoints": "reader",
    "ExportLedger": "auditor",
    "GetDecision": "reader",
    "ListDecisions": "reader",
    "ReplayDecision": "reader",
    "GetImpact": "reader",
    "WatchImpacts": "reader",
    "ExportDecisions": "auditor",
}
SERVICE = ledger_pb2.DESCRIPTOR.services_by_name["PolicyLedger"]
REFUSED = {grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.PERMISSION_DENIED}


@dataclass
class Secured:
    """The module's server, the token of each role, and the tokens file it reads."""

    server: RunningServer
    tokens: dict[str, str]
    tokens_file: Path

    def client(self, role: str | None = None, *, token: str | None = None) -> LedgerClient:
        token = self.tokens[role] if role else token
        return LedgerClient(self.server.address, token=token, timeout=10)


@pytest.fixture(scope="module")
def secured(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Secured]:
    folder = tmp_path_factory.mktemp("auth")
    tokens, lines = {}, ["# made by `ledger token new`"]
    for role in ROLES:
        tokens[role], line = cli_token(role, f"e2e {role}")
        lines.append(line)
    tokens_file = folder / "tokens"
    tokens_file.write_text("\n".join(lines) + "\n")
    server = start_server(
        folder, env={"LEDGER_TOKENS_FILE": str(tokens_file)}, flags=["--web", "127.0.0.1:0"]
    )
    try:
        yield Secured(server, tokens, tokens_file)
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            server.stop()


def _raw_status(channel: grpc.Channel, name: str, metadata: list[tuple[str, str]]) -> Any:
    """Call a method with an empty request (or none, for a stream): OK if a reply came."""
    method = SERVICE.methods_by_name[name]
    path = f"/{SERVICE.full_name}/{name}"
    request: Any = iter(()) if method.client_streaming else b""
    kind = {
        (False, False): channel.unary_unary,
        (False, True): channel.unary_stream,
        (True, False): channel.stream_unary,
        (True, True): channel.stream_stream,
    }[(method.client_streaming, method.server_streaming)]
    try:
        reply = kind(path)(request, timeout=5, metadata=metadata)
        if method.server_streaming:
            for _ in reply:
                reply.cancel()  # Watch would go on: one message is enough
                break
        return grpc.StatusCode.OK
    except grpc.RpcError as error:
        return error.code()


def _bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


class TestEveryMethod:
    def test_the_expected_table_covers_the_service(self) -> None:
        assert set(NEEDS) == {method.name for method in SERVICE.methods}

    def test_no_method_answers_a_call_without_a_token(self, secured: Secured) -> None:
        with grpc.insecure_channel(secured.server.address) as channel:
            codes = {name: _raw_status(channel, name, []) for name in NEEDS}
        assert codes == dict.fromkeys(NEEDS, grpc.StatusCode.UNAUTHENTICATED)

    @pytest.mark.parametrize("role", ROLES)
    def test_each_role_reaches_exactly_the_methods_its_role_includes(
        self, secured: Secured, role: str
    ) -> None:
        metadata = _bearer(secured.tokens[role])
        with grpc.insecure_channel(secured.server.address) as channel:
            codes = {name: _raw_status(channel, name, metadata) for name in NEEDS}
        refused = {name for name, code in codes.items() if code in REFUSED}
        assert refused == {name for name, needs in NEEDS.items() if needs not in INCLUDES[role]}
        assert {codes[name] for name in refused} <= {grpc.StatusCode.PERMISSION_DENIED}
        # An empty request is refused as such by most methods; Ping answers it.
        assert codes["Ping"] == grpc.StatusCode.OK

    def test_a_method_the_server_does_not_have_is_refused_before_anything_else(
        self, secured: Secured
    ) -> None:
        with grpc.insecure_channel(secured.server.address) as channel:
            call = channel.unary_unary(f"/{SERVICE.full_name}/DropTheLedger")
            with pytest.raises(grpc.RpcError) as anonymous:
                call(b"", timeout=5)
            with pytest.raises(grpc.RpcError) as admin:
                call(b"", timeout=5, metadata=_bearer(secured.tokens["admin"]))
        assert anonymous.value.code() == grpc.StatusCode.UNAUTHENTICATED
        assert admin.value.code() == grpc.StatusCode.PERMISSION_DENIED


def _http_status(url: str, name: str, token: str | None) -> str:
    """Call a method over the HTTP port with an empty JSON request: its Connect error code, or
    "ok" if a reply came (a stream's first message is enough)."""
    if SERVICE.methods_by_name[name].server_streaming or name == "ImportCommands":
        connection, answer = open_stream(url, name, {}, token, timeout=5)
        with contextlib.closing(connection):
            flags, first = read_envelope(answer)
        return str(first["error"]["code"]) if flags & 0x02 and "error" in first else "ok"
    reply = json_call(url, name, {}, token, timeout=5)
    return "ok" if reply.status == 200 else str(reply.json()["code"])


class TestEveryMethodOverHttp:
    """The HTTP port asks the same tokens and roles of every method (Connect's codes)."""

    def test_no_method_answers_a_call_without_a_token(self, secured: Secured) -> None:
        assert secured.server.web is not None
        codes = {name: _http_status(secured.server.web, name, None) for name in NEEDS}
        assert codes == dict.fromkeys(NEEDS, "unauthenticated")

    @pytest.mark.parametrize("role", ROLES)
    def test_each_role_reaches_exactly_the_methods_its_role_includes(
        self, secured: Secured, role: str
    ) -> None:
        assert secured.server.web is not None
        token = secured.tokens[role]
        codes = {name: _http_status(secured.server.web, name, token) for name in NEEDS}
        refused = {name for name, code in codes.items() if code == "permission_denied"}
        assert refused == {name for name, needs in NEEDS.items() if needs not in INCLUDES[role]}
        assert "unauthenticated" not in codes.values()
        assert codes["Ping"] == "ok"


def _register(client: LedgerClient) -> object:
    return client.register_office(new_office(), "Auth test customs")


def _import(client: LedgerClient) -> object:
    line = {"request_id": f"auth-{new_office()}", "office": new_office(), "name": "Imported"}
    return client.import_commands([command_message("register", line)]).stored


# One call per method group, with the role it needs; each returns something true if allowed.
CALLS: dict[str, tuple[str, Callable[[LedgerClient], object]]] = {
    "query": ("reader", lambda client: client.list_offices()),
    "stream": ("reader", lambda client: next(iter(client.history("CN-DANDONG")))),
    "timeline": ("reader", lambda client: client.timeline("CN-DANDONG").offices[0].bands),
    "watch": ("reader", lambda client: next(iter(client.watch(0, timeout=5)))),
    "command": ("recorder", _register),
    "import": ("recorder", _import),
    "digest": ("auditor", lambda client: client.get_digest()),
    "export": ("auditor", lambda client: next(iter(client.export()))),
}


class TestRoles:
    @pytest.mark.parametrize("group", CALLS)
    @pytest.mark.parametrize("role", ROLES)
    def test_a_role_is_allowed_or_refused_each_group_of_methods(
        self, secured: Secured, role: str, group: str
    ) -> None:
        needs, call = CALLS[group]
        with secured.client(role) as client:
            if needs in INCLUDES[role]:
                assert call(client)
            else:
                with pytest.raises(LedgerClientError) as refused:
                    call(client)
                assert refused.value.code is grpc.StatusCode.PERMISSION_DENIED
                assert f"needs the {needs} role" in refused.value.message
                assert f"the token 'e2e {role}' has the {role} role" in refused.value.message

    def test_every_role_is_refused_something_but_admin(self) -> None:
        for role in ROLES:
            refused = {group for group, (needs, _) in CALLS.items() if needs not in INCLUDES[role]}
            assert bool(refused) == (role != "admin"), role

    def test_a_recorder_write_is_stored_and_a_reader_sees_it(self, secured: Secured) -> None:
        with secured.client("recorder") as recorder, secured.client("reader") as reader:
            receipt = recorder.register_office(new_office(), "Written with a token")
            office = reader.get_office(receipt.office, min_position=receipt.position)
        assert office.name == "Written with a token"


class TestWithoutAGoodToken:
    def test_no_token_is_unauthenticated(self, secured: Secured) -> None:
        with secured.client() as client, pytest.raises(LedgerClientError) as refused:
            client.list_offices()
        assert refused.value.code is grpc.StatusCode.UNAUTHENTICATED
        assert "authorization: Bearer <token>" in refused.value.message

    def test_a_wrong_token_is_unauthenticated(self, secured: Secured) -> None:
        almost = secured.tokens["admin"][:-1] + ("A" if secured.tokens["admin"][-1] != "A" else "B")
        for token in ("wrong", almost):
            with secured.client(token=token) as client, pytest.raises(LedgerClientError) as refused:
                client.ping()
            assert refused.value.code is grpc.StatusCode.UNAUTHENTICATED
            assert "not one this server knows" in refused.value.message

    def test_the_hash_itself_is_not_a_token(self, secured: Secured) -> None:
        stored = hashlib.sha256(secured.tokens["admin"].encode()).hexdigest()
        for token in (stored, f"sha256:{stored}"):
            with secured.client(token=token) as client, pytest.raises(LedgerClientError) as refused:
                client.ping()
            assert refused.value.code is grpc.StatusCode.UNAUTHENTICATED

    @pytest.mark.parametrize(
        "value", ["Basic YWRtaW46YWRtaW4=", "Bearer", "Token {admin}", "{admin}"]
    )
    def test_a_malformed_authorization_is_unauthenticated(
        self, secured: Secured, value: str
    ) -> None:
        metadata = [("authorization", value.format(admin=secured.tokens["admin"]))]
        with grpc.insecure_channel(secured.server.address) as channel:
            assert _raw_status(channel, "Ping", metadata) == grpc.StatusCode.UNAUTHENTICATED

    def test_health_and_reflection_need_no_token(self, secured: Secured) -> None:
        with secured.client() as client:
            assert client.health() == "SERVING"
            assert client.health(SERVICE.full_name) == "SERVING"
        with grpc.insecure_channel(secured.server.address) as channel:
            stub = reflection_pb2_grpc.ServerReflectionStub(channel)
            request = reflection_pb2.ServerReflectionRequest(list_services="")
            [reply] = list(stub.ServerReflectionInfo(iter([request]), timeout=5))
        names = {service.name for service in reply.list_services_response.service}
        assert SERVICE.full_name in names


class TestTheCli:
    def test_the_cli_sends_the_token_given_with_token(self, secured: Secured) -> None:
        status, out, err = run_cli(
            secured.server.address, "offices", "--token", secured.tokens["reader"]
        )
        assert status == 0, err
        assert "CN-DANDONG" in out

    def test_the_cli_sends_the_token_in_ledger_token(self, secured: Secured) -> None:
        env = {"LEDGER_TOKEN": secured.tokens["auditor"]}
        status, out, err = run_cli(secured.server.address, "digest", env=env)
        assert status == 0, err
        assert re.fullmatch(r"\d+:[0-9a-f]{64}:[0-9a-f]{64}", out.strip())

    def test_the_cli_without_a_token_is_refused(self, secured: Secured) -> None:
        status, out, err = run_cli(secured.server.address, "offices")
        assert status == 3
        assert "UNAUTHENTICATED" in err
        assert "CN-DANDONG" not in out

    def test_the_cli_names_the_role_a_command_needs(self, secured: Secured) -> None:
        status, _, err = run_cli(
            secured.server.address, "digest", "--token", secured.tokens["recorder"]
        )
        assert status == 3
        assert "PERMISSION_DENIED" in err
        assert "needs the auditor role" in err

    def test_an_auditor_audits_the_server_from_the_cli(self, secured: Secured) -> None:
        env = {"LEDGER_TOKEN": secured.tokens["auditor"]}
        status, out, err = run_cli(
            secured.server.address, "audit", "--remote", "--sample", "2", "--json", env=env
        )
        assert status == 0, err
        assert '"ok": true' in out


class TestSecrets:
    def test_the_tokens_file_holds_hashes_and_no_token(self, secured: Secured) -> None:
        stored = secured.tokens_file.read_text()
        for role, token in secured.tokens.items():
            assert token not in stored
            digest = hashlib.sha256(token.encode()).hexdigest()
            assert f"{role} sha256:{digest} e2e {role}\n" in stored

    def test_no_token_reaches_the_server_log(self, secured: Secured) -> None:
        for role, token in secured.tokens.items():
            with secured.client(token=token + "x") as client, pytest.raises(LedgerClientError):
                client.ping()
            with secured.client(role) as client, contextlib.suppress(LedgerClientError):
                client.get_digest()
        log = secured.server.log()
        assert "refused" in log  # the refusals above were logged, without their tokens
        assert not [token for token in secured.tokens.values() if token in log]


class TestStartingOpen:
    def test_without_tokens_a_server_on_another_address_refuses_to_start(
        self, tmp_path: Path
    ) -> None:
        status, err = refused_start(tmp_path, {"LEDGER_LISTEN": "0.0.0.0:0"})
        assert status == 2, err
        assert "LEDGER_LISTEN 0.0.0.0:0 is not a loopback address" in err
        assert "LEDGER_ALLOW_OPEN=true" in err
        assert not (tmp_path / "ledger.sqlite").exists()  # refused before opening anything

    def test_allow_open_serves_open_on_any_address_and_warns(self, tmp_path: Path) -> None:
        server = start_server(
            tmp_path, example=False, env={"LEDGER_LISTEN": "0.0.0.0:0", "LEDGER_ALLOW_OPEN": "true"}
        )
        try:
            port = server.address.rsplit(":", 1)[1]
            assert server.address == f"0.0.0.0:{port}"
            with LedgerClient(f"127.0.0.1:{port}") as client:
                assert client.list_offices() == []
        finally:
            assert server.stop() == 0
        assert "the server is OPEN" in server.log()
        assert "LEDGER_ALLOW_OPEN=true" in server.log()

    def test_without_tokens_on_loopback_the_server_serves_open_and_warns(
        self, tmp_path: Path
    ) -> None:
        server = start_server(tmp_path, example=False)
        try:
            with LedgerClient(server.address) as client:
                client.ping()
        finally:
            assert server.stop() == 0
        assert "the server is OPEN" in server.log()
        assert "loopback: this machine only" in server.log()

    def test_a_tokens_file_with_a_bad_line_refuses_to_start_naming_the_line(
        self, tmp_path: Path
    ) -> None:
        _, good = hashed_line("reader")
        tokens_file = tmp_path / "tokens"
        tokens_file.write_text(f"# ok\n{good}\nrecorder my-plain-secret-token ci\n")
        status, err = refused_start(tmp_path, {"LEDGER_TOKENS_FILE": str(tokens_file)})
        assert status == 2, err
        assert f"LEDGER_TOKENS_FILE {tokens_file} line 3" in err
        assert "never the token" in err
        assert "my-plain-secret-token" not in err

    def test_a_bad_ledger_tokens_entry_refuses_to_start_naming_it(self, tmp_path: Path) -> None:
        _, good = hashed_line("reader")
        status, err = refused_start(tmp_path, {"LEDGER_TOKENS": f"{good};superuser {good[7:]}"})
        assert status == 2, err
        assert "LEDGER_TOKENS entry 2: unknown role 'superuser'" in err
