"""A ledger file written by earlier code keeps its meaning.

``tests/fixtures/ledger-2f2dd9f.sqlite`` was written by the code at commit 2f2dd9f (the example
ledger, then back-dated amendments, a retraction, a value limit cited by two sources and an
office with a non-ASCII name), and ``ledger-2f2dd9f.answers.json.gz`` holds what that code
answered about it: the digest, the store audit, every office's history, and rule states,
checks and comparisons at dates around every window edge, as known now and as reported at
several dates. Today's code must read the same file to exactly the same answers.
"""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from ledger.audit.store import audit_store
from ledger.bootstrap import Ledger
from ledger.readmodel.answers import CheckRequest, CompareRequest, StateRequest
from ledger.readmodel.history import HistoryRequest
from ledger.settings import Settings

FIXTURES = Path(__file__).parent.parent / "fixtures"
STORED = FIXTURES / "ledger-2f2dd9f.sqlite"
ANSWERS: dict[str, Any] = json.loads(
    gzip.decompress((FIXTURES / "ledger-2f2dd9f.answers.json.gz").read_bytes())
)


def _answer(ask: Any) -> dict[str, Any]:
    """An answer as the fixture holds it: the result's JSON, or the refusal."""
    try:
        return dict(ask().model_dump(mode="json"))
    except Exception as error:  # the fixture records refusals by their type and message
        return {"refused": type(error).__name__, "message": str(error)}


@pytest.fixture(scope="module")
def url(tmp_path_factory: pytest.TempPathFactory) -> str:
    copy = tmp_path_factory.mktemp("stored") / STORED.name
    shutil.copy(STORED, copy)
    return f"sqlite:///{copy}"


@pytest.fixture(scope="module")
def stored(url: str) -> Any:
    with Ledger(Settings(database_url=url)) as opened:
        yield opened


class TestALedgerWrittenByEarlierCode:
    def test_it_has_the_same_digest(self, stored: Ledger) -> None:
        digest = stored.reader.digest()
        assert f"{digest.position}:{digest.root}" == ANSWERS["digest"]

    def test_its_store_audit_holds_with_the_same_digest(self, stored: Ledger, url: str) -> None:
        report = audit_store(Settings(database_url=url))
        assert report.ok, report.findings
        found = {
            "events": report.events,
            "offices": report.offices,
            "digest": f"{report.digest.position}:{report.digest.root}",
        }
        assert found == ANSWERS["audit"]

    def test_every_office_has_the_same_history(self, stored: Ledger) -> None:
        for office, expected in ANSWERS["history"].items():
            entries = stored.reader.history(HistoryRequest(office=office))
            assert [e.model_dump(mode="json") for e in entries] == expected

    def test_every_rule_state_is_the_same(self, stored: Ledger) -> None:
        assert len(ANSWERS["states"]) > 100
        for asked in ANSWERS["states"]:
            request = StateRequest(
                office=asked["office"],
                at=asked["at"],
                known_at=asked["known_at"],
                basis=asked["basis"],
            )
            assert _answer(lambda request=request: stored.reader.state(request)) == asked["result"]

    def test_every_check_is_the_same(self, stored: Ledger) -> None:
        assert len(ANSWERS["checks"]) > 500
        for asked in ANSWERS["checks"]:
            request = CheckRequest(office=asked["office"], **asked["request"])
            assert _answer(lambda request=request: stored.reader.check(request)) == asked["result"]

    def test_every_comparison_has_the_same_answers_in_the_same_order(self, stored: Ledger) -> None:
        """Each office's answers are the same. Since issue 13 an office whose answer is unknown
        or uncertain is listed after the ranked ones, unranked: the ranked keep their order."""
        for asked in ANSWERS["compares"]:
            request = CompareRequest(**asked["request"])
            found = _answer(lambda request=request: stored.reader.compare(request))
            expected = asked["result"]
            if "refused" in expected:
                assert found == expected
                continue
            assert _by_office(found) == _by_office(expected)
            ranked = [o["office"] for o in found["offices"] if o["standing"] == "ranked"]
            assert ranked == [o["office"] for o in expected["offices"] if o["office"] in ranked]


def _by_office(comparison: dict[str, Any]) -> dict[str, Any]:
    return {office["office"]: office["result"] for office in comparison["offices"]}
