/**
 * A received batch is logged as records under a bound: the store's own
 * (Store.recordBytes: files take a batch whole) or LOG_RECORD_BYTES
 * (Chromium's IndexedDB moves values of 64 KiB or more out into blobs, at
 * five times the main-thread cost): every envelope lands in exactly one
 * record, in order, each record decodes back to its envelopes, and only an
 * envelope that is larger on its own makes a record past the bound.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { equalBytes } from "../core/crypto/bytes.js";
import { decodeLogRecord } from "../core/space/space-codecs.js";
import { LOG_RECORD_BYTES, logPrefix, logRecords } from "../core/space/space-log.js";

const SPACE = "ab".repeat(16);
// Sizes around the bound: many small ones, and now and then one past it alone. Each batch's
// envelopes are distinct (a receive drops copies before logging), so each starts with its index.
const envelope = (bound: number) =>
  fc
    .oneof(
      { weight: 8, arbitrary: fc.integer({ min: 4, max: Math.max(4, bound >> 4) }) },
      { weight: 1, arbitrary: fc.integer({ min: bound - 100, max: bound + 5_000 }) },
    )
    .chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
// The default (a store that names no size), or one a store names.
const boundAndBatch = fc
  .oneof(fc.constant(undefined), fc.integer({ min: 1_000, max: 200_000 }))
  .chain((given) =>
    fc.tuple(
      fc.constant(given),
      fc.array(envelope(given ?? LOG_RECORD_BYTES), { minLength: 1, maxLength: 80 }),
    ),
  );

describe("log records of a batch", () => {
  it("keeps every envelope once, in order, in records under the bound unless alone", () => {
    fc.assert(
      fc.property(boundAndBatch, ([given, generated]) => {
        const bound = given ?? LOG_RECORD_BYTES;
        const envelopes = generated.map((e, i) => {
          new DataView(e.buffer, e.byteOffset).setUint32(0, i);
          return e;
        });
        const records = logRecords(SPACE, envelopes, given);
        const back = records.map(([, bytes]) => decodeLogRecord(bytes, 1024 * 1024));
        const flat = back.flat();
        expect(flat.length).toBe(envelopes.length);
        expect(flat.every((e, i) => equalBytes(e, envelopes[i] ?? new Uint8Array()))).toBe(true);
        for (const [key] of records) expect(key.startsWith(logPrefix(SPACE))).toBe(true);
        expect(new Set(records.map(([key]) => key)).size).toBe(records.length);
        for (const held of back) {
          const size = held.reduce((n, e) => n + e.length, 0);
          if (held.length > 1) expect(size).toBeLessThanOrEqual(bound);
        }
        // As few records as the bound allows: no two neighbours would have fitted together.
        for (let i = 1; i < back.length; i++) {
          const before = back[i - 1] ?? [];
          const first = back[i]?.[0]?.length ?? 0;
          expect(before.reduce((n, e) => n + e.length, 0) + first).toBeGreaterThan(bound);
        }
      }),
      { numRuns: 40, endOnFailure: true },
    );
  });

  it("a batch of 300 chat-sized envelopes is logged as several records, not one of 150 KB", () => {
    const envelopes = Array.from({ length: 300 }, (_, i) => new Uint8Array(500).fill(i % 256));
    const records = logRecords(SPACE, envelopes);
    expect(records.length).toBeGreaterThanOrEqual(3);
    for (const [, bytes] of records) expect(bytes.length).toBeLessThan(64 * 1024);
  });
});
