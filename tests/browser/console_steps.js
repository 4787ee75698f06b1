// Drives the web console (served by `ledger serve --web`) in the system's Chromium through
// playwright-core, step by step, and prints what each step showed as JSON:
//   node console_steps.js story BASE_URL SCREENSHOT_DIR
//   node console_steps.js token BASE_URL SCREENSHOT_DIR TOKEN
// Every request that is not for the server's own origin is refused and listed in "blocked";
// uncaught exceptions and console errors are listed in "errors" (the browser's own "Failed to
// load resource" lines go to "failedLoads" instead, and the responses behind them, with their
// paths and statuses, to "refused": a refused call is an answer the page shows or handles).
// Each step writes SCREENSHOT_DIR/console-<step>.png.
const { chromium } = require("playwright-core");
const path = require("path");

const [mode, base, shots, token = ""] = process.argv.slice(2);
const origin = new URL(base).origin;
const WAIT = 20000;

const shot = (name) => path.join(shots, `console-${name}.png`);

async function newPage(browser, viewport, seen) {
  const context = await browser.newContext({ viewport });
  await context.route("**/*", (route) => {
    const request = route.request();
    const asked = request.url();
    if (asked.startsWith(`${origin}/`)) {
      if (asked.includes("/ledger.v1.PolicyLedger/")) {
        seen.calls.push({
          method: asked.split("/").pop(),
          authorization: request.headers()["authorization"] || "",
        });
      }
      return route.continue();
    }
    if (asked.startsWith("data:")) return route.continue();
    seen.blocked.push(asked);
    return route.abort("internetdisconnected");
  });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT);
  page.on("pageerror", (error) => seen.errors.push(String(error)));
  page.on("response", (response) => {
    if (response.status() >= 400) {
      seen.refused.push({ path: new URL(response.url()).pathname, status: response.status() });
    }
  });
  page.on("console", (message) => {
    if (message.type() !== "error") return;
    const text = message.text();
    if (text.startsWith("Failed to load resource")) seen.failedLoads.push(text);
    else seen.errors.push(text);
  });
  return { context, page };
}

/** The page's width against the viewport's: a body that scrolls sideways is wider. */
const widths = (page) =>
  page.evaluate(() => ({
    scrollWidth: document.documentElement.scrollWidth,
    clientWidth: document.documentElement.clientWidth,
  }));

async function fillCheck(page, at, goods) {
  const form = page.locator("#check-form");
  await form.getByLabel("Office", { exact: true }).selectOption("CN-DANDONG");
  await form.getByLabel("Date", { exact: true }).fill(at);
  await form.getByLabel("Direction").selectOption({ label: "outbound" });
  await form.getByLabel("Channel").selectOption({ label: "personal baggage" });
  await form.getByLabel("Traveller").selectOption({ label: "worker" });
  const row = form.locator("#check-items .item-row").first();
  await row.getByLabel("Goods").fill(goods);
  await row.getByLabel("Quantity").fill("1");
}

async function check(page, at, name, goods = "8516.60") {
  await fillCheck(page, at, goods);
  const previous = await page.locator("#check-results").innerText();
  await page.getByRole("button", { name: "Check", exact: true }).click();
  await page.waitForFunction(
    (before) => {
      const results = document.querySelector("#check-results");
      return results && !results.hasAttribute("aria-busy") && results.innerText !== before &&
        results.querySelector(".item-result, .problem");
    },
    previous,
    { timeout: WAIT },
  );
  const shown = await page.evaluate(() => {
    const results = document.querySelector("#check-results");
    return {
      text: results.innerText,
      items: [...results.querySelectorAll(".item-result")].map((item) => ({
        verdict: item.dataset.verdict,
        goods: item.dataset.goods,
        candidates: [...item.querySelectorAll(".candidate")].map((candidate) => ({
          verdict: candidate.dataset.verdict,
          heading: candidate.querySelector("h4").innerText,
          text: candidate.innerText,
        })),
        links: [...item.querySelectorAll("a[href]")].map((a) => a.href),
        sources: [...item.querySelectorAll(".source")].map((source) => source.innerText),
      })),
      problems: [...results.querySelectorAll(".problem")].map((problem) => ({
        text: problem.innerText,
        code: problem.dataset.code,
        role: problem.getAttribute("role"),
      })),
      invalid: [...document.querySelectorAll('#check-form [aria-invalid="true"]')].map((field) => ({
        id: field.id,
        describedBy: field.getAttribute("aria-describedby"),
      })),
    };
  });
  await page.locator("#check-section").screenshot({ path: shot(name) });
  return shown;
}

/** Records an observation at Hunchun through the API (from Node, not through the page). */
async function record(goods) {
  const answer = await fetch(`${origin}/ledger.v1.PolicyLedger/RecordObservation`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      requestId: `console-test-${goods}-${Date.now()}`,
      office: "CN-HUNCHUN",
      change: {
        scope: { direction: "DIRECTION_OUTBOUND", channel: "CHANNEL_CARGO_RAIL", traveller: "TRAVELLER_ANY", goods },
        measure: { inspection: "INSPECTION_STANDARD" },
        effective: { on: "2025-05-01", precision: "PRECISION_MONTH" },
        sources: [{ publisher: "Console test", reference: "seen at the station", published: "2025-05-02", grade: "C3" }],
      },
    }),
  });
  const body = await answer.json();
  return { status: answer.status, body, receipt: body.receipt };
}

