/**
 * The shape of a cost curve from its points: which of constant, log n,
 * linear, n log n and quadratic growth fits the measured (x, y) best.
 * Each candidate f is fitted as y = c * f(x) in log space (c is the mean of
 * log y - log f(x)); the one whose points scatter least around it wins.
 * The log-log slope is given beside it, so a reader can judge a close call.
 */
export type Shape = "constant" | "log n" | "linear" | "n log n" | "quadratic";

const CANDIDATES: [Shape, (x: number) => number][] = [
  ["constant", () => 1],
  ["log n", (x) => Math.log(x + 1)],
  ["linear", (x) => x],
  ["n log n", (x) => x * Math.log(x + 1)],
  ["quadratic", (x) => x * x],
];

export interface ShapeFit {
  shape: Shape;
  /** Least-squares slope of log y against log x: 1 is linear, 2 quadratic. */
  logLogSlope: number;
  /** Spread (standard deviation of log residuals) of the winning fit. */
  residual: number;
}

/** Needs at least two points with x > 0 and y > 0 (others are ignored). */
export function fitShape(points: { x: number; y: number }[]): ShapeFit | undefined {
  const usable = points.filter((p) => p.x > 0 && p.y > 0 && Number.isFinite(p.y));
  if (usable.length < 2) return undefined;
  const lx = usable.map((p) => Math.log(p.x));
  const ly = usable.map((p) => Math.log(p.y));
  const mean = (v: number[]) => v.reduce((a, b) => a + b, 0) / v.length;
  const mx = mean(lx);
  const my = mean(ly);
  let num = 0;
  let den = 0;
  for (let i = 0; i < lx.length; i++) {
    num += (lx[i]! - mx) * (ly[i]! - my);
    den += (lx[i]! - mx) ** 2;
  }
  const logLogSlope = den === 0 ? 0 : num / den;
  let best: { shape: Shape; residual: number } | undefined;
  for (const [shape, f] of CANDIDATES) {
    const r = usable.map((p, i) => ly[i]! - Math.log(f(p.x)));
    const c = mean(r);
    const residual = Math.sqrt(mean(r.map((v) => (v - c) ** 2)));
    if (!best || residual < best.residual) best = { shape, residual };
  }
  return {
    shape: best!.shape,
    logLogSlope: Math.round(logLogSlope * 100) / 100,
    residual: Math.round(best!.residual * 1000) / 1000,
  };
}
