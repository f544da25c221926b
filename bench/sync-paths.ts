/**
 * The two sync paths side by side:
 * (b) sender uplink bytes per delta with 10 targets: relay fan-out (upload
 *     once) against the direct path (a copy per peer), in Node with real
 *     engines, a real relay process and in-process direct links;
 * (c) edit-to-visible latency over real WebRTC between two Chromium
 *     contexts, Grove's engine (sealed, verified, stored in IndexedDB before
 *     it shows) next to stock y-webrtc syncing a plaintext Y.Doc.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium, type Page } from "@playwright/test";
import { toHex } from "../core/crypto/bytes.js";
import type { RoutePolicy } from "../core/sync/routing.js";
import { bundleForBrowser, CHROMIUM_ARGS, chromiumPath } from "../test/e2e/browser.js";
import { callPage, pageFiles } from "../test/e2e/page-api.js";
import type { DeviceSetup, SyncPageApi } from "../test/e2e/pages/sync-page.js";
import { serveStatic } from "../test/e2e/static-server.js";
import { LoopbackHub } from "../test/loopback-mesh.js";
import { removeDir, startRelayProcess, waitFor } from "../test/relay-harness.js";
import {
  openLinked,
  queued,
  sendAndCount,
  spaceFor,
  type TestDevice,
} from "../test/sync-harness.js";
import { launchOnDisk, traceWhile } from "./disk-browser.js";
import type { CatchUpApi, CatchUpInput } from "./pages/catchup-page.js";
import { percentile, round } from "./timing.js";

const TARGETS = 10;
const UPLINK_DELTAS = 100;
/** A chat line, and a paragraph or a burst of typing. */
const DELTA_TEXT = { chatLine: 200, paragraph: 2000 };

/** (b): bytes the sender uploads per delta, one route pinned per run, for each delta size. */
export async function uplinkPerDelta() {
  const relay = await startRelayProcess();
  const sizes: Record<string, unknown> = {};
  try {
    for (const [size, textBytes] of Object.entries(DELTA_TEXT)) {
      sizes[size] = await uplinkRuns(relay.url, textBytes);
    }
  } finally {
    await relay.kill();
    removeDir(relay.dataDir);
  }
  return { targets: TARGETS, deltas: UPLINK_DELTAS, ...sizes, goalRatio: 0.12 };
}

async function uplinkRuns(relayUrl: string, textBytes: number) {
  const runs: Record<string, { bytesPerDelta: number; payloadPerDelta: number }> = {};
  {
    const routes: [string, RoutePolicy][] = [
      ["direct", { fanOutTargets: 1000, slowLinkMs: Number.POSITIVE_INFINITY }],
      ["relayFanOut", { fanOutTargets: 1, slowLinkMs: Number.POSITIVE_INFINITY }],
    ];
    for (const [name, routePolicy] of routes) {
      const fixture = spaceFor(TARGETS + 1);
      const devices = await openLinked(
        fixture,
        TARGETS + 1,
        new LoopbackHub(),
        () => relayUrl,
        (i) => (i === 0 ? { routePolicy } : {}),
      );
      try {
        runs[name] = await countPerDelta(devices, textBytes);
      } finally {
        for (const d of devices) {
          await d.stop();
          d.remove();
        }
      }
    }
  }
  return {
    ...runs,
    ratio: round(runs.relayFanOut!.bytesPerDelta / runs.direct!.bytesPerDelta, 3),
  };
}

async function countPerDelta([sender, ...targets]: TestDevice[], textBytes: number) {
  await waitFor(() => sender!.engine.relay?.status === "online", "sender online");
  // Every device's greeting (sync requests and answers) done, so only the deltas are counted.
  const all = [sender!, ...targets];
  await waitFor(
    async () => (await Promise.all(all.map(queued))).every((n) => n === 0),
    "greetings settled",
    60_000,
  );
  const texts = Array.from({ length: UPLINK_DELTAS }, (_, i) =>
    `${i} ${"lorem ipsum ".repeat(Math.ceil(textBytes / 12))}`.slice(0, textBytes),
  );
  const sent = await sendAndCount(sender!, targets, texts);
  const payload = sent.envelopes.reduce((n, e) => n + e.length, 0);
  return {
    bytesPerDelta: round((sent.direct + sent.relay) / UPLINK_DELTAS, 1),
    directBytesPerDelta: round(sent.direct / UPLINK_DELTAS, 1),
    relayBytesPerDelta: round(sent.relay / UPLINK_DELTAS, 1),
    payloadPerDelta: round(payload / UPLINK_DELTAS, 1),
  };
}

