/**
 * What a catch-up's IndexedDB writes cost Chromium, by value size and shape:
 * each trial writes ~3.3 MB of random (sealed-like, incompressible) values in
 * strict transactions of ~15 puts, one after another, as the space log's one
 * lane does, into a fresh database. Variants take turns, round by round, in
 * one browser. Per trial: the page's time inside `put` calls, and the CPU of
 * every Chromium process (all threads, from /proc/<pid>/task/<tid>/schedstat,
 * nanoseconds), over the writes and a settle time after them (LevelDB's
 * compactions run after the commit).
 *
 * `npx tsx bench/idb-probe.ts [rounds] [variant,...]`; prints medians. A probe
 * for choosing a record size and value shape (decision 175), not a published figure.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "@playwright/test";
import { CHROMIUM_ARGS, chromiumPath } from "../test/e2e/browser.js";
import { serveStatic } from "../test/e2e/static-server.js";
import { chromiumProcesses, cpuNs } from "./chromium-processes.js";

interface Variant {
  /** Bytes of each value. */
  bytes: number;
  /** Stored as an ArrayBuffer instead of a Uint8Array over its whole buffer. */
  arrayBuffer?: boolean;
  /** Puts per transaction. */
  perTx?: number;
  /** Relaxed durability (for comparison only: acked records need strict). */
  relaxed?: boolean;
  /** Keys in ascending order of writing instead of random names. */
  sorted?: boolean;
}

const SEALED = 29 + 4; // sealing (version, IV, tag) and the log record's framing
const KIB = 1024;
const VARIANTS: Record<string, Variant> = {
  "32k": { bytes: 32 * KIB + SEALED },
  "48k": { bytes: 48 * KIB + SEALED },
  "48k-ab": { bytes: 48 * KIB + SEALED, arrayBuffer: true },
  "52k": { bytes: 52 * KIB + SEALED },
  "56k": { bytes: 56 * KIB + SEALED },
  "57k": { bytes: 57 * KIB + SEALED },
  "58k": { bytes: 58 * KIB + SEALED },
  "59k": { bytes: 59 * KIB + SEALED },
  "60k": { bytes: 60 * KIB + SEALED },
  "63.9k": { bytes: 64 * KIB - 100 },
  "64k+": { bytes: 64 * KIB + 100 },
  "128k": { bytes: 128 * KIB },
  "320k": { bytes: 320 * KIB },
  "1m": { bytes: 1024 * KIB },
  "48k-sorted": { bytes: 48 * KIB + SEALED, sorted: true },
  "48k-1tx": { bytes: 48 * KIB + SEALED, perTx: 1000 },
  "48k-relaxed": { bytes: 48 * KIB + SEALED, relaxed: true },
};
const TOTAL = 3.3e6;
const SETTLE_MS = 400;

const PAGE = `<!doctype html><script>
let n = 0;
globalThis.probe = async ({ bytes, total, perTx, arrayBuffer, relaxed, sorted }) => {
  const count = Math.ceil(total / bytes);
  const values = [];
  for (let i = 0; i < count; i++) {
    const v = new Uint8Array(bytes);
    for (let o = 0; o < bytes; o += 65536) crypto.getRandomValues(v.subarray(o, Math.min(bytes, o + 65536)));
    values.push(arrayBuffer ? v.buffer : v);
  }
  const hex = (k) => Array.from(crypto.getRandomValues(new Uint8Array(k)), (b) => b.toString(16).padStart(2, "0")).join("");
  const prefix = "s/" + hex(32) + "/l/";
  const keys = values.map((_, i) => prefix + (sorted ? String(Date.now() * 1000 + i).padStart(32, "0") : hex(16)));
  const db = await new Promise((resolve, reject) => {
    const open = indexedDB.open("probe-" + n++, 1);
    open.onupgradeneeded = () => open.result.createObjectStore("records");
    open.onsuccess = () => resolve(open.result);
    open.onerror = () => reject(open.error);
  });
  // Warm: one tiny write, so opening is not counted.
  await new Promise((resolve) => { const tx = db.transaction("records", "readwrite"); tx.objectStore("records").put(new Uint8Array(1), "warm"); tx.oncomplete = resolve; });
  const ready = performance.now();
  return { ready, run: async () => {
    let putMs = 0;
    const start = performance.now();
    for (let i = 0; i < count; i += perTx) {
      const tx = db.transaction("records", "readwrite", { durability: relaxed ? "relaxed" : "strict" });
      const store = tx.objectStore("records");
      const t = performance.now();
      for (let j = i; j < Math.min(count, i + perTx); j++) store.put(values[j], keys[j]);
      putMs += performance.now() - t;
      await new Promise((resolve, reject) => { tx.oncomplete = resolve; tx.onerror = () => reject(tx.error); });
    }
    const wallMs = performance.now() - start;
    db.close();
    return { putMs, wallMs, puts: count };
  } };
};
globalThis.prepare = async (v) => { globalThis.pending = await globalThis.probe(v); return true; };
globalThis.go = () => globalThis.pending.run();
</script>`;

const rounds = Number(process.argv[2] ?? 5);
const names = process.argv[3]?.split(",") ?? Object.keys(VARIANTS);
const server = await serveStatic({ "/p.html": { type: "text/html", body: PAGE } });
// GROVE_PROBE_DISK=1: a profile on disk, as the app's (Playwright's own contexts keep
// IndexedDB in memory, as an incognito window does).
const disk = process.env.GROVE_PROBE_DISK === "1";
const options = { executablePath: chromiumPath(), args: CHROMIUM_ARGS };
const profile = disk ? mkdtempSync(join(tmpdir(), "idb-probe-")) : undefined;
const context = profile
  ? await chromium.launchPersistentContext(profile, options)
  : await (await chromium.launch(options)).newContext();
const page = await context.newPage();
await page.goto(`${server.origin}/p.html`);
const samples: Record<string, Record<string, number>[]> = {};
for (let r = -1; r < rounds; r++) {
  for (const name of names) {
    const v = VARIANTS[name]!;
    await page.evaluate(
      (a) => (globalThis as unknown as { prepare(x: unknown): Promise<boolean> }).prepare(a),
      {
        bytes: v.bytes,
        total: TOTAL,
        perTx: v.perTx ?? 15,
        arrayBuffer: !!v.arrayBuffer,
        relaxed: !!v.relaxed,
        sorted: !!v.sorted,
      },
    );
    const procs = chromiumProcesses();
    const before = new Map([...procs.keys()].map((pid) => [pid, cpuNs(pid)]));
    const res = await page.evaluate(() =>
      (globalThis as unknown as { go(): Promise<Record<string, number>> }).go(),
    );
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    const cpu: Record<string, number> = {};
    for (const [pid, kind] of procs) {
      cpu[kind] = (cpu[kind] ?? 0) + (cpuNs(pid) - before.get(pid)!) / 1e6;
    }
    if (r >= 0) {
      samples[name] ??= [];
      samples[name].push({ ...res, ...cpu });
    }
    if (process.env.GROVE_PROBE_EACH)
      console.log(r, name, Math.round(res.wallMs ?? 0), Math.round(cpu.browser ?? 0));
  }
}
await context.close();
await context.browser()?.close();
await server.close();
if (profile) rmSync(profile, { recursive: true, force: true });
const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
};
for (const [name, runs] of Object.entries(samples)) {
  const fields = Object.keys(runs[0]!);
  console.log(
    name.padEnd(12),
    fields.map((f) => `${f}=${median(runs.map((x) => x[f] ?? 0)).toFixed(1)}`).join(" "),
  );
}
process.exit(0);
