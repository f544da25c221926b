/**
 * `npm run bench -- notes`: the note editors in the built web app, two
 * members in Chromium against a real relay, the rich editor (TipTap) and
 * decision 44's textarea side by side in one run (a test-hooks switch,
 * `groveNotesEditor = "plain"`, puts the textarea back).
 *
 * (a) Keystroke to local DOM, typed at 25 keys a second; p50, p99, three ways
 *     from the keydown event's timestamp (when the browser took the key, so
 *     time spent waiting behind other work on the page counts):
 *     - `keystrokeToLocalDomMs` (the issue's figure, as before): to the first
 *       task after the input event's handlers; the character is in the
 *       editor's DOM and the doc by then, but that task also waits for
 *       whatever the page queued ahead of it (a frame's rendering, a timer);
 *     - `keystrokeHandledMs`: to the end of the input event's handling (a
 *       microtask queued by the last input listener): the keystroke's own work;
 *     - `keystrokeToFrameMs`: to the end of the next frame's main-thread work
 *       (a task queued from its animation-frame callback), so it counts the
 *       wait for that frame (up to 16.7 ms at 60 Hz) and its style, layout and
 *       paint: when the character can first be on screen.
 *     Goal: p99 under 16 ms on the second, the character in the DOM (decision
 *     119: the first task after the handlers runs after the keystroke's frame
 *     about one key in three, up to a frame later, so the first figure's p99
 *     is a frame interval plus the handling, in the textarea too).
 *     Beside them, `whileTypingPerKey`: the page's other work while typing,
 *     counted per key (renders of the whole view, IndexedDB requests).
 *     GROVE_BENCH_NOTES_TRACE=<dir> writes a Chromium trace of each typing
 *     run there; GROVE_BENCH_NOTES_LOCAL_ONLY=1 runs (a) alone.
 *     With GROVE_BENCH_NOTES_BEFORE=<dir> (a checkout of an earlier Grove
 *     with node_modules linked, e.g. `git archive main` unpacked), that
 *     checkout's app is typed into too, in the same browser, one after the
 *     other for each editor, and reported as `before`.
 * (b) Remote keystroke to the other's DOM: from Ann's keydown (wall clock,
 *     same machine) to the character in Bob's editor, one key at a time,
 *     each as soon as Bob has the last (mid-burst: with every member linked
 *     directly, typing is sealed 16 ms after the last key, 50 ms at most,
 *     decision 109; through the relay Space.type's 300 ms pause decides), and
 *     again with 1.2 s before each key (a word started after a stop, which
 *     leaves at once: decision 82). Both editors alike.
 * (d) Rich only: Ann's caret appearing and going in Bob's editor (whereabouts
 *     take the WebRTC link when the two are linked, else the relay's
 *     ephemeral path: `route`), from her click.
 * Goals (also as `goals`, which bench/report.html shows with the figures):
 * keystroke in the local DOM p99 under 16 ms; remote keystroke over WebRTC p50
 * under 50 ms; opening the 20,000-word note under 300 ms.
 * (c) Opening a 20,000-word note (200 paragraphs): from the click on its
 *     list entry to its last word in the editor's DOM, checked each frame;
 *     median of several opens. The rich editor's first open, which migrates
 *     the note from the textarea's text, is reported on its own.
 */
import { loadavg } from "node:os";
import { join } from "node:path";
import { type Browser, chromium, type Page } from "@playwright/test";
import { build } from "vite";
import { buildRenderer } from "../test/e2e/app-build.js";
import { CHROMIUM_ARGS, chromiumPath } from "../test/e2e/browser.js";
import { startRelayProcess, waitFor } from "../test/relay-harness.js";
import type { Goal } from "./curve.js";
import { round } from "./timing.js";

const LOCAL_KEYS = Number(process.env.GROVE_BENCH_NOTE_KEYS ?? 300);
const REMOTE_KEYS = Number(process.env.GROVE_BENCH_NOTE_REMOTE_KEYS ?? 30);
const PAUSED_KEYS = Number(process.env.GROVE_BENCH_NOTE_PAUSED_KEYS ?? 15);
const TRACE = process.env.GROVE_BENCH_NOTES_TRACE;
/** The main thread's tasks, events, timers, frames and GC; no JS sampling (it skews the figures). */
const TRACE_CATEGORIES = [
  "toplevel",
  "devtools.timeline",
  "disabled-by-default-devtools.timeline",
  "v8.execute",
  "v8",
];
/** Only (a), for working on it: GROVE_BENCH_NOTES_LOCAL_ONLY=1. */
const LOCAL_ONLY = process.env.GROVE_BENCH_NOTES_LOCAL_ONLY === "1";
const WORDS = 20_000;
const OPENS = 5;

