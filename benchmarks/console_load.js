// n. The web console's first load (benchmarks/console_load.py runs it):
//   node console_load.js CONSOLE_URL BASELINE_URL LOADS
// prints {console: [ms...], baseline: [ms...], text, errors, blocked} as JSON.
const { chromium } = require("playwright-core");
const [consoleUrl, baselineUrl, loadsText] = process.argv.slice(2);
const loads = Number(loadsText);
const origin = new URL(consoleUrl).origin;
// Notes the moment the page says it is ready, in ms from its navigation start, and resolves
// window.__ready with it (awaited from outside: the console's policy forbids eval, which a
// polled predicate would need).
const READY = `let readyNow;
window.__ready = new Promise((resolve) => { readyNow = resolve; });
Object.defineProperty(window, "consoleReady", {
  configurable: true,
  get() { return this.__consoleReady; },
  set(value) {
    this.__consoleReady = value;
    if (value && window.__readyAt === undefined) {
      window.__readyAt = performance.now();
      readyNow(window.__readyAt);
    }
  },
});`;

async function within(ms, what, promise) {
  let timer;
  const limit = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, limit]);
  } finally {
    clearTimeout(timer);
  }
}

async function main() {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu"],
  });
  const errors = [];
  let blocked = 0;
  let text = "";
  async function load(url, isConsole) {
    const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    try {
      await context.route("**/*", (route) => {
        if (new URL(route.request().url()).origin === origin) return route.continue();
        blocked += 1;
        return route.abort("internetdisconnected");
      });
      await context.addInitScript(READY);
      const page = await context.newPage();
      page.on("pageerror", (error) => errors.push(String(error)));
      if (!isConsole) {
        await page.goto(url, { waitUntil: "load" });
        const [entry] = await page.evaluate(() =>
          performance.getEntriesByType("navigation").map((timing) => timing.loadEventEnd),
        );
        return entry;
      }
      await page.goto(url, { waitUntil: "domcontentloaded" });
      const ready = page.evaluate(() => window.__ready);
      const readyAt = await within(30000, "no window.consoleReady", ready);
      text = await page.evaluate(() => document.body.innerText);
      return readyAt;
    } finally {
      await context.close();
    }
  }
  try {
    await load(baselineUrl, false);  // untimed: the browser's own start-up paths
    await load(consoleUrl, true);
    const timings = { console: [], baseline: [] };
    for (let i = 0; i < loads; i++) {
      timings.baseline.push(await load(baselineUrl, false));
      timings.console.push(await load(consoleUrl, true));
    }
    console.log(JSON.stringify({ ...timings, text, errors, blocked }));
  } finally {
    await browser.close();
  }
}

main().catch((error) => {
  console.error(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
