// An office's timeline drawn as SVG: one band per scope and dimension, its intervals coloured
// by strictness (light: the loosest level, dark: the strictest), an uncertain window faded and
// hatched; a marker where each change may first take effect (▲ tightened, ▼ loosened,
// ● observed, ◆ amended, ✚ retracted), a bar where it was first reported, joined by a dotted
// line. Every marker has an aria-label and a <title> saying what it is.
import { h, s } from "./dom";
import {
  ChangeKind,
  Dimension,
  type GetTimelineResponse,
  type Scope,
  type TimelineBand,
  type TimelineChange,
  type TimelineInterval,
  type TimelineLevel,
} from "./gen/ledger/v1/ledger_pb";
import {
  dayOf,
  effectiveText,
  kindText,
  measureText,
  precisionName,
  scopeText,
  sourceText,
  windowOf,
  windowText,
  word,
} from "./words";

/** One office's timeline: its messages joined. */
export interface OfficeTimeline {
  office: string;
  bands: TimelineBand[];
  changes: TimelineChange[];
  position: bigint;
  digest: string;
}

export function joined(office: string, messages: GetTimelineResponse[]): OfficeTimeline {
  const timeline: OfficeTimeline = { office, bands: [], changes: [], position: 0n, digest: "" };
  for (const message of messages) {
    if (message.office !== office) continue;
    timeline.bands.push(...message.bands);
    timeline.changes.push(...message.changes);
    timeline.position = message.position;
    timeline.digest = message.digest;
  }
  return timeline;
}

const DAY = 86_400_000;
const dayNumber = (date: string): number => Math.floor(Date.parse(`${date}T00:00:00Z`) / DAY);
const dateOf = (day: number): Date => new Date(day * DAY);

// Light to dark, pale green to deep red: ordered by lightness, so it reads in grey too.
const STOPS: [number, number, number][] = [
  [0xe3, 0xf2, 0xcf],
  [0xfb, 0xe3, 0x8e],
  [0xf5, 0xa2, 0x5a],
  [0xd4, 0x4f, 0x2e],
  [0x86, 0x1b, 0x22],
];

/** The colour of a place on a dimension's scale, 0 (loosest) to 1 (strictest). */
export function strictColour(t: number): string {
  const clamped = Math.min(1, Math.max(0, Number.isFinite(t) ? t : 0));
  const at = clamped * (STOPS.length - 1);
  const low = Math.floor(at);
  const high = Math.min(STOPS.length - 1, low + 1);
  const mix = at - low;
  const channel = (i: number) => Math.round(STOPS[low][i] + (STOPS[high][i] - STOPS[low][i]) * mix);
  return `rgb(${channel(0)}, ${channel(1)}, ${channel(2)})`;
}

const strictness = (level: TimelineLevel): number =>
  level.strictest ? level.strictness / level.strictest : 0;

type MarkKind = "tightened" | "loosened" | "observed" | "amended" | "retracted";

/** A marker's outline, centred on (x, y). */
export function shape(kind: MarkKind | "reported", x: number, y: number, r = 6): SVGElement {
  switch (kind) {
    case "tightened":
      return s("path", { d: `M${x},${y - r}L${x + r},${y + r * 0.8}L${x - r},${y + r * 0.8}Z` });
    case "loosened":
      return s("path", { d: `M${x},${y + r}L${x + r},${y - r * 0.8}L${x - r},${y - r * 0.8}Z` });
    case "observed":
      return s("circle", { cx: x, cy: y, r: r * 0.85 });
    case "amended":
      return s("path", { d: `M${x},${y - r}L${x + r},${y}L${x},${y + r}L${x - r},${y}Z` });
    case "retracted": {
      const t = r * 0.32;
      return s("path", {
        d:
          `M${x - t},${y - r}H${x + t}V${y - t}H${x + r}V${y + t}H${x + t}V${y + r}` +
          `H${x - t}V${y + t}H${x - r}V${y - t}H${x - t}Z`,
      });
    }
    case "reported":
      return s("rect", { x: x - 1.25, y: y - r * 1.6, width: 2.5, height: r * 3.2 });
  }
}

const DIMENSIONS: [Dimension, string][] = [
  [Dimension.ADMISSIBILITY, "admissibility"],
  [Dimension.INSPECTION, "inspection"],
  [Dimension.ENFORCEMENT, "enforcement"],
];

const scopeKey = (scope: Scope | undefined): string =>
  scope ? [scope.direction, scope.channel, scope.traveller, scope.goods].join("|") : "";

interface Row {
  scope: Scope | undefined;
  dimension: Dimension;
  intervals: TimelineInterval[];
  y: number; // the band's middle
}

