/**
 * A run of remote changes arriving close together (a catch-up), for the
 * progress a space shows while it lasts: counted from the space's accepted
 * envelopes, ended by a gap of quiet.
 */

/** Arrivals further apart than this end a catch-up. */
const BURST_GAP_MS = 1500;
/** A catch-up is shown once it has taken this many changes. */
const CATCH_UP_SHOWN = 50;

export class ArrivalBurst {
  private burst: { from: number; last: number; at: number } | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;

  /** `ended` is called when a run ends (its progress is to be taken down). */
  constructor(private readonly ended: () => void) {}

  /** Changes arrived: `accepted` is the space's count of envelopes taken in so far. */
  note(accepted: number): void {
    const now = Date.now();
    if (!this.burst || now - this.burst.at > BURST_GAP_MS) {
      this.burst = { from: accepted, last: accepted, at: now };
    }
    this.burst.last = accepted;
    this.burst.at = now;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.burst = undefined;
      this.ended();
    }, BURST_GAP_MS);
  }

  /** Changes taken in the current run, while one runs (more than a handful in a row). */
  shown(): number | undefined {
    const n = this.burst ? this.burst.last - this.burst.from : 0;
    return n >= CATCH_UP_SHOWN ? n : undefined;
  }

  stop(): void {
    clearTimeout(this.timer);
  }
}
