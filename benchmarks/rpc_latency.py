"""Sequential Check latency against an empty RPC (Ping) served by the same server process.

Starts a real server on a temporary SQLite file with the example ledger, then times N
sequential calls of each, interleaved so that both see the same machine noise. Prints the
p50 and p99 of each and their ratio. Not a test: this machine is shared and noisy.

    .venv/bin/python benchmarks/rpc_latency.py [N]
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ledger_client import LedgerClient

ROOT = Path(__file__).resolve().parents[1]


def start_server(folder: str) -> tuple[subprocess.Popen[str], str]:
    env = {
        **os.environ,
        "LEDGER_DATABASE_URL": f"sqlite:///{folder}/ledger.sqlite",
        "LEDGER_LISTEN": "127.0.0.1:0",
    }
    ledger = Path(sys.executable).with_name("ledger")
    process = subprocess.Popen(
        [str(ledger), "serve", "--example", str(ROOT / "examples/dandong-2025.jsonl")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    for line in process.stdout:
        if line.startswith("ledger serving on "):
            return process, line.removeprefix("ledger serving on ").strip()
    raise RuntimeError("the server did not start")


def percentile(samples: list[float], fraction: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def main(calls: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        process, address = start_server(folder)
        try:
            with LedgerClient(address) as client:
                ping, check = [], []
                question = {
                    "direction": "outbound",
                    "channel": "personal-baggage",
                    "traveller": "worker",
                    "items": [{"goods": "8516.60", "quantity": 1}],
                }
                for _ in range(200):  # warm up both paths
                    client.ping()
                    client.check("CN-DANDONG", "2025-03-20", **question)
                for _ in range(calls):
                    started = time.perf_counter()
                    client.ping()
                    ping.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    client.check("CN-DANDONG", "2025-03-20", **question)
                    check.append(time.perf_counter() - started)
        finally:
            process.terminate()
            process.wait(timeout=15)
    for name, samples in (("Ping (empty RPC)", ping), ("Check (1 item)", check)):
        print(
            f"{name:<18} p50 {statistics.median(samples) * 1e3:6.3f} ms"
            f"  p99 {percentile(samples, 0.99) * 1e3:6.3f} ms"
        )
    print(f"Check / Ping p50 ratio: {statistics.median(check) / statistics.median(ping):.2f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
