"""The web console (``console/``, built by ``make console``, served by ``ledger serve --web``) in
headless Chromium against a real server over the example ledger: it lists the offices, answers
the seed story's checks with their sources, draws Dandong's timeline, shows a new event live,
fits a phone, and asks for a token when the server checks them, keeping it in the tab's
session only. Every request but the server's own is refused, and none may be made."""

from __future__ import annotations

import contextlib
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from ledger_client import LedgerClient
from tests.browser.support import SCREENSHOTS, run_steps
from tests.conftest import IN_CI
from tests.e2e.security import hashed_line
from tests.e2e.support import REPO, RunningServer, start_server

STEPS = Path(__file__).with_name("console_steps.js")
CONSOLE = REPO / "console"
BUILT = REPO / "ledger" / "server" / "web" / "console"
OFFICES = ["CN-CHANGBAI", "CN-DANDONG", "CN-HUNCHUN"]
PHONE_WIDTH = 375


def _need_console() -> None:
    """Skip (fail in CI) unless the console is built, and built from the sources as they are."""
    index = BUILT / "index.html"
    problem = ""
    if not index.is_file():
        problem = f"the web console is not built in {BUILT}: run `make console`"
    else:
        sources = [CONSOLE / "index.html", CONSOLE / "style.css", *CONSOLE.glob("src/*.ts")]
        stale = [path.name for path in sources if path.stat().st_mtime > index.stat().st_mtime]
        if stale:
            problem = f"the built web console is older than {', '.join(stale)}: run `make console`"
    if problem:
        if IN_CI:
            pytest.fail(problem)
        pytest.skip(problem)


@contextlib.contextmanager
def _web_server(folder: Path, env: dict[str, str] | None = None) -> Iterator[RunningServer]:
    _need_console()
    running = start_server(folder, flags=["--web", "127.0.0.1:0"], env=env)
    try:
        assert running.web is not None, "the server printed no `ledger web on` line"
        yield running
    finally:
        with contextlib.suppress(subprocess.TimeoutExpired):
            running.stop()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    with _web_server(tmp_path_factory.mktemp("console")) as running:
        yield running


@pytest.fixture(scope="module")
def shown(server: RunningServer) -> dict[str, Any]:
    """What the console showed, step by step (one browser run: the steps build on each other)."""
    assert server.web is not None
    return run_steps(STEPS, "story", server.web, str(SCREENSHOTS))


@pytest.fixture(scope="module")
def ban(server: RunningServer) -> str:
    """The id of Dandong's early-March ban on workers' electronics."""
    with LedgerClient(server.address) as client:
        office = client.timeline("CN-DANDONG").offices[0]
    (tightened,) = [change for change in office.changes if change.kind == "tightened"]
    return str(tightened.change_id)


def _screenshot(step: str) -> None:
    path = SCREENSHOTS / f"console-{step}.png"
    assert path.stat().st_size > 5_000, f"{path} is (nearly) empty"


def test_the_console_loads_from_its_server_alone_and_lists_the_offices(
    shown: dict[str, Any],
) -> None:
    assert shown["blocked"] == [], "the console asked another origin for something"
    assert shown["errors"] == []
    # The one refused call is the check refused on purpose (below), answered 400.
    assert shown["refused"] == [{"path": "/ledger.v1.PolicyLedger/Check", "status": 400}]
    assert len(shown["failedLoads"]) == 1
    offices = shown["offices"]
    assert [row["office"] for row in offices["rows"]] == OFFICES
    dandong = next(row for row in offices["rows"] if row["office"] == "CN-DANDONG")
    assert dandong["cells"][1] == "Dandong Customs"
    assert "Sinuiju" in dandong["cells"][2]  # its crossings
    assert dandong["cells"][3] == "4"  # the changes recorded for it (the retraction aside)
    assert not offices["tokenAsked"]  # this server checks no tokens
    assert "Customs policy ledger" in offices["headings"]
    # Each call went to the service over the Connect protocol, from the same origin.
    assert {"ListOffices", "Check", "GetTimeline", "GetHistory", "Watch"} <= {
        call["method"] for call in shown["calls"]
    }
    _screenshot("offices")


