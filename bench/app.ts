/**
 * `npm run bench -- app`: the built web app in Chromium against a real relay.
 *
 * (a) Launch to an interactive space list with 30 spaces of 1,000 chat
 *     messages each (written by the app itself, one envelope per message):
 *     from navigation start to the app's "grove:interactive" mark, with
 *     every space open; median of several reloads. Goal: under 0.5 s, and
 *     1.5 s right after writing (no checkpoint yet). Beside it, when the last
 *     space's doc was built (spaces listed from summaries build theirs after).
 * (b) The app catching up on 10,000 chat messages another member (a Node
 *     device on the same relay, let in by the app first) wrote while it was
 *     closed: from the first delivery until the space holds them all (goal:
 *     2 s), and the long tasks meanwhile (goal: none over 50 ms).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "@playwright/test";
import { toHex } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { certifyDevice, generateDeviceKeys, generateUserKeys } from "../core/crypto/identity.js";
import { parseInviteUrl } from "../core/membership/invite-link.js";
import { joinByLink } from "../core/membership/join-by-link.js";
import { draftPost, putMessage } from "../core/space/tools/chat.js";
import { signRecord } from "../core/space/tools/signed-records.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import { relayLink } from "../core/sync/links.js";
import { SyncEngine } from "../core/sync/sync-engine.js";
import { buildRenderer } from "../test/e2e/app-build.js";
import {
  connectWs,
  removeDir,
  startRelayProcess,
  tempDir,
  waitFor,
} from "../test/relay-harness.js";
import { launchOnDisk, startTrace } from "./disk-browser.js";
import { MemoryStore } from "./memory-store.js";
import { round } from "./timing.js";

// Smaller figures (GROVE_BENCH_SPACES etc.) for trying the bench out; results use the defaults.
const SPACES = Number(process.env.GROVE_BENCH_SPACES ?? 30);
const MESSAGES = Number(process.env.GROVE_BENCH_MESSAGES ?? 1000);
const CATCH_UP = Number(process.env.GROVE_BENCH_CATCH_UP ?? 10_000);
const LAUNCHES = 5;

type Client = import("../renderer/src/model/client.js").GroveClient;
type ChatModel = import("../renderer/src/tools/chat/model.js").ChatModel;
declare const groveClient: Client;

export async function ready(page: Page) {
  await page.waitForFunction(() => groveClient.phase !== "loading", undefined, {
    timeout: 120_000,
  });
}

/** Reloads and reads how long the app took to its interactive mark, and its longest task. */
/** `spaces` new spaces of `messages` messages each, written through the app, one envelope each. */
export async function writeSpaces(page: Page, spaces: number, messages: number): Promise<void> {
  await page.evaluate(
    async ({ spaces, messages }) => {
      const handles = [];
      for (let s = 0; s < spaces; s++)
        handles.push(await groveClient.createSpace(`Space ${s + 1}`));
      await Promise.all(
        handles.map(async (h) => {
          const chat = h.model("chat") as ChatModel;
          for (let m = 0; m < messages; m++) await chat.send(`message ${m + 1} in ${h.name}`);
        }),
      );
    },
    { spaces, messages },
  );
}

/** Uncaught errors of each page, for a launch that never gets interactive to say why. */
const pageErrors = new WeakMap<Page, string[]>();

export async function launch(page: Page, spaces: number): Promise<number> {
  return (await launchTimes(page, spaces)).interactive;
}

/** Tasks of 50 ms or more, as Chromium reports them, from each page load on (a string: see below). */
const LONG_TASKS = `(() => {
  window.launchTasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.launchTasks.push([e.startTime, e.duration]);
  }).observe({ type: "longtask", buffered: true });
})();`;

/**
 * A launch's figure (`interactive`: the later of the list's first paint and every space open),
 * when every space's doc was built (`docsBuilt`), and the longest main-thread tasks until the
 * figure and after it (0: none of 50 ms or more). Spaces listed from their summaries open
 * before their docs are built (decision 143), so `docsBuilt` comes later; in an app without
 * summaries every doc is built at open, and the two are the same.
 */
