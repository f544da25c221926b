/**
 * Token buckets. Each refusal becomes a RATE_LIMITED error frame; a
 * connection that keeps pushing while refused is closed.
 */
export class TokenBucket {
  private tokens: number;
  private last: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.tokens = burst;
    this.last = now();
  }

  /** Takes `cost` tokens if available. */
  take(cost = 1): boolean {
    const t = this.now();
    this.tokens = Math.min(this.burst, this.tokens + ((t - this.last) / 1000) * this.ratePerSecond);
    this.last = t;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }
}

/** Buckets by key (a device), dropped when idle long enough to be full again. */
export class BucketMap {
  private readonly buckets = new Map<string, { bucket: TokenBucket; used: number }>();

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
  ) {}

  take(key: string, cost: number): boolean {
    let entry = this.buckets.get(key);
    if (!entry) {
      entry = { bucket: new TokenBucket(this.ratePerSecond, this.burst), used: 0 };
      this.buckets.set(key, entry);
    }
    entry.used = performance.now();
    return entry.bucket.take(cost);
  }

  prune(): void {
    const idleMs = (this.burst / this.ratePerSecond) * 1000;
    const now = performance.now();
    for (const [key, entry] of this.buckets)
      if (now - entry.used > idleMs) this.buckets.delete(key);
  }
}

/**
 * At most `limit` events per key in any window of `windowMs` (a sliding log:
 * exact, and it holds at most `limit` timestamps per key). For budgets too
 * small for a bucket's burst to be fair, such as mails per hour.
 */
export class WindowLimit {
  private readonly events = new Map<string, number[]>();

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Counts one event for `key` if the window has room. */
  take(key: string): boolean {
    const t = this.now();
    const recent = (this.events.get(key) ?? []).filter((at) => t - at < this.windowMs);
    const room = recent.length < this.limit;
    if (room) recent.push(t);
    this.events.set(key, recent);
    return room;
  }

  /** Forgets keys whose events have all left the window. */
  prune(): void {
    const t = this.now();
    for (const [key, times] of this.events)
      if (times.every((at) => t - at >= this.windowMs)) this.events.delete(key);
  }

  get size(): number {
    return this.events.size;
  }
}
