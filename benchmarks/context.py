"""What every figure group gets: the plan, the generated ledgers, a scratch folder, progress."""

from __future__ import annotations

import shutil
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.ledgers import GeneratedLedger, sqlite_url
from benchmarks.plan import Plan
from benchmarks.progress import Steps
from ledger.bootstrap import Ledger
from ledger.settings import Settings

__all__ = ["Context"]


@dataclass
class Context:
    plan: Plan
    folder: Path  # scratch space for this run, removed at its end
    steps: Steps
    ledgers: dict[int, GeneratedLedger]  # by size
    naive: GeneratedLedger  # the one-office ledger
    postgres_url: str | None
    only: frozenset[str] | None = None  # the groups asked for (None: all)
    _copies: dict[Path, Path] = field(default_factory=dict)

    def wanted(self, key: str) -> bool:
        return self.only is None or key in self.only

    def copy(self, ledger: GeneratedLedger) -> Path:
        """This run's working copy of a cached ledger (made once; never the cache itself)."""
        if ledger.path not in self._copies:
            target = self.folder / "copies" / ledger.path.name
            target.parent.mkdir(exist_ok=True)
            with self.steps.step(f"copying {ledger.path.name} to a scratch folder"):
                shutil.copyfile(ledger.path, target)
            self._copies[ledger.path] = target
        return self._copies[ledger.path]

    def open(self, ledger: GeneratedLedger) -> Ledger:
        """The ledger in this process, on its working copy."""
        return Ledger(Settings(database_url=sqlite_url(self.copy(ledger))))

    @property
    def server_ledger(self) -> GeneratedLedger:
        return self.ledgers[self.plan.server_size]

    @property
    def big_ledger(self) -> GeneratedLedger:
        return self.ledgers[self.plan.big_size]
