"""Issue 12, rows 6 and 7: input read as something it is not, and text that drives a terminal.

Row 6: a knowledge time ``"20250320"`` was read as Unix seconds (1970-08-23) and the seed
story's rice cooker, prohibited, came back NO_RULE: a wrong answer, silently. Dates and
instants are now ``YYYY-MM-DD`` and RFC 3339 with an offset, nothing else.

Row 7: names, notes and sources with ESC sequences, C1 controls or bidirectional controls were
stored, and ``ledger offices`` printed them to the terminal as they were; amounts in fullwidth
or Arabic-Indic digits were read as numbers. Both are refused now, naming the field; and text
stored before the rules (ledgers may hold it) is still replayed, and printed escaped.

Everything runs out of process, against a real ``ledger serve`` on SQLite and PostgreSQL,
through the client library and the ``ledger`` console script: run with ``PYTHONPATH`` naming
another checkout, the same tests exercise that checkout's server and CLI.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import grpc
import pytest

from ledger_client import Connection, LedgerClientError
from tests.e2e.support import RunningServer, run_cli
from tests.hardening.support import BACKENDS, database, need_backend, serving, store_audit

pytestmark = pytest.mark.hardening

DANDONG = "CN-DANDONG"
# The seed story: a worker's rice cooker leaving Dandong on 2025-03-20, as the sources had
# reported it by then (the ban's source was published on 2025-03-19).
RICE_COOKER = {
    "at": "2025-03-20",
    "direction": "outbound",
    "channel": "personal-baggage",
    "traveller": "worker",
    "items": [{"goods": "8516.60", "quantity": 1}],
    "basis": "reported",
}
QUESTIONS = {
    "Check": {"office": DANDONG, **RICE_COOKER},
    "CompareOffices": {"offices": [DANDONG, "CN-HUNCHUN"], **RICE_COOKER},
    "GetRuleState": {"office": DANDONG, "at": "2025-03-20", "basis": "reported"},
    "GetHistory": {"office": DANDONG, "basis": "reported"},
}
RICE_COOKER_ARGS = (
    *("check", "--office", DANDONG, "--at", "2025-03-20", "--direction", "outbound"),
    *("--channel", "personal-baggage", "--traveller", "worker"),
)
SOURCE = {
    "publisher": "Daily NK",
    "url": "https://www.dailynk.com/english/",
    "published": "2025-03-19",
    "grade": "B2",
}
SOURCE_ARG = "Daily NK|https://www.dailynk.com/english/|2025-03-19|B2"

FULLWIDTH_12 = "\uff11\uff12"  # 12 in fullwidth digits
ARABIC_INDIC_12 = "\u0661\u0662"  # 12 in Arabic-Indic digits
# Characters no stored text may hold: ESC (a colour sequence), a C1 control (NEL), the
# bidirectional override and isolate, a right-to-left mark, and tab in a one-line name.
TERMINAL_CONTROLS = {
    "ESC sequence": ("\x1b[31m", "U+001B"),
    "C1 control": ("\u0085", "U+0085"),
    "right-to-left override": ("\u202e", "U+202E"),
    "first-strong isolate": ("\u2068", "U+2068"),
    "right-to-left mark": ("\u200f", "U+200F"),
    "tab in a name": ("\t", "U+0009"),
}


@pytest.fixture(scope="module", params=BACKENDS)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """One server over the example ledger for the module, on each backend."""
    need_backend(request.param)
    folder = tmp_path_factory.mktemp(f"parsing-{request.param}")
    with database(request.param, folder) as url, serving(folder, url) as server:
        yield server


@pytest.fixture
def connection(served: RunningServer) -> Iterator[Connection]:
    with Connection(served.address) as opened:
        yield opened


def ask(connection: Connection, rpc: str, data: dict[str, Any]) -> Any:
    """A question's reply data (a history's replies, as messages)."""
    if rpc == "GetHistory":
        return list(connection.stream(rpc, data, timeout=30))
    return connection.call(rpc, data)


def digest(connection: Connection) -> dict[str, Any]:
    return dict(connection.call("GetDigest")["digest"])


def refusal(connection: Connection, rpc: str, data: dict[str, Any]) -> dict[str, str]:
    """The fields an INVALID_ARGUMENT refusal of ``data`` names, with what it says of each;
    the refused request stored nothing."""
    before = digest(connection)
    with pytest.raises(LedgerClientError) as refused:
        ask(connection, rpc, data)
    error = refused.value
    assert error.code is grpc.StatusCode.INVALID_ARGUMENT, error.message
    assert digest(connection) == before
    return dict(error.fields)


def observation(request_id: str, **change: Any) -> dict[str, Any]:
    """A RecordObservation request at Dandong (postal, HS 85: no seed story rule touches it)."""
    return {
        "request_id": request_id,
        "office": DANDONG,
        "change": {
            "scope": {"direction": "outbound", "channel": "postal", "goods": "85"},
            "measure": {"inspection": "light"},
            "effective": {"on": "2025-03-01"},
            "sources": [SOURCE],
            **change,
        },
    }


class TestKnowledgeTimes:
    """Row 6: ``known_at`` is RFC 3339 with an offset, or a date; never a number."""

    @pytest.mark.parametrize("known_at", ["2025-03-20", "2025-03-20T23:59:59Z"])
    def test_the_rice_cooker_is_prohibited_as_reported_by_2025_03_20(
        self, connection: Connection, known_at: str
    ) -> None:
        reply = ask(connection, "Check", {**QUESTIONS["Check"], "known_at": known_at})
        assert reply["items"][0]["verdict"] == "prohibited"

    @pytest.mark.parametrize("known_at", ["20250320", "1742428800"])
    @pytest.mark.parametrize("rpc", list(QUESTIONS))
    def test_digits_alone_are_invalid_argument_naming_known_at(
        self, connection: Connection, rpc: str, known_at: str
    ) -> None:
        fields = refusal(connection, rpc, {**QUESTIONS[rpc], "known_at": known_at})
        assert "RFC 3339" in fields["known_at"]
        assert "e.g. 2025-03-20T12:00:00Z" in fields["known_at"]

    @pytest.mark.parametrize(
        "known_at",
        ["2025-03-20T12:00:00", "2025-03-20 12:00:00Z", "\uff12\uff10\uff12\uff15-03-20"],
        ids=["no offset", "a space for T", "fullwidth digits"],
    )
    def test_a_timestamp_without_an_offset_or_in_other_digits_is_invalid_argument(
        self, connection: Connection, known_at: str
    ) -> None:
        fields = refusal(connection, "Check", {**QUESTIONS["Check"], "known_at": known_at})
        assert "known_at" in fields


class TestDates:
    """Row 6: valid-time, effective and publication dates are YYYY-MM-DD, not epoch seconds."""

    def test_a_valid_time_in_epoch_seconds_is_invalid_argument_naming_at(
        self, connection: Connection
    ) -> None:
        for at in ("1742428800", "2025-03-20T00:00:00Z"):
            fields = refusal(connection, "Check", {**QUESTIONS["Check"], "at": at})
            assert "e.g. 2025-03-20" in fields["at"]

    def test_a_history_window_in_epoch_seconds_is_invalid_argument_naming_valid_from(
        self, connection: Connection
    ) -> None:
        data = {**QUESTIONS["GetHistory"], "valid_from": "1742428800"}
        assert "valid_from" in refusal(connection, "GetHistory", data)

    def test_an_effective_date_in_epoch_seconds_is_refused_and_not_stored(
        self, connection: Connection
    ) -> None:
        data = observation("parsing-effective-epoch", effective={"on": "1740787200"})
        assert "change.effective.on" in refusal(connection, "RecordObservation", data)

    def test_a_publication_date_in_epoch_seconds_is_refused_and_not_stored(
        self, connection: Connection
    ) -> None:
        data = observation(
            "parsing-published-epoch", sources=[{**SOURCE, "published": "1742342400"}]
        )
        assert "change.sources[0].published" in refusal(connection, "RecordObservation", data)


class TestDigits:
    """Row 7: amounts, quantities and HS codes are ASCII digits only."""

    @pytest.mark.parametrize("digits", [FULLWIDTH_12, ARABIC_INDIC_12])
    def test_an_amount_in_other_digits_is_invalid_argument_naming_it(
        self, connection: Connection, digits: str
    ) -> None:
        limit = {"kind": "value-limit", "amount": digits, "currency": "USD"}
        data = observation(f"parsing-amount-{ord(digits[0])}", measure={"admissibility": limit})
        fields = refusal(connection, "RecordObservation", data)
        assert "ASCII digits" in fields["change.measure.admissibility.amount"]

    @pytest.mark.parametrize("digits", [FULLWIDTH_12, ARABIC_INDIC_12])
    def test_an_item_value_in_other_digits_is_invalid_argument_naming_it(
        self, connection: Connection, digits: str
    ) -> None:
        items = [{"goods": "cash", "value": digits, "currency": "USD"}]
        fields = refusal(connection, "Check", {**QUESTIONS["Check"], "items": items})
        assert "ASCII digits" in fields["items[0].value"]

    @pytest.mark.parametrize("digits", [FULLWIDTH_12, ARABIC_INDIC_12])
    def test_an_hs_code_in_other_digits_is_invalid_argument_naming_it(
        self, connection: Connection, digits: str
    ) -> None:
        items = [{"goods": digits + "16.60", "quantity": 1}]
        assert "items[0].goods" in refusal(
            connection, "Check", {**QUESTIONS["Check"], "items": items}
        )

    @pytest.mark.parametrize("digits", [FULLWIDTH_12, ARABIC_INDIC_12])
    def test_the_cli_refuses_a_quantity_in_other_digits(
        self, served: RunningServer, digits: str
    ) -> None:
        status, out, err = run_cli(served.address, *RICE_COOKER_ARGS, "--item", f"8516.60:{digits}")
        assert status == 2, (out, err)
        assert "--item" in err
        assert "ASCII digits" in err

    @pytest.mark.parametrize("digits", [FULLWIDTH_12, ARABIC_INDIC_12])
    def test_the_cli_refuses_a_quantity_limit_in_other_digits_and_stores_nothing(
        self, served: RunningServer, connection: Connection, digits: str
    ) -> None:
        before = digest(connection)
        status, out, err = run_cli(
            served.address,
            *("record", "observed", "--office", DANDONG, "--direction", "outbound"),
            *("--channel", "postal", "--goods", "85", "--on", "2025-03-01"),
            *("--source", SOURCE_ARG, "--admissibility", f"quantity-limit:{digits}"),
        )
        assert status == 2, (out, err)
        assert "--admissibility" in err
        assert digest(connection) == before


_numbers = itertools.count(1)


def _texts(text: str) -> dict[str, tuple[str, dict[str, Any], str]]:
    """Each stored text field of each command, holding ``text``: (rpc, request, field path).
    Everything else in the requests is valid: a refusal is the text's."""
    number = next(_numbers)
    request_id = f"parsing-text-{os.getpid()}-{number}"
    office = f"CN-TEXT{os.getpid()}X{number}"
    register = {"request_id": request_id, "office": office, "name": "Dandong Customs"}
    crossing = {"counterpart": f"Sinuiju{text}, KP", "mode": "bridge"}
    change = {"request_id": request_id, "office": DANDONG, "change_id": str(_SOME_CHANGE)}
    return {
        "name": ("RegisterOffice", {**register, "name": f"Red{text} Customs"}, "name"),
        "counterpart": (
            "RegisterOffice",
            {**register, "crossings": [crossing]},
            "crossings[0].counterpart",
        ),
        "publisher": (
            "RecordObservation",
            observation(request_id, sources=[{**SOURCE, "publisher": f"Daily{text} NK"}]),
            "change.sources[0].publisher",
        ),
        "url": (
            "RecordObservation",
            observation(request_id, sources=[{**SOURCE, "url": f"https://x.org/{text}"}]),
            "change.sources[0].url",
        ),
        "note": ("RecordObservation", observation(request_id, note=f"a{text}b"), "change.note"),
        "amendment's reason": (
            "AmendChange",
            {**change, "reason": f"wrong{text}", "sources": [SOURCE], "measure": _PROHIBITED},
            "reason",
        ),
        "retraction's reason": (
            "RetractChange",
            {**change, "reason": f"wrong{text}", "sources": [SOURCE]},
            "reason",
        ),
    }


