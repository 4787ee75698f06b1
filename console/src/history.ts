// An office's history: every event in the order recorded, with its dates on both time axes,
// the measure, the sources and their grades; amendments and retractions marked, on themselves
// and on the change they correct.
import { h } from "./dom";
import type { HistoryEvent } from "./gen/ledger/v1/ledger_pb";
import { badge, facts, sourceList, type SourceLike } from "./parts";
import {
  eventWord,
  shortId,
  storedMeasureText,
  storedScopeText,
  timeText,
  windowOf,
  windowText,
  type StoredMeasure,
  type StoredScope,
} from "./words";

interface Stored {
  name?: string;
  code?: string;
  crossings?: { counterpart?: string; mode?: string }[];
  scope?: StoredScope;
  measure?: StoredMeasure | null;
  effective?: { on?: string; precision?: string } | null;
  sources?: SourceLike[];
  note?: string;
  reason?: string;
  clear?: string[];
  change_id?: string;
}

function parsed(event: HistoryEvent): Stored {
  try {
    return JSON.parse(event.eventJson) as Stored;
  } catch {
    return {};
  }
}

function effective(stored: Stored): string | null {
  if (!stored.effective?.on) return null;
  const precision = stored.effective.precision || "day";
  const [start, end] = windowOf(stored.effective.on, precision);
  return windowText(start, end, precision);
}

export function historyList(events: HistoryEvent[]): HTMLElement {
  if (events.length === 0) return h("p", { class: "muted" }, "No events recorded for this office.");
  const data = events.map((event) => ({ event, stored: parsed(event) }));
  // What became of each change later: its amendments, its retraction.
  const amended = new Map<string, number>();
  const retracted = new Set<string>();
  const changes = new Map<string, { kind: string; window: string | null }>();
  for (const { event, stored } of data) {
    if (event.type === "ChangeAmended") amended.set(event.changeId, (amended.get(event.changeId) ?? 0) + 1);
    if (event.type === "ChangeRetracted") retracted.add(event.changeId);
    if (event.type.startsWith("Policy")) changes.set(event.changeId, { kind: eventWord(event.type), window: effective(stored) });
  }
  const list = h("ol", { class: "history", "aria-label": "Events in the order recorded" });
  for (const { event, stored } of data) {
    const kind = eventWord(event.type);
    const marks: HTMLElement[] = [badge(kind, kind)];
    if (amended.has(event.changeId) && event.type.startsWith("Policy")) {
      const times = amended.get(event.changeId)!;
      marks.push(badge(times === 1 ? "amended later" : `amended ${times}× later`, "amended"));
    }
    if (retracted.has(event.changeId) && event.type.startsWith("Policy")) marks.push(badge("retracted later", "retracted"));
    const target = changes.get(event.changeId);
    const about =
      event.type === "ChangeAmended" || event.type === "ChangeRetracted"
        ? `${kind === "amended" ? "corrects" : "withdraws"} change ${shortId(event.changeId)}${target ? ` (${target.kind}${target.window ? `, ${target.window}` : ""})` : ""}`
        : null;
    const rows: [string, Node | string | null][] = [];
    if (event.type === "OfficeRegistered") {
      rows.push(["Name", stored.name ?? "-"]);
      rows.push([
        "Crossings",
        (stored.crossings ?? []).map((crossing) => `${crossing.counterpart ?? "?"} · ${crossing.mode ?? "?"}`).join("; ") || "-",
      ]);
    } else {
      if (about) rows.push(["About", about]);
      if (stored.scope) rows.push(["Scope", storedScopeText(stored.scope)]);
      const window = effective(stored);
      if (window) rows.push([event.type === "ChangeAmended" ? "Effective, corrected" : "Effective", window]);
      if (stored.measure || (stored.clear && stored.clear.length)) {
        rows.push([event.type === "ChangeAmended" ? "Measure, corrected" : "Measure", storedMeasureText(stored.measure, stored.clear)]);
      }
      if (stored.reason) rows.push(["Reason", stored.reason]);
      if (stored.note) rows.push(["Note", stored.note]);
    }
    rows.push(["Recorded", timeText(event.recordedAt)]);
    if (event.type !== "OfficeRegistered") rows.push(["Reported", event.reportedOn || "no source"]);
    const item = h(
      "li",
      {
        class: `event event-${kind}`,
        id: `event-${event.eventId}`,
        "data-type": event.type,
        "data-change": event.changeId || null,
        tabindex: -1,
      },
      h(
        "div",
        { class: "event-head" },
        ...marks,
        h("span", { class: "version" }, `version ${event.officeVersion}`),
        event.changeId ? h("code", { class: "change-id", title: event.changeId }, event.changeId) : null,
      ),
      facts(rows),
    );
    if (event.type !== "OfficeRegistered") {
      item.append(
        h("h4", { class: "sources-title" }, "Sources"),
        sourceList(stored.sources ?? [], event.type === "ChangeRetracted" ? "none cited (a clerical retraction)" : "none cited"),
      );
    }
    list.append(item);
  }
  return list;
}

/** Brings the first event of a change into view and marks it (a marker was chosen). */
export function showChange(container: HTMLElement, changeId: string): void {
  const found = container.querySelector<HTMLElement>(`[data-change="${CSS.escape(changeId)}"]`);
  if (!found) return;
  for (const old of container.querySelectorAll(".chosen")) old.classList.remove("chosen");
  for (const each of container.querySelectorAll<HTMLElement>(`[data-change="${CSS.escape(changeId)}"]`)) {
    each.classList.add("chosen");
  }
  found.scrollIntoView({ behavior: "smooth", block: "center" });
  found.focus({ preventScroll: true });
}
