"""n. The same service over HTTP: ``ledger serve --web``'s Connect port against its gRPC port.

One ``ledger serve --web 127.0.0.1:0`` process on a copy of the server ledger (the ledger of
a), asked the same questions on both of its ports:

1. Check over the Connect protocol in JSON (HTTP/1.1, one keep-alive connection, the
   standard library's ``http.client``; the answer parsed with ``json``) against Check over
   gRPC (the generated stub, one channel), one call at a time, interleaved question by
   question. Connect in binary (``application/proto``) is timed in the same rounds, as
   information: what of the difference is JSON, and what is HTTP.
2. Throughput with 16 calls in flight: 16 threads, each with its own keep-alive connection,
   against 16 ``.future()`` calls outstanding on one gRPC channel (as b does), in alternating
   rounds.
3. The web console's first load in headless Chromium (``console_load``).

Every answer over HTTP is checked against gRPC's for the same question (the verdicts), and a
call that fails fails the group.
"""

from __future__ import annotations

import http.client
import json
import threading
import time
from collections.abc import Callable, Sequence
from typing import Any
from urllib.parse import urlsplit

import grpc
from google.protobuf import json_format

from benchmarks.console_load import console_load
from benchmarks.context import Context
from benchmarks.results import Figure, Group, Target, WrongAnswer, rate, seconds
from benchmarks.rpc_throughput import in_flight
from benchmarks.server import Server, ServerFailed, check_message, open_stub
from benchmarks.timing import Latency
from ledger_api.ledger.v1 import ledger_pb2 as pb

__all__ = ["measure"]

TIMEOUT = 60.0
IN_FLIGHT = 16
TARGET = 0.5
CHECK_PATH = "/ledger.v1.PolicyLedger/Check"
JSON_HEADERS = {"Content-Type": "application/json", "Connect-Protocol-Version": "1"}
BINARY_HEADERS = {"Content-Type": "application/proto", "Connect-Protocol-Version": "1"}
_WARM_HTTP = 20  # untimed rounds before the timed ones


class ConnectCaller:
    """Check over the Connect protocol on one keep-alive HTTP/1.1 connection."""

    def __init__(self, web: str) -> None:
        parts = urlsplit(web)
        assert parts.hostname is not None
        assert parts.port is not None
        self.connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=TIMEOUT)

    def post(self, body: bytes, headers: dict[str, str]) -> bytes:
        self.connection.request("POST", CHECK_PATH, body, headers)
        response = self.connection.getresponse()
        answer = response.read()
        if response.status != 200:
            raise ServerFailed(f"Check over Connect answered HTTP {response.status}: {answer!r}")
        return answer

    def json(self, body: bytes) -> list[str]:
        """The verdicts of a JSON Check (the answer parsed, as a client would)."""
        answer = json.loads(self.post(body, JSON_HEADERS))
        return [item.get("verdict", "VERDICT_UNSPECIFIED") for item in answer.get("items", [])]

    def binary(self, body: bytes) -> list[str]:
        answer = pb.CheckResponse.FromString(self.post(body, BINARY_HEADERS))
        return [pb.Verdict.Name(item.verdict) for item in answer.items]

    def close(self) -> None:
        self.connection.close()


def _json_body(message: pb.CheckRequest) -> bytes:
    """The request as the proto's JSON (enum names, camelCase), as a web client sends it."""
    return json.dumps(json_format.MessageToDict(message)).encode()


def _verdicts(reply: pb.CheckResponse) -> list[str]:
    return [pb.Verdict.Name(item.verdict) for item in reply.items]


class _Rounds:
    """Latency rounds, each one question over gRPC, then Connect JSON, then Connect binary,
    one call at a time; every answer over HTTP is checked against gRPC's."""

    def __init__(self, stub: Any, caller: ConnectCaller) -> None:
        self.stub, self.caller = stub, caller
        self.samples: tuple[list[float], list[float], list[float]] = ([], [], [])

    def run(self, message: pb.CheckRequest) -> None:
        json_body, binary_body = _json_body(message), message.SerializeToString()
        on_grpc, on_json, on_binary = self.samples
        started = time.perf_counter()
        expected = _verdicts(self.stub.Check(message, timeout=TIMEOUT))
        after_grpc = time.perf_counter()
        as_json = self.caller.json(json_body)
        after_json = time.perf_counter()
        as_binary = self.caller.binary(binary_body)
        ended = time.perf_counter()
        on_grpc.append(after_grpc - started)
        on_json.append(after_json - after_grpc)
        on_binary.append(ended - after_json)
        for got in (as_json, as_binary):
            if got != expected:
                raise WrongAnswer(
                    f"Check of {message.office} at {message.at}: {got} over Connect, "
                    f"{expected} over gRPC"
                )


