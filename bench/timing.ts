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

/** The value at percentile `p` of an ascending list (NaN when empty). */
export function percentile(sorted: number[], p: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? Number.NaN;
}

/** Count, p50 and p99 of latencies in ms, as every bench writes them. */
export function summarize(latencies: number[]) {
  const sorted = [...latencies].sort((a, b) => a - b);
  return {
    samples: sorted.length,
    p50Ms: round(percentile(sorted, 50)),
    p99Ms: round(percentile(sorted, 99)),
  };
}