def test_a_check_in_force_answers_prohibited_with_the_source_behind_it(
    shown: dict[str, Any], ban: str
) -> None:
    answer = shown["prohibited"]
    assert answer["problems"] == []
    (item,) = answer["items"]
    assert item["verdict"] == "PROHIBITED"
    assert item["goods"] == "8516.60"
    assert item["candidates"] == []  # certain: one answer
    assert "PROHIBITED" in answer["text"]
    assert "thorough inspection" in answer["text"]
    assert "confiscation" in answer["text"]
    # The early-March ban, and its source: Daily NK of 19 March, graded B2, linked.
    assert ban in answer["text"]
    assert "2025-03-01..2025-03-10" in answer["text"]
    assert any(source.startswith("Daily NK 2025-03-19 B2") for source in item["sources"])
    assert "https://www.dailynk.com/english/" in item["links"]
    _screenshot("check-prohibited")


def test_a_check_inside_the_bans_window_is_uncertain_with_both_candidates(
    shown: dict[str, Any], ban: str
) -> None:
    answer = shown["uncertain"]
    (item,) = answer["items"]
    assert item["verdict"] == "UNCERTAIN"
    candidates = item["candidates"]
    assert [candidate["verdict"] for candidate in candidates] == ["ALLOWED", "PROHIBITED"]
    assert candidates[0]["heading"].startswith("Not yet in force")
    assert candidates[1]["heading"].startswith("In force")
    assert "1 within the limit of 2" in candidates[0]["text"]  # the baseline's reason
    assert "Daily NK (2024 reporting; illustrative citation) 2024-06-15 C3" in candidates[0]["text"]
    assert ban in candidates[1]["text"]
    assert "Daily NK 2025-03-19 B2" in candidates[1]["text"]
    _screenshot("check-uncertain")


def test_a_check_as_known_earlier_answers_what_the_sources_had_said(
    shown: dict[str, Any],
) -> None:
    answer = shown["knownEarlier"]
    (item,) = answer["items"]
    assert item["verdict"] == "ALLOWED"  # the ban was reported on the 19th, after the 15th
    assert "as known at 2025-03-15 (reported basis)" in answer["text"]
    assert "1 within the limit of 2" in answer["text"]


def test_a_refused_check_shows_the_servers_words_and_marks_the_field(
    shown: dict[str, Any],
) -> None:
    answer = shown["refusedCheck"]
    assert answer["items"] == []
    (refusal,) = answer["problems"]
    assert refusal["code"] == "invalid_argument"
    assert refusal["role"] == "alert"
    assert "could not accept" in refusal["text"]  # what it means, in words
    assert "items[0].goods: 'rice cooker' is neither an HS code" in refusal["text"]
    assert "e.g. 85, 8516 or 8516.60" in refusal["text"]  # an example of what is accepted
    (field,) = answer["invalid"]
    assert field["id"].startswith("item-goods-")
    assert "check-problem" in field["describedBy"]
    _screenshot("check-refused")


def test_dandongs_timeline_is_drawn_in_the_page_with_labelled_marks(
    shown: dict[str, Any], ban: str
) -> None:
    timeline = shown["timeline"]
    assert timeline["title"] == "Dandong Customs (CN-DANDONG)"
    tightened = [mark for mark in timeline["marks"] if mark["kind"] == "tightened"]
    assert tightened, "no tightened marker"
    label = tightened[0]["label"]
    assert label.startswith("tightened 2025-03-01..2025-03-10")
    assert "prohibited; thorough inspection; confiscation" in label
    assert "Daily NK 2025-03-19 B2" in label
    assert f"change {ban}" in label
    assert tightened[0]["title"] == label  # the same words on hover
    kinds = {mark["kind"] for mark in timeline["marks"]}
    assert {"observed", "tightened", "reported"} <= kinds
    # Bands coloured by strictness, with the uncertain windows (the ban's early March, the
    # baselines' year) drawn apart.
    assert timeline["intervals"] >= 6
    assert timeline["uncertain"] >= 1
    assert len(timeline["colours"]) >= 3
    assert "loosest" in timeline["legend"]
    assert "strictest" in timeline["legend"]
    # The history beside it, and a marker chosen finds its change there.
    types = [event["type"] for event in timeline["history"]]
    assert types[0] == "OfficeRegistered"
    assert types.count("PolicyTightened") == 1
    assert ban in timeline["chosen"]
    banned = next(event for event in timeline["history"] if event["change"] == ban)
    assert "2025-03-19" in banned["text"]  # reported
    assert "https://www.dailynk.com/english/" in banned["text"]
    _screenshot("timeline")


