"""Strict parsing of new input: dates, knowledge times, amounts and stored text (issue 12).

What is refused at the edge (commands and requests), with a message naming what is wrong, what
is accepted and an example; and what is still read back from ledgers written before.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Any
from uuid import uuid4

import pytest
from pydantic import BaseModel, TypeAdapter, ValidationError

from ledger.application.commands import AmendChange, RecordChange, RegisterOffice, RetractChange
from ledger.bootstrap import Ledger
from ledger.domain.dates import Day, EffectiveDate, KnownAt
from ledger.domain.events import EVENTS
from ledger.domain.office import Office
from ledger.domain.values import (
    Admissibility,
    Amount,
    ChangeKind,
    Crossing,
    Line,
    Measure,
    Prose,
    Scope,
    Source,
)
from ledger.readmodel.answers import CheckRequest
from ledger.readmodel.history import HistoryRequest
from ledger.readmodel.model import Knowledge
from ledger_client.models import Source as ClientSource

DAY = TypeAdapter(Day)
KNOWN_AT = TypeAdapter(KnownAt)
AMOUNT = TypeAdapter(Amount)
LINE = TypeAdapter(Line)
PROSE = TypeAdapter(Prose)

SOURCE = {
    "publisher": "Daily NK",
    "url": "https://www.dailynk.com/english/",
    "published": "2025-03-19",
    "grade": "B2",
}
# Each character refused in new text, with how a refusal names it.
CONTROLS = {
    "\x00": "U+0000 (a control character)",
    "\t": "U+0009 (a control character)",
    "\n": "U+000A (a control character)",
    "\r": "U+000D (a control character)",
    "\x1b": "U+001B (a control character)",
    "\x7f": "U+007F (a control character)",
    "\x85": "U+0085 (a C1 control character)",
    "\x9b": "U+009B (a C1 control character)",
    "\u061c": "U+061C (a bidirectional control)",
    "\u200e": "U+200E (a bidirectional control)",
    "\u200f": "U+200F (a bidirectional control)",
    "\u2028": "U+2028 (a line or paragraph separator)",
    "\u2029": "U+2029 (a line or paragraph separator)",
    **{chr(code): f"U+{code:04X} (a bidirectional control)" for code in range(0x202A, 0x202F)},
    **{chr(code): f"U+{code:04X} (a bidirectional control)" for code in range(0x2066, 0x206A)},
}


def refusal(adapter: TypeAdapter[Any], value: object) -> str:
    with pytest.raises(ValidationError) as refused:
        adapter.validate_python(value)
    [error] = refused.value.errors()
    message: str = error["msg"]
    assert not message.startswith("Value error"), message  # the message as written
    return message


def refusals(model: type[BaseModel], data: dict[str, Any]) -> dict[tuple[Any, ...], str]:
    with pytest.raises(ValidationError) as refused:
        model.model_validate(data)
    return {tuple(error["loc"]): error["msg"] for error in refused.value.errors()}


class TestDays:
    def test_a_date_is_yyyy_mm_dd_or_a_date(self) -> None:
        assert DAY.validate_python("2025-03-20") == date(2025, 3, 20)
        assert DAY.validate_python(date(2025, 3, 20)) == date(2025, 3, 20)
        assert DAY.validate_json('"2025-03-20"') == date(2025, 3, 20)

    @pytest.mark.parametrize("value", ["20250320", "1742428800", 1742428800, 1742428800.0])
    def test_digits_alone_are_not_read_as_epoch_seconds(self, value: object) -> None:
        message = refusal(DAY, value)
        assert f"{value!r} is not a date" in message
        assert "expected YYYY-MM-DD in ASCII digits, e.g. 2025-03-20" in message

    @pytest.mark.parametrize(
        "value",
        [
            "\uff12\uff10\uff12\uff15-03-20",
            "\u0662\u0660\u0662\u0665-03-20",
            " 2025-03-20",
            "2025-03-20\n",
            "2025-3-20",
            "2025/03/20",
            "+2025-03-20",
        ],
    )
    def test_other_digits_and_other_forms_are_refused(self, value: str) -> None:
        assert "is not a date" in refusal(DAY, value)

    @pytest.mark.parametrize("value", ["2025-03-20T00:00:00Z", datetime(2025, 3, 20)])
    def test_a_time_of_day_is_not_a_date(self, value: object) -> None:
        assert "e.g. 2025-03-20" in refusal(DAY, value)

    def test_a_day_not_in_the_calendar_is_named_as_such(self) -> None:
        assert refusal(DAY, "2025-02-30").startswith("2025-02-30 is not a day of the calendar")

    def test_effective_dates_and_publication_dates_are_days(self) -> None:
        with pytest.raises(ValidationError):
            EffectiveDate(on="1740787200")  # type: ignore[arg-type]
        with pytest.raises(ValidationError):
            Source.model_validate({**SOURCE, "published": "1742342400"})


class TestKnowledgeTimes:
    def test_a_date_is_the_end_of_that_day_utc(self) -> None:
        known_at = KNOWN_AT.validate_python("2025-03-20")
        assert known_at == date(2025, 3, 20)
        assert Knowledge.of(known_at).at == datetime.combine(date(2025, 3, 20), time.max, UTC)

    @pytest.mark.parametrize(
        ("text", "instant"),
        [
            ("2025-03-20T12:00:00Z", datetime(2025, 3, 20, 12, tzinfo=UTC)),
            ("2025-03-20t12:00:00z", datetime(2025, 3, 20, 12, tzinfo=UTC)),
            ("2025-03-20T12:00:00+08:00", datetime(2025, 3, 20, 4, tzinfo=UTC)),
            ("2025-03-20T12:00:00.123456789-05:30", datetime(2025, 3, 20, 17, 30, 0, 123456, UTC)),
        ],
    )
    def test_an_rfc_3339_timestamp_is_that_instant(self, text: str, instant: datetime) -> None:
        assert KNOWN_AT.validate_python(text) == instant

    def test_an_aware_datetime_is_that_instant(self) -> None:
        eight = timezone(timedelta(hours=8))
        assert KNOWN_AT.validate_python(datetime(2025, 3, 20, 12, tzinfo=eight)).utcoffset()

    @pytest.mark.parametrize("value", ["20250320", "1742428800", 1742428800, 1742428800.5])
    def test_digits_alone_are_not_read_as_epoch_seconds(self, value: object) -> None:
        message = refusal(KNOWN_AT, value)
        assert "is not a knowledge time: expected an RFC 3339 timestamp with its offset" in message
        assert "e.g. 2025-03-20T12:00:00Z" in message

    @pytest.mark.parametrize("value", ["2025-03-20T12:00:00", datetime(2025, 3, 20, 12)])
    def test_a_time_without_an_offset_is_refused_saying_so(self, value: object) -> None:
        message = refusal(KNOWN_AT, value)
        assert "offset" in message
        assert "e.g. 2025-03-20T12:00:00Z" in message

    @pytest.mark.parametrize(
        "value",
        [
            "2025-03-20 12:00:00Z",
            "\uff12\uff10\uff12\uff15-03-20T12:00:00Z",
            "now",
            "",
            "2025-03-20T25:00:00Z",
            "2025-03-20T12:00Z",
            "2025-02-30T12:00:00Z",
        ],
    )
    def test_anything_else_is_refused(self, value: str) -> None:
        assert "expected" in refusal(KNOWN_AT, value)

    def test_every_question_takes_its_times_strictly(self) -> None:
        question = {
            "office": "CN-DANDONG",
            "at": "1742428800",
            "known_at": "20250320",
            "direction": "outbound",
            "channel": "personal-baggage",
            "items": [{"goods": "8516.60"}],
        }
        assert set(refusals(CheckRequest, question)) == {("at",), ("known_at",)}
        history = {"office": "CN-DANDONG", "valid_from": "1742428800", "known_at": 1742428800}
        assert set(refusals(HistoryRequest, history)) == {("valid_from",), ("known_at",)}


class TestAmounts:
    @pytest.mark.parametrize("value", ["500", "500.00", "0.5", ".5", 500, Decimal("500.00")])
    def test_ascii_decimals_are_amounts(self, value: object) -> None:
        assert AMOUNT.validate_python(value) == Decimal(str(value))

    @pytest.mark.parametrize(
        "value",
        ["\uff11\uff12", "\u0661\u0662", "\u0967\u0968", "1\uff12", " 12", "1_000", "+3", "NaN"],
    )
    def test_other_digits_and_other_forms_are_refused(self, value: str) -> None:
        message = refusal(AMOUNT, value)
        assert message.endswith("expected a decimal number in ASCII digits, e.g. 500 or 500.00")

    def test_a_negative_amount_is_refused(self) -> None:
        with pytest.raises(ValidationError):
            AMOUNT.validate_python("-1")

    @pytest.mark.parametrize("stored", ["5E+2", "1E-7", "-0", "12.50"])
    def test_amounts_as_ledgers_stored_them_read_back(self, stored: str) -> None:
        text = f'{{"kind": "value-limit", "amount": "{stored}", "currency": "USD"}}'
        assert Admissibility.model_validate_json(text).amount == Decimal(stored)

    def test_item_values_and_limits_are_amounts(self) -> None:
        limit = {"kind": "value-limit", "amount": "\u0661\u0662", "currency": "USD"}
        assert ("amount",) in refusals(Admissibility, limit)
        question = {
            "office": "CN-DANDONG",
            "at": "2025-03-20",
            "direction": "outbound",
            "channel": "personal-baggage",
            "items": [{"goods": "cash", "value": "\uff11\uff12", "currency": "USD"}],
        }
        assert ("items", 0, "value") in refusals(CheckRequest, question)

    def test_quantities_and_hs_codes_in_other_digits_are_refused(self) -> None:
        question = {
            "office": "CN-DANDONG",
            "at": "2025-03-20",
            "direction": "outbound",
            "channel": "personal-baggage",
            "items": [{"goods": "8516.60", "quantity": "\uff11\uff12"}, {"goods": "\uff18\uff15"}],
        }
        found = refusals(CheckRequest, question)
        assert {("items", 0, "quantity"), ("items", 1, "goods")} <= set(found)


class TestText:
    @pytest.mark.parametrize(("char", "named"), list(CONTROLS.items()))
    def test_a_line_refuses_each_control_naming_it_and_where(self, char: str, named: str) -> None:
        message = refusal(LINE, f"Dandong{char} Customs")
        assert message.startswith(f"{named} at character 8: expected one line of printable text")
        assert 'e.g. "Dandong Customs"' in message

    @pytest.mark.parametrize("char", [c for c in CONTROLS if c not in "\t\n"])
    def test_prose_refuses_them_too(self, char: str) -> None:
        assert refusal(PROSE, f"Seen{char}").startswith(CONTROLS[char])

    def test_prose_keeps_line_feed_and_tab(self) -> None:
        text = "Seen at the bridge.\n\tItems confiscated."
        assert PROSE.validate_python(text) == text

    @pytest.mark.parametrize(
        "text",
        [
            "\u4e39\u4e1c\u6d77\u5173",  # Chinese
            "\u0414\u0430\u043d\u0434\u0443\u043d",  # Cyrillic
            "\u0645\u0631\u0643\u0632",  # Arabic, its own direction without controls
            "\u0645\u06cc\u200c\u062e\u0648\u0627\u0645",  # Persian, with a zero-width non-joiner
            "\U0001f468\u200d\U0001f469\u200d\U0001f467",  # an emoji sequence
            "Sinuiju, KP (Sino-Korean Friendship Bridge) [north]",
        ],
    )
    def test_printable_text_of_any_script_is_accepted(self, text: str) -> None:
        assert LINE.validate_python(text) == text
        assert PROSE.validate_python(text) == text


def _register(**fields: Any) -> dict[str, Any]:
    return {"request_id": "r1", "office": "CN-DANDONG", "name": "Dandong Customs", **fields}


def _change(**fields: Any) -> dict[str, Any]:
    return {
        "request_id": "r2",
        "office": "CN-DANDONG",
        "kind": "observed",
        "scope": {"direction": "outbound", "channel": "postal", "goods": "85"},
        "measure": {"inspection": "light"},
        "effective": {"on": "2025-03-01"},
        "sources": [SOURCE],
        **fields,
    }


class TestCommands:
    def test_every_text_field_a_command_stores_is_held_to_the_rules(self) -> None:
        crossing = {"counterpart": "Sinuiju\x85KP", "mode": "bridge"}
        found = refusals(RegisterOffice, _register(name="\x1b[31mRed", crossings=[crossing]))
        assert set(found) == {("name",), ("crossings", 0, "counterpart")}
        source = {**SOURCE, "publisher": "Daily\u202eNK", "url": "https://x.org/\u2066"}
        found = refusals(RecordChange, _change(sources=[SOURCE, source], note="a\x1bb"))
        assert set(found) == {("sources", 1, "publisher"), ("sources", 1, "url"), ("note",)}
        for model in (AmendChange, RetractChange):
            data = {
                "request_id": "r3",
                "office": "CN-DANDONG",
                "change_id": str(uuid4()),
                "reason": "wrong\u200f",
                "sources": [SOURCE],
                "measure": {"inspection": "light"},
            }
            if model is RetractChange:
                del data["measure"]
            assert set(refusals(model, data)) == {("reason",)}

    def test_a_source_s_other_refusals_come_with_its_text_s(self) -> None:
        source = {**SOURCE, "publisher": "Daily\x1bNK", "published": "1742342400"}
        found = refusals(RecordChange, _change(sources=[source]))
        assert {("sources", 0, "publisher"), ("sources", 0, "published")} <= set(found)

    def test_a_url_is_refused_naming_the_character_before_its_pattern(self) -> None:
        source = {**SOURCE, "url": "https://x.org/\x85"}
        found = refusals(RecordChange, _change(sources=[source]))
        assert found[("sources", 0, "url")].startswith("U+0085 (a C1 control character)")
        assert "e.g. https://example.org/" in found[("sources", 0, "url")]

    def test_values_given_as_values_are_checked_and_kept_as_plain_values(self) -> None:
        command = RecordChange.model_validate(_change(sources=[Source.model_validate(SOURCE)]))
        assert type(command.sources[0]) is Source
        assert command.sources[0] == Source.model_validate(SOURCE)
        bad = Source.model_validate({**SOURCE, "publisher": "Daily\x1bNK"})  # as stored before
        assert ("sources", 0, "publisher") in refusals(RecordChange, _change(sources=[bad]))
        crossing = Crossing(counterpart="Sinuiju, KP", mode="bridge")  # type: ignore[arg-type]
        registered = RegisterOffice.model_validate(_register(crossings=[crossing]))
        assert type(registered.crossings[0]) is Crossing

    def test_a_command_serialises_as_before(self) -> None:
        """Retries compare fingerprints of the command's JSON: it must not change."""
        command = RecordChange.model_validate(_change())
        assert command.model_dump(mode="json")["sources"] == [
            Source.model_validate(SOURCE).model_dump(mode="json")
        ]


