"""Rules taking effect (issue 14, section 3), against real ``ledger serve`` processes whose date
is a file (``LEDGER_TODAY_FILE``) the tests move: a change recorded in advance is listed by
``ledger upcoming`` and announced by ``ledger watch --effective`` when the date reaches it,
not before; a change recorded after its date is announced at once, late; a watch resumed from
its last resume point sends nothing twice and misses nothing.

The CLI's drawing does not depend on the storage backend: its tests run on SQLite only; the
client's run on both.
"""

from __future__ import annotations

import contextlib
import json
import os
import queue
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from ledger_api.ledger.v1 import ledger_pb2 as pb
from ledger_client import LedgerClient, LedgerClientError
from ledger_client.queries import EffectiveNotice
from tests.conftest import fresh_database, need_postgres
from tests.e2e.support import (
    LEDGER,
    REPO,
    RunningServer,
    Watching,
    new_office,
    run_cli,
    source,
    start_server,
)

WAIT = 20.0  # seconds at most for something awaited to arrive (it comes within ~1 s)


@pytest.fixture(scope="module", params=["sqlite"])
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@dataclass
class Clocked:
    """A server whose date is the file ``clock``."""

    server: RunningServer
    clock: Path

    def move(self, day: str) -> None:
        """Set the server's date (written whole, then renamed: never read half-written)."""
        written = self.clock.with_suffix(".new")
        written.write_text(day + "\n")
        os.replace(written, self.clock)

    def cli(self, *args: str) -> tuple[int, str, str]:
        return run_cli(self.server.address, *args)


@contextlib.contextmanager
def clocked_server(backend: str, folder: Path, day: str) -> Iterator[Clocked]:
    folder.mkdir(parents=True, exist_ok=True)
    clock = folder / "today"
    clock.write_text(day + "\n")
    with fresh_database(backend, folder, prefix="e2e") as url:
        server = start_server(
            folder, example=False, database_url=url, env={"LEDGER_TODAY_FILE": str(clock)}
        )
        try:
            yield Clocked(server, clock)
        finally:
            with contextlib.suppress(subprocess.TimeoutExpired):
                server.stop()


@pytest.fixture
def clocked(tmp_path: Path) -> Iterator[Clocked]:
    """A fresh SQLite server, its date 2025-05-20."""
    with clocked_server("sqlite", tmp_path / "server", "2025-05-20") as running:
        yield running


@pytest.fixture(params=["sqlite", "postgres"])
def clocked_any(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Clocked]:
    """The same, on each backend."""
    if request.param == "postgres":
        need_postgres()
    with clocked_server(str(request.param), tmp_path / "server", "2025-05-20") as running:
        yield running


@pytest.fixture
def client(clocked_any: Clocked) -> Iterator[LedgerClient]:
    with LedgerClient(clocked_any.server.address) as opened:
        yield opened


def record(
    client: LedgerClient,
    office: str,
    on: str,
    goods: str,
    kind: str = "tightened",
    **effective: str,
) -> Any:
    measure = {"admissibility": {"kind": "prohibited" if kind == "tightened" else "allowed"}}
    return client.record(
        kind,  # type: ignore[arg-type]
        office,
        scope={"direction": "outbound", "channel": "personal-baggage", "goods": goods},
        measure=measure,
        effective={"on": on, **effective},
        sources=[source("2025-05-19")],
    )


def office(client: LedgerClient) -> str:
    code = new_office()
    client.register_office(code, "Ji'an Customs")
    return code


def notices(address: str, offices: list[str], **resume: Any) -> Watching[EffectiveNotice]:
    """A watch of effective dates read on its own thread: the notices as they arrive."""
    return Watching(address, lambda client: client.watch_effective(offices, timeout=60, **resume))


def said(notices: list[EffectiveNotice]) -> list[tuple[str, str, str, bool]]:
    return [(str(n.edge.on), n.edge.edge, str(n.edge.change_id), n.late) for n in notices]


def first_reply(client: LedgerClient, **request: Any) -> pb.WatchEffectiveResponse:
    """A watch's first reply: it is sent at once, with what is due when the watch starts."""
    call = client.stub.WatchEffective(pb.WatchEffectiveRequest(**request), timeout=WAIT)
    try:
        return next(call)
    finally:
        call.cancel()


