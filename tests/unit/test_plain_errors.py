"""Errors in plain language (issue 13, point 9): pydantic's errors said as what is wrong, what is
accepted and an example (``ledger.domain.errors.plain``), whatever check failed; the command
line's own parsers of dates, periods, digests and addresses; and its exit statuses."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from typing import Any

import grpc
import pytest
import typer
from pydantic import BaseModel, ValidationError
from rich.console import Console

from ledger.application.commands import AmendChange, RecordChange, RegisterOffice
from ledger.cli import failures, parse
from ledger.domain.errors import OfficeNotFound, plain
from ledger.readmodel.answers import CheckRequest
from ledger_client.errors import LedgerClientError

LIBRARY_WORDING = (
    "Value error,",
    "Assertion failed",
    "String should",
    "Input should",
    "Field required",
    "should have at",
    "cannot be interpreted",
    "invalid literal",
    "Extra inputs",
    "^",  # a regular expression
)
SOURCE = {"publisher": "Daily NK", "reference": "in Sinuiju", "published": "2025-03-19"}
CHANGE: dict[str, Any] = {
    "request_id": "r-1",
    "office": "CN-DANDONG",
    "kind": "tightened",
    "scope": {"direction": "outbound", "channel": "cargo-road", "goods": "85"},
    "measure": {"inspection": "rigorous"},
    "effective": {"on": "2025-04-01"},
    "sources": [{**SOURCE, "grade": "B2"}],
}


def messages(model: type[BaseModel], data: dict[str, Any]) -> dict[str, str]:
    """Each refused field's path, and its plain message."""
    with pytest.raises(ValidationError) as refused:
        model.model_validate(data)
    found = {}
    for detail in refused.value.errors():
        path = ".".join(str(part) for part in detail["loc"])
        found[path] = plain(detail)
        for wording in LIBRARY_WORDING:
            assert wording not in found[path], (path, found[path])
    return found


class TestPlain:
    @pytest.mark.parametrize(
        ("change", "field", "said"),
        [
            (
                {"sources": [{**SOURCE, "grade": "Z9"}]},
                "sources.0.grade",
                "'Z9' is not an Admiralty grade: expected a letter A-F for the source's "
                "reliability and a digit 1-6 for the information's credibility, e.g. B2",
            ),
            (
                {"sources": [{**SOURCE, "url": "http://", "grade": "B2"}]},
                "sources.0.url",
                "'http://' is not a URL: expected http:// or https://, then a host, without "
                "spaces, e.g. https://example.org/",
            ),
            (
                {"sources": [{**SOURCE, "grade": "B2", "language": "English"}]},
                "sources.0.language",
                "'English' is not a language tag: expected a lower-case language code, e.g. en",
            ),
            (
                {"sources": [{"reference": "x", "published": "2025-03-19", "grade": "B2"}]},
                "sources.0.publisher",
                'a publisher is required: expected the publisher or informant, e.g. "Daily NK"',
            ),
            (
                {"measure": {"admissibility": {"kind": "quantity-limit", "quantity": "two"}}},
                "measure.admissibility.quantity",
                "'two' is not a whole number: expected digits, e.g. 2",
            ),
            (
                {"measure": {"admissibility": {"kind": "quantity-limit", "quantity": -1}}},
                "measure.admissibility.quantity",
                "-1 is too small: expected 0 or more",
            ),
            (
                {"measure": {"admissibility": {"kind": "forbidden"}}},
                "measure.admissibility.kind",
                "'forbidden' is not accepted: expected 'prohibited', 'quantity-limit', "
                "'value-limit' or 'allowed'",
            ),
            (
                {"measure": {"admissibility": {"kind": "value-limit", "amount": "5"}}},
                "measure.admissibility",
                "amount and currency are required for a value-limit, and only for one: e.g. "
                "value-limit with amount 500.00 and currency USD",
            ),
            (
                {
                    "measure": {
                        "admissibility": {"kind": "value-limit", "amount": "5", "currency": "usd"}
                    }
                },
                "measure.admissibility.currency",
                "'usd' is not a currency code: expected an ISO 4217 code in capitals, e.g. USD",
            ),
            (
                {"office": "cn-dandong"},
                "office",
                "'cn-dandong' is not an office code: expected COUNTRY-NAME in capitals: did you "
                "mean CN-DANDONG?",
            ),
            (
                {"effective": {"on": "2025-04-20", "precision": "early-month"}},
                "effective",
                "early-month covers days 1-10 of a month, and 2025-04-20 is mid-month; give a "
                "day in the window, e.g. 2025-04-01, or precision mid-month",
            ),
            ({"sources": []}, "sources", "at least 1 required, 0 given; each is a source"),
            (
                {"request_id": "has space"},
                "request_id",
                "'has space' is not a request id: expected printable ASCII without spaces",
            ),
            ({"measure": {}}, "measure", "a measure states at least one of admissibility"),
        ],
        ids=[
            "grade",
            "url",
            "language",
            "publisher missing",
            "quantity in words",
            "negative quantity",
            "admissibility kind",
            "value limit without its currency",
            "currency in lower case",
            "office in lower case",
            "date outside its window",
            "no sources",
            "request id",
            "empty measure",
        ],
    )
    def test_a_refusal_says_what_is_wrong_and_what_is_accepted_in_plain_words(
        self, change: dict[str, Any], field: str, said: str
    ) -> None:
        found = messages(RecordChange, {**CHANGE, **change})
        assert said in found[field], found

    def test_every_message_of_a_request_wrong_everywhere_is_plain(self) -> None:
        found = messages(
            AmendChange,
            {
                "request_id": "",
                "office": "XX-1",
                "change_id": "ban",
                "reason": "",
                "sources": [{"publisher": "", "url": "ftp://x", "published": 1, "grade": 9}],
                "clear": ["colour"],
                "expected_version": "three",
                "unknown": True,
            },
        )
        assert len(found) >= 8
        assert found["change_id"].startswith("'ban' is not a change id: expected a UUID")
        assert found["clear.0"].startswith("'colour' is not accepted: expected 'admissibility'")
        assert found["unknown"] == "not a field of this request"

    def test_a_question_wrong_everywhere_is_refused_plainly(self) -> None:
        found = messages(
            CheckRequest,
            {
                "office": "CN-DANDONG",
                "at": "20/03/2025",
                "direction": "outward",
                "channel": "cargo-road",
                "items": [{"goods": "85", "quantity": 1.5}],
                "known_at": "yesterday",
            },
        )
        assert "expected YYYY-MM-DD" in found["at"]
        assert found["direction"].startswith("'outward' is not accepted: expected 'outbound'")
        assert "e.g. 2025-03-20T12:00:00Z" in found["known_at"]

    def test_too_long_text_says_its_limit_and_length(self) -> None:
        found = messages(RegisterOffice, {"request_id": "r", "office": "CN-X", "name": "x" * 201})
        assert found["name"] == "too long: at most 200 characters, this has 201"


