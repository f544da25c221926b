/**
 * The pieces the relay's fan-out path is built from, each against the plain
 * version it replaces: DELIVER bytes with a shared tail equal encodeFrame's,
 * ack runs cover exactly the acked seqs, and the counter write-behind shows
 * a failed write's changes to nobody.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { decodeFrame, encodeFrame } from "../core/wire/frame.js";
import { FLAG_EPHEMERAL } from "../core/wire/frame-types.js";
import { deliverBatchBytes, deliverFrameBytes } from "../relay/deliver-bytes.js";
import { runsOf } from "../relay/store/sqlite-store.js";
import { WriteBehind } from "../relay/store/write-behind.js";

const bytes = (n: number) => fc.uint8Array({ minLength: n, maxLength: n });
const message = fc.record({
  seq: fc.oneof(fc.nat(300), fc.nat(), fc.maxSafeNat()),
  msgId: bytes(16),
  sender: bytes(32),
  flags: fc.constantFrom(0, FLAG_EPHEMERAL),
  envelope: fc.uint8Array({ maxLength: 2000 }),
});

describe("DELIVER frames with a shared tail", () => {
  it("are byte for byte what encodeFrame writes, for any seq", () => {
    fc.assert(
      fc.property(message, (m) => {
        const shared = deliverFrameBytes(m);
        expect(shared).toEqual(encodeFrame({ type: "deliver", ...m }));
        expect(decodeFrame(shared)).toEqual({ type: "deliver", ...m });
      }),
      { numRuns: 500 },
    );
  });

  it("differ between the targets of one send only in the seq", () => {
    fc.assert(
      fc.property(message, fc.array(fc.maxSafeNat(), { minLength: 2, maxLength: 8 }), (m, seqs) => {
        for (const seq of seqs) {
          expect(deliverFrameBytes({ ...m, seq })).toEqual(
            encodeFrame({ type: "deliver", ...m, seq }),
          );
        }
      }),
      { numRuns: 200 },
    );
  });

  it("never reuse a tail for another msgId, sender or flags around the same envelope object", () => {
    fc.assert(
      fc.property(message, bytes(16), bytes(32), (m, otherId, otherSender) => {
        deliverFrameBytes(m);
        const other = {
          ...m,
          msgId: otherId,
          sender: otherSender,
          flags: m.flags ^ FLAG_EPHEMERAL,
        };
        expect(deliverFrameBytes(other)).toEqual(encodeFrame({ type: "deliver", ...other }));
      }),
      { numRuns: 200 },
    );
  });
});

describe("DELIVER_BATCH frames with shared tails (revision 5)", () => {
  const stored = message.map((m) => ({ ...m, seq: Math.max(1, m.seq), flags: 0 }));
  it("are byte for byte what encodeFrame writes, and decode to the same messages", () => {
    fc.assert(
      fc.property(fc.array(stored, { minLength: 1, maxLength: 12 }), (messages) => {
        const batch = deliverBatchBytes(messages);
        expect(batch).toEqual(encodeFrame({ type: "deliverBatch", deliveries: messages }));
        expect(decodeFrame(batch)).toEqual({ type: "deliverBatch", deliveries: messages });
      }),
      { numRuns: 300 },
    );
  });
});

describe("ack runs", () => {
  it("cover exactly the acked seqs, sorted, disjoint and not touching", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 400 }), { maxLength: 300 }), (seqs) => {
        const runs = runsOf(seqs);
        const covered: number[] = [];
        for (const [from, to] of runs) {
          expect(from).toBeLessThanOrEqual(to);
          for (let n = from; n <= to; n++) covered.push(n);
        }
        expect(covered).toEqual([...new Set(seqs)].sort((a, b) => a - b));
        for (let i = 1; i < runs.length; i++) {
          const [, prevTo] = runs[i - 1] ?? [0, 0];
          const [from] = runs[i] ?? [0, 0];
          expect(from).toBeGreaterThan(prevTo + 1);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe("counter write-behind", () => {
  it("writes back only what writes that succeeded changed, once each", () => {
    const rows = new WriteBehind<number>(100);
    const db = new Map([["a", 1]]);
    const load = (key: string) => () => db.get(key) ?? 0;
    rows.set("a", rows.get("a", load("a")) + 1);
    rows.keep();
    rows.set("b", rows.get("b", load("b")) + 5);
    rows.drop(); // rolled back: b's change must vanish
    rows.set("a", rows.get("a", load("a")) + 1);
    rows.keep();
    expect(rows.get("b", load("b"))).toBe(0);
    expect(rows.takeChanged()).toEqual([["a", 3]]);
    expect(rows.takeChanged()).toEqual([]);
  });

  it("forgets everything after a failed commit, so rows are read again", () => {
    const rows = new WriteBehind<number>(100);
    rows.set("a", rows.get("a", () => 1) + 1);
    rows.keep();
    rows.reset();
    expect(rows.get("a", () => 7)).toBe(7);
    expect(rows.takeChanged()).toEqual([]);
  });

  it("peek/loaded read like get, and setKept outside a write is kept as set then keep", () => {
    const rows = new WriteBehind<number>(100);
    expect(rows.peek("a")).toBeUndefined();
    expect(rows.loaded("a", 4)).toBe(4);
    expect(rows.peek("a")).toBe(4);
    rows.setKept("a", 5);
    expect(rows.peek("a")).toBe(5);
    rows.set("a", 6);
    expect(rows.peek("a")).toBe(6); // a running write sees its own change
    expect(() => rows.setKept("b", 1)).toThrow(); // not while a write is running
    rows.drop();
    expect(rows.peek("a")).toBe(5);
    expect(rows.takeChanged()).toEqual([["a", 5]]);
    rows.reset();
    expect(rows.peek("a")).toBeUndefined();
  });

  it("drops clean rows past its bound, but never a change not yet written", () => {
    const rows = new WriteBehind<number>(2);
    for (const key of ["a", "b", "c"]) rows.set(key, rows.get(key, () => 0) + 1);
    rows.keep();
    expect(rows.takeChanged()).toHaveLength(3);
    expect(rows.get("a", () => 9)).toBe(9);
  });
});
