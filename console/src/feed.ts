// The live feed: Watch from the log's end, each new event shown as it arrives, newest first.
// On an error it reconnects from the last position seen (nothing missed, nothing twice), after
// a growing pause; its state is shown.
import { Code, ledger, problem, type Problem } from "./api";
import { byId, h } from "./dom";
import type { WatchEvent } from "./gen/ledger/v1/ledger_pb";
import { badge } from "./parts";
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

const KEEP = 100;

type State = "idle" | "connecting" | "live" | "reconnecting" | "waiting" | "stopped";

export class Feed {
  private list = byId("feed-events");
  private stateLine = byId("feed-state");
  private position = 0n;
  private running: AbortController | null = null;
  private pause: { wake: () => void; timer: number } | null = null;

  constructor(
    private onEvent: (event: WatchEvent) => void,
    private onProblem: (problem: Problem) => boolean,
  ) {
    this.setState("idle", "Not started.");
  }

  /** Follows the log after `position` (stopping any earlier watch). */
  start(position: bigint): void {
    this.stop();
    this.position = position;
    const running = new AbortController();
    this.running = running;
    void this.run(running.signal);
  }

  stop(): void {
    if (this.running) this.setState("stopped", "Stopped.");
    this.running?.abort();
    this.running = null;
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.wake();
    }
  }

  private live(): void {
    this.setState("live", "Live: new events appear here as they are recorded.");
  }

  private setState(state: State, words: string): void {
    this.stateLine.dataset.state = state;
    this.stateLine.textContent = words;
  }

  private async run(signal: AbortSignal): Promise<void> {
    let failures = 0;
    while (!signal.aborted) {
      this.setState(failures ? "reconnecting" : "connecting", failures ? "Reconnecting…" : "Connecting…");
      try {
        // From one event before the last one seen: the server sends that one at once, which
        // shows the watch is up (it is not shown again). A server sends no headers before its
        // first message, so with an empty log the watch is taken as up once asked.
        const from = this.position > 0n ? this.position - 1n : 0n;
        const watch = ledger.watch({ afterPosition: from }, { signal, onHeader: () => this.live() });
        if (from === this.position) this.live();
        for await (const response of watch) {
          failures = 0;
          this.live();
          for (const event of response.events) {
            if (event.position <= this.position) continue;
            this.position = event.position;
            this.show(event);
            this.onEvent(event);
          }
        }
        failures = 0; // the server ended the watch (a time limit): follow again at once
      } catch (error) {
        if (signal.aborted) return;
        const refused = problem(error);
        if (refused.code === Code.Unauthenticated) {
          this.setState("waiting", "Waiting for a token.");
          this.onProblem(refused);
          return;
        }
        if (refused.code === Code.PermissionDenied) {
          this.setState("stopped", `Stopped: ${refused.meaning} ${refused.message}`);
          return;
        }
        failures += 1;
        const seconds = Math.min(30, 2 ** Math.min(failures - 1, 5)) * (0.8 + Math.random() * 0.4);
        this.setState(
          "reconnecting",
          `Disconnected (${refused.name}${refused.message ? `: ${refused.message}` : ""}); reconnecting in ${Math.max(1, Math.round(seconds))} s…`,
        );
        await this.sleep(seconds * 1000);
        continue;
      }
      await this.sleep(500);
    }
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const wake = () => {
        this.pause = null;
        resolve();
      };
      this.pause = { wake, timer: window.setTimeout(wake, ms) };
    });
  }

  private show(event: WatchEvent): void {
    const kind = eventWord(event.type);
    let stored: {
      effective?: { on?: string; precision?: string } | null;
      name?: string;
      scope?: StoredScope;
      measure?: StoredMeasure | null;
      clear?: string[];
      change_id?: string;
      reason?: string;
    } = {};
    try {
      stored = JSON.parse(event.eventJson);
    } catch {
      stored = {};
    }
    let dates = "";
    if (stored.effective?.on) {
      const precision = stored.effective.precision || "day";
      const [start, end] = windowOf(stored.effective.on, precision);
      dates = `effective ${windowText(start, end, precision)}`;
    }
    const item = h(
      "li",
      { class: "feed-event", "data-office": event.office, "data-type": event.type, "data-position": String(event.position) },
      h("div", { class: "event-head" }, h("strong", { class: "office" }, event.office), " ", badge(kind, kind)),
      stored.scope ? h("p", {}, `${storedScopeText(stored.scope)}: ${storedMeasureText(stored.measure, stored.clear)}`) : null,
      stored.change_id
        ? h("p", {}, `change ${shortId(stored.change_id)}${stored.measure || stored.clear?.length ? `: ${storedMeasureText(stored.measure, stored.clear)}` : ""}${stored.reason ? ` (${stored.reason})` : ""}`)
        : null,
      h(
        "p",
        { class: "small" },
        dates ? `${dates} · ` : stored.name ? `${stored.name} · ` : "",
        `recorded ${timeText(event.recordedAt)} · position ${event.position}`,
      ),
      h("p", { class: "muted small" }, "event ", h("code", { title: event.eventId }, shortId(event.eventId))),
    );
    this.list.querySelector(".feed-empty")?.remove();
    this.list.prepend(item);
    while (this.list.children.length > KEEP) this.list.lastElementChild?.remove();
  }
}
