/**
 * Which seqs of which author a device has taken in, per stream. It is the
 * replay check (a seq taken once is never taken again, with no window to
 * fall out of) and the gap detector (holes below an author's highest
 * broadcast seq are losses to ask for). Kept exact: a contiguous floor plus
 * the few seqs above it, so it stays small however long a space lives.
 *
 * Addressed chains (sync requests and answers, presence) have holes by
 * design: what an author addressed to others never arrives here, nor does
 * presence sent while this device was offline. Their seqs above the floor
 * are kept in a window: at most ADDRESSED_WINDOW of them; past that the
 * floor moves up past the older half, and an addressed envelope that old
 * counts as taken (refused as a replay). Broadcast chains stay exact: their
 * holes are losses to fill.
 */
import { bytesKey, fromHex, toHex } from "../crypto/bytes.js";
import type { EnvelopeStream } from "../wire/envelope.js";

interface Chain {
  /** Every seq in 1..floor has been taken. */
  floor: number;
  above: Set<number>;
}

export interface Gap {
  author: string;
  /** First missing seq. */
  from: number;
  /** Last missing seq (inclusive). */
  to: number;
}

/** Most seqs an addressed chain keeps above its floor (see above). */
export const ADDRESSED_WINDOW = 1024;

export interface LedgerEntry {
  author: string;
  stream: EnvelopeStream;
  floor: number;
  above: number[];
}

/**
 * Chains are found by the author's raw bytes (bytesKey) in one map per
 * stream: a receive looks up every envelope's author (twice), and a key
 * joined with the stream, or hex, would be a new string to hash per lookup.
 * Hex is made only where it leaves (floors, gaps, entries).
 */
export class SeqLedger {
  /** Every chain, in the order first taken (what floors, gaps and entries list). */
  private readonly chains: { author: Uint8Array; stream: EnvelopeStream; chain: Chain }[] = [];
  private readonly broadcast = new Map<string, Chain>();
  private readonly addressed = new Map<string, Chain>();

  has(author: Uint8Array, stream: EnvelopeStream, seq: number): boolean {
    const chain = this.byStream(stream).get(bytesKey(author));
    return !!chain && (seq <= chain.floor || chain.above.has(seq));
  }

  take(author: Uint8Array, stream: EnvelopeStream, seq: number): void {
    const chain = this.chain(author, stream);
    if (seq <= chain.floor) return;
    // In order (nearly every seq of a catch-up): the floor moves, no set entry made and dropped.
    if (seq === chain.floor + 1) {
      chain.floor = seq;
      if (chain.above.size > 0) absorb(chain);
      return;
    }
    chain.above.add(seq);
    absorb(chain);
    if (stream === "addressed") slide(chain);
  }

  /** Marks 1..floor of an author's broadcast chain as taken (their content arrived in a snapshot). */
  raiseFloor(authorHex: string, floor: number): void {
    const chain = this.chain(fromHex(authorHex), "broadcast");
    if (floor <= chain.floor) return;
    chain.floor = floor;
    for (const seq of chain.above) if (seq <= floor) chain.above.delete(seq);
    absorb(chain);
  }

  /** Contiguous broadcast floors by author (hex): what a snapshot of this device's doc covers. */
  floors(): Map<string, number> {
    const out = new Map<string, number>();
    for (const { author, stream, chain } of this.chains) {
      if (stream === "broadcast" && chain.floor > 0) out.set(toHex(author), chain.floor);
    }
    return out;
  }

  /** Holes in broadcast chains: seqs below one already taken that never arrived. */
  gaps(): Gap[] {
    const out: Gap[] = [];
    for (const { author, stream, chain } of this.chains) {
      if (stream !== "broadcast" || chain.above.size === 0) continue;
      const hex = toHex(author);
      let next = chain.floor + 1;
      for (const seq of [...chain.above].sort((a, b) => a - b)) {
        if (seq > next) out.push({ author: hex, from: next, to: seq - 1 });
        next = seq + 1;
      }
    }
    return out;
  }

  /** Every chain, for a checkpoint; `restore` takes it back. */
  entries(): LedgerEntry[] {
    return this.chains.map(({ author, stream, chain }) => ({
      author: toHex(author),
      stream,
      floor: chain.floor,
      above: [...chain.above].sort((a, b) => a - b),
    }));
  }

  static restore(entries: readonly LedgerEntry[]): SeqLedger {
    const ledger = new SeqLedger();
    for (const e of entries) {
      const chain = ledger.chain(fromHex(e.author), e.stream);
      chain.floor = Math.max(chain.floor, e.floor);
      for (const seq of e.above) if (seq > chain.floor) chain.above.add(seq);
      absorb(chain);
      if (e.stream === "addressed") slide(chain);
    }
    return ledger;
  }

  private chain(author: Uint8Array, stream: EnvelopeStream): Chain {
    const chains = this.byStream(stream);
    const key = bytesKey(author);
    let chain = chains.get(key);
    if (!chain) {
      chain = { floor: 0, above: new Set() };
      chains.set(key, chain);
      // A copy: `author` is often a view into an envelope the ledger should not keep alive.
      this.chains.push({ author: author.slice(), stream, chain });
    }
    return chain;
  }

  private byStream(stream: EnvelopeStream): Map<string, Chain> {
    return stream === "broadcast" ? this.broadcast : this.addressed;
  }
}

function absorb(chain: Chain): void {
  while (chain.above.delete(chain.floor + 1)) chain.floor++;
}

/**
 * Keeps an addressed chain within its window: once over, the floor moves up
 * past the older half of the seqs above it (halving, so the sort is rare).
 */
function slide(chain: Chain): void {
  if (chain.above.size <= ADDRESSED_WINDOW) return;
  const sorted = [...chain.above].sort((a, b) => a - b);
  for (const seq of sorted.slice(0, sorted.length - ADDRESSED_WINDOW / 2)) {
    chain.floor = seq;
    chain.above.delete(seq);
  }
  absorb(chain);
}
