// Opens a page in the system's Chromium (headless, through playwright-core) with the network
// cut off, waits for it to draw, writes a screenshot, and prints what it shows as JSON:
//   node open_page.js URL SCREENSHOT.png [WAIT_EXPRESSION] [HOVER]
// Every request that is not for the page's own file is refused and listed in "blocked"; the
// page's errors (uncaught exceptions and console errors) are listed in "errors". The page has
// drawn when WAIT_EXPRESSION (default: "window.drawn") is truthy, awaited if it is a promise.
// With HOVER, the pointer then rests on the first element whose aria-label contains that text
// (a mark of a chart), and "tooltip" is what the page shows for it (Vega's tooltip).
const { chromium } = require("playwright-core");

async function main() {
const [url, screenshot, wait = "window.drawn", hover = ""] = process.argv.slice(2);
const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu"],
});
const blocked = [];
const errors = [];
try {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  await context.route("**/*", (route) => {
    const asked = route.request().url();
    if (asked === url || asked.startsWith("data:")) return route.continue();
    blocked.push(asked);
    return route.abort("internetdisconnected");
  });
  const page = await context.newPage();
  page.on("pageerror", (error) => errors.push(String(error)));
  page.on("console", (message) => {
    if (message.type() === "error") errors.push(message.text());
  });
  await page.goto(url, { waitUntil: "load" });
  await page.waitForFunction(`Boolean(${wait})`, null, { timeout: 20000 });
  await page.evaluate(`Promise.resolve(${wait}).then(() => true)`);
  const shown = await page.evaluate(() => ({
    title: document.title,
    headings: [...document.querySelectorAll("h1, h2, h3")].map((h) => h.textContent.trim()),
    text: document.body.innerText,
    charts: [...document.querySelectorAll(".chart")].map((chart) => ({
      id: chart.id,
      svg: chart.querySelector("svg") !== null,
      // Vega labels each mark it draws for assistive technology: "kind: tightened; ...".
      marks: [...chart.querySelectorAll("[aria-label]")].map((mark) => mark.getAttribute("aria-label")),
    })),
  }));
  let tooltip = null;
  if (hover) {
    const mark = page.locator(`[aria-label*=${JSON.stringify(hover)}]`).first();
    await mark.scrollIntoViewIfNeeded();
    await mark.hover({ force: true });
    const shownTip = page.locator("#vg-tooltip-element.visible");
    await shownTip.waitFor({ timeout: 5000 });
    tooltip = await shownTip.innerText();
  }
  await page.screenshot({ path: screenshot, fullPage: true });
  console.log(JSON.stringify({ ...shown, tooltip, blocked, errors }));
} finally {
  await browser.close();
}
}

main().catch((error) => {
  console.error(String(error && error.stack ? error.stack : error));
  process.exit(1);
});
