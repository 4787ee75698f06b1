"""The HTTP port as a README shows it: plain ``curl`` posting JSON to ``ledger serve --web``.

Each request is ``curl -H 'Content-Type: application/json' -d '{...}' URL/ledger.v1.
PolicyLedger/METHOD``, word for word as a person would type it (plus ``-sS``, and ``-w`` to
read the status); the answers are the Connect protocol's JSON: the message in the proto's JSON
form, or an error ``{"code", "message", "details"}`` with the HTTP status of its code. Without
``curl`` on PATH these tests are skipped, except in CI, where they fail.
"""

from __future__ import annotations

import base64
import contextlib
import json
import re
import shutil
import subprocess
from collections.abc import Iterator
from typing import Any, NamedTuple

import pytest
from google.rpc import error_details_pb2

from tests.conftest import IN_CI
from tests.e2e.support import RunningServer, start_server

CHECK = "ledger.v1.PolicyLedger/Check"
# The README's question: a worker's rice cooker leaving Dandong on 20 March 2025.
RICE_COOKER = (
    '{"office":"CN-DANDONG","at":"2025-03-20","direction":"DIRECTION_OUTBOUND",'
    '"channel":"CHANNEL_PERSONAL_BAGGAGE","traveller":"TRAVELLER_WORKER",'
    '"items":[{"goods":"8516.60","quantity":1}]}'
)
_STATUS = "\n%{http_code} %{content_type}"


class Answer(NamedTuple):
    status: int
    content_type: str
    body: Any  # the JSON answer, parsed


def _curl() -> str:
    found = shutil.which("curl")
    if found is None:
        if IN_CI:
            pytest.fail("there is no `curl` on PATH: the HTTP port's curl tests must run in CI")
        pytest.skip("there is no `curl` on PATH")
    return found


