/**
 * `npm run bench -- report`: bench/report.html and one PNG per curve under
 * bench/results/, drawn from the committed bench/results/*.json with
 * Observable Plot in Chromium. Curve benches carry their curves and goals
 * (bench/curve.ts); the older benches' goals are read from their fields here.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "@playwright/test";
import { bundleForBrowser, CHROMIUM_ARGS, chromiumPath } from "../test/e2e/browser.js";
import type { Curve, Goal } from "./curve.js";
import type { ReportInput } from "./pages/report-page.js";

type Result = Record<string, unknown> & {
  bench: string;
  date: string;
  machine?: { cpu?: string; cores?: number; node?: string };
  curves?: Curve[];
  goals?: Goal[];
};

// biome-ignore lint/suspicious/noExplicitAny: results are read as they were written
type Any = any;

/** Goals of the benches written before curves carried their own. */
function legacyGoals(r: Result): Goal[] {
  const x = r as Any;
  const load = "2 cores shared with other work while measured";
  switch (r.bench) {
    case "app":
      return [
        {
          goal: "Launch with 30 x 1,000 messages under 500 ms (median)",
          figure: `${x.launch?.toInteractiveMs?.median} ms`,
          met: x.launch?.toInteractiveMs?.median < 500,
          limits: load,
        },
        {
          goal: "Launch right after writing 30,000 messages, no checkpoint, under 1,500 ms",
          figure: `${x.launch?.rightAfterWritingMs} ms`,
          met: x.launch?.rightAfterWritingMs < 1500,
          limits: load,
        },
        {
          goal: "10,000 missed messages shown within 2 s of the first delivery",
          figure:
            x.catchUp?.fromFirstDeliveryMs !== undefined
              ? `${x.catchUp.fromFirstDeliveryMs} ms`
              : `not measured (${x.catchUp?.untilAllShownMs} ms from launch)`,
          met:
            x.catchUp?.fromFirstDeliveryMs !== undefined
              ? x.catchUp.fromFirstDeliveryMs < 2000
              : undefined,
          limits: load,
        },
        x.catchUp?.longTasksDuringCatchUp
          ? {
              goal: "No main-thread task over 50 ms during that catch-up",
              figure: `${x.catchUp.longestTaskDuringCatchUpMs} ms longest while the messages came in (${x.catchUp.longTasksDuringCatchUp.length} of 50 ms or more); ${x.catchUp.longestTaskMs} ms counting the launch before`,
              met: x.catchUp.longTasksDuringCatchUp.every((ms: number) => ms <= 50),
              limits: load,
            }
          : {
              goal: "No main-thread task over 50 ms during that catch-up",
              figure: `${x.catchUp?.longestTaskMs} ms longest (${x.catchUp?.longTasks} tasks of 50 ms or more)`,
              met: x.catchUp?.longTasks === 0,
              limits: load,
            },
      ];
    case "sync": {
      const c = x.catchUp ?? {};
      const chromium = x.catchUpInChromium ?? {};
      const ratios = [c.file?.ratioToRaw, c.memory?.ratioToRaw, chromium.ratioToRaw];
      const batched = (r: unknown) => (r === undefined ? "" : `, ${r}x raw batched`);
      return [
        {
          goal: "Catch-up of 10,000 deltas within 2x of raw Yjs (unbatched) on files, in memory and in Chromium over IndexedDB",
          figure: [
            `files ${c.file?.ratioToRaw}x${batched(c.file?.ratioToRawBatched)}`,
            `memory ${c.memory?.ratioToRaw}x${batched(c.memory?.ratioToRawBatched)}`,
            `Chromium ${chromium.ratioToRaw}x${batched(chromium.ratioToRawBatched)}`,
          ].join("; "),
          met: ratios.every((r) => typeof r === "number" && r <= 2),
          limits: load,
        },
        {
          goal: "Uplink with 10 targets through relay fan-out under 0.12 of sending directly",
          figure: `${x.uplink?.chatLine?.ratio} (chat line), ${x.uplink?.paragraph?.ratio} (paragraph)`,
          met: x.uplink?.chatLine?.ratio < 0.12,
        },
      ];
    }
    case "relay":
      return [
        {
          goal: "Relay fan-out at least 1.5x @y/websocket-server's deliveries/s, durable",
          figure: `${x.ratioDeliveriesPerSec}x (${x.grove?.deliveriesPerSec} against ${x.yWebsocketServer?.deliveriesPerSec} deliveries/s, ${x.shape?.receivers} receivers)`,
          met: x.ratioDeliveriesPerSec >= 1.5,
          limits: load,
        },
        {
          goal: "Relay fan-out p99 under 20 ms, durable",
          figure: `${x.grove?.latency?.p99Ms} ms`,
          met: x.grove?.latency?.p99Ms < 20,
          limits: load,
        },
      ];
    case "soak":
      return Object.entries(x.goals ?? {}).map(([name, g]: [string, Any]) => ({
        goal: `Soak: ${name} ${g.goal}`,
        figure: `${JSON.stringify(
          name === "p99Ms"
            ? `${x.honest?.latencyMs?.p99} ms`
            : (x.honest?.[name] ?? x.relay?.[name] ?? "see soak.json"),
        )}`,
        met: g.met,
      }));
    default:
      return [];
  }
}

