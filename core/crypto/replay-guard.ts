/**
 * Per-author replay protection, as a sliding window (the IPsec scheme):
 * an author's seqs may arrive out of order within `window` of the highest
 * seen, each at most once. A seq seen before is REPLAYED; a seq that fell
 * behind the window is STALE_SEQ, since we can no longer tell it apart from
 * a replay. Seqs are recorded only after an envelope fully opens, so a
 * forgery cannot burn a seq.
 */
import { bytesKey } from "./bytes.js";
import { CryptoError } from "./errors.js";

interface AuthorWindow {
  highest: number;
  seen: Set<number>;
}

export const DEFAULT_REPLAY_WINDOW = 4096;

export class ReplayGuard {
  private readonly authors = new Map<string, AuthorWindow>();

  constructor(readonly window: number = DEFAULT_REPLAY_WINDOW) {}

  check(author: Uint8Array, seq: number): void {
    const state = this.authors.get(bytesKey(author));
    if (!state) return;
    if (seq <= state.highest - this.window) {
      throw new CryptoError("STALE_SEQ", `seq ${seq} is older than the replay window`);
    }
    if (state.seen.has(seq)) throw new CryptoError("REPLAYED", `seq ${seq} was already accepted`);
  }

  accept(author: Uint8Array, seq: number): void {
    const id = bytesKey(author);
    let state = this.authors.get(id);
    if (!state) {
      state = { highest: 0, seen: new Set() };
      this.authors.set(id, state);
    }
    state.seen.add(seq);
    if (seq > state.highest) state.highest = seq;
    if (state.seen.size > 2 * this.window) {
      const floor = state.highest - this.window;
      for (const s of state.seen) if (s <= floor) state.seen.delete(s);
    }
  }

  /** The highest seq accepted from an author, 0 if none. */
  highest(author: Uint8Array): number {
    return this.authors.get(bytesKey(author))?.highest ?? 0;
  }
}