async function story(browser, seen) {
  const steps = {};
  const { page } = await newPage(browser, { width: 1280, height: 900 }, seen);

  // a) the page loads and lists the offices.
  await page.goto(base, { waitUntil: "load" });
  await page.waitForFunction(() => window.consoleReady === true, null, { timeout: WAIT });
  steps.offices = await page.evaluate(() => ({
    title: document.title,
    headings: [...document.querySelectorAll("h1, h2, h3")].map((h) => h.innerText.trim()),
    rows: [...document.querySelectorAll("#offices tbody tr")].map((row) => ({
      office: row.dataset.office,
      cells: [...row.cells].map((cell) => cell.innerText.trim()),
    })),
    tokenAsked: !document.querySelector("#access").hidden,
  }));
  await page.screenshot({ path: shot("offices"), fullPage: true });

  // b) and c) the check form: the ban in force, then inside its window.
  steps.prohibited = await check(page, "2025-03-20", "check-prohibited");
  steps.uncertain = await check(page, "2025-03-05", "check-uncertain");
  // A refused question: the server's words, naming the field, and the field marked.
  steps.refusedCheck = await check(page, "2025-03-20", "check-refused", "rice cooker");
  // What the sources had said by 15 March (the ban was reported on the 19th).
  await page.getByText("As known at an earlier time").click();
  await page.locator("#check-form").getByLabel("Known at").fill("2025-03-15");
  await page.getByLabel("reported by the sources").check();
  steps.knownEarlier = await check(page, "2025-03-20", "check-known-earlier");

  // d) Dandong's timeline, drawn in the page; a marker chosen finds its change in the history.
  await page.getByRole("button", { name: "CN-DANDONG", exact: true }).click();
  await page.waitForSelector('.chart[data-office="CN-DANDONG"] svg .mark', { timeout: WAIT });
  await page.waitForSelector("#history .event", { timeout: WAIT });
  steps.timeline = await page.evaluate(() => {
    const chart = document.querySelector('.chart[data-office="CN-DANDONG"]');
    return {
      title: document.querySelector("#office-title").innerText,
      marks: [...chart.querySelectorAll(".mark")].map((mark) => ({
        kind: mark.dataset.kind,
        label: mark.getAttribute("aria-label"),
        title: mark.querySelector("title")?.textContent ?? "",
      })),
      intervals: chart.querySelectorAll(".interval").length,
      uncertain: chart.querySelectorAll(".interval.uncertain").length,
      colours: [...new Set([...chart.querySelectorAll(".interval > rect:first-of-type")].map((rect) => rect.getAttribute("fill")))],
      legend: chart.querySelector(".legend")?.innerText ?? "",
      history: [...document.querySelectorAll("#history .event")].map((event) => ({
        type: event.dataset.type,
        change: event.dataset.change ?? "",
        text: event.innerText,
      })),
    };
  });
  await page.locator('.chart[data-office="CN-DANDONG"] .mark[data-kind="tightened"]').first().click();
  await page.waitForSelector("#history .event.chosen", { timeout: WAIT });
  steps.timeline.chosen = await page.evaluate(() =>
    [...document.querySelectorAll("#history .event.chosen")].map((event) => event.dataset.change),
  );
  await page.locator("#office-section").screenshot({ path: shot("timeline") });

  // e) the live feed: an event recorded now (from here, not through the page) appears.
  await page.waitForSelector('#feed-state[data-state="live"]', { timeout: WAIT });
  steps.recorded = await record("luxury");
  await page.waitForSelector('#feed-events li[data-office="CN-HUNCHUN"]', { timeout: WAIT });
  steps.feed = await page.evaluate(() => ({
    state: document.querySelector("#feed-state").dataset.state,
    live: document.querySelector("#feed-events").getAttribute("aria-live"),
    events: [...document.querySelectorAll("#feed-events li.feed-event")].map((item) => ({
      office: item.dataset.office,
      type: item.dataset.type,
      position: item.dataset.position,
      text: item.innerText,
    })),
  }));
  await page.locator("#feed-section").screenshot({ path: shot("feed") });
  await page.screenshot({ path: shot("page"), fullPage: true });

  // Reconnecting: the first watch of another page is cut off; it says so, follows again from
  // where it was, and shows the next event once.
  const cutSeen = { blocked: [], errors: [], failedLoads: [], refused: [], calls: [] };
  const cutOff = await newPage(browser, { width: 1280, height: 900 }, cutSeen);
  let watches = 0;
  await cutOff.context.route("**/ledger.v1.PolicyLedger/Watch", (route) =>
    watches++ === 0 ? route.abort("connectionreset") : route.fallback(),
  );
  await cutOff.page.addInitScript(() => {
    window.feedStates = [];
    document.addEventListener("DOMContentLoaded", () => {
      const state = document.querySelector("#feed-state");
      new MutationObserver(() => window.feedStates.push(state.dataset.state)).observe(state, {
        attributes: true,
        attributeFilter: ["data-state"],
      });
    });
  });
  await cutOff.page.goto(base, { waitUntil: "load" });
  await cutOff.page.waitForFunction(() => window.consoleReady === true, null, { timeout: WAIT });
  await cutOff.page.waitForFunction(() => window.feedStates.includes("reconnecting"), null, { timeout: WAIT });
  steps.reconnect = {
    said: await cutOff.page.locator("#feed-state").innerText(),
  };
  await cutOff.page.waitForSelector('#feed-state[data-state="live"]', { timeout: WAIT });
  const again = await record("machinery");
  await cutOff.page.waitForSelector(`#feed-events li[data-position="${again.receipt.position}"]`, { timeout: WAIT });
  await cutOff.page.waitForTimeout(300);
  Object.assign(steps.reconnect, {
    receipt: again.receipt,
    watches,
    ...(await cutOff.page.evaluate(() => ({
      states: window.feedStates,
      positions: [...document.querySelectorAll("#feed-events li.feed-event")].map((item) => item.dataset.position),
    }))),
    seen: cutSeen,
  });
  await cutOff.page.locator("#feed-section").screenshot({ path: shot("feed-reconnected") });
  await cutOff.context.close();

  // At a phone's width: nothing scrolls sideways, with a check answered and a timeline open.
  const phone = (await newPage(browser, { width: 375, height: 800 }, seen)).page;
  await phone.goto(base, { waitUntil: "load" });
  await phone.waitForFunction(() => window.consoleReady === true, null, { timeout: WAIT });
  const loaded = await widths(phone);
  await phone.screenshot({ path: shot("phone") });
  await check(phone, "2025-03-05", "phone-check");
  await phone.getByRole("button", { name: "CN-DANDONG", exact: true }).click();
  await phone.waitForSelector('.chart[data-office="CN-DANDONG"] svg .mark', { timeout: WAIT });
  await phone.waitForSelector("#history .event", { timeout: WAIT });
  steps.phone = { loaded, opened: await widths(phone) };
  await phone.screenshot({ path: shot("phone-full"), fullPage: true });
  return steps;
}

