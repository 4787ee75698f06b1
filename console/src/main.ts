// The web console of the customs policy ledger: offices and their crossings, an office's
// timeline and history, a check form and the live feed of events, over the Connect protocol
// from the same origin. A server that checks tokens gets one asked for, kept in this tab's
// sessionStorage only.
import { Code, ledger, problem, token, type Problem } from "./api";
import { CheckForm } from "./check";
import { byId, h } from "./dom";
import { Feed } from "./feed";
import { CrossingMode, type Office, type HistoryEvent, type GetTimelineResponse } from "./gen/ledger/v1/ledger_pb";
import { historyList, showChange } from "./history";
import { problemBox } from "./parts";
import { drawTimeline, joined, legend, type OfficeTimeline } from "./timeline";
import { word } from "./words";

declare global {
  interface Window {
    consoleReady?: boolean;
  }
}

let offices: Office[] = [];
let opened = "";
let opening: AbortController | null = null;
let drawn: OfficeTimeline | null = null;

// ---- Access: a token when the server asks for one. ----

const access = byId("access");
const session = byId("session");

function showSession(): void {
  session.hidden = !token.get();
}

/** Handles a refusal that needs a token (asking for one); true when it did. */
function needToken(refused: Problem): boolean {
  if (refused.code !== Code.Unauthenticated) return false;
  const rejected = Boolean(token.get());
  if (rejected) token.forget();
  showSession();
  byId("access-why").textContent = rejected
    ? `The server did not accept that token (${refused.message || refused.name}). Enter another one.`
    : "This server checks tokens: enter yours to continue. A reader's token is enough to look around.";
  if (!window.consoleReady) officeStatus.textContent = "Waiting for a token.";
  const wasHidden = access.hidden;
  access.hidden = false;
  if (wasHidden || rejected) byId<HTMLInputElement>("token-input").focus();
  return true;
}

byId<HTMLFormElement>("token-form").addEventListener("submit", (event) => {
  event.preventDefault();
  const input = byId<HTMLInputElement>("token-input");
  const value = input.value.trim();
  if (!value) return;
  token.set(value);
  input.value = "";
  access.hidden = true;
  showSession();
  void boot();
});

byId("forget-token").addEventListener("click", () => {
  token.forget();
  showSession();
  feed.stop();
  byId("forget-status").textContent = "The token is forgotten.";
  void boot();
});

// ---- Offices and crossings. ----

const officeTable = byId<HTMLTableElement>("offices");
const officeStatus = byId("offices-status");

function renderOffices(): void {
  const body = officeTable.tBodies[0];
  body.replaceChildren(
    ...offices.map((office) => {
      const open = h("button", { type: "button", class: "link", "data-office": office.code }, office.code);
      if (office.code === opened) open.setAttribute("aria-current", "true");
      open.addEventListener("click", () => void openOffice(office.code, true));
      const crossings = office.crossings.length
        ? h(
            "ul",
            { class: "plain" },
            ...office.crossings.map((crossing) =>
              h("li", {}, `${crossing.counterpart} `, h("span", { class: "muted" }, `· ${word(CrossingMode, crossing.mode)}`)),
            ),
          )
        : h("span", { class: "muted" }, "none recorded");
      return h(
        "tr",
        { "data-office": office.code },
        h("th", { scope: "row", "data-label": "Code" }, open),
        h("td", { "data-label": "Name" }, office.name),
        h("td", { "data-label": "Crossings" }, crossings),
        h("td", { "data-label": "Changes", class: "number" }, String(office.changes)),
      );
    }),
  );
  officeTable.hidden = offices.length === 0;
  officeStatus.textContent = offices.length
    ? `${offices.length} offices. Choose one to see its timeline and history.`
    : "No office is registered yet.";
}

async function loadOffices(quiet = false): Promise<boolean> {
  if (!quiet) officeStatus.textContent = "Loading offices…";
  byId("offices-problem").replaceChildren();
  try {
    const answer = await ledger.listOffices({});
    offices = answer.offices;
    renderOffices();
    check.setOffices(offices);
    access.hidden = true;
    window.consoleReady = true;
    return true;
  } catch (error) {
    const refused = problem(error);
    officeStatus.textContent = "";
    if (!needToken(refused)) byId("offices-problem").replaceChildren(problemBox(refused, "The offices could not be loaded"));
    return false;
  }
}

// ---- One office: its timeline and its history. ----

const officeSection = byId("office-section");
const chartBox = byId("timeline");
const historyBox = byId("history");

