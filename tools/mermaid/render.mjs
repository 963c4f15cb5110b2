// Renders Mermaid diagrams with the Mermaid that mermaid-cli (mmdc) uses, in one headless Chromium
// page: as mmdc does (theme "default", serialized with XMLSerializer), but loading Mermaid once for
// all diagrams, since mmdc starts a browser per diagram and its renderMermaid loads a page per
// diagram (about 1 s each against about 0.1 s here).
//
// stdin: a JSON array of diagram sources. stdout: a JSON array with, for each source in order,
// {svg, console} or {error, console}, console being what Mermaid logged as a warning or error.
// The browser: PUPPETEER_EXECUTABLE_PATH, else /usr/bin/chromium (Debian's).
import { createRequire } from "node:module";
import puppeteer from "puppeteer";

const require = createRequire(import.meta.url);

async function readStdin() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function renderAll(sources) {
  // Runs in the page.
  const logged = [];
  for (const level of ["warn", "error"]) {
    const original = console[level];
    console[level] = (...args) => {
      logged.push(`${level}: ${args.map(String).join(" ")}`);
      original.apply(console, args);
    };
  }
  mermaid.initialize({ startOnLoad: false, theme: "default" });
  const container = document.getElementById("container");
  return (async () => {
    const results = [];
    for (const [index, source] of sources.entries()) {
      logged.length = 0;
      let result;
      try {
        const { svg } = await mermaid.render(`diagram${index}`, source, container);
        container.innerHTML = svg;
        // As mmdc: a foreignObject's HTML (<br>) becomes well-formed XML.
        result = { svg: new XMLSerializer().serializeToString(container.querySelector("svg")) };
      } catch (error) {
        result = { error: String(error?.message ?? error) };
      }
      container.innerHTML = "";
      results.push({ ...result, console: [...logged] });
    }
    return results;
  })();
}

const sources = JSON.parse(await readStdin());
const browser = await puppeteer.launch({
  executablePath: process.env.PUPPETEER_EXECUTABLE_PATH || "/usr/bin/chromium",
  headless: true,
  // One evaluate renders every diagram: on a loaded machine it may outlast the default 3 minutes.
  protocolTimeout: 600_000,
  args: [
    // Chromium cannot start its sandbox as root (CI containers); it renders only local text here.
    ...(process.getuid?.() === 0 ? ["--no-sandbox"] : []),
    "--disable-gpu",
    // A closed network: no background connections, component updates or sync to wait on.
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
  ],
});
try {
  const page = await browser.newPage();
  const pageErrors = [];
  page.on("pageerror", (error) => pageErrors.push(String(error)));
  await page.setContent('<!doctype html><html><body><div id="container"></div></body></html>');
  await page.addScriptTag({ path: require.resolve("mermaid/dist/mermaid.min.js") });
  const results = await page.evaluate(renderAll, sources);
  if (pageErrors.length) throw new Error(`the page failed: ${pageErrors.join("; ")}`);
  process.stdout.write(JSON.stringify(results));
} finally {
  await browser.close();
}