export async function launchTimes(
  page: Page,
  spaces: number,
): Promise<{ interactive: number; docsBuilt: number; longestTaskMs: [number, number] }> {
  if (!pageErrors.has(page)) {
    const errors: string[] = [];
    pageErrors.set(page, errors);
    page.on("pageerror", (err) => errors.push(err.message));
    await page.addInitScript(LONG_TASKS);
  }
  await page.reload();
  await page
    .waitForFunction(
      () =>
        performance.getEntriesByName("grove:interactive").length > 0 &&
        performance.getEntriesByName("grove:spaces-open").length > 0,
      undefined,
      // Polled by timer: animation frames stop in a page Chromium deems hidden, and the
      // marks' own times are what is read, not when this saw them.
      { timeout: 120_000, polling: 50 },
    )
    .catch(async (err: Error) => {
      const state = await page.evaluate(() => [
        groveClient.phase,
        groveClient.failure,
        `${groveClient.spaces.size} open`,
      ]);
      const errors = (pageErrors.get(page) ?? []).slice(-3);
      throw new Error(
        `${err.message}; app state: ${JSON.stringify(state)}; page errors: ${JSON.stringify(errors)}`,
      );
    });
  // Interactive: the space list is on the page (the Sidebar's first paint) and every listed
  // space is open in it (the client's mark), whichever came last.
  const interactive = await page.evaluate((expected) => {
    const painted = performance.getEntriesByName("grove:interactive")[0] as PerformanceMark;
    const open = performance.getEntriesByName("grove:spaces-open")[0] as PerformanceMark;
    const shown = (open.detail as { spaces: number }).spaces;
    if (shown !== expected) throw new Error(`interactive with ${shown} of ${expected} spaces`);
    return Math.max(painted.startTime, open.startTime);
  }, spaces);
  // Every handle built (an app whose handles have no `waiting` builds them at open).
  await page.waitForFunction(
    () =>
      [...groveClient.spaces.values()].every(
        (h) => !(h as unknown as { waiting?: boolean }).waiting,
      ),
    undefined,
    { timeout: 120_000, polling: 50 },
  );
  const built = await page.evaluate(
    () => performance.getEntriesByName("grove:docs-loaded")[0]?.startTime,
  );
  const docsBuilt = Math.max(interactive, built ?? interactive);
  // Tasks after the figure are counted over the same stretch for any app: until every doc is
  // built, and at least 2 s (an app that builds every doc at open still starts its engine and
  // presence then). The 100 ms past it let Chromium report a task that ends there.
  const after = Math.max(docsBuilt, interactive + 2000);
  await page.waitForFunction((until) => performance.now() > until + 100, after, {
    timeout: 30_000,
    polling: 50,
  });
  const tasks = await page.evaluate(
    () => (window as unknown as { launchTasks?: [number, number][] }).launchTasks ?? [],
  );
  const longest = (until: number, from = 0) =>
    round(Math.max(0, ...tasks.filter(([s, d]) => s + d > from && s < until).map(([, d]) => d)), 1);
  return {
    interactive,
    docsBuilt,
    longestTaskMs: [longest(interactive), longest(after, interactive)],
  };
}

/**
 * Waits until every space's summary is on disk as the app would make it now, where the app
 * keeps them (decision 143): one written while the spaces were being written would not hold.
 */
export async function summariesKept(page: Page): Promise<void> {
  await waitFor(
    () =>
      page.evaluate(() => {
        const opened = (groveClient as unknown as { opened: { summariesKept?: () => boolean } })
          .opened;
        return opened.summariesKept?.() ?? true;
      }),
    "every space's summary to be kept",
    60_000,
  );
}

/**
 * With GROVE_BENCH_APP_BEFORE=<dir> (a checkout of the code before a change, e.g. a
 * `git worktree` of main with node_modules linked), that checkout's app and relay run the
 * same bench first (or second, with GROVE_BENCH_APP_THIS_FIRST=1), in the same run, and its
 * figures go beside this one's under `before`.
 */
