"""Pages in a real browser: Debian's ``chromium``, driven by Playwright (``playwright-core``
from npm, pointed at the system's browser; nothing is downloaded).

``open_page`` runs ``open_page.js`` in Node: the page loads with every request but its own
file refused, and what it shows comes back as data, with a screenshot written for a person to
look at. Without the browser or the Node packages these tests are skipped, except in CI, where
they fail: ``.ci/run`` installs ``chromium`` and ``make test`` the Node packages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import IN_CI

__all__ = ["open_page", "run_steps", "SCREENSHOTS"]

SCRIPT = Path(__file__).with_name("open_page.js")
# Screenshots are kept here (under the repository's var/, ignored by git) after a run.
SCREENSHOTS = Path(__file__).resolve().parents[2] / "var" / "screenshots"
_SECONDS = 90


def _missing(what: str) -> None:
    if IN_CI:
        pytest.fail(f"{what}: the browser tests must run in CI (.ci/run installs chromium)")
    pytest.skip(what)


def _tools() -> tuple[str, str, str]:
    """Node, the folder of its packages, and the browser; skip (or fail, in CI) without."""
    modules = os.environ.get("LEDGER_NODE_MODULES", "")
    if not modules:
        _missing("LEDGER_NODE_MODULES is not set (`make test` sets it)")
    if not (Path(modules) / "playwright-core" / "package.json").is_file():
        _missing(f"LEDGER_NODE_MODULES={modules} lacks playwright-core: run `make node`")
    node = shutil.which("node")
    if node is None:
        _missing("there is no `node` on PATH")
    browser = os.environ.get("LEDGER_CHROMIUM") or shutil.which("chromium")
    if browser is None:
        _missing("there is no `chromium` on PATH (apt-get install chromium; or LEDGER_CHROMIUM)")
    assert node is not None
    assert browser is not None
    return node, modules, browser


def open_page(
    page: Path, screenshot: str, wait: str = "window.drawn", hover: str = ""
) -> dict[str, Any]:
    """What ``page`` shows once ``wait`` (a JavaScript expression) holds: its title, headings,
    text, charts (each with its marks' labels), the ``tooltip`` after resting on the mark
    whose label holds ``hover``, the requests it tried to make (``blocked``) and its errors.
    The screenshot goes to ``SCREENSHOTS/screenshot``."""
    node, modules, browser = _tools()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    url = page.resolve().as_uri()
    completed = subprocess.run(
        [node, str(SCRIPT), url, str(SCREENSHOTS / screenshot), wait, hover],
        env={**os.environ, "NODE_PATH": modules, "CHROMIUM": browser},
        capture_output=True,
        text=True,
        timeout=_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, f"the browser failed:\n{completed.stderr}"
    shown: dict[str, Any] = json.loads(completed.stdout)
    return shown


def run_steps(script: Path, *args: str, timeout: float = 2 * _SECONDS) -> dict[str, Any]:
    """Run ``script`` (a Node script driving the browser, e.g. ``console_steps.js``) with
    ``args`` and return the JSON it prints: what each of its steps showed."""
    node, modules, browser = _tools()
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    completed = subprocess.run(
        [node, str(script), *args],
        env={**os.environ, "NODE_PATH": modules, "CHROMIUM": browser},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert completed.returncode == 0, f"the browser's steps failed:\n{completed.stderr}"
    shown: dict[str, Any] = json.loads(completed.stdout)
    return shown