async function withToken(browser, seen) {
  const steps = {};
  const { page } = await newPage(browser, { width: 1280, height: 900 }, seen);
  await page.goto(base, { waitUntil: "load" });
  // The server refuses the page's first call: it asks for a token.
  await page.waitForSelector("#access:not([hidden])", { timeout: WAIT });
  const input = page.getByLabel("Token", { exact: true });
  steps.asked = await page.evaluate(() => ({
    ready: window.consoleReady === true,
    why: document.querySelector("#access-why").innerText,
    focused: document.activeElement && document.activeElement.id,
    inputType: document.querySelector("#token-input").type,
  }));
  await page.screenshot({ path: shot("token-asked"), fullPage: true });
  // A wrong token first: refused, asked again.
  await input.fill("not-the-token");
  await page.getByRole("button", { name: "Use this token" }).click();
  await page.waitForFunction(() => /did not accept/.test(document.querySelector("#access-why").innerText), null, { timeout: WAIT });
  steps.wrong = await page.evaluate(() => ({
    why: document.querySelector("#access-why").innerText,
    stored: sessionStorage.length,
  }));
  await input.fill(token);
  await page.getByRole("button", { name: "Use this token" }).click();
  await page.waitForFunction(() => window.consoleReady === true, null, { timeout: WAIT });
  await page.waitForSelector('#feed-state[data-state="live"]', { timeout: WAIT });
  steps.loaded = await page.evaluate(() => ({
    offices: [...document.querySelectorAll("#offices tbody tr")].map((row) => row.dataset.office),
    accessHidden: document.querySelector("#access").hidden,
    sessionValues: Object.keys(sessionStorage).map((key) => sessionStorage.getItem(key)),
    localValues: Object.keys(localStorage).map((key) => localStorage.getItem(key)),
    url: location.href,
    cookies: document.cookie,
    session: !document.querySelector("#session").hidden,
    feed: document.querySelector("#feed-state").dataset.state,
  }));
  await page.screenshot({ path: shot("token-ok"), fullPage: true });
  // Forgotten: gone from the tab, and the page asks again.
  await page.getByRole("button", { name: "Forget the token" }).click();
  await page.waitForSelector("#access:not([hidden])", { timeout: WAIT });
  steps.forgotten = await page.evaluate(() => ({
    sessionValues: Object.keys(sessionStorage).map((key) => sessionStorage.getItem(key)),
    asked: !document.querySelector("#access").hidden,
  }));
  return steps;
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  const seen = { blocked: [], errors: [], failedLoads: [], refused: [], calls: [] };
  try {
    const steps = mode === "token" ? await withToken(browser, seen) : await story(browser, seen);
    console.log(JSON.stringify({ ...steps, ...seen }));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
