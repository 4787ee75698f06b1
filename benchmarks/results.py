"""Results: figures with their same-run baseline, ratio and target, grouped as in the report."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = [
    "WrongAnswer",
    "Target",
    "Figure",
    "Group",
    "seconds",
    "rate",
    "megabytes",
    "ratio_text",
]


class WrongAnswer(AssertionError):
    """Two ways of answering the same question disagree: the run fails."""


@dataclass(frozen=True)
class Target:
    """What a figure should reach: ``ratio <= value`` or ``ratio >= value``.

    An ``absolute`` target is checked against the figure's own measured value (``unit`` names
    it), not against its ratio to the baseline.
    """

    op: str  # "<=" or ">="
    value: float
    absolute: bool = False
    unit: str = ""

    def holds(self, measured: float) -> bool:
        return measured <= self.value if self.op == "<=" else measured >= self.value

    def __str__(self) -> str:
        sign = "≤" if self.op == "<=" else "≥"
        number = f"{self.value:,.0f}" if self.value >= 1000 else f"{self.value:g}"
        if self.absolute:
            return f"{sign} {number} {self.unit} (absolute)".replace("  ", " ")
        return f"{sign} {number}"


@dataclass(frozen=True)
class Figure:
    """One line of a group's table. ``value`` is what an absolute target is checked against."""

    name: str
    project: str
    baseline: str
    ratio: float | None = None
    target: Target | None = None
    value: float | None = None

    @property
    def holds(self) -> bool | None:
        """Whether the target holds; None when there is no target (information only)."""
        if self.target is None:
            return None
        measured = self.value if self.target.absolute else self.ratio
        return None if measured is None else self.target.holds(measured)

    @property
    def ratio_text(self) -> str:
        """The ratio, with one more digit when two would hide which side of its target it is."""
        text, target = ratio_text(self.ratio), self.target
        hidden = (
            self.ratio is not None
            and target is not None
            and not target.absolute
            and text == f"{target.value:.2f}x"
            and self.ratio != target.value
        )
        return f"{self.ratio:.3f}x" if hidden else text

    @property
    def holds_text(self) -> str:
        return {True: "yes", False: "**no**", None: "—"}[self.holds]

    @property
    def target_text(self) -> str:
        return "— (info)" if self.target is None else str(self.target)


@dataclass
class Group:
    """A figure group: its table, and notes saying exactly what each baseline is."""

    key: str
    title: str
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    error: str | None = None  # set when the group failed: the run then exits non-zero
    skipped: str | None = None  # set when the group could not run here (no PostgreSQL)
    seconds: float = 0.0

    @property
    def heading(self) -> str:
        return f"{self.key}. {self.title}"


def seconds(value: float) -> str:
    """A duration in the unit that reads best: 85 µs, 1.24 ms, 3.2 s."""
    if value < 1e-3:
        return f"{value * 1e6:,.1f} µs"
    if value < 1:
        return f"{value * 1e3:,.2f} ms"
    return f"{value:,.2f} s"


def rate(value: float, unit: str = "events/s") -> str:
    return f"{value:,.0f} {unit}"


def megabytes(value: float) -> str:
    return f"{value / 2**20:,.0f} MB"


def ratio_text(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}x" if value >= 100 else f"{value:.2f}x"
