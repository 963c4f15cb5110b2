// Opens a fleet report (journalgen report) in headless Chromium and says what a reader would see:
// the rows, every console message and page error, any request that would leave the file (aborted),
// the order of the statuses after one and two clicks on the Status heading, and how long the page
// took to load and paint. With a second argument, a screenshot of the first screen goes there.
//
// usage: node tools/fleet/render.mjs REPORT.html [SCREENSHOT.png]; stdout: one JSON object.
// Puppeteer is the one tools/mermaid installs; the browser: PUPPETEER_EXECUTABLE_PATH, else
// /usr/bin/chromium (Debian's).
import { createRequire } from "node:module";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

const require = createRequire(new URL("../mermaid/package.json", import.meta.url));
const { default: puppeteer } = await import(pathToFileURL(require.resolve("puppeteer")).href);

const [report, screenshot] = process.argv.slice(2);
if (!report) {
  console.error("usage: node tools/fleet/render.mjs REPORT.html [SCREENSHOT.png]");
  process.exit(2);
}
const url = pathToFileURL(resolve(report)).href;
const browser = await puppeteer.launch({
  executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || "/usr/bin/chromium",
  headless: true,
  args: [
    // Chromium cannot start its sandbox as root (CI containers); it renders only a local file.
    ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  const page = await browser.newPage();
  await page.setViewport({ width: 1920, height: 1080 });
  const consoleMessages = [];
  const pageErrors = [];
  const requests = [];
  page.on("console", (message) => consoleMessages.push(`${message.type()}: ${message.text()}`));
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  await page.setRequestInterception(true);
  page.on("request", (request) => {
    if (request.url() === url) {
      request.continue();
    } else {
      requests.push(request.url());
      request.abort();
    }
  });
  const start = performance.now();
  await page.goto(url, { waitUntil: "load" });
  // Two frames: the first paint of the loaded page has happened.
  await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
  const renderMs = Math.round(performance.now() - start);
  const statuses = () =>
    page.evaluate(() => Array.from(document.querySelectorAll("tbody tr"), (row) => row.cells[0].textContent));
  const before = await statuses();
  await page.click('th[data-kind="rank"] button');
  const sorted = await statuses();
  await page.click('th[data-kind="rank"] button');
  const reversed = await statuses();
  if (screenshot) {
    await page.click('th[data-kind="rank"] button');
    await page.screenshot({ path: screenshot });
  }
  const result = { rows: before.length, before, sorted, reversed, consoleMessages, pageErrors, requests, renderMs };
  process.stdout.write(JSON.stringify(result));
} finally {
  await browser.close();
}