@pytest.fixture(scope="module")
def web(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The HTTP port's URL, of a server over the example ledger (SQLite)."""
    _curl()  # skip (or fail, in CI) before starting anything
    running: RunningServer = start_server(
        tmp_path_factory.mktemp("web-curl"), flags=["--web", "127.0.0.1:0"]
    )
    try:
        assert running.web is not None, f"no `ledger web on` line:\n{running.log()}"
        assert running.web.startswith("http://127.0.0.1:")
        assert running.web.endswith("/")
        yield running.web
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            running.stop()


def post(web: str, method: str, body: str) -> Answer:
    """``curl -H 'Content-Type: application/json' -d BODY URL``: the status and the JSON."""
    command = [_curl(), "-sS", "-w", _STATUS, "-H", "Content-Type: application/json"]
    command += ["-d", body, f"{web}{method}"]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert ran.returncode == 0, f"curl failed ({ran.returncode}): {ran.stderr}"
    text, _, trailer = ran.stdout.rpartition("\n")
    status, _, content_type = trailer.partition(" ")
    return Answer(int(status), content_type, json.loads(text))


def test_the_readmes_check_answers_prohibited_with_the_governing_change_and_its_source(
    web: str,
) -> None:
    answer = post(web, CHECK, RICE_COOKER)
    assert answer.status == 200, answer
    assert answer.content_type == "application/json"
    assert answer.body["office"] == "CN-DANDONG"
    [item] = answer.body["items"]
    assert item["item"] == {"goods": "8516.60", "quantity": "1"}  # int64 is a JSON string
    assert item["verdict"] == "VERDICT_PROHIBITED"
    assert item["enforcement"] == "ENFORCEMENT_CONFISCATION"
    assert item["inspection"] == "INSPECTION_THOROUGH"
    governing = item["governing"]
    assert governing["kind"] == "CHANGE_KIND_TIGHTENED"
    assert governing["effective"] == {"on": "2025-03-01", "precision": "PRECISION_EARLY_MONTH"}
    [source] = governing["sources"]
    assert source["publisher"] == "Daily NK"
    assert source["url"] == "https://www.dailynk.com/english/"
    assert source["published"] == "2025-03-19"
    assert source["grade"] == "B2"
    assert "reference" not in source  # empty fields are left out of the proto's JSON


def test_an_informants_word_comes_back_with_its_reference_and_no_url(web: str) -> None:
    body = (
        '{"office":"CN-HUNCHUN","at":"2025-04-28","direction":"DIRECTION_OUTBOUND",'
        '"channel":"CHANNEL_CARGO_ROAD","traveller":"TRAVELLER_TRADER",'
        '"items":[{"goods":"electronics"}]}'
    )
    answer = post(web, CHECK, body)
    assert answer.status == 200, answer
    [item] = answer.body["items"]
    assert item["verdict"] == "VERDICT_ALLOWED"
    [source] = item["governing"]["sources"]
    assert source["reference"].startswith("informant quoted in Daily NK's report")
    assert "url" not in source


def test_an_unknown_office_is_404_not_found_naming_the_office(web: str) -> None:
    answer = post(web, CHECK, RICE_COOKER.replace("CN-DANDONG", "CN-NOWHERE"))
    assert answer.status == 404, answer
    assert answer.content_type == "application/json"
    assert answer.body["code"] == "not_found"
    assert "CN-NOWHERE" in answer.body["message"]
    assert answer.body["message"] == "office CN-NOWHERE is not registered"


def test_a_misspelt_field_is_400_invalid_argument_listing_the_accepted_fields(web: str) -> None:
    answer = post(web, CHECK, RICE_COOKER.replace('"office"', '"ofice"'))
    assert answer.status == 400, answer
    assert answer.body["code"] == "invalid_argument"
    message = answer.body["message"]
    assert re.search(r"\bofice\b", message), message
    # The accepted fields, in the proto's JSON names, each named as a word of its own.
    for accepted in ("office", "knownAt", "direction", "channel", "traveller", "items", "label"):
        assert re.search(rf"\b{accepted}\b", message), f"{accepted} is not named: {message}"


def test_a_date_that_does_not_exist_is_400_with_a_bad_request_detail_naming_at(
    web: str,
) -> None:
    answer = post(web, CHECK, RICE_COOKER.replace("2025-03-20", "2025-02-30"))
    assert answer.status == 400, answer
    assert answer.body["code"] == "invalid_argument"
    assert answer.body["message"].startswith("at: 2025-02-30 ")
    detail = answer.body["details"][0]
    assert detail["type"] == "google.rpc.BadRequest"
    # The Connect protocol sends the detail's bytes in base64, its padding optional.
    value = base64.b64decode(detail["value"] + "=" * (-len(detail["value"]) % 4))
    bad_request = error_details_pb2.BadRequest.FromString(value)
    [violation] = bad_request.field_violations
    assert violation.field == "at"
    assert "2025-02-30" in violation.description


def test_an_empty_json_body_asks_with_every_field_at_its_default(web: str) -> None:
    """``-d '{}'``, as the page at / shows it: ListOffices lists the example's offices."""
    answer = post(web, "ledger.v1.PolicyLedger/ListOffices", "{}")
    assert answer.status == 200, answer
    codes = [office["code"] for office in answer.body["offices"]]
    assert codes == ["CN-CHANGBAI", "CN-DANDONG", "CN-HUNCHUN"]


def test_a_reused_connection_answers_as_quickly_as_a_new_one(web: str) -> None:
    """Six Checks in one curl run, on one keep-alive connection: each answers in a few ms.

    A server socket without TCP_NODELAY holds the answer's last small write until the client
    acknowledges the first, which it delays by ~40 ms on a connection past its first exchange
    (Nagle's algorithm against delayed acknowledgements): every call after the first would
    take 40 ms and more, which is what browsers and every HTTP client do (keep-alive)."""
    segment = ["-sS", "-o", "/dev/null", "-w", "%{num_connects} %{time_total}\\n"]
    segment += ["-H", "Content-Type: application/json", "-d", RICE_COOKER, f"{web}{CHECK}"]
    command = [_curl(), *segment]
    for _ in range(5):
        command += ["--next", *segment]
    ran = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    assert ran.returncode == 0, ran.stderr
    transfers = [line.split() for line in ran.stdout.splitlines()]
    assert [connects for connects, _ in transfers] == ["1", "0", "0", "0", "0", "0"]
    reused = sorted(float(total) for _, total in transfers[1:])
    assert reused[len(reused) // 2] < 0.025, f"seconds per Check on a reused connection: {reused}"