type Client = import("../renderer/src/model/client.js").GroveClient;
type NotesModel = import("../renderer/src/tools/notes/model.js").NotesModel;
declare const groveClient: Client;

type Kind = "rich" | "plain";

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
}

async function person(browser: Browser, url: string, relayUrl: string, name: string) {
  const page = await (
    await browser.newContext({ viewport: { width: 1200, height: 900 } })
  ).newPage();
  // tsx keeps function names with a helper the page lacks: give it one that does nothing.
  await page.addInitScript(() => {
    (globalThis as { __name?: unknown }).__name = (f: unknown) => f;
  });
  await page.goto(url);
  await page.waitForFunction(() => groveClient.phase !== "loading");
  await page.evaluate(
    ({ name, relayUrl }) =>
      groveClient.onboard({ name, email: "", deviceName: `${name}'s bench`, relayUrl }),
    { name, relayUrl },
  );
  return page;
}

const setKind = (page: Page, kind: Kind) =>
  page.evaluate((k) => {
    (globalThis as { groveNotesEditor?: string }).groveNotesEditor = k;
  }, kind);

async function openNote(page: Page, title: string) {
  await page.getByRole("button", { name: new RegExp(`^${title}`) }).click({ timeout: 60_000 });
  await page.getByLabel("Note text").waitFor();
}

async function back(page: Page) {
  await page.getByRole("button", { name: "← All notes" }).click();
}

/** (a): per key, from keydown to the first task after it, to the end of its handling, to its frame (ms). */
async function localLatency(page: Page, keys: number, trace?: string): Promise<LocalTimes> {
  await page.evaluate(() => {
    const w = globalThis as unknown as { keyTimes: LocalTimes; keyWatch?: true };
    w.keyTimes = { nextTask: [], handled: [], frame: [], renders: 0, storeRequests: 0 };
    if (w.keyWatch) return;
    w.keyWatch = true;
    // The page's other work while typing, counted: renders of the whole view, and
    // IndexedDB requests (the store's and the outboxes').
    groveClient.on("change", () => w.keyTimes.renders++);
    const store = IDBObjectStore.prototype as unknown as Record<string, unknown>;
    for (const m of [
      "put",
      "add",
      "get",
      "getAll",
      "getAllKeys",
      "delete",
      "openCursor",
      "count",
    ]) {
      const original = store[m] as (...args: unknown[]) => unknown;
      store[m] = function (this: IDBObjectStore, ...args: unknown[]) {
        w.keyTimes.storeRequests++;
        return original.apply(this, args);
      };
    }
    let t0 = 0;
    document.addEventListener("keydown", (e) => (t0 = e.timeStamp), true);
    // First of the input listeners: the task after them.
    document.addEventListener(
      "input",
      () => {
        const start = t0;
        setTimeout(() => w.keyTimes.nextTask.push(performance.now() - start), 0);
      },
      true,
    );
    // Last of them (the editors listen on their element; ProseMirror reads the DOM's
    // change in a microtask after the first listener): the keystroke handled.
    window.addEventListener("input", () => {
      const start = t0;
      queueMicrotask(() => w.keyTimes.handled.push(performance.now() - start));
      requestAnimationFrame(() =>
        setTimeout(() => w.keyTimes.frame.push(performance.now() - start), 0),
      );
    });
  });
  await page.getByLabel("Note text").click();
  const text = "the quick brown fox jumps over the lazy dog ".repeat(Math.ceil(keys / 44));
  // A Chromium trace of the typing, for finding what makes the tail (GROVE_BENCH_NOTES_TRACE=<dir>).
  if (TRACE && trace) {
    await page
      .context()
      .browser()
      ?.startTracing(page, { path: join(TRACE, `${trace}.json`), categories: TRACE_CATEGORIES });
  }
  await page.keyboard.type(text.slice(0, keys), { delay: 40 });
  if (TRACE && trace) await page.context().browser()?.stopTracing();
  await waitFor(
    () =>
      page.evaluate(() => {
        const { handled, frame } = (globalThis as unknown as { keyTimes: LocalTimes }).keyTimes;
        return frame.length >= handled.length;
      }),
    "the last key's frame",
    10_000,
  );
  return page.evaluate(() => (globalThis as unknown as { keyTimes: LocalTimes }).keyTimes);
}

