import fc from "fast-check";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { CHUNK_BYTES, EnvelopeLog, MAX_CHUNKS } from "./envelope-log.js";

const A = "a".repeat(64);
const B = "b".repeat(64);
const C = "c".repeat(64);
const id = (n: number) => n.toString(16).padStart(32, "0");

/** Two logs whose docs exchange every update, the way a mesh keeps them in sync. */
function pair(now = () => 0) {
  const got = { a: [] as [string, Uint8Array][], b: [] as [string, Uint8Array][] };
  const acks = { a: [] as string[], b: [] as string[] };
  const docA = new Y.Doc();
  const docB = new Y.Doc();
  docA.on(
    "update",
    (u: Uint8Array, origin: unknown) => origin !== "peer" && Y.applyUpdate(docB, u, "peer"),
  );
  docB.on(
    "update",
    (u: Uint8Array, origin: unknown) => origin !== "peer" && Y.applyUpdate(docA, u, "peer"),
  );
  const a = new EnvelopeLog(
    docA,
    A,
    {
      envelope: (i, bytes) => got.a.push([i, bytes]),
      ack: (i, d) => acks.a.push(`${i}/${d}`),
    },
    now,
  );
  const b = new EnvelopeLog(
    docB,
    B,
    {
      envelope: (i, bytes) => got.b.push([i, bytes]),
      ack: (i, d) => acks.b.push(`${i}/${d}`),
    },
    now,
  );
  return { a, b, got, acks, docA, docB };
}

describe("EnvelopeLog", () => {
  it("hands a peer's envelope over once, whole, even when it spans many chunks", () => {
    const { a, got } = pair();
    const big = Uint8Array.from({ length: CHUNK_BYTES * 3 + 5 }, (_, i) => i % 251);
    expect(a.put(id(1), big)).toBe(true);
    expect(got.b).toHaveLength(1);
    expect(got.b[0]![1]).toEqual(big);
    expect(got.a).toEqual([]); // never one's own
  });

  it("refuses envelopes too large for the log", () => {
    const { a } = pair();
    expect(a.put(id(1), new Uint8Array(CHUNK_BYTES * MAX_CHUNKS + 1))).toBe(false);
    expect(a.size).toBe(0);
  });

  it("an addressed envelope is taken by its targets only", () => {
    const { a, got } = pair();
    a.put(id(1), Uint8Array.of(1), [Uint8Array.from(Buffer.from(C, "hex"))]);
    a.put(id(2), Uint8Array.of(2), [Uint8Array.from(Buffer.from(B, "hex"))]);
    expect(got.b.map(([i]) => i)).toEqual([id(2)]);
  });

  it("acks reach the author; removal clears the envelope and its acks for both", () => {
    const { a, b, acks } = pair();
    a.put(id(1), Uint8Array.of(1));
    b.ack(id(1), B);
    expect(acks.a).toEqual([`${id(1)}/${B}`]);
    a.remove(id(1));
    expect(a.size).toBe(0);
    expect(b.size).toBe(0);
  });

  it("sweeps own entries after their time, others' only at ten times that", () => {
    let clock = 0;
    const { a, b } = pair(() => clock);
    a.put(id(1), Uint8Array.of(1));
    b.put(id(2), Uint8Array.of(2));
    clock = 1500;
    a.sweep(1000);
    expect(a.size).toBe(1); // its own went; b's stays
    clock = 20_000;
    a.sweep(1000);
    expect(a.size).toBe(0);
  });

  it("ignores whatever in the doc does not fit the layout, and never throws on it", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.oneof(
              fc.string(),
              fc.constantFrom(`${id(1)}/0/1`, `${id(2)}/5/2`, `${id(3)}/0/99`, `${id(4)}/1/2`),
            ),
            fc.oneof(
              fc.uint8Array({ maxLength: 64 }),
              fc.string(),
              fc.integer(),
              fc.constant(null),
            ),
          ),
          { maxLength: 20 },
        ),
        (entries) => {
          const { docA, got } = pair();
          docA.transact(() => {
            const map = docA.getMap("e");
            for (const [key, value] of entries) map.set(key, value);
          });
          // Only complete, well-formed single-chunk envelopes may come out.
          for (const [i, bytes] of got.b) {
            expect(i).toBe(id(1));
            expect(bytes).toBeInstanceOf(Uint8Array);
          }
        },
      ),
    );
  });
});
