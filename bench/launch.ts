/**
 * `npm run bench -- launch`: the built app's launch to an interactive space
 * list against the number of spaces (10, 30, 100, 100 messages each) and
 * against history length (30 spaces of 30, 100, 300 messages), in Chromium
 * against a real relay. Each point is a fresh profile: the app onboards,
 * writes its spaces (one envelope per message), then reloads; the first
 * reload is right after writing, the next three (median) after the spaces
 * went quiet (each space's summary kept: decision 143). Below 1,000
 * envelopes a space is not checkpointed, so every launch here reads each
 * space's whole log: the costlier kind.
 * Baseline: the same app launching with no space at all, in the same run.
 */
import { buildRenderer } from "../test/e2e/app-build.js";
import { removeDir, startRelayProcess } from "../test/relay-harness.js";
import { launch, ready, summariesKept, writeSpaces } from "./app.js";
import { curve, type Goal, type Point } from "./curve.js";
import { launchOnDisk } from "./disk-browser.js";
import { round } from "./timing.js";

type Client = import("../renderer/src/model/client.js").GroveClient;
declare const groveClient: Client;

export async function runLaunchBench(options: { quick?: boolean } = {}) {
  const bySpaces = options.quick ? [2, 5] : [10, 30, 100];
  const byHistory = options.quick ? [10, 30] : [30, 100, 300];
  const appDir = await buildRenderer();
  const relay = await startRelayProcess({ args: ["--app-dir", appDir] });
  const point = async (spaces: number, messages: number) => {
    // A fresh profile on disk per point, as the app's window has (disk-browser.ts).
    const chrome = await launchOnDisk();
    const { context } = chrome;
    try {
      const page = await context.newPage();
      await page.goto(`http://127.0.0.1:${relay.port}/app/`);
      await ready(page);
      await page.evaluate(
        (relayUrl) =>
          groveClient.onboard({ name: "Ann", email: "", deviceName: "bench", relayUrl }),
        relay.url,
      );
      await writeSpaces(page, spaces, messages);
      const first = await launch(page, spaces);
      // As an app left running a few seconds would: each space's summary is on disk.
      await summariesKept(page);
      const runs = [];
      for (let i = 0; i < 3; i++) runs.push(await launch(page, spaces));
      runs.sort((a, b) => a - b);
      const row = {
        spaces,
        messages,
        rightAfterWritingMs: round(first, 1),
        medianMs: round(runs[1]!, 1),
        runs: runs.map((r) => round(r, 1)),
      };
      console.error(`launch ${JSON.stringify(row)}`);
      return row;
    } finally {
      await chrome.close();
    }
  };
  try {
    const empty = await point(0, 0);
    type Row = Awaited<ReturnType<typeof point>>;
    const spacesRows: Row[] = [];
    for (const n of bySpaces) spacesRows.push(await point(n, 100));
    const historyRows: Row[] = [];
    for (const m of byHistory) historyRows.push(await point(30, m));
    const pts = (rows: Row[], x: (r: Row) => number): Point[] =>
      rows.map((r) => ({ x: x(r), y: r.medianMs, runs: r.runs }));
    const goals: Goal[] = [];
    return {
      baseline: "the same app launching with no space (fresh profile), same run",
      empty,
      bySpaces: spacesRows,
      byHistory: historyRows,
      goals,
      curves: [
        curve({
          id: "launch-spaces",
          title: "Launch to an interactive space list against number of spaces (100 messages each)",
          x: { label: "spaces", log: true },
          y: { label: "ms (median of 3)" },
          series: [
            {
              name: "no space (baseline)",
              baseline: true,
              points: bySpaces.map((x) => ({ x, y: empty.medianMs })),
            },
            { name: "Grove app", points: pts(spacesRows, (r) => r.spaces) },
          ],
          note: "Spaces under 1,000 envelopes have no checkpoint: each launch reads every log record.",
        }),
        curve({
          id: "launch-history",
          title: "Launch against history length (30 spaces)",
          x: { label: "messages per space", log: true },
          y: { label: "ms (median of 3)" },
          series: [
            {
              name: "no space (baseline)",
              baseline: true,
              points: byHistory.map((x) => ({ x, y: empty.medianMs })),
            },
            { name: "Grove app", points: pts(historyRows, (r) => r.messages) },
          ],
        }),
      ],
    };
  } finally {
    await relay.kill();
    removeDir(relay.dataDir);
  }
}
