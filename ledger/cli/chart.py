"""A timeline drawn: one band per scope and dimension, strictness as colour, changes as markers.

The drawing is a Vega-Lite specification built with Altair, rendered offline by
``vl-convert`` (its own bundled JavaScript: no browser, no network) to SVG, PNG, PDF or a
self-contained HTML page. What is drawn is first made into plain rows (``rows``), which the
tests read: intervals (colour by strictness from the loosest to the strictest level of the
dimension; an uncertain window faded and dashed, coloured as the change would make it) and
markers (a change where its window starts, shaped by what it claimed; its amendments and its
retraction; a tick where it was first reported, joined to the window's start by a dotted
line: how long it took to be learned of).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

from ledger.cli import render

if TYPE_CHECKING:
    import altair as alt

    from ledger_client.models import Measure, Scope, Source
    from ledger_client.timelines import Interval, Level, OfficeTimeline, Timeline

__all__ = ["Rows", "rows", "chart", "drawn_as", "FORMATS", "band_label"]

# What --out's suffix may be, and what each is.
FORMATS = {
    ".svg": "an SVG picture",
    ".png": "a PNG picture",
    ".pdf": "a PDF document",
    ".html": "an HTML page (markers explained on hover)",
}
# Markers: what a change claimed, then what became of it.
SHAPES = {
    "tightened": "triangle-up",
    "loosened": "triangle-down",
    "observed": "circle",
    "amended": "diamond",
    "retracted": "cross",
    "reported": "M-0.2,-1.3H0.2V1.3H-0.2Z",  # a bar across the band: when it was learned of
}
_ROW_HEIGHT = 22
_WIDTH = 760
# An open last interval is drawn this far past the last date the timeline mentions.
_MARGIN = timedelta(days=60)
# ... and begins this far before the first, so that a marker there is drawn whole.
_LEAD = timedelta(days=10)


@dataclass
class Rows:
    """What a timeline drawing shows, as plain rows (each a dict of the fields drawn)."""

    intervals: list[dict[str, Any]] = field(default_factory=list)
    markers: list[dict[str, Any]] = field(default_factory=list)
    lags: list[dict[str, Any]] = field(default_factory=list)  # window start → first report
    bands: list[str] = field(default_factory=list)  # "office · band", in order
    first: date | None = None
    last: date | None = None


def band_label(scope: Scope, dimension: str) -> str:
    return f"{scope.direction} {scope.channel} {scope.traveller} {scope.goods}: {dimension}"


def rows(timeline: Timeline, valid_from: date | None = None, valid_to: date | None = None) -> Rows:
    """The rows of every office's drawing, drawn from ``valid_from`` (or the first date the
    timeline mentions) to ``valid_to`` (or a little after the last: open intervals end there);
    marks outside are cut off when drawn."""
    drawn = Rows()
    days = [
        day
        for office in timeline.offices
        for day in _days(office)
        if day is not None  # an open interval's end
    ]
    if not days:
        return drawn
    drawn.first = valid_from or min(days) - _LEAD
    drawn.last = valid_to or max(days) + _MARGIN
    for office in timeline.offices:
        _office_rows(office, drawn)
    return drawn


def _days(office: OfficeTimeline) -> list[date | None]:
    found: list[date | None] = []
    for band in office.bands:
        for interval in band.intervals:
            found += [interval.valid_from, interval.valid_to]
    for change in office.changes:
        found += [change.window_start, change.window_end, change.reported_on]
    return found


def _office_rows(office: OfficeTimeline, drawn: Rows) -> None:
    assert drawn.last is not None
    last = drawn.last
    rows_of: dict[tuple[str, str, str, str, str], str] = {}
    for band in office.bands:
        label = band_label(band.scope, band.dimension)
        rows_of[_key(band.scope, band.dimension)] = label
        drawn.bands.append(f"{office.office} · {label}")
        for interval in band.intervals:
            drawn.intervals.append(_interval(office.office, label, interval, last))
    for change in office.changes:
        labels = []
        for key in _keys(change.scope, change.measure):
            if key not in rows_of:  # a retracted change whose scope has no rule left
                rows_of[key] = band_label(change.scope, key[-1])
                drawn.bands.append(f"{office.office} · {rows_of[key]}")
            labels.append(rows_of[key])
        what = {
            "office": office.office,
            "change": str(change.change_id),
            "short": str(change.change_id)[:8],
            "measure": render.measure_text(change.measure.model_dump(mode="json")),
            "effective": f"{change.window_start}..{change.window_end}",
            "recorded": change.recorded_at.date().isoformat(),
            "reported": change.reported_on.isoformat(),
            "sources": _sources(change.sources),
            "claimed": change.kind,
        }
        for label in labels:
            # A retracted change is drawn as a retraction, where it would have taken effect.
            retracted = change.retracted_at
            marks = [
                ("retracted", change.window_start, retracted.date())
                if retracted is not None
                else (change.kind, change.window_start, change.recorded_at.date())
            ]
            marks += [
                ("amended", amendment.effective.on, amendment.recorded_at.date())
                for amendment in change.amendments
            ]
            for kind, day, known in marks:
                drawn.markers.append(
                    {
                        **what,
                        "band": label,
                        "kind": kind,
                        "day": day.isoformat(),
                        "known": str(known),
                    }
                )
            drawn.markers.append(
                {
                    **what,
                    "band": label,
                    "kind": "reported",
                    "day": change.reported_on.isoformat(),
                    "known": change.reported_on.isoformat(),
                }
            )
            drawn.lags.append(
                {
                    "office": office.office,
                    "band": label,
                    "start": change.window_start.isoformat(),
                    "reported": change.reported_on.isoformat(),
                }
            )


def _interval(office: str, label: str, interval: Interval, last: date) -> dict[str, Any]:
    shown = interval.pending if interval.uncertain else interval.level
    assert shown is not None  # an interval with neither is not sent
    end = interval.valid_to or last
    return {
        "office": office,
        "band": label,
        "from": interval.valid_from.isoformat(),
        "until": (end + timedelta(days=1)).isoformat(),  # drawn to the end of its last day
        "to": "onwards" if interval.valid_to is None else interval.valid_to.isoformat(),
        "strictness": shown.strictness / shown.strictest if shown.strictest else 0.0,
        "level": shown.value,
        "uncertain": interval.uncertain,
        "before": _level_text(interval.level) if interval.uncertain else "",
        "change": str(shown.change_id)[:8],
        "kind": shown.kind,
        "days": (end - interval.valid_from).days + 1,
    }


def _level_text(level: Level | None) -> str:
    return "no rule" if level is None else level.value


def _key(scope: Scope, dimension: str) -> tuple[str, str, str, str, str]:
    return (scope.direction, scope.channel, scope.traveller, scope.goods, dimension)


def _keys(scope: Scope, measure: Measure) -> list[tuple[str, str, str, str, str]]:
    stated = [
        name for name in ("admissibility", "inspection", "enforcement") if getattr(measure, name)
    ]
    return [_key(scope, dimension) for dimension in stated]


def _sources(sources: tuple[Source, ...]) -> str:
    return "; ".join(
        render.source_text(source.model_dump(mode="json"))
        + "".join(f" {text}" for text in (source.url, source.reference) if text)
        for source in sources
    )


def chart(
    drawn: Rows,
    title: str,
    subtitle: str,
    names: dict[str, str] | None = None,
    offices: list[str] | None = None,
) -> dict[str, Any]:
    """The drawing's Vega-Lite specification: one panel per office with a rule (``offices``:
    these only), one row per band, a shared time axis."""
    import altair as alt

    panels = []
    if offices is None:
        offices = list(dict.fromkeys(row.split(" · ")[0] for row in drawn.bands))
    for office in offices:
        labels = [row.split(" · ", 1)[1] for row in drawn.bands if row.startswith(f"{office} · ")]
        if not labels:
            continue
        panels.append(_panel(drawn, office, labels, (names or {}).get(office, "")))
    if not panels:
        empty = alt.Chart(_values([{}])).mark_text(text="nothing to draw: no rule in this range")
        drawing = empty.properties(title=alt.TitleParams(title, subtitle=subtitle), width=_WIDTH)
        return cast("dict[str, Any]", drawing.to_dict())
    drawing = (
        alt.vconcat(*panels)
        .resolve_scale(x="shared", color="shared", shape="shared")
        .properties(title=alt.TitleParams(title, subtitle=subtitle, anchor="start"))
        .configure_view(stroke=None)
        .configure_axis(labelLimit=360)
        .configure_legend(orient="bottom", direction="horizontal", titleOrient="left")
    )
    return cast("dict[str, Any]", drawing.to_dict())


def _panel(drawn: Rows, office: str, labels: list[str], name: str) -> alt.LayerChart:
    import altair as alt

    assert drawn.first is not None
    assert drawn.last is not None
    domain = [drawn.first.isoformat(), (drawn.last + timedelta(days=1)).isoformat()]
    x = alt.X("from:T", title=None, scale=alt.Scale(domain=domain))
    y = alt.Y("band:N", title=None, sort=labels, scale=alt.Scale(domain=labels))
    of_office = [row for row in drawn.intervals if row["office"] == office]
    bars = (
        alt.Chart(_values(of_office))
        .mark_bar(height=_ROW_HEIGHT - 6, strokeWidth=1.2, clip=True)
        .encode(
            x=x,
            x2="until:T",
            y=y,
            color=alt.Color(
                "strictness:Q",
                scale=alt.Scale(scheme="yelloworangered", domain=[0, 1]),
                legend=alt.Legend(title="strictness", values=[0, 0.5, 1], labelExpr=_STRICTNESS),
            ),
            opacity=alt.condition("datum.uncertain", alt.value(0.35), alt.value(1.0)),
            stroke=alt.condition("datum.uncertain", alt.value("#555"), alt.value(None)),
            strokeDash=alt.condition("datum.uncertain", alt.value([3, 2]), alt.value([1, 0])),
            tooltip=[
                alt.Tooltip("band:N", title="rule of"),
                alt.Tooltip("from:N", title="from"),
                alt.Tooltip("to:N", title="to"),
                alt.Tooltip("level:N", title="level"),
                alt.Tooltip("uncertain:N", title="in a change's window"),
                alt.Tooltip("before:N", title="before that change"),
                alt.Tooltip("kind:N", title="set by a change"),
                alt.Tooltip("change:N", title="change"),
            ],
        )
    )
    labelled = (
        alt.Chart(_values([row for row in of_office if row["days"] >= 45]))
        .mark_text(align="left", dx=3, fontSize=10, color="#222", clip=True)
        .encode(x=x, y=y, text="level:N")
    )
    lags = (
        alt.Chart(_values([row for row in drawn.lags if row["office"] == office]))
        .mark_rule(strokeDash=[2, 2], color="#333", opacity=0.7, clip=True)
        .encode(
            x=alt.X("start:T", scale=alt.Scale(domain=domain), title=None), x2="reported:T", y=y
        )
    )
    markers = (
        alt.Chart(_values([row for row in drawn.markers if row["office"] == office]))
        .mark_point(filled=True, size=70, color="#111", strokeWidth=2, clip=True)
        .encode(
            x=alt.X("day:T", scale=alt.Scale(domain=domain), title=None),
            y=y,
            shape=alt.Shape(
                "kind:N",
                scale=alt.Scale(domain=list(SHAPES), range=list(SHAPES.values())),
                legend=alt.Legend(title="marker"),
            ),
            tooltip=[
                alt.Tooltip("kind:N", title="marker"),
                alt.Tooltip("short:N", title="change"),
                alt.Tooltip("claimed:N", title="it claimed"),
                alt.Tooltip("measure:N", title="measure"),
                alt.Tooltip("effective:N", title="effective"),
                alt.Tooltip("recorded:N", title="recorded"),
                alt.Tooltip("reported:N", title="first reported"),
                alt.Tooltip("known:N", title="this marker known"),
                alt.Tooltip("sources:N", title="sources"),
            ],
        )
    )
    title = f"{office} ({name})" if name else office
    layers = alt.layer(bars, labelled, lags, markers)
    return cast("alt.LayerChart", layers).properties(
        title=alt.TitleParams(title, anchor="start", frame="group", fontSize=13),
        width=_WIDTH,
        height=_ROW_HEIGHT * len(labels),
    )


def _values(rows: list[dict[str, Any]]) -> Any:
    """Rows as data held in the specification itself (nothing to fetch)."""
    import altair as alt

    return alt.Data(values=rows)  # type: ignore[no-untyped-call]  # altair's own annotation


_STRICTNESS = "datum.value == 0 ? 'loosest' : datum.value == 1 ? 'strictest' : ''"


def drawn_as(spec: dict[str, Any], suffix: str) -> bytes:
    """The drawing in the format a file suffix names (``FORMATS``)."""
    import vl_convert

    if suffix == ".svg":
        return vl_convert.vegalite_to_svg(spec).encode()
    if suffix == ".png":
        return bytes(vl_convert.vegalite_to_png(spec, scale=2))
    if suffix == ".pdf":
        return bytes(vl_convert.vegalite_to_pdf(spec))
    if suffix == ".html":
        return vl_convert.vegalite_to_html(spec, bundle=True).encode()
    raise ValueError(f"no format for {suffix!r}: expected one of {', '.join(FORMATS)}")
