/**
 * The benchmark report draws from the committed results: one chart (SVG in
 * report.html, and a PNG) per curve, and the goals table. The shapes the
 * curves state come from fitShape, checked here on known curves.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Curve } from "../bench/curve.js";
import { renderReport } from "../bench/report.js";
import { fitShape } from "../bench/shape.js";
import { removeDir, tempDir } from "./relay-harness.js";

const results = new URL("../bench/results/", import.meta.url).pathname;
const out = tempDir("grove-report-");
afterAll(() => removeDir(out));

describe("fitShape", () => {
  const xs = [10, 100, 1000, 10_000];
  it.each([
    ["constant", () => 5],
    ["linear", (x: number) => 3 * x + 1],
    ["n log n", (x: number) => x * Math.log(x + 1)],
    ["quadratic", (x: number) => 0.01 * x * x],
  ] as const)("names a %s curve", (shape, f) => {
    expect(fitShape(xs.map((x) => ({ x, y: f(x) })))?.shape).toBe(shape);
  });
  it("needs two usable points", () => {
    expect(fitShape([{ x: 1, y: 1 }])).toBeUndefined();
    expect(
      fitShape([
        { x: 0, y: 1 },
        { x: 1, y: 0 },
      ]),
    ).toBeUndefined();
  });
});

describe("bench report", () => {
  it("renders every committed curve as a chart and PNG, and every goal in the table", async () => {
    const curves: Curve[] = [];
    for (const f of readdirSync(results).filter((f) => f.endsWith(".json"))) {
      const r = JSON.parse(readFileSync(join(results, f), "utf8")) as { curves?: Curve[] };
      curves.push(...(r.curves ?? []));
    }
    expect(curves.length).toBeGreaterThan(0);
    const report = await renderReport({ out });
    expect(report.curves).toBe(curves.length);
    const html = readFileSync(report.html, "utf8");
    expect(html).not.toContain("<script");
    for (const c of curves) {
      const section = html.slice(html.indexOf(`id="${c.id}"`));
      expect(section.slice(0, section.indexOf("</section>"))).toContain("<svg");
      const png = join(out, `${c.id}.png`);
      expect(existsSync(png)).toBe(true);
      expect([...readFileSync(png).subarray(0, 4)]).toEqual([0x89, 0x50, 0x4e, 0x47]);
    }
    expect(html.match(/<tr>/g)?.length).toBe(report.goals + 1);
  }, 60_000);
});