const LABEL = 112; // the dimension labels' column (narrower on a phone)
const BAND = 18;
const STEP = 28; // one band's height with its gap
const GROUP = 24; // a scope's heading
const AXIS = 30;
const LEAD = 10; // days drawn before the first date
const MARGIN = 60; // days drawn after the last, where an open interval runs on

/** The chart's SVG at `width` pixels; `onMark` is called with a change id when a marker is
 * chosen (click, Enter or Space). */
export function drawTimeline(
  timeline: OfficeTimeline,
  width: number,
  onMark: (changeId: string) => void,
): SVGSVGElement {
  const safe = timeline.office.replace(/[^A-Za-z0-9_-]/g, "_");
  // Rows: the bands as sent, grouped by scope, then any scope only a retracted change has.
  const groups = new Map<string, Row[]>();
  const rowOf = new Map<string, Row>();
  const addRow = (scope: Scope | undefined, dimension: Dimension, intervals: TimelineInterval[]) => {
    const key = scopeKey(scope);
    const row: Row = { scope, dimension, intervals, y: 0 };
    if (!groups.has(key)) groups.set(key, []);
    groups.get(key)!.push(row);
    rowOf.set(`${key}#${dimension}`, row);
    return row;
  };
  for (const band of timeline.bands) addRow(band.scope, band.dimension, band.intervals);
  for (const change of timeline.changes) {
    for (const [dimension] of stated(change)) {
      const key = `${scopeKey(change.scope)}#${dimension}`;
      if (!rowOf.has(key)) addRow(change.scope, dimension, []);
    }
  }
  for (const rows of groups.values()) rows.sort((a, b) => a.dimension - b.dimension);

  // The days drawn.
  const days: number[] = [];
  for (const band of timeline.bands) {
    for (const interval of band.intervals) {
      days.push(dayNumber(interval.validFrom));
      if (interval.validTo) days.push(dayNumber(interval.validTo));
    }
  }
  for (const change of timeline.changes) {
    for (const date of [change.windowStart, change.windowEnd, change.reportedOn]) {
      if (date) days.push(dayNumber(date));
    }
  }
  const finite = days.filter(Number.isFinite);
  const first = (finite.length ? Math.min(...finite) : dayNumber(new Date().toISOString().slice(0, 10))) - LEAD;
  const last = (finite.length ? Math.max(...finite) : first + LEAD) + MARGIN;
  const x0 = width < 560 ? 86 : LABEL;
  const x1 = width - 14;
  const x = (day: number) => x0 + ((day - first) / (last + 1 - first)) * (x1 - x0);

  // Vertical layout.
  let y = AXIS + 6;
  // A scope's heading, on two lines where one is too long for the drawing.
  const headings: [number, string[]][] = [];
  for (const rows of groups.values()) {
    const words = scopeText(rows[0].scope);
    const parts = words.split(" · ");
    const lines =
      words.length * 7 + 8 > width && parts.length > 2
        ? [parts.slice(0, 2).join(" · "), parts.slice(2).join(" · ")]
        : [words];
    headings.push([y + 15, lines]);
    y += GROUP + (lines.length - 1) * 15;
    for (const row of rows) {
      row.y = y + STEP / 2;
      y += STEP;
    }
    y += 8;
  }
  const height = Math.max(y, AXIS + 40);

  const svg = s("svg", {
    xmlns: "http://www.w3.org/2000/svg",
    viewBox: `0 0 ${width} ${height}`,
    width,
    height,
    role: "group",
    "aria-label": `Timeline of ${timeline.office}: ${rowOf.size} bands, ${timeline.changes.length} changes`,
    class: "timeline",
  });
  svg.append(
    s(
      "defs",
      {},
      s(
        "pattern",
        {
          id: `hatch-${safe}`,
          width: 6,
          height: 6,
          patternUnits: "userSpaceOnUse",
          patternTransform: "rotate(45)",
        },
        s("rect", { width: 6, height: 6, fill: "white", "fill-opacity": 0.35 }),
        s("line", { x1: 0, y1: 0, x2: 0, y2: 6, stroke: "#1b1f24", "stroke-width": 1.6, "stroke-opacity": 0.45 }),
      ),
    ),
  );

  // Axis: a tick per month (per quarter when the range is long), gridlines down the chart.
  const axis = s("g", { class: "axis", "aria-hidden": "true" });
  const start = dateOf(first);
  const months = (dateOf(last).getUTCFullYear() - start.getUTCFullYear()) * 12 + dateOf(last).getUTCMonth() - start.getUTCMonth();
  const every = months > 36 ? 6 : months > 18 ? 3 : 1;
  const perTick = (x1 - x0) / Math.max(1, months / every);
  // Labels: each January (with its year) first, then the other months where there is room.
  const ticks: { at: number; label: string; yearly: boolean }[] = [];
  for (let m = 0; m <= months + 1; m++) {
    const tick = new Date(Date.UTC(start.getUTCFullYear(), start.getUTCMonth() + m, 1));
    const day = Math.floor(tick.getTime() / DAY);
    if (day < first || day > last) continue;
    if (tick.getUTCMonth() % every !== 0) continue;
    const at = x(day);
    axis.append(s("line", { x1: at, x2: at, y1: AXIS - 6, y2: height, class: "grid" }));
    const month = tick.toLocaleString("en", { month: "short", timeZone: "UTC" });
    const yearly = tick.getUTCMonth() === 0 || ticks.length === 0 || perTick > 70;
    ticks.push({ at, label: yearly ? `${month} ${tick.getUTCFullYear()}` : month, yearly });
  }
  const taken: [number, number][] = [];
  for (const tick of [...ticks.filter((t) => t.yearly), ...ticks.filter((t) => !t.yearly)]) {
    const from = tick.at + 3;
    const to = from + tick.label.length * 6.2 + 6;
    if (to > width || taken.some(([a, b]) => from < b && to > a)) continue;
    taken.push([from, to]);
    axis.append(s("text", { x: from, y: AXIS - 12, class: "tick" }, tick.label));
  }
  svg.append(axis);

  // Bands and their intervals.
  for (const [at, lines] of headings) {
    lines.forEach((line, index) => svg.append(s("text", { x: 4, y: at + index * 15, class: "scope" }, line)));
  }
  for (const row of rowOf.values()) {
    const top = row.y - BAND / 2;
    const band = s("g", { class: "band", "data-dimension": word(Dimension, row.dimension) });
    band.append(
      s("text", { x: 4, y: row.y + 4, class: "dimension" }, word(Dimension, row.dimension)),
      s("rect", { x: x0, y: top, width: x1 - x0, height: BAND, class: "band-ground" }),
    );
    for (const interval of row.intervals) {
      const shown = interval.uncertain ? interval.pending : interval.level;
      if (!shown) continue;
      const from = dayNumber(interval.validFrom);
      const to = interval.validTo ? dayNumber(interval.validTo) : last;
      const left = x(Math.max(from, first));
      const right = x(Math.min(to, last) + 1);
      const text = intervalText(row.dimension, interval, shown);
      const piece = s("g", {
        class: interval.uncertain ? "interval uncertain" : "interval",
        "data-strictness": `${shown.strictness}/${shown.strictest}`,
        role: "img",
        "aria-label": text,
      });
      piece.append(s("title", {}, text));
      piece.append(
        s("rect", {
          x: left,
          y: top,
          width: Math.max(1, right - left),
          height: BAND,
          fill: strictColour(strictness(shown)),
          "fill-opacity": interval.uncertain ? 0.55 : 1,
        }),
      );
      if (interval.uncertain) {
        piece.append(
          s("rect", {
            x: left,
            y: top,
            width: Math.max(1, right - left),
            height: BAND,
            fill: `url(#hatch-${safe})`,
            class: "window",
          }),
        );
      }
      const label = interval.uncertain ? `${shown.value}?` : shown.value;
      if (label.length * 6.4 + 18 < right - left) {
        piece.append(
          s(
            "text",
            {
              x: left + 11, // past a marker where the interval starts
              y: row.y + 4,
              class: strictness(shown) > 0.6 && !interval.uncertain ? "value on-dark" : "value",
            },
            label,
          ),
        );
      }
      band.append(piece);
    }
    svg.append(band);
  }

  // Markers: each change where its window starts, on each band it states; its amendments;
  // a bar when it was first reported, joined to the window's start by a dotted line.
  const marks = s("g", { class: "marks" });
  for (const change of timeline.changes) {
    for (const [dimension] of stated(change)) {
      const row = rowOf.get(`${scopeKey(change.scope)}#${dimension}`);
      if (!row) continue;
      const start = dayNumber(change.windowStart);
      if (change.reportedOn) {
        const reported = dayNumber(change.reportedOn);
        marks.append(
          s("line", {
            x1: x(start) + 0.5,
            x2: x(reported) + 0.5,
            y1: row.y,
            y2: row.y,
            class: "lag",
            "aria-hidden": "true",
          }),
        );
        const text = `${kindText(change.kind)} change first reported ${change.reportedOn} (${change.sources.map(sourceText).join("; ") || "no source"}); change ${change.changeId}`;
        marks.append(mark("reported", x(reported) + 0.5, row.y, text, change.changeId, onMark));
      }
      for (const amendment of change.amendments) {
        const on = amendment.effective;
        const [from] = on ? windowOf(on.on, precisionName(on.precision)) : [change.windowStart];
        const text =
          `amended (revision ${amendment.revision}) ${effectiveText(amendment.effective)}: ` +
          `${measureText(amendment.measure)}; recorded ${dayOf(amendment.recordedAt)}, ` +
          `reported ${amendment.reportedOn}; change ${change.changeId}`;
        marks.append(mark("amended", x(dayNumber(from)) + 0.5, row.y, text, change.changeId, onMark));
      }
      const window = windowText(change.windowStart, change.windowEnd);
      const sources = change.sources.map(sourceText).join("; ") || "no source";
      const about = `${window}: ${measureText(change.measure)}; reported ${change.reportedOn || "-"} by ${sources}; recorded ${dayOf(change.recordedAt)}`;
      if (change.retractedAt) {
        const text = `retracted ${change.retractedOn || dayOf(change.retractedAt)} (was ${kindText(change.kind)} ${about}); change ${change.changeId}`;
        marks.append(mark("retracted", x(start) + 0.5, row.y, text, change.changeId, onMark));
      } else {
        const kind = markKind(change.kind);
        marks.append(mark(kind, x(start) + 0.5, row.y, `${kind} ${about}; change ${change.changeId}`, change.changeId, onMark));
      }
    }
  }
  svg.append(marks);
  return svg;
}