export async function runAppBench() {
  const beforeRoot = process.env.GROVE_BENCH_APP_BEFORE;
  if (!beforeRoot) return runAppOnce();
  // GROVE_BENCH_APP_THIS_FIRST=1 runs this checkout first, to see the order's share of a difference.
  const thisFirst = process.env.GROVE_BENCH_APP_THIS_FIRST === "1";
  const first = thisFirst ? await runAppOnce() : await runAppOnce(beforeRoot);
  const second = thisFirst ? await runAppOnce(beforeRoot) : await runAppOnce();
  const [before, after] = thisFirst ? [second, first] : [first, second];
  // A profiled first launch, or launches alone, stop each run early: only the launches compare.
  if (!("catchUp" in before) || !("catchUp" in after)) return { ...after, before };
  return {
    ...after,
    before: { root: beforeRoot, ...before },
    comparison: {
      launchMedianMs: [before.launch.toInteractiveMs?.median, after.launch.toInteractiveMs?.median],
      docsBuiltMedianMs: [before.launch.docsBuiltMs?.median, after.launch.docsBuiltMs?.median],
      rightAfterWritingMs: [before.launch.rightAfterWritingMs, after.launch.rightAfterWritingMs],
      catchUpFromFirstDeliveryMs: [
        before.catchUp.fromFirstDeliveryMs,
        after.catchUp.fromFirstDeliveryMs,
      ],
      longestTaskDuringCatchUpMs: [
        before.catchUp.longestTaskDuringCatchUpMs,
        after.catchUp.longestTaskDuringCatchUpMs,
      ],
      note: `[before, this checkout], measured one after the other in this run (${thisFirst ? "this checkout" : "before"} first)`,
    },
  };
}

/** Builds another checkout's web app (the "before" of a change) into its own renderer/dist. */
async function buildRendererAt(root: string): Promise<string> {
  process.env.GROVE_TEST_HOOKS = "1";
  const { build } = await import("vite");
  await build({ configFile: join(root, "renderer/vite.config.ts"), logLevel: "error" });
  return join(root, "renderer/dist");
}

