"""A Node.js client of the HTTP port (@connectrpc/connect-node, no generated code) against a
real server.

The server runs as a subprocess (``ledger serve --web`` on SQLite with the example ledger) and
``tests/interop/ledger-connect.mjs`` describes ``ledger.v1.PolicyLedger`` at run time from a
descriptor set ``buf build`` makes of ``protos/``, then asks the same questions over the Connect
protocol in JSON and in binary, and a check over gRPC-Web, printing one JSON report. Its
answers are compared with the Python client's over gRPC, from the same server. ``make test``
installs the Node packages and sets ``LEDGER_NODE_MODULES``; without it these tests are
skipped, except in CI, where they fail.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger_client import LedgerClient
from tests.conftest import IN_CI
from tests.e2e.support import REPO, RunningServer, start_server

CLIENT = REPO / "tests" / "interop" / "ledger-connect.mjs"
DANDONG = "CN-DANDONG"
UNKNOWN = "CN-NOWHERE"  # the office the Node client asks about that is not registered
PACKAGES = ("@connectrpc/connect-node", "@connectrpc/connect", "@bufbuild/protobuf", ".bin/buf")
CLIENT_TIMEOUT = 60.0
CONNECT = ("connect_json", "connect_binary")
WORKER_RICE_COOKER: dict[str, Any] = {
    "direction": "outbound",
    "channel": "personal-baggage",
    "traveller": "worker",
    "items": [{"goods": "8516.60", "quantity": 1}],
}


def _node_modules() -> Path:
    """The folder holding the Connect packages and buf; skip (or fail, in CI) without it."""
    folder = os.environ.get("LEDGER_NODE_MODULES", "")
    if not folder:
        if IN_CI:
            pytest.fail(
                "LEDGER_NODE_MODULES is not set, and CI is: the Node Connect test must run in "
                "CI. Run it with `make test` (which installs the packages with `make node` and "
                "sets LEDGER_NODE_MODULES=.tools/node_modules)."
            )
        pytest.skip("LEDGER_NODE_MODULES is not set (`make test` sets it)")
    path = Path(folder)
    missing = [package for package in PACKAGES if not (path / package).exists()]
    if missing:
        pytest.fail(
            f"LEDGER_NODE_MODULES={folder} lacks {', '.join(missing)}: run `make node` "
            "(npm install of tests/interop/package.json into .tools)"
        )
    return path


def _node() -> str:
    node = shutil.which("node")
    if node is None:
        pytest.fail("LEDGER_NODE_MODULES is set but there is no `node` on PATH")
    return node


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    _node_modules()  # skip (or fail, in CI) before starting anything
    _node()
    started = start_server(tmp_path_factory.mktemp("node-connect"), flags=["--web", "127.0.0.1:0"])
    try:
        if started.web is None:
            pytest.fail(f"the server printed no `ledger web on` line:\n{started.log()}")
        yield started
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            started.stop()


@pytest.fixture(scope="module")
def report(server: RunningServer) -> dict[str, Any]:
    """What the Node client printed, after asking the running server over HTTP."""
    assert server.web is not None
    try:
        ran = subprocess.run(
            [_node(), str(CLIENT), server.web],
            cwd=REPO,
            env={**os.environ, "LEDGER_NODE_MODULES": str(_node_modules())},
            capture_output=True,
            text=True,
            timeout=CLIENT_TIMEOUT,
        )
    except subprocess.TimeoutExpired as error:
        pytest.fail(f"the Node client did not finish within {CLIENT_TIMEOUT} s: {error}")
    if ran.returncode != 0:
        pytest.fail(
            f"the Node client exited with {ran.returncode}\n--- stderr ---\n{ran.stderr}"
            f"\n--- stdout ---\n{ran.stdout}\n--- server log ---\n{server.log()}"
        )
    try:
        printed: dict[str, Any] = json.loads(ran.stdout)
    except json.JSONDecodeError:
        pytest.fail(f"the Node client's stdout is not one JSON object:\n{ran.stdout}")
    return printed


@pytest.fixture(scope="module")
def over_grpc(server: RunningServer) -> Iterator[LedgerClient]:
    with LedgerClient(server.address) as client:
        yield client


def test_each_transport_spoke_its_own_format(report: dict[str, Any]) -> None:
    # Unary answers, then streamed ones; errors are JSON in every Connect format.
    assert report["connect_json"]["content_types"] == [
        "application/connect+json",
        "application/json",
    ]
    assert report["connect_binary"]["content_types"] == [
        "application/connect+proto",
        "application/json",
        "application/proto",
    ]
    assert report["grpc_web"]["content_types"] == ["application/grpc-web+proto"]


@pytest.mark.parametrize("transport", [*CONNECT, "grpc_web"])
def test_a_workers_rice_cooker_on_20_march_is_prohibited_by_the_change_grpc_names(
    report: dict[str, Any], over_grpc: LedgerClient, transport: str
) -> None:
    check = report[transport]["check"]
    answer = over_grpc.check(DANDONG, "2025-03-20", **WORKER_RICE_COOKER).items[0]
    assert answer.verdict == "PROHIBITED"  # what gRPC says, as the guard for what follows
    assert answer.governing is not None
    assert check["office"] == DANDONG
    assert check["items"] == 1
    assert check["verdict"] == "VERDICT_PROHIBITED"
    assert check["enforcement"] == "ENFORCEMENT_CONFISCATION"
    assert check["inspection"] == "INSPECTION_THOROUGH"
    assert check["quantity"] == "1"  # int64, as the proto's JSON writes it
    assert check["governing_change_id"] == str(answer.governing.change_id)
    assert check["governing_published"] == "2025-03-19"


@pytest.mark.parametrize("transport", CONNECT)
def test_on_5_march_the_answer_is_uncertain_with_both_candidates_as_grpc_gives_them(
    report: dict[str, Any], over_grpc: LedgerClient, transport: str
) -> None:
    uncertain = report[transport]["uncertain"]
    answer = over_grpc.check(DANDONG, "2025-03-05", **WORKER_RICE_COOKER).items[0]
    assert uncertain["verdict"] == "VERDICT_UNCERTAIN"
    assert [c["verdict"] for c in uncertain["candidates"]] == [
        "VERDICT_ALLOWED",
        "VERDICT_PROHIBITED",
    ]
    expected = [
        {"verdict": f"VERDICT_{c.verdict}", "changes": {str(r.change_id) for r in c.rulings}}
        for c in answer.candidates
    ]
    got = [
        {"verdict": c["verdict"], "changes": set(c["change_ids"])} for c in uncertain["candidates"]
    ]
    assert got == expected
    # The allowing candidate rests on the old limit, the prohibiting one on the ban.
    assert got[0]["changes"] != got[1]["changes"]
    assert got[1]["changes"] == {report[transport]["check"]["governing_change_id"]}


@pytest.mark.parametrize("transport", CONNECT)
def test_the_history_streams_in_several_messages_with_every_event_grpc_streams(
    report: dict[str, Any], over_grpc: LedgerClient, transport: str
) -> None:
    history = report[transport]["history"]
    events = list(over_grpc.history(DANDONG))
    assert len(events) == 5  # the example as written; guards against comparing nothing
    assert history["events"] == len(events)
    assert history["message_sizes"] == [2, 2, 1]  # batch_size 2: streamed, not one message
    assert history["types"] == [event.type for event in events]
    assert history["office_versions"] == [str(event.office_version) for event in events]


@pytest.mark.parametrize("transport", CONNECT)
def test_an_unknown_office_is_not_found_with_the_servers_message(
    report: dict[str, Any], over_grpc: LedgerClient, transport: str
) -> None:
    refused = report[transport]["not_found"]
    assert refused["code_name"] == "NotFound", refused
    assert refused["code"] == 5
    assert UNKNOWN in refused["raw_message"]
    assert refused["raw_message"] == f"office {UNKNOWN} is not registered"
    assert refused["message"] == f"[not_found] {refused['raw_message']}"


@pytest.mark.parametrize("transport", CONNECT)
def test_a_date_that_does_not_exist_is_an_invalid_argument_naming_at(
    report: dict[str, Any], transport: str
) -> None:
    refused = report[transport]["bad_date"]
    assert refused["code_name"] == "InvalidArgument", refused
    assert refused["code"] == 3
    assert refused["raw_message"].startswith("at: 2025-02-30 ")
    assert refused["detail_types"] == ["google.rpc.BadRequest"]
    assert [violation["field"] for violation in refused["field_violations"]] == ["at"]
    assert "2025-02-30" in refused["field_violations"][0]["description"]