function markKind(kind: ChangeKind): MarkKind {
  return kind === ChangeKind.TIGHTENED ? "tightened" : kind === ChangeKind.LOOSENED ? "loosened" : "observed";
}

/** The dimensions a change states, as drawn. */
function stated(change: TimelineChange): [Dimension, string][] {
  const measure = change.measure;
  if (!measure) return [];
  return DIMENSIONS.filter(([dimension]) =>
    dimension === Dimension.ADMISSIBILITY
      ? measure.admissibility !== undefined
      : dimension === Dimension.INSPECTION
        ? Boolean(measure.inspection)
        : Boolean(measure.enforcement),
  );
}

function intervalText(dimension: Dimension, interval: TimelineInterval, shown: TimelineLevel): string {
  const days = windowText(interval.validFrom, interval.validTo || "onwards");
  const name = word(Dimension, dimension);
  if (interval.uncertain) {
    const before = interval.level ? interval.level.value : "no rule";
    return `${name} ${days}, uncertain: ${before} until a ${kindText(shown.kind)} change takes effect in this window, then ${shown.value} (change ${shown.changeId})`;
  }
  return `${name} ${days}: ${shown.value} (${kindText(shown.kind)}, change ${shown.changeId})`;
}

function mark(
  kind: MarkKind | "reported",
  x: number,
  y: number,
  label: string,
  changeId: string,
  onMark: (changeId: string) => void,
): SVGGElement {
  const group = s("g", {
    class: `mark mark-${kind}`,
    "data-kind": kind,
    "data-change": changeId,
    role: "button",
    // One stop per change and band for the keyboard: the report bars are reached by pointer.
    tabindex: kind === "reported" ? -1 : 0,
    "aria-label": label,
  });
  group.append(s("title", {}, label), shape(kind, x, y));
  group.addEventListener("click", () => onMark(changeId));
  group.addEventListener("keydown", (event) => {
    if (event.key === "Enter" || event.key === " ") {
      event.preventDefault();
      onMark(changeId);
    }
  });
  return group;
}