class TestStoredText:
    """Events written before the rules may hold such text: they are read back as they were."""

    def test_events_holding_control_characters_decode(self) -> None:
        office = Office.register(
            "CN-OLDTEXT",
            "\x1b[31mRed\u202e",
            (Crossing(counterpart="Sinuiju\x85KP", mode="bridge"),),  # type: ignore[arg-type]
            event_id=uuid4(),
        )
        office.observe(
            Scope(direction="outbound", channel="postal", goods="85"),  # type: ignore[arg-type]
            Measure(inspection="light"),  # type: ignore[arg-type]
            EffectiveDate(on=date(2025, 3, 1)),
            (Source.model_validate({**SOURCE, "publisher": "Daily\x1b]8;;x\x07NK"}),),
            "seen\x1b[2J",
            event_id=uuid4(),
        )
        for event in office.collect_events():
            decoded = EVENTS[type(event).__name__].model_validate_json(event.stored_json())
            assert decoded == event

    def test_a_ledger_holding_them_answers_its_history(self, ledger: Ledger) -> None:
        # As the ledger stored them before: the command models of the time refused NUL alone.
        ledger.app.execute(
            RegisterOffice.model_construct(request_id="old", office="CN-OLDTEXT", name="\x1b[31mX")
        )
        ledger.app.execute(
            RecordChange.model_construct(
                request_id="old-2",
                office="CN-OLDTEXT",
                expected_version=None,
                kind=ChangeKind.OBSERVED,
                scope=Scope(direction="outbound", channel="postal", goods="85"),  # type: ignore[arg-type]
                measure=Measure(inspection="light"),  # type: ignore[arg-type]
                effective=EffectiveDate(on=date(2025, 3, 1)),
                sources=(Source.model_validate({**SOURCE, "publisher": "\u202eKN yliaD"}),),
                note="seen\x85",
            )
        )
        entries = ledger.reader.history(HistoryRequest(office="CN-OLDTEXT"))
        assert [entry.event.get("name") for entry in entries] == ["\x1b[31mX", None]
        assert entries[1].event["note"] == "seen\x85"


class TestClientModels:
    def test_the_client_reads_dates_as_the_service_writes_them(self) -> None:
        assert ClientSource.model_validate(SOURCE).published == date(2025, 3, 19)
        for published in ("1742342400", 1742342400, "2025-03-19T00:00:00Z"):
            with pytest.raises(ValidationError, match="expected YYYY-MM-DD"):
                ClientSource.model_validate({**SOURCE, "published": published})