const LATENCY_EDITS = 300;

/** The pages' bundles (and scripts served beside them, a worker's, by path) as static files. */
async function bundledFiles(
  entries: Record<string, string>,
  scripts: Record<string, string>,
): Promise<Record<string, { type: string; body: string }>> {
  const files: Record<string, { type: string; body: string }> = {};
  for (const [name, entry] of Object.entries(entries)) {
    Object.assign(files, pageFiles(name, await bundleForBrowser(entry)));
  }
  for (const [path, entry] of Object.entries(scripts)) {
    files[path] = { type: "text/javascript", body: await bundleForBrowser(entry) };
  }
  return files;
}

/** Opens page `name` at `origin` in `page`, once its API is there. */
async function load(page: Page, origin: string, name: string): Promise<Page> {
  await page.goto(`${origin}/${name}.html`);
  await page.waitForFunction(() => "grove" in globalThis);
  return page;
}

/** Chromium with bundled pages served from loopback; `open` gives each page its own context. */
async function withBrowser<T>(
  entries: Record<string, string>,
  use: (open: (name: string) => Promise<Page>) => Promise<T>,
): Promise<T> {
  const browser = await chromium.launch({
    executablePath: chromiumPath(),
    args: CHROMIUM_ARGS,
  });
  const pages = await serveStatic(await bundledFiles(entries, {}));
  try {
    return await use(async (name) =>
      load(await (await browser.newContext()).newPage(), pages.origin, name),
    );
  } finally {
    await browser.close();
    await pages.close();
  }
}

/** Chromium with a profile on disk (disk-browser.ts); each page on an origin of its own. */
async function withDiskBrowser<T>(
  entries: Record<string, string>,
  use: (open: (name: string) => Promise<Page>) => Promise<T>,
  /** Scripts served beside the pages (a worker's), by path. */
  scripts: Record<string, string> = {},
): Promise<T> {
  const chrome = await launchOnDisk();
  const files = await bundledFiles(entries, scripts);
  const servers: Awaited<ReturnType<typeof serveStatic>>[] = [];
  try {
    return await use(async (name) => {
      // Its own origin: the pages' databases stay apart in the one profile.
      const server = await serveStatic(files);
      servers.push(server);
      return load(await chrome.context.newPage(), server.origin, name);
    });
  } finally {
    await chrome.close();
    for (const server of servers) await server.close();
  }
}

