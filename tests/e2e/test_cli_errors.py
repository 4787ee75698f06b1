"""The command line explains itself (issue 13, points 9, 11 and 12): each bad input gets what
is wrong, what is accepted and an example, never a library's wording; the exit status says who
refused it (2: the command line, before sending; 3: the ledger); with ``--json`` the error is
one JSON object on standard error. And ``--version``, ``serve --listen --database``.

Input the command line catches needs no server (nothing is sent to the address given); the
ledger's refusals are asked of one server, on SQLite only.
"""

from __future__ import annotations

import json
import os
import subprocess
from importlib.metadata import version
from pathlib import Path

import pytest

from ledger_client import LedgerClient
from tests.e2e.support import REPO, Cli, new_office, run_cli, start_server

# What a library says, never a user: pydantic's, Python's.
LIBRARY_WORDING = (
    "Value error,",
    "String should match pattern",
    "cannot be interpreted as an integer",
    "invalid literal for int()",
    "Input should be",
    "Field required",
    "type=",
    "For further information visit",
    "Traceback",
)
NOWHERE = "127.0.0.1:1"  # input caught before sending never reaches an address
ROOT = "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
SOURCE = "Daily NK|source in Sinuiju|2025-03-19|B2"


@pytest.fixture(scope="module", params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    """The ledger's refusals do not depend on its storage: SQLite only."""
    return str(request.param)


def recording(office: str, *more: str) -> tuple[str, ...]:
    """``ledger record tightened`` at ``office``, with ``more`` (its date, source, measure)."""
    return (
        *("record", "tightened", "--office", office, "--direction", "outbound"),
        *("--channel", "personal-baggage", "--goods", "85", "--inspection", "rigorous", *more),
    )


def said_plainly(err: str) -> str:
    """Standard error as one line (rich wraps and boxes it), checked for library wording."""
    text = " ".join(err.replace("│", " ").split())
    for wording in LIBRARY_WORDING:
        assert wording not in text, text
    return text


CAUGHT = {
    "a quantity limit in words": (
        recording(
            "CN-DANDONG",
            *("--on", "2025-04-01", "--source", SOURCE),
            *("--admissibility", "quantity-limit:two"),
        ),
        "'quantity-limit:two': the limit 'two' is not a whole number: a quantity-limit is at "
        "most N items, N in ASCII digits, e.g. quantity-limit:2",
    ),
    "a date written day first": (
        ("state", "--office", "CN-DANDONG", "--at", "20/03/2025"),
        "'20/03/2025' is not a date: expected YYYY-MM-DD, e.g. 2025-03-20",
    ),
    "a knowledge time in words": (
        ("state", "--office", "CN-DANDONG", "--at", "2025-03-20", "--known-at", "yesterday"),
        "'yesterday' is not a knowledge time: expected a date YYYY-MM-DD (the end of that day, "
        "UTC) or an RFC 3339 timestamp with its offset, e.g. 2025-03-20 or "
        "2025-03-20T12:00:00+00:00",
    ),
    "a pinned digest without its position": (
        ("audit", "--remote", "--expect-digest", ROOT),
        f"'{ROOT}' has no position: expected POSITION:ROOT:MERKLE_ROOT as `ledger digest` "
        "prints it, or POSITION:ROOT: the log position, then each root as a colon and 64 "
        f"lower-case hexadecimal digits, e.g. 9:{ROOT}",
    ),
    "an effective date that is no date": (
        recording("CN-DANDONG", "--on", "April", "--source", SOURCE),
        "'April' is not an effective date: expected a day YYYY-MM-DD, a month YYYY-MM, a "
        "quarter YYYY-Qn or a year YYYY, e.g. 2025-03-20, 2025-04, 2018-Q2 or 2018",
    ),
    "a quarter narrowed to a month": (
        recording("CN-DANDONG", "--on", "2018-Q2", "--precision", "month", "--source", SOURCE),
        "--on 2018-Q2 is a quarter, wider than --precision month: leave --precision out (or "
        "give quarter), or narrow --on, e.g. --on 2018-04",
    ),
}


class TestCaughtBeforeSending:
    @pytest.mark.parametrize(("args", "message"), CAUGHT.values(), ids=CAUGHT.keys())
    def test_bad_input_exits_2_saying_what_is_accepted_with_an_example(
        self, args: tuple[str, ...], message: str
    ) -> None:
        status, out, err = run_cli(NOWHERE, *args)
        assert status == 2, (out, err)
        assert message in said_plainly(err)
        assert "no ledger server" not in err  # nothing was sent

    def test_with_json_a_usage_error_is_one_json_object_naming_the_option(self) -> None:
        status, out, err = run_cli(NOWHERE, *CAUGHT["a date written day first"][0], "--json")
        assert (status, out) == (2, "")
        error = json.loads(err)
        assert error["code"] == "USAGE"
        assert "e.g. 2025-03-20" in error["message"]
        assert [field["field"] for field in error["fields"]] == ["--at"]

    def test_with_json_an_unreachable_server_is_one_json_object(self) -> None:
        status, _, err = run_cli(NOWHERE, "offices", "--json")
        assert status == 4
        error = json.loads(err)
        assert error["code"] == "UNREACHABLE"
        assert error["message"].startswith(f"no ledger server at {NOWHERE}")
        assert error["fields"] == []


@pytest.fixture(scope="module")
def office(shared_client: LedgerClient) -> str:
    """A fresh office, where changes of any date can be recorded."""
    code = new_office()
    shared_client.register_office(code, "Errors customs")
    return code


REFUSED = {
    "an Admiralty grade out of range": (
        ("--on", "2025-04-01", "--source", "Daily NK|source in Sinuiju|2025-03-19|Z9"),
        "change.sources[0].grade: 'Z9' is not an Admiralty grade: expected a letter A-F for "
        "the source's reliability and a digit 1-6 for the information's credibility, e.g. B2",
    ),
    "a URL with no host": (
        ("--on", "2025-04-01", "--source", "Daily NK|http://|2025-03-19|B2"),
        "change.sources[0].url: 'http://' is not a URL: expected http:// or https://, then a "
        "host, without spaces, e.g. https://example.org/",
    ),
    "a URL with a space": (
        ("--on", "2025-04-01", "--source", "Daily NK|https://exa mple.com|2025-03-19|B2"),
        "change.sources[0].url: 'https://exa mple.com' is not a URL: expected http:// or https://",
    ),
    "a date outside its precision's window": (
        ("--on", "2025-04-20", "--precision", "early-month", "--source", SOURCE),
        "change.effective: 2025-04-20 is not in the early-month window 2025-04-01..2025-04-10: "
        "early-month covers days 1-10 of a month, and 2025-04-20 is mid-month; give a day in "
        "the window, e.g. 2025-04-01, or precision mid-month",
    ),
}


class TestRefusedByTheLedger:
    @pytest.mark.parametrize(("more", "message"), REFUSED.values(), ids=REFUSED.keys())
    def test_a_refused_change_exits_3_saying_what_is_accepted_with_an_example(
        self, shared_cli: Cli, office: str, more: tuple[str, ...], message: str
    ) -> None:
        status, out, err = shared_cli(*recording(office, *more))
        assert status == 3, (out, err)
        assert f"INVALID_ARGUMENT: {message}" in said_plainly(err)

    def test_an_office_code_in_lower_case_is_told_the_upper_case_one(self, shared_cli: Cli) -> None:
        status, out, err = shared_cli("state", "--office", "cn-dandong", "--at", "2025-03-20")
        assert status == 3, (out, err)
        assert (
            "office: 'cn-dandong' is not an office code: expected COUNTRY-NAME in capitals: "
            "did you mean CN-DANDONG?"
        ) in said_plainly(err)

    def test_an_office_not_registered_is_told_the_nearest_registered_one(
        self, shared_cli: Cli
    ) -> None:
        status, out, err = shared_cli("state", "--office", "CN-DANDONGG", "--at", "2025-03-20")
        assert status == 3, (out, err)
        assert (
            "NOT_FOUND: office CN-DANDONGG is not registered: did you mean CN-DANDONG?"
        ) in said_plainly(err)

    def test_with_json_a_refusal_is_one_json_object_with_its_status_and_fields(
        self, shared_cli: Cli, office: str
    ) -> None:
        more = REFUSED["an Admiralty grade out of range"][0]
        status, out, err = shared_cli(*recording(office, *more), "--json")
        assert (status, out) == (3, "")
        error = json.loads(err)
        assert error["code"] == "INVALID_ARGUMENT"
        [field] = error["fields"]
        assert field["field"] == "change.sources[0].grade"
        assert field["description"].endswith("e.g. B2")

    @pytest.mark.parametrize(
        ("given", "meant"),
        [
            (
                ("--on", "2025-04", "--precision", "month"),
                {"on": "2025-04-01", "precision": "month"},
            ),
            (("--on", "2025-04"), {"on": "2025-04-01", "precision": "month"}),
            (("--on", "2018-Q2"), {"on": "2018-04-01", "precision": "quarter"}),
            (("--on", "2018"), {"on": "2018-01-01", "precision": "year"}),
        ],
        ids=["a month", "a month, its precision implied", "a quarter", "a year"],
    )
    def test_an_effective_date_known_to_the_month_quarter_or_year_is_that_period(
        self,
        shared_cli: Cli,
        shared_client: LedgerClient,
        given: tuple[str, ...],
        meant: dict[str, str],
    ) -> None:
        code = new_office()
        shared_client.register_office(code, "Periods customs")
        status, out, err = shared_cli(*recording(code, *given, "--source", SOURCE), "--json")
        assert status == 0, (out, err)
        [recorded] = [e for e in shared_client.history(code) if e.type == "PolicyTightened"]
        assert recorded.event["effective"] == meant


class TestSmallThings:
    def test_version_is_the_installed_distributions(self) -> None:
        status, out, err = run_cli(NOWHERE, "--version")
        assert status == 0, err
        assert out.strip() == f"ledger {version('customs-policy-ledger')}"

    def test_serve_takes_listen_and_database_over_the_variables(self, tmp_path: Path) -> None:
        chosen = tmp_path / "chosen.sqlite"
        variable = tmp_path / "variable.sqlite"
        flags = ["--listen", "127.0.0.1:0", "--database", f"sqlite:///{chosen}"]
        variables = {"LEDGER_LISTEN": "127.0.0.1:1", "LEDGER_DATABASE_URL": f"sqlite:///{variable}"}
        server = start_server(tmp_path, env=variables, flags=flags)
        try:
            with LedgerClient(server.address) as client:
                assert not server.address.endswith(":1")  # the flag's port, any free one
                assert len(client.list_offices()) == 3  # the example ledger, in the chosen file
        finally:
            server.stop()
        assert chosen.exists()
        assert not variable.exists()

    @pytest.mark.parametrize(
        ("given", "listens", "web"),
        [
            ({}, "127.0.0.1:50051", "127.0.0.1:8080"),
            ({"LEDGER_LISTEN": "127.0.0.1:50123"}, "127.0.0.1:50123", "127.0.0.1:8080"),
            ({"LEDGER_WEB_LISTEN": "127.0.0.1:8123"}, "127.0.0.1:50051", "127.0.0.1:8123"),
        ],
    )
    def test_make_run_serves_where_ledger_listen_says(
        self, given: dict[str, str], listens: str, web: str
    ) -> None:
        mine = ("LEDGER_LISTEN", "LEDGER_WEB_LISTEN")
        env = {k: v for k, v in os.environ.items() if k not in mine} | given
        planned = subprocess.run(
            ["make", "-n", "run"], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
        )
        assert planned.returncode == 0, planned.stderr
        assert f"ledger serve --listen {listens} --web {web} --example" in planned.stdout

    def test_serve_refuses_a_listen_address_that_is_no_host_and_port(self) -> None:
        status, _, err = run_cli(NOWHERE, "serve", "--listen", "50051")
        assert status == 2
        assert "'50051': expected HOST:PORT" in said_plainly(err)
        assert "e.g. 127.0.0.1:50051" in said_plainly(err)