interface LocalTimes {
  nextTask: number[];
  handled: number[];
  frame: number[];
  renders: number;
  storeRequests: number;
}

const localFigures = (t: LocalTimes) => ({
  keystrokeToLocalDomMs: stats(t.nextTask),
  keystrokeHandledMs: stats(t.handled),
  keystrokeToFrameMs: stats(t.frame),
  // Counted from the first key to the last key's frame.
  whileTypingPerKey: {
    renders: round(t.renders / t.handled.length, 3),
    storeRequests: round(t.storeRequests / t.handled.length, 3),
  },
});

/** The count of `q` in the open note's editor, caret labels aside. */
const countQ = (page: Page) =>
  page.evaluate(() => {
    const el = document.querySelector('[aria-label="Note text"]') as HTMLElement | null;
    if (!el) return 0;
    const text = el instanceof HTMLTextAreaElement ? el.value : (el.textContent ?? "");
    return text.split("q").length - 1;
  });

/** (b): Ann's keydown to the character in Bob's DOM, one key at a time, in ms. */
async function remoteLatency(a: Page, b: Page, keys: number, gapMs = 0): Promise<number[]> {
  // Bob first has all Ann typed before (the local run's text has q's too).
  await waitFor(
    async () => (await countQ(b)) === (await countQ(a)),
    "Bob to catch up with Ann",
    30_000,
  );
  const base = await countQ(b);
  await b.evaluate(() => {
    const w = globalThis as unknown as { seenAt: number[]; seen: number; seenWatch?: true };
    w.seenAt = [];
    const count = () => {
      const el = document.querySelector('[aria-label="Note text"]') as HTMLElement | null;
      if (!el) return 0;
      const text = el instanceof HTMLTextAreaElement ? el.value : (el.textContent ?? "");
      return text.split("q").length - 1;
    };
    w.seen = count();
    if (w.seenWatch) return;
    w.seenWatch = true;
    const check = () => {
      const n = count();
      while (w.seen < n) {
        w.seenAt.push(performance.timeOrigin + performance.now());
        w.seen++;
      }
    };
    const space = [...groveClient.spaces.values()][0]!.member.space;
    // Right after the remote update is applied (the editors render it synchronously)...
    space.on("remoteChange", () => setTimeout(check, 0));
    // ...and every frame, in case a render waits for one.
    const frame = () => {
      check();
      requestAnimationFrame(frame);
    };
    requestAnimationFrame(frame);
  });
  await a.evaluate(() => {
    const w = globalThis as unknown as { pressedAt: number[]; pressWatch?: true };
    w.pressedAt = [];
    if (w.pressWatch) return;
    w.pressWatch = true;
    document.addEventListener(
      "keydown",
      (e) => {
        if (e.key === "q") w.pressedAt.push(performance.timeOrigin + e.timeStamp);
      },
      true,
    );
  });
  await a.getByLabel("Note text").click();
  await a.keyboard.press("End");
  let last = Date.now();
  for (let i = 1; i <= keys; i++) {
    // A pause before each key when asked: a word started after a stop, not mid-burst.
    if (gapMs > 0) await waitFor(async () => Date.now() - last >= gapMs, "the pause", gapMs + 1000);
    last = Date.now();
    await a.keyboard.press("q");
    await waitFor(async () => (await countQ(b)) >= base + i, "Bob to see the key", 30_000).catch(
      async (err: Error) => {
        throw new Error(
          `${err.message}: Ann has ${await countQ(a)}, Bob ${await countQ(b)}, wanted ${base + i}`,
        );
      },
    );
  }
  const pressed = await a.evaluate(
    () => (globalThis as unknown as { pressedAt: number[] }).pressedAt,
  );
  const seen = await b.evaluate(() => (globalThis as unknown as { seenAt: number[] }).seenAt);
  return pressed.map((t, i) => seen[i]! - t);
}

/**
 * (d) Caret to the other member: Ann focuses the editor (her caret appears in
 * Bob's) or leaves it (it goes); from her mousedown to the change in Bob's
 * DOM, through the relay's ephemeral path, in ms. Each move waits out the
 * 250 ms throttle first: this is the path's latency; a caret moving
 * continuously is shown at most 250 ms late on top of it.
 */