/** (a) in the app's setting: a Space over IndexedDB in Chromium, raw Yjs in the same page. */
export async function browserCatchUp(
  input: CatchUpInput,
  measuredRuns = 3,
  /** Another checkout whose catch-up page runs too, run for run beside this one's. */
  beforeCheckout?: string,
) {
  const entry = new URL("./pages/catchup-page.ts", import.meta.url).pathname;
  const entries: Record<string, string> = { catchup: entry };
  if (beforeCheckout)
    entries["catchup-before"] = join(beforeCheckout, "bench/pages/catchup-page.ts");
  // The app's worker, bundled on its own as the web build does: verify and decrypt off the page.
  const worker = new URL("../core/sync/dom-open-worker.ts", import.meta.url).pathname;
  // Every batch at once, as the page before this change hands them (the side-by-side figure);
  // and, beside it, each batch once the one before is taken, as the SyncEngine does.
  const mine = { ...input, workerUrl: "/open-worker.js", handover: "all" as const };
  const engineLike = { ...mine, handover: "engine" as const };
  return withDiskBrowser(
    entries,
    async (open) => {
      const page = await open("catchup");
      const beforePage = beforeCheckout ? await open("catchup-before") : undefined;
      await callPage<CatchUpApi, "run">(page, "run", mine); // warm-up (JIT, IndexedDB files)
      // The checkout before runs as this page does (every batch at once) with its own worker; a
      // checkout whose page has no opener ignores the worker and opens on its main thread.
      const theirs = { ...mine, workerUrl: "/open-worker-before.js" };
      const theirEngine = { ...theirs, handover: "engine" as const };
      if (beforePage) await callPage<CatchUpApi, "run">(beforePage, "run", theirs);
      // Best of three, as in Node: one run is at the mercy of a busy disk or a GC at the wrong time.
      const runs = [];
      const cpu: ThreadCpu[] = [];
      const engineRuns: Awaited<ReturnType<CatchUpApi["run"]>>[] = [];
      const engineCpu: ThreadCpu[] = [];
      const beforeMs: number[] = [];
      const beforeCpu: ThreadCpu[] = [];
      const beforeLongest: number[] = [];
      const beforeEngineMs: number[] = [];
      const beforeEngineCpu: ThreadCpu[] = [];
      for (let r = 0; r < measuredRuns; r++) {
        if (beforePage) {
          const traced = await threadCpu(beforePage, () =>
            callPage<CatchUpApi, "run">(beforePage, "run", theirs),
          );
          beforeMs.push(traced.result.groveMs);
          beforeLongest.push(traced.result.longestTaskMs);
          if (traced.cpu) beforeCpu.push(traced.cpu);
          // Its engine handover too (its page's own: before the engine took batches itself, a
          // next batch once the one before was taken, at a timer of 0).
          const engineBefore = await threadCpu(beforePage, () =>
            callPage<CatchUpApi, "run">(beforePage, "run", theirEngine),
          );
          beforeEngineMs.push(engineBefore.result.groveMs);
          if (engineBefore.cpu) beforeEngineCpu.push(engineBefore.cpu);
        }
        const traced = await threadCpu(page, () => callPage<CatchUpApi, "run">(page, "run", mine));
        runs.push(traced.result);
        if (traced.cpu) cpu.push(traced.cpu);
        const handedOver = await threadCpu(page, () =>
          callPage<CatchUpApi, "run">(page, "run", engineLike),
        );
        engineRuns.push(handedOver.result);
        if (handedOver.cpu) engineCpu.push(handedOver.cpu);
      }
      // One more run of each handover with a per-batch timeline (not counted): where the wall
      // time goes, batch by batch (pages/catchup-timeline.ts).
      const timelines = process.env.GROVE_BENCH_CATCHUP_TIMELINE
        ? {
            all: (await callPage<CatchUpApi, "run">(page, "run", { ...mine, timeline: true }))
              .timeline,
            engine: (
              await callPage<CatchUpApi, "run">(page, "run", { ...engineLike, timeline: true })
            ).timeline,
            // The checkout before, where its page records one (a page without timelines ignores
            // the flag and gives none).
            ...(beforePage && {
              beforeEngine: (
                await callPage<CatchUpApi, "run">(beforePage, "run", {
                  ...theirEngine,
                  timeline: true,
                })
              ).timeline,
            }),
          }
        : undefined;
      const profileTo = process.env.GROVE_BENCH_PROFILE_CATCHUP;
      if (profileTo) {
        // One more run under the CDP profiler (not counted), to see where the page's time goes.
        const cdp = await page.context().newCDPSession(page);
        await cdp.send("Profiler.enable");
        await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
        // The timed part alone (the page brackets it with console.profile), over several runs
        // (profileTo.0, .1, ...): the sampler takes about one sample a millisecond there.
        const profiles = Number(process.env.GROVE_BENCH_PROFILE_RUNS ?? 1);
        for (let i = 0; i < profiles; i++) {
          const finished = new Promise<unknown>((resolve) =>
            cdp.once("Profiler.consoleProfileFinished", (event) => resolve(event.profile)),
          );
          await callPage<CatchUpApi, "run">(page, "run", { ...engineLike, profile: true });
          writeFileSync(
            profiles === 1 ? profileTo : `${profileTo}.${i}`,
            JSON.stringify(await finished),
          );
        }
      }
      const run = runs.reduce((a, b) => (b.groveMs < a.groveMs ? b : a));
      const rawMs = Math.min(...runs.map((r) => r.rawMs));
      const rawBatchedMs = Math.min(...runs.map((r) => r.rawBatchedMs));
      return {
        runs: runs.length,
        groveMsEach: runs.map((r) => round(r.groveMs, 1)),
        rawMsEach: runs.map((r) => round(r.rawMs, 1)),
        store: "EncryptedStore over IdbStore (Chromium IndexedDB on disk, strict durability)",
        groveMs: round(run.groveMs, 1),
        rawMs: round(rawMs, 1),
        rawBatchedMs: round(rawBatchedMs, 1),
        ratioToRaw: round(run.groveMs / rawMs, 2),
        ratioToRawBatched: round(run.groveMs / rawBatchedMs, 2),
        longestTaskMs: round(run.longestTaskMs, 1),
        threadCpuMs: leastCpu(cpu),
        engineHandover: {
          groveMs: round(Math.min(...engineRuns.map((r) => r.groveMs)), 1),
          groveMsEach: engineRuns.map((r) => round(r.groveMs, 1)),
          ratioToRaw: round(Math.min(...engineRuns.map((r) => r.groveMs)) / rawMs, 2),
          ratioToRawBatched: round(Math.min(...engineRuns.map((r) => r.groveMs)) / rawBatchedMs, 2),
          longestTaskMs: round(Math.max(...engineRuns.map((r) => r.longestTaskMs)), 1),
          threadCpuMs: leastCpu(engineCpu),
        },
        backend: run.backend,
        secretbox: run.secretbox,
        opener: "Web Worker (core/sync/dom-open-worker.ts), as the app",
        workerFailures: run.workerFailures,
        workerBackends: run.workerBackends,
        workerFailure: run.workerFailure,
        ...(timelines && { timelines }),
        ...(beforeCheckout && {
          before: {
            checkout: beforeCheckout,
            groveMs: round(Math.min(...beforeMs), 1),
            groveMsEach: beforeMs.map((ms) => round(ms, 1)),
            ratioToRaw: round(Math.min(...beforeMs) / rawMs, 2),
            ratioToRawBatched: round(Math.min(...beforeMs) / rawBatchedMs, 2),
            longestTaskMs: round(Math.max(...beforeLongest), 1),
            threadCpuMs: leastCpu(beforeCpu),
            engineHandover: {
              groveMs: round(Math.min(...beforeEngineMs), 1),
              groveMsEach: beforeEngineMs.map((ms) => round(ms, 1)),
              ratioToRaw: round(Math.min(...beforeEngineMs) / rawMs, 2),
              threadCpuMs: leastCpu(beforeEngineCpu),
            },
          },
        }),
      };
    },
    {
      "/open-worker.js": worker,
      ...(beforeCheckout && {
        "/open-worker-before.js": join(beforeCheckout, "core/sync/dom-open-worker.ts"),
      }),
    },
  );
}

