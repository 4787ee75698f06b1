"""n, third part: the web console's first load in headless Chromium (Debian's, through
``playwright-core``; the script is ``console_load.js``), from navigation start until the page
sets ``window.consoleReady`` (its offices listed), against loading the HTTP port's smallest
page the same way. Without the console built, Node, ``playwright-core`` or Chromium, the row
says so and the rest of the group still runs.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import subprocess
from pathlib import Path
from typing import NoReturn

from benchmarks.context import Context
from benchmarks.plan import ROOT
from benchmarks.results import Figure, Group, WrongAnswer, seconds
from benchmarks.server import Server, ServerFailed, open_stub
from ledger_api.ledger.v1 import ledger_pb2 as pb

__all__ = ["console_load"]

TIMEOUT = 60.0
CONSOLE = ROOT / "ledger" / "server" / "web" / "console" / "index.html"
SCRIPT = Path(__file__).with_name("console_load.js")
_BROWSER_SECONDS = 300
_MAX_LOADS = 15


def _browser_tools() -> tuple[str, str, str] | str:
    """Node, its packages' folder and Chromium; or why the console row cannot be measured."""
    if not CONSOLE.is_file():
        return "console not built (`make console`)"
    node = shutil.which("node")
    if node is None:
        return "no `node` on PATH"
    modules = os.environ.get("LEDGER_NODE_MODULES") or str(ROOT / ".tools" / "node_modules")
    if not (Path(modules) / "playwright-core" / "package.json").is_file():
        return f"no playwright-core in {modules} (`make node`)"
    browser = os.environ.get("LEDGER_CHROMIUM") or shutil.which("chromium")
    if browser is None:
        return "no `chromium` on PATH (apt-get install chromium; or LEDGER_CHROMIUM)"
    return node, modules, browser


def _not_measured(group: Group, why: str) -> None:
    group.figures.append(Figure("console first load / a ~100-byte page", why, "—"))
    group.notes.append(f"The console's first load was not measured: {why}.")


def console_load(context: Context, server: Server, group: Group) -> None:
    """The console's first load against the smallest page, into ``group``."""
    tools = _browser_tools()
    if isinstance(tools, str):
        _not_measured(group, tools)
        return
    node, modules, browser = tools
    loads = min(context.plan.cli_runs, _MAX_LOADS)
    channel, stub = open_stub(server.address)
    with channel:
        codes = [o.code for o in stub.ListOffices(pb.ListOfficesRequest(), timeout=TIMEOUT).offices]
    baseline_url = f"{server.web.rstrip('/')}/no-such-page"
    with context.steps.step(f"n. the console's first load in Chromium, {loads} times"):
        ran = subprocess.run(
            [node, str(SCRIPT), server.web, baseline_url, str(loads)],
            env={**os.environ, "NODE_PATH": modules, "CHROMIUM": browser},
            capture_output=True,
            text=True,
            timeout=_BROWSER_SECONDS,
            check=False,
        )
    if ran.returncode != 0:
        _browser_failed(ran)
    shown = json.loads(ran.stdout)
    if not any(code in shown["text"] for code in codes):
        raise WrongAnswer(f"the console said it was ready but shows no office of {codes[:5]}")
    page = statistics.median(shown["console"]) / 1000
    small = statistics.median(shown["baseline"]) / 1000
    group.figures.append(
        Figure(
            "console first load (until `consoleReady`) / a ~100-byte page, median",
            f"{seconds(page)} median",
            f"{seconds(small)} median",
            page / small,
        )
    )
    extra = ""
    if shown["errors"] or shown["blocked"]:
        extra = (
            f" During the loads the page raised {len(shown['errors'])} errors "
            f"({'; '.join(shown['errors'][:2]) or 'none'}) and tried {shown['blocked']} "
            "requests to other origins (refused)."
        )
    group.notes.append(
        f"The console: Debian's Chromium, headless, through playwright-core, launched once; "
        f"{loads} loads of the console and {loads} of the baseline page alternately, each in a "
        "fresh browser context (an empty cache: a first visit), after one untimed load of "
        "each. The console's time runs from navigation start until the page sets "
        "`window.consoleReady` (noted by a setter installed before the page's scripts): its "
        f"files fetched and run, and ListOffices answered ({len(codes):,} offices) over Connect "
        "and drawn. Baseline: the HTTP port's 'no such page' text (~100 bytes, the smallest "
        "page it serves), until its load event. Requests to other origins are refused; the "
        f"figure is the median.{extra}"
    )


def _browser_failed(ran: subprocess.CompletedProcess[str]) -> NoReturn:
    raise ServerFailed(f"the browser run failed ({ran.returncode}):\n{ran.stderr[-2000:]}")
