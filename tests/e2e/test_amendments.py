"""An amendment keeps every dimension it does not restate (issue 13, point 1), through the CLI
and the client library against a real server; clearing a dimension is explicit."""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest

from ledger_client import LedgerClient, LedgerClientError
from tests.e2e.support import Cli, new_office

SOURCE = "Daily NK|https://www.dailynk.com/english/|2025-04-02|B2"
QUESTION = ("--direction", "outbound", "--channel", "personal-baggage", "--traveller", "worker")


def _json(result: tuple[int, str, str]) -> Any:
    status, out, err = result
    assert status == 0, err
    return json.loads(out)


def _state(client: LedgerClient, office: str) -> tuple[Any, Any, Any]:
    answer = client.check(
        office,
        "2025-03-20",
        direction="outbound",
        channel="personal-baggage",
        traveller="worker",
        items=[{"goods": "8516.60", "quantity": 1}],
    )
    item = answer.items[0]
    return item.verdict.value, item.inspection, item.enforcement


def test_an_amendment_restating_one_dimension_keeps_the_others(
    cli: Cli, client: LedgerClient
) -> None:
    code = new_office()
    _json(cli("register", "--office", code, "--name", "Ji'an Customs", "--json"))
    recorded = _json(
        cli(
            "record",
            "tightened",
            *("--office", code, *QUESTION, "--goods", "85", "--on", "2025-03-01"),
            *("--source", SOURCE, "--admissibility", "quantity-limit:1"),
            *("--inspection", "thorough", "--enforcement", "confiscation", "--json"),
        )
    )
    assert _state(client, code) == ("ALLOWED", "thorough", "confiscation")
    _json(
        cli(
            "amend",
            *("--office", code, "--change", recorded["change_id"]),
            *("--reason", "fined, not confiscated", "--source", SOURCE),
            *("--enforcement", "fine", "--json"),
        )
    )
    # The limit and the inspection stay; only the enforcement changed.
    assert _state(client, code) == ("ALLOWED", "thorough", "fine")
    _json(
        cli(
            "amend",
            *("--office", code, "--change", recorded["change_id"]),
            *("--reason", "no word on inspection", "--source", SOURCE),
            *("--clear", "inspection", "--json"),
        )
    )
    assert _state(client, code) == ("ALLOWED", None, "fine")
    history = _json(cli("history", "--office", code, "--json"))
    assert history[-1]["event"]["clear"] == ["inspection"]
    assert history[-1]["event"]["class_version"] == 2


def test_an_amendment_that_restates_and_clears_one_dimension_or_clears_all_is_refused(
    cli: Cli, client: LedgerClient
) -> None:
    code = new_office()
    client.register_office(code, "Ji'an Customs")
    change = client.record(
        "observed",
        code,
        scope={"direction": "outbound", "channel": "cargo-road", "goods": "85"},
        measure={"inspection": "light"},
        effective={"on": "2025-01-01"},
        sources=[
            {
                "publisher": "P",
                "url": "https://p.example/",
                "published": "2025-01-02",
                "grade": "B2",
            }
        ],
    ).change_id
    for measure, clear, said in [
        ({"inspection": "standard"}, ["inspection"], "both restates and clears inspection"),
        (None, ["inspection"], "would leave it stating nothing"),
    ]:
        with pytest.raises(LedgerClientError) as refused:
            client.amend(
                code,
                change,
                reason="x",
                sources=[
                    {
                        "publisher": "P",
                        "reference": "a call",
                        "published": "2025-01-03",
                        "grade": "C3",
                    }
                ],
                measure=measure,
                clear=clear,
            )
        assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
        assert said in refused.value.message, refused.value.message
    assert client.get_office(code).version == 2  # nothing stored