# Refusals of text come before the office and change are looked up: any id will do.
_SOME_CHANGE = "00000000-0000-4000-8000-000000000000"
_PROHIBITED = {"admissibility": {"kind": "prohibited"}}
# Free text (notes, reasons) keeps tab and line feed; one-line text keeps neither.
_FREE_TEXT = {"note", "amendment's reason", "retraction's reason"}
TEXT_CASES = [
    (where, control)
    for where in _texts("x")
    for control in TERMINAL_CONTROLS
    if not (where in _FREE_TEXT and control == "tab in a name")
]


class TestStoredText:
    """Row 7: no text a command stores may hold terminal or bidirectional controls."""

    @pytest.mark.parametrize(("where", "control"), TEXT_CASES)
    def test_a_control_character_is_invalid_argument_naming_the_field_and_the_character(
        self, connection: Connection, where: str, control: str
    ) -> None:
        text, code = TERMINAL_CONTROLS[control]
        rpc, data, field = _texts(text)[where]
        fields = refusal(connection, rpc, data)
        assert code in fields[field], fields
        assert "e.g." in fields[field]

    def test_a_note_keeps_its_line_breaks_and_tabs(self, connection: Connection) -> None:
        data = observation("parsing-note-lines", note="Seen at the bridge.\n\tItems confiscated.")
        assert connection.call("RecordObservation", data)["receipt"]["office"] == DANDONG