def _latency(context: Context, server: Server, group: Group) -> None:
    plan = context.plan
    messages = [check_message(q) for q in context.server_ledger.questions(plan.rpc_calls, "web")]
    # Rounds stop early past this budget (~10x a gRPC Check per round): a slow HTTP port
    # makes the run report fewer samples rather than take minutes.
    budget = plan.rpc_calls * 0.02
    channel, stub = open_stub(server.address)
    caller = ConnectCaller(server.web)
    try:
        with context.steps.step("n. warm-up: every question over gRPC", len(messages)) as adv:
            for message in messages:
                stub.Check(message, timeout=TIMEOUT)
                adv(1)
            warm = _Rounds(stub, caller)  # the HTTP path warmed, and its answers checked
            for message in messages[:_WARM_HTTP]:
                warm.run(message)
        rounds = _Rounds(stub, caller)
        step = "n. Check over gRPC, Connect JSON, Connect binary"
        with context.steps.step(step, len(messages)) as adv:
            deadline = time.perf_counter() + budget
            for message in messages:
                rounds.run(message)
                adv(1)
                if time.perf_counter() > deadline:
                    break
    finally:
        caller.close()
        channel.close()
    on_grpc, on_json, on_binary = (Latency.of(taken) for taken in rounds.samples)
    stopped = (
        ""
        if on_grpc.count == len(messages)
        else f" (stopped after {on_grpc.count:,} of {len(messages):,}: the rounds' time "
        f"budget of {budget:.0f} s was spent)"
    )
    group.figures += [
        Figure(
            "Check p50, Connect JSON over HTTP/1.1 / gRPC",
            f"{seconds(on_json.p50)} p50",
            f"{seconds(on_grpc.p50)} p50",
            on_json.p50 / on_grpc.p50,
        ),
        Figure(
            "Check p99, Connect JSON over HTTP/1.1 / gRPC",
            f"{seconds(on_json.p99)} p99",
            f"{seconds(on_grpc.p99)} p99",
            on_json.p99 / on_grpc.p99,
        ),
        Figure(
            "Check p50, Connect binary over HTTP/1.1 / gRPC",
            f"{seconds(on_binary.p50)} p50",
            f"{seconds(on_grpc.p50)} p50",
            on_binary.p50 / on_grpc.p50,
        ),
    ]
    group.notes.append(
        f"A `ledger serve --web` process on a copy of the {context.server_ledger.label} ledger "
        "(SQLite), the default 16 worker threads shared by both ports. Latency: "
        f"{on_grpc.count:,} rounds{stopped}, each one question asked over gRPC (the generated "
        "stub, one channel), then over Connect in JSON, then in binary (`http.client`, one "
        "keep-alive HTTP/1.1 connection; the JSON answer parsed with `json`, the binary one "
        "with the generated message), one call at a time; every answer over HTTP is checked "
        "against gRPC's. Warm-up: every question once over gRPC, the first "
        f"{_WARM_HTTP} rounds untimed. Questions are sampled as in a. Information only."
    )


def _threads_rate(web: str, bodies: Sequence[bytes], advance: Callable[[int], None]) -> float:
    """Seconds to send every body with ``IN_FLIGHT`` threads, each on its own connection."""
    callers = [ConnectCaller(web) for _ in range(IN_FLIGHT)]
    errors: list[BaseException] = []
    start = threading.Barrier(IN_FLIGHT + 1)

    def work(caller: ConnectCaller, share: Sequence[bytes]) -> None:
        start.wait()
        try:
            for body in share:
                caller.json(body)
                advance(1)
        except BaseException as error:  # reported after the round
            errors.append(error)

    threads = [
        threading.Thread(target=work, args=(caller, bodies[index::IN_FLIGHT]), daemon=True)
        for index, caller in enumerate(callers)
    ]
    for thread in threads:
        thread.start()
    start.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    spent = time.perf_counter() - started
    for caller in callers:
        caller.close()
    if errors:
        raise ServerFailed(f"{len(errors)} Connect threads failed: {errors[0]}")
    return spent


def _throughput(context: Context, server: Server, group: Group) -> None:
    plan = context.plan
    messages = [check_message(q) for q in context.server_ledger.questions(plan.flight_calls, "w")]
    bodies = [_json_body(message) for message in messages]
    channel, stub = open_stub(server.address)

    def check(message: pb.CheckRequest) -> grpc.Future:
        return stub.Check.future(message, timeout=TIMEOUT)

    spent = {"grpc": 0.0, "connect": 0.0}
    with channel:
        quarter = len(messages) // 4
        with context.steps.step("n. warm-up, 16 in flight", 2 * quarter) as advance:
            in_flight(check, messages[:quarter], IN_FLIGHT, advance)
            _threads_rate(server.web, bodies[:quarter], advance)
        with context.steps.step("n. rounds: gRPC, Connect, gRPC, Connect", 4 * len(bodies)) as a:
            for _ in range(2):
                spent["grpc"] += in_flight(check, messages, IN_FLIGHT, a)
                spent["connect"] += _threads_rate(server.web, bodies, a)
    calls = 2 * len(messages)
    on_connect, on_grpc = calls / spent["connect"], calls / spent["grpc"]
    group.figures.append(
        Figure(
            f"Check throughput, {IN_FLIGHT} in flight: Connect JSON / gRPC",
            rate(on_connect, "calls/s"),
            rate(on_grpc, "calls/s"),
            on_connect / on_grpc,
            Target(">=", TARGET),
        )
    )
    group.notes.append(
        f"Throughput: {calls:,} Checks each way in two rounds, alternating, after a warm-up of "
        f"a quarter of them. Connect: {IN_FLIGHT} threads in this process, each on its own "
        "keep-alive connection, each asking its share of the questions one after another (a "
        f"JSON answer parsed as it arrives). gRPC: {IN_FLIGHT} `.future()` calls outstanding "
        "on one channel, as in b. The client runs on the same two cores as the server; "
        "Python threads share one interpreter lock, so the Connect side's client costs more "
        "of them than gRPC's (whose calls are driven by its C core)."
    )


# Loads the console (and the baseline page) in fresh browser contexts, one after the other;
# prints {"console": [ms...], "baseline": [ms...], "text": ..., "errors": [...], "blocked": N}.


def measure(context: Context) -> Group:
    ledger = context.server_ledger
    group = Group("n", f"The same service over HTTP ({ledger.label})")
    path = context.copy(ledger)
    server = Server(path, context.folder / "server-web.log", web=True)
    with context.steps.step(f"n. starting `ledger serve --web` on {path.name}"):
        server.start()
    with server:
        _latency(context, server, group)
        _throughput(context, server, group)
        console_load(context, server, group)
        server.check_alive()
    return group
