"""What a run measures: ledger sizes and sample counts, for the full run and the quick one."""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

__all__ = ["Plan", "FULL", "QUICK", "ROOT", "CACHE"]

ROOT = Path(__file__).resolve().parents[1]
CACHE = ROOT / "var" / "bench"


@dataclass(frozen=True)
class Plan:
    """Sizes are events per ledger, registrations included."""

    name: str
    out: Path
    sizes: tuple[int, ...]  # the synthetic ledgers; check cost is measured on each
    server_size: int  # the ledger served for the RPC figures, the audit and the export
    big_size: int  # the ledger of the restart and memory figures
    naive_events: int  # the one-office ledger of the naive replay and the SQL table
    import_commands: int
    backend_events: int  # the small ledger written to SQLite and PostgreSQL
    rpc_calls: int  # sequential calls of each of Check and Ping
    client_calls: int  # the same through the client library
    flight_calls: int  # calls of each kind with 64 in flight, per round (two rounds)
    check_samples: int  # in-process checks per ledger size
    naive_questions: int
    sql_questions: int
    big_checks: int  # the check workload on the big ledger before its RSS is read
    cli_runs: int  # processes of each of `ledger check` and the bare script
    decisions: int  # logged decisions in the ledger of the impact figure (l)
    impact_events: int  # events recorded on each copy of that figure, timed
    in_flight: int = 64
    seed: int = 2025

    def with_out(self, out: Path | None) -> Plan:
        return self if out is None else replace(self, out=out)

    def with_decisions(self, decisions: int | None) -> Plan:
        return self if decisions is None else replace(self, decisions=decisions)


FULL = Plan(
    name="full",
    out=ROOT / "BENCHMARKS.md",
    sizes=(1_000, 100_000, 1_000_000),
    server_size=100_000,
    big_size=1_000_000,
    naive_events=10_000,
    import_commands=20_000,
    backend_events=2_000,
    rpc_calls=2_000,
    client_calls=1_000,
    flight_calls=3_000,
    check_samples=2_000,
    naive_questions=20,
    sql_questions=2_000,
    big_checks=2_000,
    cli_runs=30,
    decisions=1_000_000,
    impact_events=200,
)

QUICK = Plan(
    name="quick",
    out=CACHE / "BENCHMARKS-quick.md",
    sizes=(1_000, 5_000),
    server_size=5_000,
    big_size=5_000,
    naive_events=2_000,
    import_commands=2_000,
    backend_events=150,
    rpc_calls=300,
    client_calls=150,
    flight_calls=640,
    check_samples=300,
    naive_questions=10,
    sql_questions=300,
    big_checks=300,
    cli_runs=8,
    decisions=20_000,
    impact_events=50,
)
