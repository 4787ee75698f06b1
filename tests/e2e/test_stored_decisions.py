"""Decisions logged by earlier code keep their meaning: a server of today's code on a copy of
the fixture (``tests/fixtures/ledger-0820069.*``, written by ``write_decisions.py``) gives
back every decision as it was logged, replays each to the same answers (the log holds: the
ledger gives the logged answer at its position), finds the same impacts of the corrections
recorded between them, exports the same chain, and both audits hold."""

from __future__ import annotations

import gzip
import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest

from ledger_api.convert import to_data
from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_api.ledger.v1 import ledger_pb2_grpc
from ledger_client import LedgerClient
from tests.e2e.support import RunningServer, run_cli, start_server

FIXTURES = Path(__file__).parents[1] / "fixtures"
NAME = "ledger-0820069"


@pytest.fixture(scope="module")
def recorded() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(
        gzip.decompress((FIXTURES / f"{NAME}.decisions.json.gz").read_bytes())
    )
    return data


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    folder = tmp_path_factory.mktemp("stored-decisions")
    copy = folder / f"{NAME}.sqlite"
    shutil.copy(FIXTURES / f"{NAME}.sqlite", copy)
    running = start_server(folder, example=False, database_url=f"sqlite:///{copy}")
    yield running
    running.stop()


@pytest.fixture(scope="module")
def stub(server: RunningServer) -> Iterator[Any]:
    with grpc.insecure_channel(server.address) as channel:
        yield ledger_pb2_grpc.PolicyLedgerStub(channel)


def plain(message: Any) -> dict[str, Any]:
    """A reply as the fixture holds it."""
    data: dict[str, Any] = json.loads(json.dumps(to_data(message), default=str))
    return data


def test_the_fixture_holds_replays_that_changed_and_impacts(recorded: dict[str, Any]) -> None:
    replays = [entry["replay"] for entry in recorded["decisions"].values()]
    assert len(replays) == 40
    assert any(replay.get("changed") for replay in replays)
    assert all(impact.get("impacts") for impact in recorded["impacts"].values())


def test_the_ledger_has_the_same_digest(stub: Any, recorded: dict[str, Any]) -> None:
    digest = plain(stub.GetDigest(pb.GetDigestRequest()))["digest"]
    # The Merkle root (schema version 4) is newer than the fixture; the remote audit checks it.
    assert len(digest.pop("merkle_root")) == 64
    assert {"digest": digest} == recorded["digest"]


def test_every_decision_is_given_back_and_replays_the_same(
    stub: Any, recorded: dict[str, Any]
) -> None:
    for decision_id, entry in recorded["decisions"].items():
        got = stub.GetDecision(pb.GetDecisionRequest(decision_id=decision_id))
        assert plain(got) == entry["decision"], decision_id
        replay = stub.ReplayDecision(pb.ReplayDecisionRequest(decision_id=decision_id))
        assert replay.matches, decision_id
        assert plain(replay) == entry["replay"], decision_id


def test_every_correction_has_the_same_impact(stub: Any, recorded: dict[str, Any]) -> None:
    for position, impact in recorded["impacts"].items():
        found = stub.GetImpact(pb.GetImpactRequest(position=int(position)))
        assert plain(found) == impact, position


def test_the_decision_log_exports_the_same_and_both_audits_hold(
    server: RunningServer, stub: Any, recorded: dict[str, Any]
) -> None:
    exported = [plain(reply) for reply in stub.ExportDecisions(pb.ExportDecisionsRequest())]
    assert exported == recorded["export"]
    with LedgerClient(server.address, timeout=30) as client:
        audit = client.verify_decisions()
    assert audit.ok, audit.problems
    assert audit.decisions == 40
    status, out, err = run_cli(server.address, "audit", "--remote", "--json")
    assert status == 0, err
    assert json.loads(out)["decisions"]["ok"] is True
    store = {"LEDGER_DATABASE_URL": server.database_url}
    status, out, err = run_cli(server.address, "audit", "--store", "--json", env=store)
    assert status == 0, err
    audited = json.loads(out)
    assert audited["checks"]["decisions"] is True, audited["findings"]
    assert audited["digest"] == recorded["digest"]["digest"]
