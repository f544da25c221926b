/**
 * Presence's decoders take bytes from members (the presence payload) and from
 * disk (the seq reservation): they round-trip what we write and throw only
 * DecodeError on anything else. The seq ledger's addressed window is checked
 * against a plain set model: it never refuses a seq it has not taken unless
 * that seq is at or below the floor, and never holds more than the window.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodePresence, encodePresence } from "../core/membership/presence.js";
import { ADDRESSED_WINDOW, SeqLedger } from "../core/space/seq-ledger.js";
import { decodeSeqReserve, encodeSeqReserve } from "../core/space/seq-reserve.js";
import { expectOnlyDecodeErrors, hostileBytes } from "./mutate.js";

const status = fc.constantFrom("online" as const, "away" as const, "offline" as const);
const sentAt = fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER), fc.maxSafeNat());

const valid = {
  presence: [
    ...(["online", "away", "offline"] as const).map((status) =>
      encodePresence({ status, sentAt: 1_764_000_000_000 }),
    ),
    encodePresence({ status: "away", sentAt: 0 }),
    encodePresence({ status: "online", sentAt: 128 }),
    encodePresence({ status: "offline", sentAt: Number.MAX_SAFE_INTEGER }),
  ],
  reserve: [0, 1, 1024, 2 ** 40, Number.MAX_SAFE_INTEGER].map(encodeSeqReserve),
};

/** Hostile input is refused with a DecodeError, or is the one encoding of what it decodes to. */
function refusedOrCanonical<T>(
  decode: (b: Uint8Array) => T,
  encode: (v: T) => Uint8Array,
  bytes: Uint8Array,
): void {
  let decoded: T | undefined;
  expectOnlyDecodeErrors(() => {
    decoded = decode(bytes);
  });
  if (decoded !== undefined) expect(encode(decoded)).toEqual(bytes);
}

describe("presence codecs", () => {
  it("round-trip what they encode", () => {
    fc.assert(
      fc.property(status, sentAt, (s, t) => {
        expect(decodePresence(encodePresence({ status: s, sentAt: t }))).toEqual({
          status: s,
          sentAt: t,
        });
      }),
    );
    fc.assert(
      fc.property(fc.maxSafeNat(), (n) => {
        expect(decodeSeqReserve(encodeSeqReserve(n))).toBe(n);
      }),
    );
  });

  it("presence payload: 10000 hostile inputs are refused with DecodeError or are canonical", () => {
    fc.assert(
      fc.property(hostileBytes(valid.presence), (bytes) =>
        refusedOrCanonical(decodePresence, encodePresence, bytes),
      ),
      { numRuns: 10_000 },
    );
  });

  it("seq reservation: 10000 hostile inputs are refused with DecodeError or are canonical", () => {
    fc.assert(
      fc.property(hostileBytes(valid.reserve), (bytes) =>
        refusedOrCanonical(decodeSeqReserve, encodeSeqReserve, bytes),
      ),
      { numRuns: 10_000 },
    );
  });
});

describe("seq ledger: the addressed window", () => {
  const author = new Uint8Array(32).fill(7);

  it("refuses only what it took, or what fell below its floor; holds at most the window", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 6 * ADDRESSED_WINDOW }), {
          minLength: 1,
          maxLength: 3 * ADDRESSED_WINDOW,
        }),
        (seqs) => {
          const ledger = new SeqLedger();
          for (const s of seqs) ledger.take(author, "addressed", s);
          const [entry] = ledger.entries();
          expect(entry!.above.length).toBeLessThanOrEqual(ADDRESSED_WINDOW);
          const taken = new Set(seqs);
          for (const s of taken) expect(ledger.has(author, "addressed", s)).toBe(true);
          for (let s = entry!.floor + 1; s <= 6 * ADDRESSED_WINDOW + 1; s++) {
            expect(ledger.has(author, "addressed", s)).toBe(taken.has(s));
          }
          // Addressed holes are never gaps, and a restore keeps the same ledger.
          expect(ledger.gaps()).toEqual([]);
          expect(SeqLedger.restore(ledger.entries()).entries()).toEqual(ledger.entries());
        },
      ),
      { numRuns: 25 },
    );
  });

  it("keeps the newest seqs of a chain with holes; broadcast chains stay exact", () => {
    const ledger = new SeqLedger();
    // Every other seq: what a device sees of an author who also addresses others.
    const evens = Array.from({ length: 3 * ADDRESSED_WINDOW }, (_, i) => 2 * (i + 1));
    for (const s of evens) {
      ledger.take(author, "addressed", s);
      ledger.take(author, "broadcast", s);
    }
    const top = evens[evens.length - 1]!;
    expect(ledger.has(author, "addressed", top - 1)).toBe(false);
    expect(ledger.has(author, "addressed", top - ADDRESSED_WINDOW / 2 + 1)).toBe(false);
    // Long past: counts as taken (a replay that old is refused).
    expect(ledger.has(author, "addressed", 1)).toBe(true);
    // Broadcast: every hole is still a gap to fill.
    expect(ledger.has(author, "broadcast", 1)).toBe(false);
    expect(ledger.gaps()).toHaveLength(evens.length);
  });
});