class TestNearOffices:
    def test_an_office_not_registered_names_the_nearest_registered_one(self) -> None:
        registered = ["CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI"]
        assert str(OfficeNotFound("CN-DANDONGG").suggesting(registered)) == (
            "office CN-DANDONGG is not registered: did you mean CN-DANDONG?"
        )
        assert str(OfficeNotFound("cn-hunchun").suggesting(registered)).endswith(
            "did you mean CN-HUNCHUN?"
        )

    def test_no_registered_office_near_names_none(self) -> None:
        refused = OfficeNotFound("KP-SINUIJU").suggesting(["CN-DANDONG"])
        assert str(refused) == "office KP-SINUIJU is not registered"


class TestOptionValues:
    @pytest.mark.parametrize(
        ("on", "precision", "effective"),
        [
            ("2025-04-20", "day", {"on": "2025-04-20", "precision": "day"}),
            ("2025-04", "month", {"on": "2025-04-01", "precision": "month"}),
            ("2025-04", "day", {"on": "2025-04-01", "precision": "month"}),
            ("2025-04", "late-month", {"on": "2025-04-21", "precision": "late-month"}),
            ("2018-Q2", "day", {"on": "2018-04-01", "precision": "quarter"}),
            ("2018-q4", "quarter", {"on": "2018-10-01", "precision": "quarter"}),
            ("2018-Q2", "year", {"on": "2018-04-01", "precision": "year"}),
            ("2018", "day", {"on": "2018-01-01", "precision": "year"}),
        ],
    )
    def test_an_effective_date_may_be_a_day_month_quarter_or_year(
        self, on: str, precision: str, effective: dict[str, str]
    ) -> None:
        assert parse.effective(on, precision) == effective

    @pytest.mark.parametrize(
        ("on", "precision", "said"),
        [
            ("2018-Q2", "month", "--on 2018-Q2 is a quarter, wider than --precision month"),
            ("2018", "early-month", "e.g. --on 2018-01 --precision early-month"),
            ("2025-13", "day", "'2025-13' is not an effective date: expected a day YYYY-MM-DD"),
            ("2025-02-30", "day", "2025-02-30 is not a day of the calendar"),
        ],
    )
    def test_an_effective_date_that_cannot_be_is_refused_with_an_example(
        self, on: str, precision: str, said: str
    ) -> None:
        with pytest.raises(typer.BadParameter, match=r"e\.g\.") as refused:
            parse.effective(on, precision)
        assert said in refused.value.format_message()

    def test_a_period_is_its_first_day_and_the_precision_its_form_implies(self) -> None:
        assert parse.period("2025-03-20") == (date(2025, 3, 20), None)
        assert parse.period("2018-Q3") == (date(2018, 7, 1), "quarter")

    @pytest.mark.parametrize(
        ("text", "said"),
        [
            ("yesterday", "'yesterday' is not a knowledge time"),
            ("2025-03-20T12:00:00", "has no offset"),
            ("2025-02-30", "not a day of the calendar"),
        ],
    )
    def test_a_knowledge_time_in_another_form_is_refused_with_examples(
        self, text: str, said: str
    ) -> None:
        with pytest.raises(
            ValueError, match=re.escape("e.g. 2025-03-20 or 2025-03-20T12:00:00+00:00")
        ):
            parse.known_at(text)
        with pytest.raises(ValueError, match=said):
            parse.known_at(text)

    def test_a_knowledge_time_is_kept_as_written(self) -> None:
        for text in ("2025-03-20", "2025-03-20T12:00:00Z", "2025-03-20T12:00:00.5+08:00"):
            assert parse.known_at(text) == text

    @pytest.mark.parametrize(
        ("text", "said"),
        [
            ("f" * 64, "has no position"),
            ("nine:" + "f" * 64, "does not start with a position"),
            ("9:abc", "has no root of 64 hexadecimal digits"),
        ],
    )
    def test_a_pinned_digest_in_another_form_is_refused_with_an_example(
        self, text: str, said: str
    ) -> None:
        with pytest.raises(typer.BadParameter) as refused:
            parse.digest(text)
        message = refused.value.format_message()
        assert said in message
        assert "expected POSITION:ROOT" in message and "e.g. 9:" in message

    def test_a_listen_address_is_host_and_port(self) -> None:
        for text in ("127.0.0.1:0", "0.0.0.0:50051", "[::1]:50051", "ledger.example:443"):
            assert parse.listen(text) == text
        for text in ("50051", "127.0.0.1", "127.0.0.1:99999", "a b:1"):
            with pytest.raises(typer.BadParameter, match="expected HOST:PORT"):
                parse.listen(text)

    @pytest.mark.parametrize(
        ("text", "said"),
        [
            ("quantity-limit:two", "the limit 'two' is not a whole number"),
            ("quantity-limit", "a quantity-limit gives its limit"),
            ("value-limit:five:USD", "the amount 'five' is not a decimal number"),
            ("forbidden", "not an admissibility"),
            ("prohibited:2", "prohibited takes no limit"),
        ],
    )
    def test_an_admissibility_in_another_form_is_refused_with_an_example(
        self, text: str, said: str
    ) -> None:
        with pytest.raises(typer.BadParameter, match=r"e\.g\.") as refused:
            parse.measure(text, None, None)
        assert said in refused.value.format_message()