async function runAppOnce(root?: string) {
  const appDir = root ? await buildRendererAt(root) : await buildRenderer();
  const relay = await startRelayProcess({
    args: ["--app-dir", appDir],
    ...(root !== undefined && { root }),
  });
  // A profile on disk, as the app's window has (disk-browser.ts).
  const chrome = await launchOnDisk();
  const bobDir = tempDir("grove-bench-bob-");
  try {
    const { context } = chrome;
    const page = await context.newPage();
    await page.goto(`http://127.0.0.1:${relay.port}/app/`);
    await ready(page);
    await page.evaluate(
      (relayUrl) => groveClient.onboard({ name: "Ann", email: "", deviceName: "bench", relayUrl }),
      relay.url,
    );

    // (a) 30 spaces of 1,000 messages, each message one envelope, written by the app.
    const progress = (what: string) => console.error(`app bench: ${what}`);
    progress(`writing ${SPACES} x ${MESSAGES} messages`);
    const authorStart = Date.now();
    await writeSpaces(page, SPACES, MESSAGES);
    const authorMs = Date.now() - authorStart;
    // Closed at once after writing: every space's log is still unchecked-in.
    progress("launch right after writing");
    const firstProfile = process.env.GROVE_BENCH_PROFILE_FIRST_LAUNCH;
    const cdpFirst = firstProfile ? await page.context().newCDPSession(page) : undefined;
    if (cdpFirst && firstProfile) {
      await cdpFirst.send("Profiler.enable");
      await cdpFirst.send("Profiler.setSamplingInterval", { interval: 500 });
      await cdpFirst.send("Profiler.start");
    }
    const rightAfterWriting = await launch(page, SPACES);
    if (cdpFirst && firstProfile) {
      const { profile } = await cdpFirst.send("Profiler.stop");
      const { writeFileSync } = await import("node:fs");
      writeFileSync(firstProfile, JSON.stringify(profile));
      progress(`launch right after writing: ${rightAfterWriting} ms (profiled)`);
      return { launch: { rightAfterWritingMs: rightAfterWriting, profiled: true } };
    }
    // The usual launch: the last run went quiet, so each space has its checkpoint (a space
    // checkpoints from 1,000 envelopes on: smaller trial shapes have none to wait for).
    if (MESSAGES >= 1000)
      await waitFor(
        () =>
          page.evaluate(async () => {
            const { store } = groveClient.session();
            for (const h of groveClient.spaces.values()) {
              if (!(await store.get(`s/${h.id}/checkpoint`))) return false;
            }
            return true;
          }),
        "every space to be checkpointed",
        300_000,
      );
    // As an app left running a few seconds would: each space's summary is on disk.
    await summariesKept(page);
    progress("launches");
    const launches: number[] = [];
    const built: number[] = [];
    const longTasks: [number, number][] = [];
    for (let i = 0; i < LAUNCHES; i++) {
      const times = await launchTimes(page, SPACES);
      launches.push(times.interactive);
      built.push(times.docsBuilt);
      longTasks.push(times.longestTaskMs);
    }
    built.sort((x, y) => x - y);
    const docsBuiltMs = {
      median: round(built[Math.floor(LAUNCHES / 2)] ?? Number.NaN, 1),
      all: built.map((x) => round(x, 1)),
      longestTaskMs: longTasks,
      note: "when the last space's doc was built: after the figure for spaces listed from summaries (decision 143); longestTaskMs per launch: [until interactive, from interactive until every doc built and at least 2 s], 0 for none of 50 ms or more",
    };
    if (process.env.GROVE_BENCH_PROFILE_LAUNCH) {
      // One more launch under the profiler (not counted), to see where launch time goes.
      const cdp = await page.context().newCDPSession(page);
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
      await cdp.send("Profiler.start");
      await launch(page, SPACES);
      const { profile } = await cdp.send("Profiler.stop");
      const { writeFileSync } = await import("node:fs");
      writeFileSync(process.env.GROVE_BENCH_PROFILE_LAUNCH, JSON.stringify(profile));
    }
    launches.sort((x, y) => x - y);
    // GROVE_BENCH_LAUNCH_ONLY=1: part (a) alone, for trying a launch change out (not for results).
    if (process.env.GROVE_BENCH_LAUNCH_ONLY === "1") {
      progress(`launches: ${launches.map((x) => round(x, 1)).join(", ")} ms`);
      progress(`every doc built: ${docsBuiltMs.all.join(", ")} ms`);
      progress(`longest tasks [to interactive, then to built]: ${JSON.stringify(longTasks)}`);
      return {
        launch: {
          toInteractiveMs: { median: round(launches[Math.floor(LAUNCHES / 2)] ?? Number.NaN, 1) },
          all: launches.map((x) => round(x, 1)),
          docsBuiltMs,
          rightAfterWritingMs: round(rightAfterWriting, 1),
        },
      };
    }

    // (b) Bob, a Node device, joins one space by an open link and writes 10,000 messages
    // while Ann's app is closed; then Ann's app opens and catches up.
    const url = await page.evaluate(async () => {
      const first = [...groveClient.spaces.values()].find((h) => h.name === "Space 1");
      if (!first) throw new Error("no Space 1 to invite Bob to");
      const made = await groveClient.invite(first.id, {
        role: "member",
        mode: "open",
        expiresInHours: 1,
        oneTime: true,
      });
      return made.url;
    });
    await waitFor(
      () => page.evaluate(async () => (await groveClient.engine?.outbox.list())?.length === 0),
      "Ann's invite to reach the relay",
    );
    const backend = await ed25519();
    const user = generateUserKeys();
    const keys = generateDeviceKeys();
    const cert = await certifyDevice(backend, user, keys, "Bob's bench", Date.now());
    // Bob's own disk is not what is measured: in memory, so writing 10,000 messages takes
    // seconds, not minutes (the relay still stores each one durably).
    const store = process.env.GROVE_BENCH_BOB_ON_DISK
      ? new EncryptedStore(await FileStore.open(bobDir), new Uint8Array(32).fill(5))
      : new MemoryStore();
    const engine = new SyncEngine({
      device: keys.sign,
      backend,
      store,
      relay: relayLink({ url: relay.url, connect: connectWs }),
    });
    engine.start();
    const bob = await joinByLink({
      link: parseInviteUrl(url),
      engine,
      store,
      backend,
      connect: connectWs,
      me: { keys, cert, name: "Bob" },
    });
    // A join waits for a manager's confirm, which Ann's app (the inviter, online) makes at
    // once; Bob writes only once let in, and Ann's app is closed while he does.
    await waitFor(() => bob.access.isMember(), "Ann's app to let Bob in", 60_000);
    await page.close();
    const bobUser = toHex(user.sign.publicKey);
    const bobDevice = toHex(keys.sign.publicKey);
    progress(`Bob writes ${CATCH_UP} messages`);
    const writeStart = Date.now();
    for (let i = 0; i < CATCH_UP; i++) {
      // Signed as the app signs each message, so Ann's app checks 10,000 signatures too.
      const signed = await signRecord(
        "chat-message",
        bob.access.spaceId,
        "",
        draftPost(bob.space.doc, {
          id: toHex(crypto.getRandomValues(new Uint8Array(12))),
          author: bobUser,
          device: bobDevice,
          name: "Bob",
          at: Date.now(),
          text: `catch-up message ${i + 1}`,
          mentions: [],
        }),
        (bytes) => bob.space.signRecord(bytes),
      );
      await bob.space.edit((doc) => putMessage(doc, signed));
    }
    await waitFor(
      async () => (await engine.outbox.list()).length === 0,
      "Bob's messages to reach the relay",
      300_000,
    );
    const bobWriteMs = Date.now() - writeStart;
    await engine.stop();

    progress("catch-up");
    const again = await context.newPage();
    await again.addInitScript(() => {
      const w = window as unknown as {
        longest: number;
        tasks: number;
        longTasks: { start: number; ms: number }[];
      };
      w.longest = 0;
      w.tasks = 0;
      w.longTasks = [];
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) {
          w.longest = Math.max(w.longest, e.duration);
          w.tasks++;
          w.longTasks.push({ start: e.startTime, ms: e.duration });
        }
      }).observe({ type: "longtask", buffered: true });
    });
    // When the relay's first delivery reached the space, and when the space's model first held
    // every message: polled every 10 ms.
    // A string, not a function: tsx names inner functions with a helper the page lacks.
    await again.addInitScript(`(() => {
      const n = ${MESSAGES + CATCH_UP};
      const poll = () => {
        try {
          const client = window.groveClient;
          const first = client && client.spaces
            ? [...client.spaces.values()].find((h) => h.name === "Space 1")
            : undefined;
          if (client && client.engine && window.firstDelivery === undefined && client.engine.deliveriesTaken > 0) {
            window.firstDelivery = performance.now();
          }
          window.seen = first ? first.model("chat").messages().length : 0;
          window.stats = first ? JSON.stringify(first.member.space.stats) : "";
          if (first && window.seen >= n) {
            window.allShown = performance.now();
            return;
          }
        } catch (err) {
          window.pollError = String(err);
        }
        // A timer, not animation frames: a page Chromium deems hidden gets none.
        setTimeout(poll, 10);
      };
      setTimeout(poll, 10);
    })();`);
    const timeline = process.env.GROVE_BENCH_TIMELINE;
    if (timeline) {
      // When each delivery reached the relay link and when each ack left: where a catch-up waits.
      await again.addInitScript(`(() => {
        window.timeline = [];
        const patch = () => {
          const relay = window.groveClient && window.groveClient.engine && window.groveClient.engine.relay;
          if (!relay) return setTimeout(patch, 1);
          const proto = Object.getPrototypeOf(relay);
          const deliver = proto.onDeliver;
          proto.onDeliver = function (frame) {
            window.timeline.push(["d", performance.now(), frame.seq]);
            return deliver.call(this, frame);
          };
          const write = proto.write;
          proto.write = function (frame) {
            if (frame.type === "deliverAck") window.timeline.push(["a", performance.now(), frame.seqs.length, Math.min(...frame.seqs), Math.max(...frame.seqs)]);
            return write.call(this, frame);
          };
          // Each batch the engine hands its spaces: when it started, its size, when it was durable.
          const engine = window.groveClient.engine;
          const take = Object.getPrototypeOf(engine).takeInbox;
          Object.getPrototypeOf(engine).takeInbox = function () {
            const at = performance.now();
            const size = this.inbox.length;
            return take.call(this).then(() => window.timeline.push(["b", at, size, performance.now()]));
          };
        };
        patch();
      })();`);
    }
    const profileTo = process.env.GROVE_BENCH_PROFILE;
    const cdp = profileTo ? await context.newCDPSession(again) : undefined;
    if (cdp) {
      await cdp.send("Profiler.enable");
      await cdp.send("Profiler.start");
    }
    const trace = process.env.GROVE_BENCH_TRACE;
    const stopTrace = trace
      ? await startTrace(again, [
          "devtools.timeline",
          "v8",
          "blink",
          "disabled-by-default-devtools.timeline",
        ])
      : undefined;
    const relayCpuBefore = cpuMs(relay.proc.pid);
    const openAt = Date.now();
    await again.goto(`http://127.0.0.1:${relay.port}/app/`);
    await ready(again);
    let lastReport = Date.now();
    await waitFor(
      async () => {
        const state = await again.evaluate(() => {
          const w = window as unknown as {
            allShown?: number;
            seen?: number;
            pollError?: string;
            stats?: string;
          };
          return {
            done: w.allShown !== undefined,
            seen: w.seen,
            error: w.pollError,
            stats: w.stats,
          };
        });
        if (state.error) progress(`poll: ${state.error}`);
        if (Date.now() - lastReport > 5000) {
          lastReport = Date.now();
          progress(`${state.seen} messages shown; space ${state.stats}`);
        }
        return state.done;
      },
      "every message shown",
      600_000,
    );
    const catchUpMs = Date.now() - openAt;
    const relayCpu = cpuMs(relay.proc.pid) - relayCpuBefore;
    if (cdp && profileTo) {
      const { profile } = await cdp.send("Profiler.stop");
      const { writeFileSync } = await import("node:fs");
      writeFileSync(profileTo, JSON.stringify(profile));
    }
    if (trace && stopTrace) {
      const { writeFileSync } = await import("node:fs");
      writeFileSync(trace, await stopTrace());
    }
    if (timeline) {
      const { writeFileSync } = await import("node:fs");
      writeFileSync(
        timeline,
        JSON.stringify(
          await again.evaluate(() => (window as unknown as { timeline: unknown }).timeline),
        ),
      );
    }
    const { longest, tasks, fromFirstDelivery, duringCatchUp } = await again.evaluate(() => {
      const w = window as unknown as {
        longest: number;
        tasks: number;
        firstDelivery: number;
        allShown: number;
      };
      // Tasks that ran while the messages came in (launch's own tasks apart).
      const during = (
        window as unknown as { longTasks: { start: number; ms: number }[] }
      ).longTasks.filter((t) => t.start + t.ms >= w.firstDelivery && t.start <= w.allShown);
      return {
        longest: w.longest,
        tasks: w.tasks,
        fromFirstDelivery: w.allShown - w.firstDelivery,
        duringCatchUp: during.map((t) => Math.round(t.ms)),
      };
    });
    return {
      launch: {
        spaces: SPACES,
        messagesPerSpace: MESSAGES,
        howWritten: "by the app, one envelope per message (outbox skipped: no other members yet)",
        authoringSeconds: round(authorMs / 1000, 1),
        toInteractiveMs: {
          median: round(launches[Math.floor(LAUNCHES / 2)] ?? Number.NaN, 1),
          all: launches.map((x) => round(x, 1)),
        },
        docsBuiltMs,
        goalMs: 500,
        goalRightAfterWritingMs: 1500,
        rightAfterWritingMs: round(rightAfterWriting, 1),
        rightAfterWritingNote:
          "closed the moment the last message was written: no space checkpointed yet, every log record read",
      },
      catchUp: {
        deltas: CATCH_UP,
        from: "a Node member device through the relay (one envelope per chat message)",
        writerSeconds: round(bobWriteMs / 1000, 1),
        untilAllShownMs: catchUpMs,
        relayCpuMs: relayCpu,
        fromFirstDeliveryMs: round(fromFirstDelivery, 1),
        goalFromFirstDeliveryMs: 2000,
        longestTaskMs: round(longest, 1),
        longTasks: tasks,
        longestTaskDuringCatchUpMs: Math.max(0, ...duringCatchUp),
        longTasksDuringCatchUp: duringCatchUp,
        goalMs: 50,
        note: "Chromium reports tasks of 50 ms or more; 0 means none reached 50 ms",
      },
    };
  } finally {
    await chrome.close();
    await relay.kill();
    removeDir(relay.dataDir);
    removeDir(bobDir);
  }
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux; 0 elsewhere). */
function cpuMs(pid: number | undefined): number {
  try {
    const fields = (readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1] ?? "").split(" ");
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}
