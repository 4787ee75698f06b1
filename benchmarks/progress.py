"""Progress on the terminal (rich): one line per step, with a bar where the step has a count."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TaskProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)

__all__ = ["Steps", "Advance"]

Advance = Callable[[int], None]


class Steps:
    """``with Steps(console) as steps: with steps.step("a. ...", total=n) as advance: ...``"""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.progress = Progress(
            SpinnerColumn(finished_text="[green]✓"),
            TextColumn("{task.description}"),
            BarColumn(bar_width=30),
            MofNCompleteColumn(),
            TaskProgressColumn(),
            TimeElapsedColumn(),
            console=console,
        )

    def __enter__(self) -> Steps:
        self.progress.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.progress.stop()

    @contextmanager
    def step(self, description: str, total: int | None = None) -> Iterator[Advance]:
        """A task on the progress display; ``advance(n)`` moves its bar on by ``n``."""
        task = self.progress.add_task(description, total=total)
        started = time.perf_counter()

        def advance(count: int = 1) -> None:
            self.progress.advance(task, count)

        try:
            yield advance
        finally:
            done = self.progress.tasks[task].completed if total else 1
            self.progress.update(
                task,
                total=total or 1,
                completed=max(done, 1) if not total else done,
                description=f"{description} [dim]({time.perf_counter() - started:.1f} s)",
            )
            self.progress.stop_task(task)

    def note(self, text: str) -> None:
        """A line above the progress display."""
        self.progress.console.print(text)
