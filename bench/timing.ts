/** Small timing helpers for benches (never used for assertions in tests). */
export function now(): number {
  return performance.now();
}

/** Runs `fn` repeatedly for at least `minMs` and `minRuns`; returns ms per run. */
export async function msPerRun(fn: () => unknown, minMs = 500, minRuns = 3): Promise<number> {
  await fn(); // warm-up
  let runs = 0;
  const start = now();
  while (runs < minRuns || now() - start < minMs) {
    await fn();
    runs++;
  }
  return (now() - start) / runs;
}

export function round(value: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