async function openOffice(code: string, focus = false): Promise<void> {
  opening?.abort();
  const asking = new AbortController();
  opening = asking;
  const signal = asking.signal;
  const changed = code !== opened;
  opened = code;
  for (const button of officeTable.querySelectorAll("button[data-office]")) {
    if (button.getAttribute("data-office") === code) button.setAttribute("aria-current", "true");
    else button.removeAttribute("aria-current");
  }
  const office = offices.find((each) => each.code === code);
  officeSection.hidden = false;
  officeSection.dataset.office = code;
  byId("office-title").textContent = office ? `${office.name} (${code})` : code;
  byId("office-facts").textContent = office
    ? `${office.changes} changes recorded · version ${office.version} · ` +
      (office.crossings.map((c) => `${c.counterpart} · ${word(CrossingMode, c.mode)}`).join("; ") || "no crossing recorded")
    : "";
  if (focus) {
    officeSection.scrollIntoView({ behavior: "smooth", block: "start" });
    byId("office-title").focus({ preventScroll: true });
  }
  if (changed) {
    drawn = null;
    chartBox.replaceChildren(h("p", { class: "muted" }, "Drawing the timeline…"));
    historyBox.replaceChildren(h("p", { class: "muted" }, "Loading the history…"));
  }
  await Promise.all([loadTimeline(code, signal), loadHistory(code, signal)]);
}

async function loadTimeline(code: string, signal: AbortSignal): Promise<void> {
  try {
    const messages: GetTimelineResponse[] = [];
    for await (const message of ledger.getTimeline({ offices: [code] }, { signal })) messages.push(message);
    if (signal.aborted) return;
    drawn = joined(code, messages);
    drawChart();
  } catch (error) {
    if (signal.aborted) return;
    const refused = problem(error);
    if (!needToken(refused)) chartBox.replaceChildren(problemBox(refused, "The timeline could not be drawn"));
  }
}

function drawChart(): void {
  if (!drawn) return;
  const timeline = drawn;
  const width = Math.max(320, Math.floor(chartBox.clientWidth || 620) - 2);
  const chart = h("div", { class: "chart", "data-office": timeline.office, id: `chart-${timeline.office}` });
  if (timeline.bands.length === 0 && timeline.changes.length === 0) {
    chart.append(h("p", { class: "muted" }, "Nothing to draw: no rule is recorded for this office."));
  } else {
    const scroller = h("div", { class: "chart-scroll", tabindex: 0, role: "region", "aria-label": `Timeline of ${timeline.office}, scrolls sideways` });
    scroller.append(drawTimeline(timeline, width, (change) => showChange(historyBox, change)));
    chart.append(scroller, legend());

  }
  chart.append(
    h(
      "p",
      { class: "muted small provenance" },
      `As recorded up to log position ${timeline.position}; digest `,
      h("code", { class: "digest" }, timeline.digest || "-"),
      ". Choose a marker to find its change in the history.",
    ),
  );
  chartBox.replaceChildren(chart);
  lastWidth = chartBox.clientWidth;
}

let lastWidth = 0;
let resizing = 0;
new ResizeObserver(() => {
  if (!drawn || Math.abs(chartBox.clientWidth - lastWidth) < 24) return;
  clearTimeout(resizing);
  resizing = window.setTimeout(drawChart, 150);
}).observe(chartBox);

async function loadHistory(code: string, signal: AbortSignal): Promise<void> {
  try {
    const events: HistoryEvent[] = [];
    for await (const page of ledger.getHistory({ office: code }, { signal })) events.push(...page.events);
    if (signal.aborted) return;
    historyBox.replaceChildren(historyList(events));
  } catch (error) {
    if (signal.aborted) return;
    const refused = problem(error);
    if (!needToken(refused)) historyBox.replaceChildren(problemBox(refused, "The history could not be loaded"));
  }
}

// ---- The check form and the live feed. ----

const check = new CheckForm(needToken);

let refreshing = 0;
const feed = new Feed(
  (event) => {
    // Something was recorded: the offices' counts and the open office change with it.
    clearTimeout(refreshing);
    refreshing = window.setTimeout(() => {
      void loadOffices(true);
      if (event.office === opened) void openOffice(opened);
    }, 600);
  },
  needToken,
);

/** Where the feed starts: the log's end as the read side knows it (a timeline's position:
 * any reader may ask it, where the digest needs an auditor). */
async function logEnd(): Promise<bigint | null> {
  if (offices.length === 0) return 0n;
  const today = new Date().toISOString().slice(0, 10);
  try {
    let position = 0n;
    const ask = { offices: [offices[0].code], validFrom: today, validTo: today };
    for await (const message of ledger.getTimeline(ask)) position = message.position;
    return position;
  } catch (error) {
    const refused = problem(error);
    if (!needToken(refused)) byId("feed-state").textContent = `The feed cannot start: ${refused.meaning} ${refused.message}`;
    return null;
  }
}

async function boot(): Promise<void> {
  showSession();
  if (!(await loadOffices())) return;
  if (opened) void openOffice(opened);
  const end = await logEnd();
  if (end !== null) feed.start(end);
}

byId("forget-status").textContent = "";
void boot();