def test_the_live_feed_shows_an_event_recorded_while_it_watches(
    shown: dict[str, Any], server: RunningServer
) -> None:
    recorded = shown["recorded"]
    assert recorded["status"] == 200, recorded
    receipt = recorded["receipt"]
    feed = shown["feed"]
    assert feed["live"] == "polite"
    assert feed["state"] == "live"
    newest = feed["events"][0]
    assert newest["office"] == "CN-HUNCHUN"
    assert newest["type"] == "PolicyObserved"
    assert newest["position"] == receipt["position"]
    assert "observed" in newest["text"]
    assert "effective 2025-05-01..2025-05-31" in newest["text"]
    # Only what was recorded after the page opened: the example's events are not replayed.
    assert [event["position"] for event in feed["events"]] == [receipt["position"]]
    with LedgerClient(server.address) as client:
        events = {str(event.event_id) for event in client.history("CN-HUNCHUN")}
    assert receipt["changeId"] in events  # the ledger has it: the page showed a real event
    assert receipt["changeId"][:8] in newest["text"]
    _screenshot("feed")


def test_the_live_feed_reconnects_after_its_watch_is_cut_off(shown: dict[str, Any]) -> None:
    reconnect = shown["reconnect"]
    assert reconnect["watches"] >= 2  # the cut one, then the one that followed again
    states = reconnect["states"]
    assert "reconnecting" in states
    assert states[-1] == "live"
    assert states.index("reconnecting") < len(states) - 1
    assert "reconnecting in" in reconnect["said"]
    # Followed again from where it was: the event recorded since is shown, once.
    position = reconnect["receipt"]["position"]
    assert reconnect["positions"].count(position) == 1
    assert reconnect["seen"]["errors"] == []
    assert reconnect["seen"]["blocked"] == []
    _screenshot("feed-reconnected")


def test_the_console_fits_a_phone(shown: dict[str, Any]) -> None:
    phone = shown["phone"]
    for moment in ("loaded", "opened"):  # at first; with a check answered and a timeline open
        assert phone[moment]["clientWidth"] == PHONE_WIDTH
        assert phone[moment]["scrollWidth"] <= PHONE_WIDTH + 1, f"{moment}: scrolls sideways"
    _screenshot("phone")
    _screenshot("phone-full")


def test_with_tokens_the_console_asks_for_one_and_keeps_it_in_the_tab_only(
    tmp_path: Path,
) -> None:
    token, line = hashed_line("reader")
    with _web_server(tmp_path, env={"LEDGER_TOKENS": f"{line} browser"}) as running:
        assert running.web is not None
        shown = run_steps(STEPS, "token", running.web, str(SCREENSHOTS), token)

    assert shown["blocked"] == []
    assert shown["errors"] == []
    # The refused calls are 401s (no token, a wrong one), which the page answers by asking.
    assert shown["refused"]
    assert {refusal["status"] for refusal in shown["refused"]} == {401}
    assert len(shown["failedLoads"]) == len(shown["refused"])
    asked = shown["asked"]
    assert not asked["ready"]
    assert asked["focused"] == "token-input"
    assert asked["inputType"] == "password"
    assert "checks tokens" in asked["why"]
    wrong = shown["wrong"]
    assert "did not accept" in wrong["why"]
    assert wrong["stored"] == 0  # a refused token is not kept
    loaded = shown["loaded"]
    assert loaded["offices"] == OFFICES
    assert loaded["accessHidden"]
    assert loaded["session"]  # "forget the token" is offered
    assert loaded["feed"] == "live"  # a reader may watch
    assert loaded["sessionValues"] == [token]
    assert loaded["localValues"] == []
    assert token not in loaded["url"]
    assert token not in loaded["cookies"]
    sent = [call["authorization"] for call in shown["calls"]]
    assert f"Bearer {token}" in sent
    assert all(value in ("", f"Bearer {token}", "Bearer not-the-token") for value in sent)
    forgotten = shown["forgotten"]
    assert forgotten["sessionValues"] == []
    assert forgotten["asked"]
    _screenshot("token-asked")
    _screenshot("token-ok")
