/**
 * The IndexedDB side of a catch-up alone, this checkout against another, run
 * for run: each page logs 10,000 envelopes of ~330 bytes
 * through its checkout's EncryptedStore over IdbStore (pages/idb-write-page.ts),
 * and the CPU of its renderer's main thread, of its whole renderer and of the
 * browser process (every thread: IndexedDB's backend) is read from
 * /proc/<pid>/task/<tid>/schedstat around each run (nanoseconds; a settle
 * time after the writes takes LevelDB's compactions in).
 *
 * `GROVE_IDB_BEFORE=<checkout> npx tsx bench/idb-write-probe.ts [rounds]`;
 * GROVE_PROBE_DISK=1 keeps the profile on disk, as the app's (Playwright's own
 * contexts keep IndexedDB in memory, as a private window); GROVE_IDB_CUTS=49152
 * adds this checkout cutting records at 48 KiB; GROVE_IDB_OUT=<file> keeps the
 * figures as JSON (bench/results/idb-write-memory.json and -disk.json back
 * decision 175). Prints medians and every run.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "@playwright/test";
import { bundleForBrowser, CHROMIUM_ARGS, chromiumPath } from "../test/e2e/browser.js";
import { callPage, pageFiles } from "../test/e2e/page-api.js";
import { serveStatic } from "../test/e2e/static-server.js";
import { chromiumProcesses, cpuNs } from "./chromium-processes.js";
import type { IdbWriteApi } from "./pages/idb-write-page.js";

const SETTLE_MS = 400;
const INPUT = { envelopes: 10_000, bytes: 330, batch: 1024, perCommit: 2 };

/** Chromium processes of `type` ("renderer", or "" for a browser itself) started from this one. */
function chromiumPids(type: string): number[] {
  const kind = type === "" ? "browser" : type;
  return [...chromiumProcesses()].filter(([, k]) => k === kind).map(([pid]) => pid);
}

const rounds = Number(process.argv[2] ?? 5);
const loadAtStart = loadavg().map((x) => +x.toFixed(2));
const before = process.env.GROVE_IDB_BEFORE;
const entries: Record<string, string> = {
  after: new URL("./pages/idb-write-page.ts", import.meta.url).pathname,
};
if (before) entries.before = join(before, "bench/pages/idb-write-page.ts");
/** Pages beside them: this checkout's, cutting records at another size (GROVE_IDB_CUTS=49152,...). */
const cuts = (process.env.GROVE_IDB_CUTS ?? "").split(",").filter(Boolean).map(Number);
const pageEntries: [name: string, bundle: string, cut?: number][] = [
  ...Object.keys(entries).map((name): [string, string] => [name, name]),
  ...cuts.map((cut): [string, string, number] => [`cut${cut}`, "after", cut]),
];
const files: Record<string, { type: string; body: string }> = {};
for (const [name, entry] of Object.entries(entries)) {
  Object.assign(files, pageFiles(name, await bundleForBrowser(entry)));
}
const server = await serveStatic(files);
const disk = process.env.GROVE_PROBE_DISK === "1";
const options = { executablePath: chromiumPath(), args: CHROMIUM_ARGS };
const profile = disk ? mkdtempSync(join(tmpdir(), "idb-write-")) : undefined;
const browser = profile ? undefined : await chromium.launch(options);
const contexts: BrowserContext[] = [];
const pages: { name: string; page: Page; renderer: number; browsers: number[]; cut?: number }[] =
  [];
for (const [name, bundle, cut] of pageEntries) {
  const known = new Set(chromiumPids("renderer"));
  const knownBrowsers = new Set(chromiumPids(""));
  const context = profile
    ? await chromium.launchPersistentContext(join(profile, name), options)
    : await browser!.newContext();
  contexts.push(context);
  const page = await context.newPage();
  await page.goto(`${server.origin}/${bundle}.html`);
  await page.waitForFunction(() => "grove" in globalThis);
  // Its renderer: the one that came with it and has run a script.
  const fresh = chromiumPids("renderer").filter((pid) => !known.has(pid));
  const renderer = fresh.reduce((a, b) => (cpuNs(b) > cpuNs(a) ? b : a));
  // On disk each page has a browser of its own; in memory they share one.
  const browsers = profile
    ? chromiumPids("").filter((pid) => !knownBrowsers.has(pid))
    : chromiumPids("");
  pages.push({ name, page, renderer, browsers, ...(cut && { cut }) });
}
const samples: Record<string, Record<string, number>[]> = {};
for (let r = -1; r < rounds; r++) {
  for (const { name, page, renderer, browsers, cut } of r % 2 ? pages : [...pages].reverse()) {
    const input = { ...INPUT, ...(cut && { cut }) };
    const at = () => ({
      main: cpuNs(renderer, renderer),
      renderer: cpuNs(renderer),
      browser: browsers.reduce((n, pid) => n + cpuNs(pid), 0),
    });
    await callPage<IdbWriteApi, "prepare">(page, "prepare", input);
    const start = at();
    const result = await callPage<IdbWriteApi, "run">(page, "run", input);
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const end = at();
    const run = {
      ...result,
      mainMs: (end.main - start.main) / 1e6,
      rendererMs: (end.renderer - start.renderer) / 1e6,
      browserMs: (end.browser - start.browser) / 1e6,
    };
    if (r >= 0) {
      samples[name] ??= [];
      samples[name].push(run);
    }
  }
}
for (const context of contexts) await context.close();
await browser?.close();
await server.close();
if (profile) rmSync(profile, { recursive: true, force: true });
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const out: Record<string, unknown> = {
  date: new Date().toISOString(),
  machine: { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length },
  loadAverage: { atStart: loadAtStart, atEnd: loadavg().map((x) => +x.toFixed(2)) },
  disk,
  beforeCheckout: before,
  input: INPUT,
  rounds,
};
for (const [name, runs] of Object.entries(samples)) {
  const fields = Object.keys(runs[0]!);
  out[name] = {
    median: Object.fromEntries(fields.map((f) => [f, +median(runs.map((x) => x[f]!)).toFixed(1)])),
    each: Object.fromEntries(fields.map((f) => [f, runs.map((x) => +x[f]!.toFixed(1))])),
  };
}
// GROVE_IDB_OUT=<file>: the figures kept as JSON (bench/results/idb-write-*.json).
if (process.env.GROVE_IDB_OUT)
  writeFileSync(process.env.GROVE_IDB_OUT, `${JSON.stringify(out, null, 1)}\n`);
for (const [name, runs] of Object.entries(samples)) {
  for (const f of Object.keys(runs[0]!)) {
    console.log(
      name.padEnd(7),
      f.padEnd(11),
      median(runs.map((x) => x[f]!))
        .toFixed(1)
        .padStart(7),
      " each",
      runs.map((x) => x[f]!.toFixed(1)).join(" "),
    );
  }
}
process.exit(0);