# Writes text the way ledgers written before these rules may hold it: through the ledger's own
# application, so with its request-id rows, hash chain and projection, the command models
# constructed without validation (the old ones refused NUL alone: every one of these passed).
_WRITE_OLD_TEXT = """
import json
import sys
from datetime import date

from ledger.application.commands import RecordChange, RegisterOffice
from ledger.bootstrap import Ledger
from ledger.domain.dates import EffectiveDate
from ledger.domain.values import ChangeKind, Crossing, Measure, Scope, Source
from ledger.settings import Settings

url = sys.argv[1]
office, name, counterpart, publisher, note = json.load(sys.stdin)
with Ledger(Settings(database_url=url)) as ledger:
    ledger.app.execute(
        RegisterOffice.model_construct(
            request_id="old-register",
            office=office,
            name=name,
            crossings=(Crossing(counterpart=counterpart, mode="bridge"),),
        )
    )
    ledger.app.execute(
        RecordChange.model_construct(
            request_id="old-observe",
            office=office,
            expected_version=None,
            kind=ChangeKind.OBSERVED,
            scope=Scope(direction="outbound", channel="personal-baggage", goods="electronics"),
            measure=Measure(admissibility={"kind": "prohibited"}),
            effective=EffectiveDate(on=date(2025, 3, 1)),
            sources=(
                Source(
                    publisher=publisher,
                    url="https://www.dailynk.com/english/",
                    published=date(2025, 3, 19),
                    grade="B2",
                ),
            ),
            note=note,
        )
    )
"""
OLD_OFFICE = "CN-OLDTEXT"
OLD_NAME = "\x1b[31mRed\x1b[0m Customs \u202eevil\u202c [bold]x[/bold]"
OLD_COUNTERPART = "Sinuiju\u0085KP"
OLD_PUBLISHER = "\x1b]8;;https://evil.example/\x07Daily NK\u2066"
OLD_NOTE = "seen\x1b[2J at the bridge"
RAW = ("\x1b", "\x07", "\x85", "\u202e", "\u202c", "\u2066")


