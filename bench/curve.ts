/**
 * What curve benches write: how a cost grows with the work, one series per
 * implementation (Grove and its baseline), each with its fitted shape, and
 * the goals the run checked. `bench/report.ts` renders these as they are.
 */
import { fitShape, type ShapeFit } from "./shape.js";

export interface Point {
  x: number;
  /** The figure charted: the best of `runs` where noise matters, else the one run. */
  y: number;
  /** Every run's figure, kept. */
  runs?: number[];
}

export interface Series {
  name: string;
  /** A baseline (raw Yjs, @y/websocket-server): what Grove is compared with. */
  baseline?: boolean;
  points: Point[];
  shape?: ShapeFit;
}

export interface Curve {
  id: string;
  title: string;
  x: { label: string; log?: boolean };
  y: { label: string; log?: boolean };
  series: Series[];
  note?: string;
}

export interface Goal {
  goal: string;
  /** The measured figure, in words with its unit. */
  figure: string;
  /** undefined where the run could not tell (a part skipped). */
  met?: boolean | undefined;
  /** What limits the figure (load on the machine, a part not measured...). */
  limits?: string;
}

/** A curve with each series' shape fitted from its points. */
export function curve(c: Curve): Curve {
  return {
    ...c,
    series: c.series.map((s) => {
      const shape = fitShape(s.points);
      return shape ? { ...s, shape } : s;
    }),
  };
}

/** Best (lowest) of several runs, all kept. */
export function best(x: number, runs: number[], digits = 1): Point {
  const f = 10 ** digits;
  const r = runs.map((v) => Math.round(v * f) / f);
  return { x, y: Math.min(...r), runs: r };
}
