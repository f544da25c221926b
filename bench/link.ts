/**
 * `npm run bench -- link`: time to link two browsers of a room over WebRTC
 * on loopback, before and after one side alone offers (decision 117's offer
 * glare), side by side in one run.
 *
 * "Before" is WebrtcMesh as of BEFORE_REF (git archive of its core/), "after"
 * is this checkout's; both run the same page (test/e2e/pages/mesh-rooms-page.ts),
 * the same relay (this checkout's) and the same Chromium. A round opens
 * ROOMS rooms in two browser contexts and starts all their meshes at the
 * same moment (each side then hears the other's announce: the glare case);
 * rounds alternate before / after so load on the shared machine falls on
 * both. A room's time is from the start until both browsers list each
 * other; a room not linked within DEADLINE_MS counts as not linked.
 *
 *   --quick           3 rounds per side instead of 15
 *   --before <ref>    the "before" commit (default BEFORE_REF)
 */
import { execFileSync } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "@playwright/test";
import { bundleForBrowser, CHROMIUM_ARGS, chromiumPath } from "../test/e2e/browser.js";
import { linkRound } from "../test/e2e/mesh-rooms.js";
import { pageFiles } from "../test/e2e/page-api.js";
import { serveStatic } from "../test/e2e/static-server.js";
import { removeDir, startRelayProcess } from "../test/relay-harness.js";
import type { Goal } from "./curve.js";
import { percentile, round } from "./timing.js";

/** main before the fix: both ends of a link could offer. */
const BEFORE_REF = "71cdfdf";
const ROOMS = 8;
const DEADLINE_MS = 20_000;
const ROOT = new URL("..", import.meta.url).pathname;
const PAGE = "test/e2e/pages/mesh-rooms-page.ts";
/** What the page imports besides the checkout's core. */
const SETUP = "test/e2e/pages/mesh-setup.ts";

/** The mesh page bundled against another commit's core/. */
async function pageAt(ref: string): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), "grove-link-before-"));
  try {
    const tar = execFileSync("git", ["-C", ROOT, "archive", ref, "core"]);
    execFileSync("tar", ["-x", "-C", dir], { input: tar });
    mkdirSync(join(dir, "test/e2e/pages"), { recursive: true });
    for (const file of [PAGE, SETUP]) cpSync(join(ROOT, file), join(dir, file));
    return await bundleForBrowser(join(dir, PAGE), [join(ROOT, "node_modules")]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function stats(times: (number | null)[]) {
  // Not linked by the deadline sorts last, as the slowest.
  const sorted = times.map((t) => t ?? Number.POSITIVE_INFINITY).sort((a, b) => a - b);
  const at = (p: number) => {
    const v = percentile(sorted, p);
    return Number.isFinite(v) ? round(v, 0) : null;
  };
  return {
    links: times.length,
    notLinkedWithinMs: { [DEADLINE_MS]: times.filter((t) => t === null).length },
    over1s: times.filter((t) => t === null || t > 1000).length,
    over4s: times.filter((t) => t === null || t > 4000).length,
    p50Ms: at(50),
    p90Ms: at(90),
    p99Ms: at(99),
    maxMs: at(100),
  };
}

export async function runLinkBench({ quick = false } = {}) {
  const args = process.argv.slice(2);
  const refAt = args.indexOf("--before");
  const beforeRef = refAt >= 0 ? (args[refAt + 1] ?? BEFORE_REF) : BEFORE_REF;
  const rounds = quick ? 3 : 15;
  const loadBefore = loadavg()[0] ?? 0;
  const [beforePage, afterPage] = await Promise.all([
    pageAt(beforeRef),
    bundleForBrowser(join(ROOT, PAGE)),
  ]);
  const pages = await serveStatic({
    ...pageFiles("before", beforePage),
    ...pageFiles("after", afterPage),
  });
  const relay = await startRelayProcess();
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  const times: Record<"before" | "after", (number | null)[]> = { before: [], after: [] };
  try {
    for (let i = 0; i < rounds; i++) {
      // Alternate which goes first, so neither always meets a warmer or busier machine.
      const order = i % 2 === 0 ? (["before", "after"] as const) : (["after", "before"] as const);
      for (const side of order) {
        const got = await linkRound(browser, {
          pageUrl: `${pages.origin}/${side}.html`,
          relayUrl: relay.url,
          rooms: ROOMS,
          perRoom: 2,
          deadlineMs: DEADLINE_MS,
        });
        times[side].push(...got);
        console.error(
          `round ${i} ${side}: ${got.map((t) => (t === null ? "-" : Math.round(t))).join(" ")}`,
        );
      }
    }
  } finally {
    await browser.close();
    await pages.close();
    await relay.kill();
    removeDir(relay.dataDir);
  }
  const before = stats(times.before);
  const after = stats(times.after);
  const ms = (v: number | null) => (v === null ? "not linked" : `${v} ms`);
  const goals: Goal[] = [
    {
      goal: "Two browsers starting at once: every link up within 4 s (no offer glare)",
      figure: `${after.over4s} of ${after.links} over 4 s, p99 ${ms(after.p99Ms)}, max ${ms(after.maxMs)}; before: ${before.over4s} of ${before.links}, p99 ${ms(before.p99Ms)}, max ${ms(before.maxMs)}`,
      met: after.over4s === 0,
      limits: "loopback, 2 cores shared with other work while measured",
    },
  ];
  return {
    goals,
    what: "time from start to both browsers of a room listing each other, two browsers per room, all rooms of a round started at once, WebRTC on loopback, signaling through a local relay",
    shape: { rounds, roomsPerRound: ROOMS, browsersPerRoom: 2, deadlineMs: DEADLINE_MS },
    beforeRef,
    loadavg1: { before: round(loadBefore), after: round(loadavg()[0] ?? 0) },
    before: { name: `both ends may offer (${beforeRef})`, baseline: true, ...before },
    after: { name: "the lower peer id alone offers", ...after },
    rawMs: {
      before: times.before.map((t) => (t === null ? null : Math.round(t))),
      after: times.after.map((t) => (t === null ? null : Math.round(t))),
    },
  };
}