async function caretLatency(a: Page, b: Page, rounds: number): Promise<number[]> {
  // Start with Ann out of the editor, her caret gone at Bob's.
  await a.getByLabel("Note title").click();
  await waitFor(
    () => b.evaluate(() => document.querySelector(".collaboration-carets__label") === null),
    "Ann's caret gone at Bob's",
    30_000,
  );
  await b.evaluate(() => {
    const w = globalThis as unknown as { caretSeen: number[] };
    w.caretSeen = [];
    let shown = document.querySelector(".collaboration-carets__label") !== null;
    new MutationObserver(() => {
      const now = document.querySelector(".collaboration-carets__label") !== null;
      if (now !== shown) w.caretSeen.push(performance.timeOrigin + performance.now());
      shown = now;
    }).observe(document.body, { childList: true, subtree: true });
  });
  await a.evaluate(() => {
    const w = globalThis as unknown as { clickedAt: number[] };
    w.clickedAt = [];
    document.addEventListener(
      "mousedown",
      (e) => w.clickedAt.push(performance.timeOrigin + e.timeStamp),
      true,
    );
  });
  // Each move after the throttle's interval (250 ms) has run out: the latency, not the throttle.
  const quiet = () =>
    waitFor(
      () =>
        a.evaluate(() => {
          const where = [...groveClient.spaces.values()][0]!.whereabouts as unknown as {
            lastSendAt: number;
            intervalMs: number;
          };
          return Date.now() > where.lastSendAt + where.intervalMs;
        }),
      "the caret throttle to run out",
      30_000,
    );
  for (let i = 0; i < rounds; i++) {
    await quiet();
    await a.getByLabel("Note text").click();
    await waitFor(
      () => b.evaluate(() => document.querySelector(".collaboration-carets__label") !== null),
      "Ann's caret at Bob's",
      30_000,
    );
    await quiet();
    await a.getByLabel("Note title").click();
    await waitFor(
      () => b.evaluate(() => document.querySelector(".collaboration-carets__label") === null),
      "Ann's caret gone at Bob's",
      30_000,
    );
  }
  const clicked = await a.evaluate(
    () => (globalThis as unknown as { clickedAt: number[] }).clickedAt,
  );
  const seen = await b.evaluate(() => (globalThis as unknown as { caretSeen: number[] }).caretSeen);
  return clicked.map((t, i) => seen[i]! - t);
}

/** (c): click on the list entry to the last word in the editor, in ms. */
function timeOpen(page: Page, title: string, lastWord: string): Promise<number> {
  return page.evaluate(
    ({ title, lastWord }) =>
      new Promise<number>((resolve, reject) => {
        const button = Array.from(document.querySelectorAll("button.topic")).find((b) =>
          b.textContent?.startsWith(title),
        ) as HTMLButtonElement | undefined;
        if (!button) return reject(new Error(`no note ${title}`));
        const t0 = performance.now();
        button.click();
        const deadline = t0 + 60_000;
        const frame = () => {
          const el = document.querySelector('[aria-label="Note text"]') as HTMLElement | null;
          const text = el
            ? el instanceof HTMLTextAreaElement
              ? el.value
              : (el.lastElementChild?.textContent ?? "")
            : "";
          if (text.includes(lastWord)) resolve(performance.now() - t0);
          else if (performance.now() > deadline) reject(new Error("the note never showed"));
          else requestAnimationFrame(frame);
        };
        frame();
      }),
    { title, lastWord },
  );
}

const stats = (values: number[]) => ({
  n: values.length,
  p50: round(quantile(values, 0.5)),
  p99: round(quantile(values, 0.99)),
  max: round(Math.max(...values)),
});

