"""p. Signed checkpoints against plain writes: what a signing key costs a writer.

The same synthetic commands are written to fresh SQLite files through the ``Ledger`` facade,
with and without ``LEDGER_SIGNING_KEY_FILE``: one by one (each its own transaction, projection
and, with the key, its signed checkpoint: the note signed with Ed25519 and stored in a
transaction of its own), and in batches of 100 (``execute_batch``: one checkpoint per
batch). The runs alternate, keyed and not, and the best of each is kept (the machine is
shared).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from benchmarks.context import Context
from benchmarks.ledgers import sqlite_url
from benchmarks.results import Figure, Group, Target, rate
from benchmarks.synth import Synthesis
from ledger.application.commands import Command
from ledger.application.importer import command_from
from ledger.application.signing import SigningKey
from ledger.bootstrap import Ledger
from ledger.settings import Settings

__all__ = ["measure"]

_ROUNDS = 3
_BATCH = 100


def _write(path: Path, key: Path | None, commands: Sequence[Command], batch: int) -> float:
    """Writes/s of ``commands`` to a fresh file, ``batch`` at a time."""
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    settings = Settings(database_url=sqlite_url(path), signing_key_file=key)
    with Ledger(settings) as ledger:
        started = time.perf_counter()
        if batch == 1:
            for command in commands:
                ledger.app.execute(command)
        else:
            for start in range(0, len(commands), batch):
                ledger.app.execute_batch(commands[start : start + batch])
        spent = time.perf_counter() - started
        signed = ledger.signed.store.latest()
    if key is not None and (signed is None or signed[0] != len(commands)):
        raise RuntimeError(f"the keyed run signed up to {signed and signed[0]}, not its end")
    return len(commands) / spent


def _best_of(context: Context, commands: list[Command], batch: int, advance: Any) -> list[float]:
    key = context.folder / "signing.key"
    if not key.exists():
        key.write_text(SigningKey.generate().encoded + "\n")
    path = context.folder / "signing.sqlite"
    plain, keyed = 0.0, 0.0
    for number in range(_ROUNDS):
        order = (None, key) if number % 2 == 0 else (key, None)
        for with_key in order:
            found = _write(path, with_key, commands, batch)
            if with_key is None:
                plain = max(plain, found)
            else:
                keyed = max(keyed, found)
            advance(len(commands))
    return [plain, keyed]


def measure(context: Context) -> Group:
    plan = context.plan
    # At least a thousand: a shorter run is mostly its first writes.
    events = max(plan.backend_events, 1_000)
    commands = [command_from(line) for line in Synthesis(events, plan.seed).commands()]
    total = 2 * 2 * _ROUNDS * len(commands)
    group = Group("p", f"Signed checkpoints against plain writes ({len(commands):,} events)")
    with context.steps.step("p. writes with and without a signing key", total) as advance:
        single = _best_of(context, commands, 1, advance)
        batched = _best_of(context, commands, _BATCH, advance)
    group.figures = [
        Figure(
            "writes/s one by one, signing / not signing",
            rate(single[1], "writes/s"),
            rate(single[0], "writes/s"),
            single[1] / single[0],
            Target(">=", 0.9),
        ),
        Figure(
            f"writes/s in batches of {_BATCH}, signing / not signing",
            rate(batched[1], "writes/s"),
            rate(batched[0], "writes/s"),
            batched[1] / batched[0],
            Target(">=", 0.9),
        ),
    ]
    group.notes = [
        f"The commands of a synthetic ledger of {len(commands):,} events, validated untimed, "
        "written through `Ledger.app.execute` one by one, and through `execute_batch` "
        f"{_BATCH} at a time, to a fresh SQLite file: without a signing key (baseline) and "
        "with one (project), each signing and storing the checkpoint of the tree its write "
        f"ends. Runs alternate; the best of {_ROUNDS} of each is kept. Target (issue 18): "
        "signing costs at most 10% of write throughput.",
    ]
    return group
