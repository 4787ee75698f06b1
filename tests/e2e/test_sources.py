"""Sources without a URL, and clerical retractions (issue 13, points 2 and 3), through the
CLI and the client library against a real server.

A source is found by its URL or, where there is no page (an informant, an interview, a notice
on paper), by a reference in words; it must have one of the two. A retraction needs a reason;
its sources are optional.
"""

from __future__ import annotations

import json
from typing import Any

import grpc
import pytest

from ledger_client import LedgerClient, LedgerClientError
from tests.e2e.support import Cli, new_office, source

QUESTION = ("--direction", "outbound", "--channel", "personal-baggage", "--traveller", "worker")
INFORMANT = "Daily NK|source in Sinuiju|2025-03-19|C3"


def _json(result: tuple[int, str, str]) -> Any:
    status, out, err = result
    assert status == 0, err
    return json.loads(out)


def _register(cli: Cli) -> str:
    code = new_office()
    _json(cli("register", "--office", code, "--name", "Sinuiju Customs", "--json"))
    return code


def test_a_source_known_by_a_reference_is_recorded_and_cited(
    cli: Cli, client: LedgerClient
) -> None:
    code = _register(cli)
    recorded = _json(
        cli(
            "record",
            "tightened",
            *("--office", code, *QUESTION, "--goods", "85", "--on", "2025-03-10"),
            *("--source", INFORMANT, "--admissibility", "prohibited", "--json"),
        )
    )
    answer = client.check(
        code,
        "2025-03-20",
        direction="outbound",
        channel="personal-baggage",
        traveller="worker",
        items=[{"goods": "8516.60"}],
    )
    (cited,) = answer.items[0].sources
    assert (cited.publisher, cited.url, cited.reference) == ("Daily NK", None, "source in Sinuiju")
    history = _json(cli("history", "--office", code, "--json"))
    stored = next(e for e in history if e["change_id"] == recorded["change_id"])
    assert stored["event"]["sources"][0]["reference"] == "source in Sinuiju"


def test_a_source_with_neither_url_nor_reference_is_refused_naming_it(
    cli: Cli, client: LedgerClient
) -> None:
    code = _register(cli)
    nowhere = {key: value for key, value in source().items() if key != "url"}
    with pytest.raises(LedgerClientError) as refused:
        client.record(
            "observed",
            code,
            scope={"direction": "outbound", "channel": "cargo-road", "goods": "85"},
            measure={"inspection": "light"},
            effective={"on": "2025-01-01"},
            sources=[nowhere],
        )
    assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
    fields = dict(refused.value.fields)
    assert "url or a reference" in fields["change.sources[0]"], refused.value.fields
    assert client.get_office(code).version == 1  # nothing stored


def test_a_clerical_retraction_has_a_reason_and_no_source(cli: Cli, client: LedgerClient) -> None:
    code = _register(cli)
    recorded = _json(
        cli(
            "record",
            "observed",
            *("--office", code, *QUESTION, "--goods", "85", "--on", "2025-01-01"),
            *("--source", INFORMANT, "--inspection", "light", "--json"),
        )
    )
    status, _, err = cli(
        "retract",
        *("--office", code, "--change", recorded["change_id"]),
        *("--reason", "recorded against the wrong office"),
    )
    assert status == 0, err
    history = _json(cli("history", "--office", code, "--json"))
    assert history[-1]["type"] == "ChangeRetracted"
    assert history[-1]["event"]["sources"] == []
    # Without a reason it is still refused, naming the field.
    again = client.record(
        "observed",
        code,
        scope={"direction": "outbound", "channel": "cargo-road", "goods": "85"},
        measure={"inspection": "light"},
        effective={"on": "2025-01-01"},
        sources=[source()],
    )
    with pytest.raises(LedgerClientError) as refused:
        client.retract(code, again.change_id, reason="")
    assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
    assert "reason" in dict(refused.value.fields), refused.value.fields