class TestThroughTheClient:
    def test_a_change_recorded_in_advance_is_announced_on_its_date_not_before(
        self, clocked_any: Clocked, client: LedgerClient
    ) -> None:
        code = office(client)
        receipt = record(client, code, "2025-06-01", "8516.60")
        upcoming = client.upcoming("2025-05-20", "2025-06-30", offices=[code])
        assert [(str(e.on), e.edge, e.position) for e in upcoming.edges] == [
            ("2025-06-01", "starts", receipt.position),
            ("2025-06-01", "certain", receipt.position),
        ]
        clocked_any.move("2025-05-31")
        reply = first_reply(
            client, offices=[code], after_date="2025-05-20", after_position=receipt.position - 1
        )
        assert list(reply.notices) == []
        assert (reply.resume_date, reply.resume_position) == ("2025-05-31", receipt.position)

        watch = notices(
            clocked_any.server.address,
            [code],
            after_date=reply.resume_date,
            after_position=reply.resume_position,
        )
        try:
            clocked_any.move("2025-06-01")
            announced = watch.next(2)
            change = str(receipt.change_id)
            assert said(announced) == [
                ("2025-06-01", "starts", change, False),
                ("2025-06-01", "certain", change, False),
            ]
            assert (str(announced[-1].resume_date), announced[-1].resume_position) == (
                "2025-06-01",
                receipt.position,
            )
            # Recorded with a date already past: announced at once, late.
            clocked_any.move("2025-06-02")
            past = record(client, code, "2025-05-01", "8516.60", kind="observed")
            assert said(watch.next(2)) == [
                ("2025-05-01", "starts", str(past.change_id), True),
                ("2025-05-01", "certain", str(past.change_id), True),
            ]
        finally:
            watch.close()

    def test_a_watch_resumed_from_its_last_notice_sends_nothing_twice_and_misses_nothing(
        self, clocked_any: Clocked, client: LedgerClient
    ) -> None:
        code = office(client)
        start = first_reply(client, offices=[code])  # from now: 2025-05-20, the log's end
        first = record(client, code, "2025-06-01", "8516.60")
        clocked_any.move("2025-06-01")
        watch = notices(
            clocked_any.server.address,
            [code],
            after_date=start.resume_date,
            after_position=start.resume_position,
        )
        try:
            heard = watch.next(2)
        finally:
            watch.close()
        # While no one watches: a change recorded in advance reaches its date, one recorded
        # for a day already past comes in, and one recorded for later does not yet count.
        second = record(client, code, "2025-06-03", "8516.71")
        late = record(client, code, "2025-05-25", "8516.72", kind="observed")
        record(client, code, "2025-07-01", "8516.79")
        clocked_any.move("2025-06-05")
        resumed = notices(
            clocked_any.server.address,
            [code],
            after_date=heard[-1].resume_date,
            after_position=heard[-1].resume_position,
        )
        try:
            heard += resumed.next(4)
        finally:
            resumed.close()
        again = first_reply(
            client,
            offices=[code],
            after_date=str(heard[-1].resume_date),
            after_position=heard[-1].resume_position,
        )
        assert list(again.notices) == []
        assert said(heard) == [
            ("2025-06-01", "starts", str(first.change_id), False),
            ("2025-06-01", "certain", str(first.change_id), False),
            ("2025-05-25", "starts", str(late.change_id), True),
            ("2025-05-25", "certain", str(late.change_id), True),
            ("2025-06-03", "starts", str(second.change_id), False),
            ("2025-06-03", "certain", str(second.change_id), False),
        ]

    def test_an_amended_window_is_listed_where_it_now_lies_and_pages_follow(
        self, client: LedgerClient
    ) -> None:
        code = office(client)
        moved = record(client, code, "2025-06-01", "8516.60")
        client.amend(
            code,
            moved.change_id,
            effective={"on": "2025-07-01", "precision": "month"},
            reason="the notice was dated July",
            sources=[source("2025-05-19")],
        )
        kept = [record(client, code, f"2025-06-{day:02d}", f"850{day}") for day in (2, 3)]
        pages, token = [], None
        while True:
            page = client.upcoming(
                "2025-06-01", "2025-07-31", offices=[code], page_size=2, page_token=token
            )
            pages.append([(str(e.on), e.edge, str(e.change_id)) for e in page.edges])
            token = page.next_page_token or None
            if token is None:
                break
        assert [len(page) for page in pages] == [2, 2, 2]
        assert [edge for page in pages for edge in page] == [
            ("2025-06-02", "starts", str(kept[0].change_id)),
            ("2025-06-02", "certain", str(kept[0].change_id)),
            ("2025-06-03", "starts", str(kept[1].change_id)),
            ("2025-06-03", "certain", str(kept[1].change_id)),
            ("2025-07-01", "starts", str(moved.change_id)),
            ("2025-07-31", "certain", str(moved.change_id)),
        ]

    def test_bad_questions_are_refused_saying_what_is_accepted(self, client: LedgerClient) -> None:
        with pytest.raises(LedgerClientError) as refused:
            client.upcoming("2025-06-01", "2036-06-02")
        assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [field for field, _ in refused.value.fields] == ["to_date"]
        assert "at most" in refused.value.fields[0][1]
        with pytest.raises(LedgerClientError) as refused:
            client.upcoming("2025-06-01", "2025-06-30", page_size=5000)
        assert [field for field, _ in refused.value.fields] == ["page_size"]
        with pytest.raises(LedgerClientError) as refused:
            client.upcoming("2025-06-01", "2025-06-30", offices=["CN-NOWHERE"])
        assert refused.value.code is grpc.StatusCode.NOT_FOUND
        with pytest.raises(LedgerClientError) as refused:
            next(client.watch_effective(after_position=3, timeout=WAIT))
        assert refused.value.code is grpc.StatusCode.INVALID_ARGUMENT
        assert [field for field, _ in refused.value.fields] == ["after_position"]


