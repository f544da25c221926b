/**
 * The benchmark report, drawn in the page with Observable Plot: one chart
 * per curve (a line per series, baselines dashed) and a table of goals
 * against figures. `bench/report.ts` loads it in Chromium, screenshots each
 * chart to a PNG and saves the drawn page, scripts removed, as report.html.
 */
import * as Plot from "@observablehq/plot";
import type { Curve, Goal } from "../curve.js";

export interface ReportInput {
  curves: (Curve & { bench: string; date: string; machine: string })[];
  goals: (Goal & { bench: string })[];
  generated: string;
}

function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  text?: string,
  attrs: Record<string, string> = {},
): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

function chart(c: ReportInput["curves"][number]): Element {
  const rows = c.series.flatMap((s) =>
    s.points.map((p) => ({ series: s.name, baseline: !!s.baseline, x: p.x, y: p.y })),
  );
  return Plot.plot({
    width: 720,
    height: 380,
    marginLeft: 70,
    marginRight: 20,
    style: { background: "white", fontSize: "12px" },
    x: { type: c.x.log ? "log" : "linear", label: c.x.label, grid: true },
    y: { type: c.y.log ? "log" : "linear", label: c.y.label, grid: true, nice: true },
    color: { legend: true, type: "categorical" },
    marks: [
      // Baselines dashed, Grove solid.
      Plot.line(
        rows.filter((r) => r.baseline),
        { x: "x", y: "y", stroke: "series", strokeDasharray: "5,4", strokeWidth: 2 },
      ),
      Plot.line(
        rows.filter((r) => !r.baseline),
        { x: "x", y: "y", stroke: "series", strokeWidth: 2.5 },
      ),
      Plot.dot(rows, { x: "x", y: "y", stroke: "series", fill: "white", r: 3.5 }),
      Plot.tip(
        rows,
        Plot.pointer({
          x: "x",
          y: "y",
          title: (d: { series: string; x: number; y: number }) => `${d.series}\n${d.x}: ${d.y}`,
        }),
      ),
    ],
  });
}

function render(input: ReportInput): void {
  const root = document.body;
  root.append(el("h1", "Grove benchmarks"));
  root.append(
    el(
      "p",
      `Rendered ${input.generated} from bench/results/*.json. Every figure was measured beside its baseline in the same run; shapes are fitted from the points (bench/shape.ts).`,
    ),
  );
  root.append(el("h2", "Goals against figures"));
  const table = el("table", undefined, { class: "goals" });
  const head = el("tr");
  for (const h of ["Bench", "Goal", "Figure", "Met", "What limits it"]) head.append(el("th", h));
  table.append(head);
  for (const g of input.goals) {
    const row = el("tr");
    row.append(el("td", g.bench), el("td", g.goal), el("td", g.figure));
    row.append(
      el("td", g.met === undefined ? "?" : g.met ? "yes" : "no", {
        class: g.met ? "met" : "missed",
      }),
    );
    row.append(el("td", g.limits ?? ""));
    table.append(row);
  }
  root.append(table);
  root.append(el("h2", "Curves"));
  for (const c of input.curves) {
    const section = el("section", undefined, { class: "curve", id: c.id });
    section.append(el("h3", c.title));
    section.append(el("p", `${c.bench} bench, ${c.date}, ${c.machine}`, { class: "small" }));
    section.append(chart(c));
    // Every drawing named for screen readers: the chart by its title, a legend swatch by its series.
    section.querySelectorAll("svg").forEach((svg) => {
      svg.setAttribute("role", "img");
      if (!svg.getAttribute("aria-label")) {
        svg.setAttribute("aria-label", svg.parentElement?.textContent?.trim() || c.title);
      }
    });
    const shapes = el("ul", undefined, { class: "small" });
    for (const s of c.series) {
      const fit = s.shape
        ? `${s.shape.shape} (log-log slope ${s.shape.logLogSlope})`
        : "too few points";
      shapes.append(
        el("li", `${s.name}: ${fit}; ${s.points.map((p) => `${p.x} → ${p.y}`).join(", ")}`),
      );
    }
    section.append(shapes);
    if (c.note) section.append(el("p", c.note, { class: "small" }));
    root.append(section);
  }
}

(globalThis as unknown as { report: typeof render }).report = render;
