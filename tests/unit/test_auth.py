"""Tokens and roles: the method table, the tokens file, the decision on each call, and when a
server may run open. Over a real server: ``tests/e2e/test_auth.py``."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import grpc
import pytest

from ledger.server import auth
from ledger.server.auth import (
    Token,
    TokenAuth,
    Tokens,
    is_loopback,
    load_tokens,
    parse_tokens,
    server_interceptors,
)
from ledger.server.servicer import ROLES as METHODS
from ledger.settings import ConfigError, Settings
from ledger.tokens import Role, hash_token, new_token, token_line
from ledger_api.ledger.v1 import ledger_pb2

SERVICE = ledger_pb2.DESCRIPTOR.services_by_name["PolicyLedger"]
OPEN = Settings(database_url="memory://")


def _token(role: Role, secret: str, name: str = "") -> Token:
    return Token(role, hashlib.sha256(secret.encode()).digest(), name)


def _bearer(secret: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {secret}")]


@pytest.fixture
def guard() -> TokenAuth:
    return TokenAuth(
        Tokens(
            [
                _token(Role.READER, "reader-secret", "dashboard"),
                _token(Role.RECORDER, "recorder-secret"),
                _token(Role.AUDITOR, "auditor-secret"),
                _token(Role.ADMIN, "admin-secret"),
            ]
        ),
        METHODS,
    )


class TestTheMethodTable:
    def test_every_method_of_the_service_has_a_role(self) -> None:
        methods = {method.name for method in SERVICE.methods}
        assert len(methods) >= 18  # the service as written; guards against checking nothing
        assert methods - METHODS.keys() == set()

    def test_the_table_names_no_method_the_service_lacks(self) -> None:
        assert METHODS.keys() - {method.name for method in SERVICE.methods} == set()

    def test_commands_need_the_recorder_and_the_audit_trail_the_auditor(self) -> None:
        assert {name for name, role in METHODS.items() if role is Role.RECORDER} == {
            "RegisterOffice",
            "RecordObservation",
            "RecordTightening",
            "RecordLoosening",
            "AmendChange",
            "RetractChange",
            "ImportCommands",
        }
        assert {name for name, role in METHODS.items() if role is Role.AUDITOR} == {
            "ExportLedger",
            "ExportDecisions",
            "GetDigest",
            "VerifyDigest",
        }
        assert Role.ADMIN not in METHODS.values()

    def test_the_reading_streams_need_only_the_reader(self) -> None:
        streams = {"GetHistory", "GetTimeline", "Watch", "WatchEffective", "WatchImpacts"}
        assert {name: METHODS[name] for name in streams} == dict.fromkeys(streams, Role.READER)


class TestRoles:
    @pytest.mark.parametrize(
        ("role", "included"),
        [
            (Role.READER, {Role.READER}),
            (Role.RECORDER, {Role.READER, Role.RECORDER}),
            (Role.AUDITOR, {Role.READER, Role.AUDITOR}),
            (Role.ADMIN, set(Role)),
        ],
    )
    def test_roles_form_a_lattice_where_recorder_and_auditor_do_not_include_each_other(
        self, role: Role, included: set[Role]
    ) -> None:
        assert {needed for needed in Role if role.includes(needed)} == included


class TestTheTokensFile:
    def test_lines_give_role_hash_and_name_and_comments_and_blank_lines_are_skipped(
        self,
    ) -> None:
        lines = [
            "# who may do what",
            "",
            f"reader {hash_token('a')}",
            f"  recorder   {hash_token('b')}   Alice's laptop  ",
        ]
        tokens = parse_tokens(lines, "tokens")
        assert [(t.role, t.digest, t.name) for t in tokens] == [
            (Role.READER, hashlib.sha256(b"a").digest(), ""),
            (Role.RECORDER, hashlib.sha256(b"b").digest(), "Alice's laptop"),
        ]

    def test_an_upper_case_hash_is_the_same_hash(self) -> None:
        [token] = parse_tokens(
            [f"reader {hash_token('a').upper().replace('SHA256', 'sha256')}"], "t"
        )
        assert token.digest == hashlib.sha256(b"a").digest()

    @pytest.mark.parametrize(
        ("line", "reason"),
        [
            (f"writer {hash_token('a')}", "unknown role 'writer'"),
            ("reader 9T3Xk2mN8qLzW4vR7pYc1sDf6gHj0aBe5uIo3KlMnQw", "never the token"),
            ("reader sha256:abc123", "64 hex digits"),
            (f"reader md5:{hashlib.md5(b'a').hexdigest()}", "sha256:HEX"),
            ("reader", "sha256:HEX"),
        ],
    )
    def test_a_bad_line_is_refused_naming_its_number(self, line: str, reason: str) -> None:
        lines = ["# header", f"admin {hash_token('x')}", line]
        with pytest.raises(ConfigError, match=r"tokens line 3") as refused:
            parse_tokens(lines, "tokens")
        assert reason in str(refused.value)

    def test_two_lines_with_one_hash_are_refused(self) -> None:
        lines = [f"reader {hash_token('a')}", f"admin {hash_token('a')}"]
        with pytest.raises(ConfigError, match=r"line 2: the same hash as line 1"):
            parse_tokens(lines, "tokens")

    def test_tokens_come_from_the_file_and_from_the_environment_split_by_semicolons(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "tokens"
        path.write_text(f"reader {hash_token('a')} from the file\n")
        settings = OPEN.model_copy(
            update={
                "tokens_file": path,
                "tokens": f"recorder {hash_token('b')};auditor {hash_token('c')} audit",
            }
        )
        tokens = load_tokens(settings)
        assert tokens is not None
        assert [(t.role, t.name) for t in tokens.tokens] == [
            (Role.READER, "from the file"),
            (Role.RECORDER, ""),
            (Role.AUDITOR, "audit"),
        ]

    def test_no_tokens_configured_is_none(self) -> None:
        assert load_tokens(OPEN) is None
        assert load_tokens(Settings(database_url="memory://", tokens="")) is None

    def test_a_tokens_file_that_holds_no_tokens_is_refused(self, tmp_path: Path) -> None:
        path = tmp_path / "tokens"
        path.write_text("# nothing yet\n")
        with pytest.raises(ConfigError, match="holds no tokens"):
            load_tokens(OPEN.model_copy(update={"tokens_file": path}))

    def test_an_unreadable_tokens_file_is_refused_naming_it(self, tmp_path: Path) -> None:
        path = tmp_path / "missing"
        with pytest.raises(ConfigError, match=f"LEDGER_TOKENS_FILE {path}: cannot read it"):
            load_tokens(OPEN.model_copy(update={"tokens_file": path}))

    def test_the_same_token_in_the_file_and_the_environment_is_refused(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "tokens"
        path.write_text(f"reader {hash_token('a')}\n")
        settings = OPEN.model_copy(update={"tokens_file": path, "tokens": path.read_text()})
        with pytest.raises(ConfigError, match="the same token twice"):
            load_tokens(settings)


class TestNewTokens:
    def test_a_new_token_is_long_random_and_its_line_holds_its_hash_only(self) -> None:
        first, second = new_token(), new_token()
        assert first != second
        assert len(first) >= 43  # 32 random bytes, URL-safe base64
        line = token_line(Role.RECORDER, first, "importer")
        assert first not in line
        assert line == f"recorder sha256:{hashlib.sha256(first.encode()).hexdigest()} importer"
        [parsed] = parse_tokens([line], "tokens")
        assert Tokens([parsed]).identify(first) == parsed


class TestIdentify:
    def test_the_presented_token_is_found_by_its_hash_and_an_unknown_one_is_not(self) -> None:
        tokens = Tokens([_token(Role.READER, "r"), _token(Role.ADMIN, "a")])
        found = tokens.identify("a")
        assert found is not None and found.role is Role.ADMIN
        assert tokens.identify("b") is None
        assert tokens.identify("") is None

    def test_every_configured_hash_is_compared_even_when_the_first_matches(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        compared: list[bytes] = []
        real = auth.hmac.compare_digest

        def counting(a: bytes, b: bytes) -> bool:
            compared.append(b)
            return real(a, b)

        monkeypatch.setattr(auth.hmac, "compare_digest", counting)
        tokens = Tokens([_token(Role.READER, str(n)) for n in range(5)])
        assert tokens.identify("0") == tokens.tokens[0]
        assert compared == [token.digest for token in tokens.tokens]


class TestTheDecision:
    @pytest.mark.parametrize(
        "method",
        [
            "/grpc.health.v1.Health/Check",
            "/grpc.health.v1.Health/Watch",
            "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo",
        ],
    )
    def test_health_and_reflection_need_no_token(self, guard: TokenAuth, method: str) -> None:
        assert guard.decide(method, []) is None

    @pytest.mark.parametrize(
        ("metadata", "reason"),
        [
            ([], "needs a token"),
            ([("authorization", "Basic cmVhZGVyOnNlY3JldA==")], "Bearer <token>"),
            ([("authorization", "Bearer")], "Bearer <token>"),
            ([("authorization", "Bearer reader-secret extra")], "Bearer <token>"),
            ([*_bearer("reader-secret"), *_bearer("admin-secret")], "Bearer <token>"),
            (_bearer("reader-secret "), "Bearer <token>"),
            (_bearer("not-a-known-secret"), "not one this server knows"),
            ([("x-token", "admin-secret")], "needs a token"),
        ],
    )
    def test_a_missing_malformed_or_unknown_token_is_unauthenticated(
        self, guard: TokenAuth, metadata: list[tuple[str, str]], reason: str
    ) -> None:
        refusal = guard.decide("/ledger.v1.PolicyLedger/Check", metadata)
        assert refusal is not None
        assert refusal.code is grpc.StatusCode.UNAUTHENTICATED
        assert reason in refusal.message
        assert "secret" not in refusal.message

    def test_the_scheme_is_case_insensitive(self, guard: TokenAuth) -> None:
        metadata = [("authorization", "bearer reader-secret")]
        assert guard.decide("/ledger.v1.PolicyLedger/Check", metadata) is None

    @pytest.mark.parametrize("method", sorted(METHODS))
    def test_each_role_may_call_exactly_the_methods_its_role_includes(
        self, guard: TokenAuth, method: str
    ) -> None:
        for role in Role:
            refusal = guard.decide(f"/ledger.v1.PolicyLedger/{method}", _bearer(f"{role}-secret"))
            if role.includes(METHODS[method]):
                assert refusal is None, (role, method)
            else:
                assert refusal is not None, (role, method)
                assert refusal.code is grpc.StatusCode.PERMISSION_DENIED
                assert f"needs the {METHODS[method]} role" in refusal.message
                assert f"has the {role} role" in refusal.message

    def test_a_refusal_names_the_token_by_its_name(self, guard: TokenAuth) -> None:
        refusal = guard.decide("/ledger.v1.PolicyLedger/GetDigest", _bearer("reader-secret"))
        assert refusal is not None
        assert refusal.message == (
            "GetDigest needs the auditor role (or admin); the token 'dashboard' has the reader role"
        )

    def test_a_method_missing_from_the_table_is_refused_even_to_admin(
        self, guard: TokenAuth, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delitem(METHODS, "Ping")
        refusal = guard.decide("/ledger.v1.PolicyLedger/Ping", _bearer("admin-secret"))
        assert refusal is not None
        assert refusal.code is grpc.StatusCode.PERMISSION_DENIED
        assert "not open to any role" in refusal.message

    @pytest.mark.parametrize(
        "method", ["/ledger.v2.PolicyLedger/Ping", "/some.Other/Ping", "/grpc.health.v1.Health"]
    )
    def test_other_services_are_refused_even_to_admin(self, guard: TokenAuth, method: str) -> None:
        refusal = guard.decide(method, _bearer("admin-secret"))
        assert refusal is not None
        assert refusal.code is grpc.StatusCode.PERMISSION_DENIED


class TestRunningOpen:
    @pytest.mark.parametrize(
        "listen", ["127.0.0.1:50051", "127.8.9.10:0", "[::1]:50051", "localhost:1", "LOCALHOST:1"]
    )
    def test_loopback_addresses(self, listen: str) -> None:
        assert is_loopback(listen)

    @pytest.mark.parametrize(
        "listen", ["0.0.0.0:50051", "[::]:0", "10.0.0.1:50051", "ledger.example:50051", ":50051"]
    )
    def test_addresses_that_are_not_loopback(self, listen: str) -> None:
        assert not is_loopback(listen)

    def test_without_tokens_on_loopback_the_server_runs_open_and_says_so(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        with caplog.at_level(logging.WARNING, logger="ledger.server.auth"):
            assert server_interceptors(OPEN, METHODS) == []
        assert "the server is OPEN" in caplog.text
        assert "loopback" in caplog.text

    def test_without_tokens_elsewhere_the_server_refuses_to_start(self) -> None:
        settings = OPEN.model_copy(update={"listen": "0.0.0.0:50051"})
        with pytest.raises(ConfigError, match="LEDGER_ALLOW_OPEN=true"):
            server_interceptors(settings, METHODS)

    def test_allow_open_lets_it_run_open_anywhere_and_say_so(
        self, caplog: pytest.LogCaptureFixture
    ) -> None:
        settings = OPEN.model_copy(update={"listen": "0.0.0.0:50051", "allow_open": True})
        with caplog.at_level(logging.WARNING, logger="ledger.server.auth"):
            assert server_interceptors(settings, METHODS) == []
        assert "the server is OPEN" in caplog.text

    def test_with_tokens_every_call_is_checked(self) -> None:
        settings = OPEN.model_copy(
            update={"listen": "0.0.0.0:50051", "tokens": f"reader {hash_token('a')}"}
        )
        [interceptor] = server_interceptors(settings, METHODS)
        assert isinstance(interceptor, TokenAuth)

    def test_settings_read_the_environment(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("LEDGER_ALLOW_OPEN", "true")
        monkeypatch.setenv("LEDGER_TOKENS_FILE", "/etc/ledger/tokens")
        monkeypatch.setenv("LEDGER_TLS_CERT", "")
        settings = Settings(database_url="memory://")
        assert settings.allow_open is True
        assert settings.tokens_file == Path("/etc/ledger/tokens")
        assert settings.tls_cert is None