/** A relay serving `appDir`, Ann and Bob in one space on it, both in its Notes tab. */
async function setUp(browser: Browser, appDir: string) {
  const relay = await startRelayProcess({ args: ["--app-dir", appDir] });
  const url = `http://127.0.0.1:${relay.port}/app/`;
  const a = await person(browser, url, relay.url, "Ann");
  const b = await person(browser, url, relay.url, "Bob");
  const link = await a.evaluate(async () => {
    const h = await groveClient.createSpace("Bench");
    const { url } = await groveClient.invite(h.id, {
      role: "member",
      mode: "open",
      expiresInHours: 1,
      oneTime: false,
    });
    return url;
  });
  await b.evaluate((l) => groveClient.join(l).then(() => undefined), link);
  await waitFor(
    () => b.evaluate(() => [...groveClient.spaces.values()][0]?.isMember === true),
    "Bob to be let in",
    60_000,
  );
  // The long note, written the textarea's way: the same text for both editors.
  const words = Array.from({ length: WORDS }, (_, i) => `word${i}`);
  words[WORDS - 1] = "lastword";
  const lines = Array.from({ length: WORDS / 100 }, (_, i) =>
    words.slice(i * 100, (i + 1) * 100).join(" "),
  );
  await a.evaluate(async (text) => {
    const h = [...groveClient.spaces.values()][0]!;
    const notes = h.model("notes") as NotesModel;
    const id = await notes.createNote("Long note");
    while (!notes.notes().some((n) => n.id === id)) await new Promise((r) => setTimeout(r, 20));
    notes.typeInNote(id, { index: 0, remove: 0, insert: text });
    await h.member.space.flush();
  }, lines.join("\n"));

  for (const page of [a, b]) {
    await page
      .getByRole("navigation")
      .getByRole("button", { name: /^Bench/ })
      .click();
    await page.getByRole("tab", { name: /^Notes/ }).click();
  }
  await waitFor(
    async () => (await b.getByRole("button", { name: /^Long note/ }).count()) > 0,
    "Bob to have the long note",
    60_000,
  );
  return { relay, a, b };
}

/** Ann starts a note for `kind`'s editor; both open it. */
async function startTyping(a: Page, b: Page, kind: Kind) {
  for (const page of [a, b]) await setKind(page, kind);
  const title = `Typing ${kind}`;
  await a.evaluate(async (t) => {
    const h = [...groveClient.spaces.values()][0]!;
    await (h.model("notes") as NotesModel).createNote(t);
  }, title);
  await openNote(a, title);
  await openNote(b, title);
}

/** An earlier checkout's app, built beside this one's (see (a)). */
async function buildBefore(dir: string): Promise<string> {
  process.env.GROVE_TEST_HOOKS = "1";
  await build({ configFile: join(dir, "renderer/vite.config.ts"), logLevel: "error" });
  return join(dir, "renderer/dist");
}

export async function runNotesBench() {
  const loadBefore = loadavg()[0]!;
  const appDir = await buildRenderer();
  const beforeDir = process.env.GROVE_BENCH_NOTES_BEFORE;
  const beforeApp = beforeDir ? await buildBefore(beforeDir) : undefined;
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  const relays: { kill(): Promise<unknown> }[] = [];
  try {
    const { relay, a, b } = await setUp(browser, appDir);
    relays.push(relay);
    const old = beforeApp ? await setUp(browser, beforeApp) : undefined;
    if (old) relays.push(old.relay);

    const figures: Record<Kind, KindFigures & Record<string, unknown>> = { plain: {}, rich: {} };
    const before: Partial<Record<Kind, ReturnType<typeof localFigures>>> = {};
    // The textarea first: the rich editor's first open migrates the long note.
    for (const kind of ["plain", "rich"] as const) {
      if (old) {
        await startTyping(old.a, old.b, kind);
        before[kind] = localFigures(await localLatency(old.a, LOCAL_KEYS, `before-${kind}`));
        await back(old.a);
        await back(old.b);
      }
      await startTyping(a, b, kind);
      const local = await localLatency(a, LOCAL_KEYS, kind);
      if (process.env.GROVE_BENCH_DEBUG) console.error(kind, JSON.stringify(local));
      if (LOCAL_ONLY) {
        figures[kind] = localFigures(local);
        await back(a);
        await back(b);
        continue;
      }
      const remote = await remoteLatency(a, b, REMOTE_KEYS);
      const afterPause = await remoteLatency(a, b, PAUSED_KEYS, 1200);
      const carets = kind === "rich" ? await caretLatency(a, b, 10) : undefined;
      const route = await a.evaluate(
        () => (groveClient as unknown as { engine?: { route?: { reason: string } } }).engine?.route,
      );
      await back(a);
      await back(b);
      const opens: number[] = [];
      let firstOpen: number | undefined;
      if (kind === "rich") {
        firstOpen = await timeOpen(a, "Long note", "lastword");
        await back(a);
      }
      for (let i = 0; i < OPENS; i++) {
        opens.push(await timeOpen(a, "Long note", "lastword"));
        await back(a);
      }
      figures[kind] = {
        ...localFigures(local),
        remoteKeystrokeToDomMs: stats(remote),
        remoteKeystrokeAfterPauseMs: stats(afterPause),
        route: route?.reason,
        ...(carets && { caretToOtherMs: stats(carets) }),
        open20kWordsMs: { median: round(quantile(opens, 0.5)), runs: opens.map((o) => round(o)) },
        ...(firstOpen !== undefined && { firstOpenWithMigrationMs: round(firstOpen) }),
      };
    }
    return {
      // The machine is shared: its 1-minute load average before and after, for reading the figures.
      load: { before: round(loadBefore), after: round(loadavg()[0]!) },
      shape: { localKeys: LOCAL_KEYS, remoteKeys: REMOTE_KEYS, words: WORDS, opens: OPENS },
      rich: figures.rich,
      textarea: figures.plain,
      ...(old && { before: { checkout: beforeDir, rich: before.rich, textarea: before.plain } }),
      goals: goalsOf(figures, round(loadBefore)),
    };
  } finally {
    await browser.close();
    for (const r of relays) await r.kill();
  }
}