/** CPU time of the page's threads and the browser process over its timed catch-up, from a Chromium trace. */
interface ThreadCpu {
  /** The page's main thread (CrRendererMain): what the UI competes with. */
  mainMs: number;
  /** Wall time of the main thread's tasks: above mainMs, the thread was runnable but not run. */
  mainTaskWallMs: number;
  /** Its dedicated workers (the open worker). */
  workerMs: number;
  /** The renderer's thread pool (WebCrypto's signature checks and at-rest sealing). */
  poolMs: number;
  /**
   * The browser process, every thread (IndexedDB's backend and LevelDB run there); its
   * thread pool's share of it apart.
   */
  browserMs: number;
  browserPoolMs: number;
}

/**
 * Runs `call` under a trace and sums the thread time (`tdur`: CPU, not wall
 * clock, so it holds on a loaded machine where wall time does not) of the
 * top-level tasks of the page's renderer and of the browser process between
 * the page's `catchup:start` and `catchup:end` marks (the browser's clock is
 * the same: one trace). No figure when the page sets no
 * marks (a checkout from before them).
 */
async function threadCpu<R>(
  page: Page,
  call: () => Promise<R>,
): Promise<{ result: R; cpu?: ThreadCpu }> {
  // Every process, so the browser process's IndexedDB work is in it too.
  const { result, trace } = await traceWhile(page, ["toplevel", "blink.user_timing"], call);
  type Event = {
    ph: string;
    name: string;
    pid: number;
    tid: number;
    ts: number;
    dur?: number;
    tdur?: number;
  };
  type Meta = Event & { args: { name: string } };
  const parsed = JSON.parse(trace.toString()) as { traceEvents: Event[] } | Event[];
  const events = Array.isArray(parsed) ? parsed : parsed.traceEvents;
  const threads = new Map<string, string>();
  let browserPid: number | undefined;
  for (const e of events) {
    if (e.ph === "M" && e.name === "thread_name") {
      threads.set(`${e.pid}:${e.tid}`, (e as Meta).args.name);
    }
    if (e.ph === "M" && e.name === "process_name" && (e as Meta).args.name === "Browser") {
      browserPid = e.pid;
    }
  }
  const start = events.find((e) => e.name === "catchup:start");
  const end = events.find((e) => e.name === "catchup:end");
  if (!start || !end) return { result };
  const cpu: ThreadCpu = {
    mainMs: 0,
    mainTaskWallMs: 0,
    workerMs: 0,
    poolMs: 0,
    browserMs: 0,
    browserPoolMs: 0,
  };
  for (const e of events) {
    if (e.ph !== "X" || e.tdur === undefined) continue;
    if (e.pid !== start.pid && e.pid !== browserPid) continue;
    // A task across a mark (the page's call runs raw Yjs first, then starts the catch-up in
    // the same task) counts for the part of it inside, in proportion.
    const dur = Math.max(e.dur ?? 0, 1);
    const inside = Math.min(e.ts + dur, end.ts) - Math.max(e.ts, start.ts);
    if (inside <= 0) continue;
    const thread = threads.get(`${e.pid}:${e.tid}`) ?? "";
    const ms = (e.tdur / 1000) * Math.min(1, inside / dur);
    if (e.pid === browserPid) {
      // Top-level tasks only: a thread's task loop, or a pool task (nested events would count twice).
      if (e.name === "ThreadControllerImpl::RunTask") cpu.browserMs += ms;
      else if (e.name === "ThreadPool_RunTask") {
        cpu.browserMs += ms;
        cpu.browserPoolMs += ms;
      }
      continue;
    }
    if (e.name === "ThreadControllerImpl::RunTask" && thread === "CrRendererMain") {
      cpu.mainMs += ms;
      cpu.mainTaskWallMs += inside / 1000;
    } else if (e.name === "ThreadControllerImpl::RunTask" && thread.startsWith("DedicatedWorker")) {
      cpu.workerMs += ms;
    } else if (e.name === "ThreadPool_RunTask") cpu.poolMs += ms;
  }
  return { result, cpu };
}