class TestExitStatuses:
    @pytest.mark.parametrize(
        ("code", "status"),
        [
            (grpc.StatusCode.INVALID_ARGUMENT, 3),
            (grpc.StatusCode.FAILED_PRECONDITION, 3),
            (grpc.StatusCode.ABORTED, 3),
            (grpc.StatusCode.ALREADY_EXISTS, 3),
            (grpc.StatusCode.NOT_FOUND, 3),
            (grpc.StatusCode.UNAUTHENTICATED, 3),
            (grpc.StatusCode.UNAVAILABLE, 4),
            (grpc.StatusCode.DEADLINE_EXCEEDED, 4),
            (grpc.StatusCode.RESOURCE_EXHAUSTED, 4),
            (grpc.StatusCode.INTERNAL, 4),
        ],
    )
    def test_the_ledgers_refusals_exit_3_and_a_server_that_cannot_answer_4(
        self, monkeypatch: pytest.MonkeyPatch, code: grpc.StatusCode, status: int
    ) -> None:
        monkeypatch.setattr(failures, "errors", Console(file=io.StringIO()))
        refused = failures.Refused.by_ledger(LedgerClientError(code, "no", []))
        assert refused.exit_code == status

    def test_a_refusal_of_the_command_lines_own_is_a_usage_error(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setattr(failures, "errors", Console(file=io.StringIO()))
        assert failures.Refused("say where to audit").exit_code == failures.USAGE
        assert failures.Refused("gone", "NOT_FOUND").exit_code == failures.REFUSED
        assert failures.AuditFailed("rewritten").exit_code == failures.AUDIT_FAILED

    def test_with_json_an_error_is_one_json_object_on_standard_error(
        self, capsys: pytest.CaptureFixture[str]
    ) -> None:
        error = LedgerClientError(
            grpc.StatusCode.INVALID_ARGUMENT, "grade: bad", [("grade", "'Z9' is not ...")]
        )
        token = failures.errors_as_json(True)
        try:
            refused = failures.Refused.by_ledger(error)
        finally:
            failures.reset_errors(token)
        assert refused.exit_code == 3
        captured = capsys.readouterr()
        assert captured.out == ""
        assert json.loads(captured.err) == {
            "code": "INVALID_ARGUMENT",
            "message": "grade: bad",
            "fields": [{"field": "grade", "description": "'Z9' is not ..."}],
        }