type Stats = ReturnType<typeof stats>;
interface KindFigures {
  keystrokeToLocalDomMs?: Stats;
  keystrokeHandledMs?: Stats;
  keystrokeToFrameMs?: Stats;
  remoteKeystrokeToDomMs?: Stats;
  remoteKeystrokeAfterPauseMs?: Stats;
  route?: string | undefined;
  open20kWordsMs?: { median: number; runs: number[] };
}

/** The goals against this run's figures, the textarea's beside the rich editor's. */
function goalsOf(figures: Record<Kind, KindFigures>, load: number): Goal[] {
  const { rich, plain } = figures;
  const limits = `2 shared cores (1-minute load ${load} before the run); both editors in one Chromium, one after the other`;
  const viaWebrtc = rich.route === "direct" ? "over WebRTC" : `route "${rich.route}", not WebRTC`;
  return [
    {
      goal: "Notes: keystroke to the local DOM under 16 ms p99 (rich editor)",
      figure: `in the DOM (keystroke handled) p99 ${rich.keystrokeHandledMs?.p99} ms, p50 ${rich.keystrokeHandledMs?.p50} ms (textarea: p99 ${plain.keystrokeHandledMs?.p99} ms, p50 ${plain.keystrokeHandledMs?.p50} ms); to the first task after it, the figure before decision 119, p99 ${rich.keystrokeToLocalDomMs?.p99} ms, p50 ${rich.keystrokeToLocalDomMs?.p50} ms (textarea: ${plain.keystrokeToLocalDomMs?.p99} / ${plain.keystrokeToLocalDomMs?.p50} ms); to the end of its frame p99 ${rich.keystrokeToFrameMs?.p99} ms (textarea: ${plain.keystrokeToFrameMs?.p99} ms)`,
      met: (rich.keystrokeHandledMs?.p99 ?? Number.POSITIVE_INFINITY) < 16,
      limits: `${limits}; the first task after a keystroke often waits for the next frame (Chromium renders first after input), up to 16.7 ms at 60 Hz, so that figure cannot have a p99 under 16 ms even in the textarea (decision 119)`,
    },
    {
      goal: "Notes: remote keystroke to the other's DOM over WebRTC under 50 ms p50",
      figure: `after a pause ${rich.remoteKeystrokeAfterPauseMs?.p50} ms p50, mid-burst ${rich.remoteKeystrokeToDomMs?.p50} ms p50, ${viaWebrtc} (textarea: ${plain.remoteKeystrokeAfterPauseMs?.p50} / ${plain.remoteKeystrokeToDomMs?.p50} ms)`,
      // Mid-burst counts: a key typed while others follow is what typing mostly is.
      met:
        Math.max(
          rich.remoteKeystrokeAfterPauseMs?.p50 ?? Number.POSITIVE_INFINITY,
          rich.remoteKeystrokeToDomMs?.p50 ?? Number.POSITIVE_INFINITY,
        ) < 50 && rich.route === "direct",
      limits: `${limits}; a key after a pause leaves at once (decision 82); mid-burst, with every member linked directly, typing is sealed 16 ms after the last key and 50 ms at most (decision 109; through the relay it waits for Space.type's 300 ms pause), the same for both editors`,
    },
    {
      goal: "Notes: opening a 20,000-word note under 300 ms (median)",
      figure: `${rich.open20kWordsMs?.median} ms (textarea: ${plain.open20kWordsMs?.median} ms)`,
      met: (rich.open20kWordsMs?.median ?? Number.POSITIVE_INFINITY) < 300,
      limits,
    },
  ];
}