/** The legend: the colour scale, the uncertain window, the markers. */
export function legend(): HTMLElement {
  const swatch = (fill: string, hatched = false) => {
    const svg = s("svg", { width: 22, height: 14, viewBox: "0 0 22 14", "aria-hidden": "true" });
    svg.append(s("rect", { x: 0, y: 0, width: 22, height: 14, fill, "fill-opacity": hatched ? 0.55 : 1 }));
    if (hatched) {
      for (let i = -14; i < 22; i += 5) {
        svg.append(s("line", { x1: i, y1: 14, x2: i + 14, y2: 0, stroke: "#1b1f24", "stroke-opacity": 0.45, "stroke-width": 1.4 }));
      }
    }
    return svg;
  };
  const marker = (kind: MarkKind | "reported") => {
    const svg = s("svg", { width: 16, height: 16, viewBox: "0 0 16 16", "aria-hidden": "true", class: "legend-mark" });
    svg.append(shape(kind, 8, 8, kind === "reported" ? 4.5 : 6));
    return svg;
  };
  const scale = h("li", { class: "legend-scale" }, h("span", {}, "loosest"));
  for (let i = 0; i <= 4; i++) scale.append(swatch(strictColour(i / 4)));
  scale.append(h("span", {}, "strictest"));
  return h(
    "ul",
    { class: "legend", "aria-label": "Legend" },
    scale,
    h("li", {}, swatch(strictColour(0.75), true), "uncertain: may or may not be in force yet"),
    ...(["tightened", "loosened", "observed", "amended", "retracted"] as const).map((kind) =>
      h("li", {}, marker(kind), kind),
    ),
    h("li", {}, marker("reported"), "first reported (dotted: how long it took)"),
  );
}