/** The least of each figure over the runs (as best-of for wall time), rounded. */
function leastCpu(runs: ThreadCpu[]): ThreadCpu | undefined {
  if (runs.length === 0) return undefined;
  const least = (f: (c: ThreadCpu) => number) => round(Math.min(...runs.map(f)), 1);
  return {
    mainMs: least((c) => c.mainMs),
    mainTaskWallMs: least((c) => c.mainTaskWallMs),
    workerMs: least((c) => c.workerMs),
    poolMs: least((c) => c.poolMs),
    browserMs: least((c) => c.browserMs),
    browserPoolMs: least((c) => c.browserPoolMs),
  };
}

/** (c): edit on page a to visible on page b, over WebRTC, Grove and stock y-webrtc. */
export async function webrtcLatency() {
  const relay = await startRelayProcess();
  try {
    return await withBrowser(
      { sync: pagePath("sync-page.ts"), webrtc: pagePath("webrtc-page.ts") },
      async (open) => {
        const grove = await groveLatency(await open("sync"), await open("sync"), relay.url);
        const stock = await stockLatency(await open("webrtc"), await open("webrtc"), relay.url);
        return {
          edits: LATENCY_EDITS,
          grove,
          yWebrtc: stock,
          p50Ratio: round(grove.p50Ms / stock.p50Ms, 2),
          goalP50Ms: 10,
        };
      },
    );
  } finally {
    await relay.kill();
    removeDir(relay.dataDir);
  }
}

