"""The HTML report: one self-contained page of the ledger at one log position.

``Report.of`` gathers what the page shows from the client's models and plain data (offices,
timelines, histories); ``write_report`` fills the page's template (``templates/report.html``,
Jinja2 with HTML escaping on) and puts the charts' specifications and the JavaScript that draws
them (Vega-Embed, Vega-Lite and Vega, bundled by ``vl-convert``) into the page itself, so it
opens with no network.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import resources
from types import ModuleType
from typing import TYPE_CHECKING, Any

from ledger.cli import changes, render

if TYPE_CHECKING:
    from ledger_client.queries import Office
    from ledger_client.timelines import Timeline

__all__ = ["Report", "write_report"]

Data = dict[str, Any]


@dataclass(frozen=True)
class Report:
    """What the page shows, at log position ``position`` (ledger digest ``digest``)."""

    position: int
    digest: str
    offices: list[Office]
    timelines: list[Timeline]
    histories: dict[str, list[Data]]
    made_at: datetime

    @classmethod
    def of(
        cls,
        listed: list[Office],
        codes: list[str],
        timelines: list[Timeline],
        histories: dict[str, list[Data]],
    ) -> Report:
        by_code = {office.code: office for office in listed}
        last = timelines[-1]
        return cls(
            position=last.position,
            digest=last.digest,
            offices=[by_code[code] for code in codes],
            timelines=timelines,
            histories=histories,
            made_at=datetime.now(UTC),
        )


def write_report(report: Report, chart: ModuleType) -> str:
    """The page, as text. ``chart`` is ``ledger.cli.chart`` (loaded by the caller, with the
    plotting libraries)."""
    import jinja2

    from ledger_client.timelines import Timeline

    joined = Timeline(
        position=report.position,
        digest=report.digest,
        offices=tuple(office for part in report.timelines for office in part.offices),
    )
    drawn = chart.rows(joined)
    names = {office.code: office.name for office in report.offices}
    charts = {}
    for office in report.offices:
        if any(band.startswith(f"{office.code} · ") for band in drawn.bands):
            spec = chart.chart(drawn, "", "", names, [office.code])
            charts[office.code] = json.dumps(spec)
    template = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined).from_string(
        resources.files("ledger.cli").joinpath("templates/report.html").read_text("utf-8")
    )
    return template.render(
        report=report,
        offices=[
            _office(office, report.histories.get(office.code, [])) for office in report.offices
        ],
        charts=charts,
        # Inline: "</script" inside the bundle would end its element early.
        script=_bundle().replace("</script", "<\\/script"),
        verify=f"ledger audit --remote --expect-digest {report.position}:{report.digest}",
    )


def _bundle() -> str:
    """Vega-Embed, Vega-Lite and Vega, as globals (``vegaEmbed``), in one script."""
    import vl_convert

    # The snippet is optional (the function's docstring); the shipped stub says otherwise.
    bundle: str = vl_convert.javascript_bundle()  # type: ignore[call-arg]
    return bundle


def _office(office: Office, events: list[Data]) -> Data:
    short = changes.abbreviate(event["change_id"] for event in events if event.get("change_id"))
    since = changes.standing(events)
    scopes: dict[str, Data] = {}
    rows = []
    for entry in events:
        event = json.loads(entry["event_json"])
        change_id = entry.get("change_id") or ""
        kind = changes.kind_of(entry["type"])
        acts_on = entry["type"] in ("ChangeAmended", "ChangeRetracted")
        if not acts_on and event.get("scope"):
            scopes[change_id] = event["scope"]
        scope = scopes.get(change_id) if acts_on else event.get("scope")
        rows.append(
            {
                "version": entry["office_version"],
                "change": (f"→ {short[change_id]}" if acts_on else short.get(change_id, "")),
                "change_id": change_id,
                "kind": kind,
                "standing": "" if acts_on else since.get(change_id, ""),
                "scope": render.scope_text(scope) if scope else "",
                "measure": _measure(entry["type"], event),
                "effective": render.effective_text(event.get("effective"))
                if event.get("effective")
                else "",
                "said": event.get("note") or event.get("reason") or "",
                "sources": [_source(source) for source in event.get("sources", ())],
                "recorded_at": entry["recorded_at"][:19].replace("T", " "),
                "reported_on": entry.get("reported_on") or "",
            }
        )
    # Counted here, at the report's position (the office's own count may be later).
    recorded = sum(1 for entry in events if entry["type"] in changes.CHANGE_TYPES)
    return {"office": office, "events": rows, "changes": recorded}


def _measure(event_type: str, event: Data) -> str:
    if event_type == "ChangeAmended":
        return render.measure_text(event.get("measure"), event.get("clear") or ())
    return render.measure_text(event["measure"]) if event.get("measure") else ""


def _source(source: Data) -> Data:
    """A cited source with every field the page shows (absent ones empty)."""
    fields = ("publisher", "url", "reference", "published", "grade")
    return {name: source.get(name) or "" for name in fields}