export async function renderReport(options: { results?: string; out?: string } = {}) {
  const results = options.results ?? new URL("./results/", import.meta.url).pathname;
  const out = options.out ?? results;
  const files = readdirSync(results)
    .filter((f) => f.endsWith(".json"))
    .sort();
  const input: ReportInput = { curves: [], goals: [], generated: new Date().toISOString() };
  for (const f of files) {
    const r = JSON.parse(readFileSync(join(results, f), "utf8")) as Result;
    const machine = r.machine
      ? `${r.machine.cpu}, ${r.machine.cores} cores, Node ${r.machine.node}`
      : "";
    for (const c of r.curves ?? [])
      input.curves.push({ ...c, bench: r.bench, date: r.date, machine });
    for (const g of [...(Array.isArray(r.goals) ? r.goals : []), ...legacyGoals(r)])
      input.goals.push({ ...g, bench: r.bench });
  }
  const script = await bundleForBrowser(
    new URL("./pages/report-page.ts", import.meta.url).pathname,
  );
  const browser = await chromium.launch({ executablePath: chromiumPath(), args: CHROMIUM_ARGS });
  const pngs: string[] = [];
  try {
    const page = await browser.newPage({ viewport: { width: 900, height: 800 } });
    await page.setContent(
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Grove benchmarks</title><style>${STYLE}</style></head><body></body></html>`,
    );
    await page.addScriptTag({ content: script, type: "module" });
    await page.waitForFunction(() => "report" in globalThis);
    await page.evaluate(
      (data) => (globalThis as unknown as { report(d: unknown): void }).report(data),
      input,
    );
    for (const c of input.curves) {
      const path = join(out, `${c.id}.png`);
      await page
        .locator(`section#${c.id} > svg, section#${c.id} > figure`)
        .first()
        .screenshot({ path });
      pngs.push(path);
    }
    const html = await page.evaluate(() => {
      document.querySelectorAll("script").forEach((s) => {
        s.remove();
      });
      return `<!doctype html>\n${document.documentElement.outerHTML}\n`;
    });
    const htmlPath = join(out, "..", "report.html");
    writeFileSync(options.out ? join(out, "report.html") : htmlPath, html);
    return {
      html: options.out ? join(out, "report.html") : htmlPath,
      pngs,
      curves: input.curves.length,
      goals: input.goals.length,
    };
  } finally {
    await browser.close();
  }
}

const STYLE = `
body { font: 14px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 960px; color: #1b1b1b; }
table.goals { border-collapse: collapse; width: 100%; }
table.goals th, table.goals td { border: 1px solid #ccc; padding: 4px 6px; text-align: left; vertical-align: top; }
td.met { color: #0a6b2d; font-weight: 600; } td.missed { color: #a4161a; font-weight: 600; }
.small { font-size: 12px; color: #555; }
section.curve { margin: 2rem 0; }
`;