def cli_watch(address: str, *args: str) -> tuple[subprocess.Popen[str], queue.Queue[str]]:
    """``ledger watch --effective ARGS`` running, and its lines of output as they come."""
    process = subprocess.Popen(
        [LEDGER, "watch", "--effective", *args],
        cwd=REPO,
        env={**os.environ, "LEDGER_SERVER": address, "COLUMNS": "1000", "NO_COLOR": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.put(line)

    threading.Thread(target=pump, daemon=True, name="cli-watch").start()
    return process, lines


class TestThroughTheCli:
    def test_the_story_upcoming_then_announced_then_late(self, clocked: Clocked) -> None:
        with LedgerClient(clocked.server.address) as client:
            code = office(client)
        status, out, err = clocked.cli(
            "record", "tightened", "--office", code, "--direction", "outbound",
            "--channel", "personal-baggage", "--traveller", "worker", "--goods", "8516.60",
            "--on", "2025-06-01", "--admissibility", "prohibited",
            "--source", "Daily NK|https://www.dailynk.com/english/|2025-05-19|B2",
            "--json",
        )  # fmt: skip
        assert status == 0, err
        receipt = json.loads(out)
        change = receipt["change_id"]

        # Listed in advance, in a table and as JSON.
        status, out, err = clocked.cli(
            "upcoming", "--from", "2025-05-20", "--to", "2025-06-30", "--office", code
        )
        assert status == 0, err
        rows = [line for line in out.splitlines() if change[:8] in line]
        assert len(rows) == 2
        assert "2025-06-01" in rows[0] and "starts" in rows[0]
        assert "2025-06-01" in rows[1] and "certain" in rows[1]
        assert "prohibited" in rows[0]
        status, out, err = clocked.cli(
            "upcoming", "--from", "2025-05-20", "--to", "2025-06-30", "--office", code, "--json"
        )
        assert status == 0, err
        assert [(e["on"], e["edge"], e["change_id"]) for e in json.loads(out)] == [
            ("2025-06-01", "starts", change),
            ("2025-06-01", "certain", change),
        ]
        status, out, err = clocked.cli("upcoming", "--to", "2025-05-31", "--office", code)
        assert (status, out.strip()) == (
            0,
            "nothing takes effect from the server's date to 2025-05-31",
        )

        # Announced when the date reaches it: the watch resumes from before the change was
        # recorded, at 2025-05-31, so it is due on 2025-06-01 whenever the watch connects.
        clocked.move("2025-05-31")
        process, lines = cli_watch(
            clocked.server.address, "--office", code, "--json", "--count", "4",
            "--after-date", "2025-05-31", "--after", str(receipt["position"] - 1),
        )  # fmt: skip
        try:
            clocked.move("2025-06-01")
            starts, certain = (json.loads(lines.get(timeout=WAIT)) for _ in range(2))
            assert [
                (n["edge"]["edge"], n["edge"]["change_id"], n["late"]) for n in (starts, certain)
            ] == [("starts", change, False), ("certain", change, False)]
            assert certain["resume_date"] == "2025-06-01"
            # Recorded when its date had passed: at once, late.
            clocked.move("2025-06-02")
            with LedgerClient(clocked.server.address) as client:
                past = record(client, code, "2025-05-01", "8516.60", kind="observed")
            late = [json.loads(lines.get(timeout=WAIT)) for _ in range(2)]
            assert [(n["edge"]["on"], n["edge"]["change_id"], n["late"]) for n in late] == [
                ("2025-05-01", str(past.change_id), True),
                ("2025-05-01", str(past.change_id), True),
            ]
            assert process.wait(WAIT) == 0  # --count 4: done
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()

        # In words, from the resume point before the late change: "late" said.
        process, lines = cli_watch(
            clocked.server.address, "--office", code, "--count", "2",
            "--after-date", "2025-06-01", "--after", str(receipt["position"]),
        )  # fmt: skip
        try:
            shown = [lines.get(timeout=WAIT) for _ in range(2)]
            assert process.wait(WAIT) == 0
        finally:
            if process.poll() is None:
                process.kill()
                process.wait()
        assert [line.split()[:3] for line in shown] == [
            ["2025-05-01", "starts", code],
            ["2025-05-01", "certain", code],
        ]
        assert all(line.rstrip().endswith("late") for line in shown)
        assert all(str(past.change_id)[:8] in line for line in shown)

    def test_cli_refusals_name_the_option_or_field(self, clocked: Clocked) -> None:
        status, _, err = clocked.cli("upcoming", "--from", "2025-06-01")
        assert status == 2
        assert "--to" in err
        status, _, err = clocked.cli("upcoming", "--from", "2025-06-01", "--to", "2025-05-01")
        assert status == 3
        assert "to_date 2025-05-01 is before from_date 2025-06-01" in err
        status, _, err = clocked.cli("watch", "--effective", "--after", "3")
        assert status == 2
        assert "--after-date" in err
        status, _, err = clocked.cli("watch", "--effective", "--type", "tightened")
        assert status == 2
        assert "--type" in err
