/**
 * Counted places per key (a client IP or access token) and in total, for
 * things a client holds open: sockets, unauthenticated handshakes. A
 * refusal says which cap it hit, so the relay can answer 429 (this client
 * has enough) or 503 (the relay has enough).
 */
export type SlotRefusal = "per_key" | "total";

export interface Slot {
  /** Gives the place back; later calls do nothing. */
  release(): void;
}

export class SlotLimiter {
  private readonly byKey = new Map<string, number>();
  private used = 0;

  constructor(
    private readonly perKey: number,
    private readonly total: number,
  ) {}

  get size(): number {
    return this.used;
  }

  held(key: string): number {
    return this.byKey.get(key) ?? 0;
  }

  acquire(key: string): Slot | SlotRefusal {
    const mine = this.byKey.get(key) ?? 0;
    if (mine >= this.perKey) return "per_key";
    if (this.used >= this.total) return "total";
    this.byKey.set(key, mine + 1);
    this.used++;
    let held = true;
    return {
      release: () => {
        if (!held) return;
        held = false;
        this.used--;
        const left = (this.byKey.get(key) ?? 1) - 1;
        if (left <= 0) this.byKey.delete(key);
        else this.byKey.set(key, left);
      },
    };
  }
}