@pytest.fixture(scope="module", params=BACKENDS)
def old_text(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[RunningServer]:
    """A server over a ledger that holds such text, written before it started."""
    need_backend(request.param)
    folder = tmp_path_factory.mktemp(f"old-text-{request.param}")
    with database(request.param, folder) as url:
        written = subprocess.run(
            [sys.executable, "-c", _WRITE_OLD_TEXT, url],
            input=json.dumps([OLD_OFFICE, OLD_NAME, OLD_COUNTERPART, OLD_PUBLISHER, OLD_NOTE]),
            cwd=folder,  # not the repository: the ledger is imported as the server will be
            env=os.environ,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert written.returncode == 0, written.stderr
        with serving(folder, url, example=False) as server:
            yield server


def _no_raw_controls(output: str) -> None:
    found = sorted({f"U+{ord(char):04X}" for char in output if char in RAW})
    assert not found, f"printed as they are: {found}\n{output!r}"


class TestPrintingStoredText:
    """Row 7: text stored before the rules is read, replayed, and printed escaped."""

    def test_ledger_offices_prints_a_stored_escape_sequence_escaped(
        self, old_text: RunningServer
    ) -> None:
        status, out, err = run_cli(old_text.address, "offices")
        assert status == 0, err
        _no_raw_controls(out)
        assert "\\x1b[31mRed\\x1b[0m Customs \\u202eevil\\u202c" in out
        assert "[bold]x[/bold]" in out  # markup in stored text is printed, not applied
        assert "Sinuiju\\x85KP" in out

    def test_ledger_offices_json_escapes_them_as_json(self, old_text: RunningServer) -> None:
        status, out, err = run_cli(old_text.address, "offices", "--json")
        assert status == 0, err
        _no_raw_controls(out)
        assert "\\u202eevil" in out
        assert "\\u0085" in out

    def test_history_and_check_print_a_stored_note_and_publisher_escaped(
        self, old_text: RunningServer
    ) -> None:
        status, out, err = run_cli(old_text.address, "history", "--office", OLD_OFFICE)
        assert status == 0, err
        _no_raw_controls(out)
        assert "seen\\x1b[2J" in out
        status, out, err = run_cli(
            old_text.address,
            *("check", "--office", OLD_OFFICE, "--at", "2025-04-01", "--direction", "outbound"),
            *("--channel", "personal-baggage", "--item", "electronics"),
        )
        assert status == 0, err
        _no_raw_controls(out)
        assert "\\x1b]8;;https://evil.example/\\x07Daily" in out.replace("\n", "")

    def test_the_stored_ledger_still_replays_and_its_audit_holds(
        self, old_text: RunningServer
    ) -> None:
        store_audit(old_text.database_url)
