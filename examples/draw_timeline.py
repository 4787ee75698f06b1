"""Draws the example ledger's timelines for the README (`make picture`): serves the example
ledger in memory on a free port, runs `ledger timeline` against it, and stops it.

    python examples/draw_timeline.py docs/example-timeline.svg
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LEDGER = str(Path(sys.executable).parent / "ledger")
OFFICES = ("CN-DANDONG", "CN-HUNCHUN", "CN-CHANGBAI")


def main(out: str) -> None:
    env = {**os.environ, "LEDGER_DATABASE_URL": "memory://", "LEDGER_LISTEN": "127.0.0.1:0"}
    env.pop("LEDGER_TOKENS_FILE", None)
    server = subprocess.Popen(
        [LEDGER, "serve", "--example", str(HERE / "dandong-2025.jsonl")],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        for line in server.stdout:
            if line.startswith("ledger serving on "):
                address = line.removeprefix("ledger serving on ").strip()
                break
        else:
            sys.exit("the example server did not start")
        offices = [word for office in OFFICES for word in ("--office", office)]
        subprocess.run(
            [LEDGER, "timeline", "--server", address, *offices, "--out", out], check=True
        )
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "docs/example-timeline.svg")