const pagePath = (file: string) => new URL(`../test/e2e/pages/${file}`, import.meta.url).pathname;

/** Makes edits one at a time; each sample is from the edit to its arrival on the other page. */
async function timeEdits(
  edit: (text: string) => Promise<number>,
  arrival: (text: string) => Promise<number | undefined>,
): Promise<number[]> {
  const samples: number[] = [];
  for (let i = 0; i < LATENCY_EDITS; i++) {
    const text = `edit ${i}`;
    const sent = await edit(text);
    let seen: number | undefined;
    await waitFor(async () => {
      seen = await arrival(text);
      return seen !== undefined;
    }, `edit ${i} at the other page`);
    samples.push(seen! - sent);
  }
  return samples;
}

function summary(samples: number[]) {
  const sorted = [...samples].sort((x, y) => x - y);
  return {
    p50Ms: round(percentile(sorted, 50), 2),
    p99Ms: round(percentile(sorted, 99), 2),
    maxMs: round(sorted[sorted.length - 1]!, 2),
  };
}

async function groveLatency(a: Page, b: Page, relayUrl: string) {
  const call = <M extends keyof SyncPageApi & string>(
    page: Page,
    method: M,
    ...args: Parameters<SyncPageApi[M]>
  ) => callPage<SyncPageApi, M>(page, method, ...args);
  const fixture = spaceFor(2);
  const members = fixture.members.map((m) => [
    toHex(m.publicKey),
    "member",
  ]) as DeviceSetup["members"];
  const setup = (i: number): DeviceSetup => ({
    relayUrl,
    spaceId: toHex(fixture.spaceId),
    epochKey: toHex(fixture.epochKey),
    members,
    secretKey: toHex(fixture.members[i]!.secretKey),
  });
  await call(a, "open", setup(0));
  await call(b, "open", setup(1));
  await waitFor(async () => (await call(a, "directPeers")) === 1, "grove peers linked", 30_000);
  await waitFor(async () => (await call(a, "queued")) === 0, "greetings settled");
  await call(b, "watchArrivals");
  const samples = await timeEdits(
    (text) => call(a, "sayTimed", text),
    (text) => call(b, "arrival", text),
  );
  return { ...summary(samples), route: await call(a, "route") };
}

type StockApi = {
  join(url: string, room: string, password: string): void;
  webrtcPeers(): number;
  signalingConnected(): boolean;
  insertTimed(text: string): number;
  watchArrivals(): void;
  arrival(text: string): number | undefined;
};

async function stockLatency(a: Page, b: Page, relayUrl: string) {
  const call = <M extends keyof StockApi & string>(
    page: Page,
    method: M,
    ...args: Parameters<StockApi[M]>
  ) => callPage<StockApi, M>(page, method, ...args);
  const room = `bench-${Date.now()}`;
  // One after the other: stock y-webrtc can stall on offer glare (Grove's mesh retries).
  await call(a, "join", `${relayUrl}/signal`, room, "secret");
  await waitFor(() => call(a, "signalingConnected"), "a at the signaling server");
  await call(b, "join", `${relayUrl}/signal`, room, "secret");
  await waitFor(async () => (await call(a, "webrtcPeers")) === 1, "y-webrtc peers linked", 30_000);
  await call(b, "watchArrivals");
  const samples = await timeEdits(
    (text) => call(a, "insertTimed", text),
    (text) => call(b, "arrival", text),
  );
  return summary(samples);
}
