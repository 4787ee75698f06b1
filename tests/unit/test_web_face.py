"""The pieces of the HTTP port that hold no server: the servicer context an HTTP call gets, the
mapping of gRPC statuses to Connect errors, and the console's files."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import grpc
import pytest
from connectrpc.code import Code
from google.protobuf import any_pb2
from google.rpc import error_details_pb2, status_pb2
from grpc_status import rpc_status

from ledger.server.web.console import ConsoleFiles
from ledger.server.web.context import Aborted, HttpServicerContext, connect_error


class _Request:
    """What HttpServicerContext reads of connectrpc's RequestContext."""

    def __init__(self, headers: list[tuple[str, str]], timeout_ms: float | None = None) -> None:
        self._headers, self.timeout_ms = headers, timeout_ms

    @property
    def request_headers(self) -> Any:
        headers = self._headers

        class _Headers:
            def allitems(self) -> list[tuple[str, str]]:
                return headers

        return _Headers()


class TestHttpServicerContext:
    def test_the_headers_are_the_metadata_but_binary_ones(self) -> None:
        context = HttpServicerContext(
            _Request([("authorization", "Bearer x"), ("trace-bin", "AAA"), ("a", "1")])  # type: ignore[arg-type]
        )
        assert context.invocation_metadata() == (("authorization", "Bearer x"), ("a", "1"))

    def test_callbacks_run_once_when_the_call_ends_and_none_is_taken_after(self) -> None:
        context = HttpServicerContext(_Request([]))  # type: ignore[arg-type]
        ran: list[str] = []
        assert context.add_callback(lambda: ran.append("first")) is True
        assert context.is_active()
        context.cancel()
        context.cancel()
        assert ran == ["first"]
        assert not context.is_active()
        assert context.add_callback(lambda: ran.append("late")) is False
        assert ran == ["first"]

    def test_a_deadline_passed_makes_the_call_inactive(self) -> None:
        assert HttpServicerContext(_Request([], timeout_ms=-1)).is_active() is False  # type: ignore[arg-type]
        assert HttpServicerContext(_Request([], timeout_ms=2500)).time_remaining() == 2.5  # type: ignore[arg-type]
        assert HttpServicerContext(_Request([])).time_remaining() is None  # type: ignore[arg-type]


class TestConnectErrors:
    @pytest.mark.parametrize("code", [c for c in grpc.StatusCode if c is not grpc.StatusCode.OK])
    def test_every_grpc_status_has_its_connect_code(self, code: grpc.StatusCode) -> None:
        error = connect_error(Aborted(code, "why"))
        assert error.code.name.replace("CANCELED", "CANCELLED") == code.name
        assert error.message == "why"

    def test_the_details_travel_with_the_error(self) -> None:
        violation = error_details_pb2.BadRequest(
            field_violations=[{"field": "at", "description": "not a day"}]
        )
        detail = any_pb2.Any()
        detail.Pack(violation)
        status = rpc_status.to_status(
            status_pb2.Status(code=grpc.StatusCode.INVALID_ARGUMENT.value[0], details=[detail])
        )
        error = connect_error(Aborted(status.code, "at: not a day", status.trailing_metadata))
        assert error.code is Code.INVALID_ARGUMENT
        [sent] = error.details
        assert sent.type_name == "google.rpc.BadRequest"
        assert error_details_pb2.BadRequest.FromString(sent.message_bytes) == violation


def _get(files: ConsoleFiles, path: str, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    sent: list[dict[str, Any]] = []

    async def send(message: Any) -> None:
        sent.append(message)

    asyncio.run(files({"method": method, "path": path}, None, send))
    headers = {k.decode(): v.decode() for k, v in sent[0]["headers"]}
    return sent[0]["status"], headers, sent[1]["body"]


class TestConsoleFiles:
    def test_a_console_not_built_says_how_to_build_it(self, tmp_path: Path) -> None:
        files = ConsoleFiles(tmp_path / "nothing")
        assert files.built is False
        status, _, body = _get(files, "/")
        assert status == 200
        assert b"make console" in body

    def test_the_built_files_are_served_with_their_types_and_policy(self, tmp_path: Path) -> None:
        (tmp_path / "index.html").write_text("<!doctype html><title>x</title>")
        (tmp_path / "console.js").write_text("window.x = 1;")
        (tmp_path / "notes.txt").write_text("not served")
        files = ConsoleFiles(tmp_path)
        status, headers, body = _get(files, "/")
        assert (status, body) == (200, b"<!doctype html><title>x</title>")
        assert headers["content-security-policy"].startswith("default-src 'self'")
        status, headers, _ = _get(files, "/console.js")
        assert headers["content-type"].startswith("text/javascript")
        assert _get(files, "/notes.txt")[0] == 404
        assert _get(files, "/../pyproject.toml")[0] == 404

    def test_head_answers_without_a_body(self, tmp_path: Path) -> None:
        (tmp_path / "index.html").write_text("<p>hello</p>")
        status, headers, body = _get(ConsoleFiles(tmp_path), "/", "HEAD")
        assert (status, body, headers["content-length"]) == (200, b"", "12")
