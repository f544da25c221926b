/**
 * A space's summary comes back from the disk (sealed, but written by any
 * version of the app): it round-trips what we write, throws only DecodeError
 * on anything else, and holds only for the mark and read time it was made at.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  decodeSummary,
  encodeSummary,
  MAX_MARK_BYTES,
  type SpaceSummary,
  summarizable,
  summaryHolds,
} from "../core/space/space-summary.js";
import { DecodeError } from "../core/wire/errors.js";

const summary: fc.Arbitrary<SpaceSummary> = fc.record({
  mark: fc.string({ maxLength: 300 }),
  readAt: fc.nat(),
  unread: fc.nat(),
  lastActivity: fc.maxSafeNat(),
  name: fc.string({ unit: "grapheme", maxLength: 60 }),
});

describe("space summary", () => {
  it("round-trips what it encodes", () => {
    fc.assert(
      fc.property(summary, (s) => {
        expect(decodeSummary(encodeSummary(s))).toEqual(s);
      }),
    );
  });

  it("throws only DecodeError on any bytes, and a decoded summary encodes back to them", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 120 }), (bytes) => {
        let decoded: SpaceSummary;
        try {
          decoded = decodeSummary(bytes);
        } catch (err) {
          expect(err).toBeInstanceOf(DecodeError);
          return;
        }
        expect(encodeSummary(decoded)).toEqual(bytes);
      }),
    );
  });

  it("throws DecodeError on every cut and on any other version", () => {
    fc.assert(
      fc.property(summary, fc.integer({ min: 2, max: 255 }), (s, version) => {
        const bytes = encodeSummary(s);
        for (let cut = 0; cut < bytes.length; cut++) {
          expect(() => decodeSummary(bytes.slice(0, cut))).toThrow(DecodeError);
        }
        const other = bytes.slice();
        other[0] = version;
        expect(() => decodeSummary(other)).toThrow(DecodeError);
      }),
    );
  });

  it("holds only for the same mark and read time, and never without a mark", () => {
    fc.assert(
      fc.property(summary, fc.string(), fc.nat(), (s, mark, readAt) => {
        expect(summaryHolds(s, { mark: s.mark, readAt: s.readAt })).toBe(true);
        expect(summaryHolds(s, { mark: undefined, readAt: s.readAt })).toBe(false);
        expect(summaryHolds(undefined, { mark, readAt })).toBe(false);
        expect(summaryHolds(s, { mark, readAt: s.readAt })).toBe(mark === s.mark);
        expect(summaryHolds(s, { mark: s.mark, readAt })).toBe(readAt === s.readAt);
      }),
    );
  });

  it("refuses to write figures it could not read back", () => {
    const base = { mark: "m", readAt: 1, unread: 2, lastActivity: 3, name: "n" };
    for (const bad of [
      { ...base, unread: -1 },
      { ...base, readAt: 1.5 },
      { ...base, lastActivity: Number.NaN },
      { ...base, mark: "x".repeat(MAX_MARK_BYTES + 1) },
    ]) {
      expect(summarizable(bad)).toBe(false);
      expect(() => encodeSummary(bad)).toThrow(RangeError);
    }
    expect(summarizable(base)).toBe(true);
  });
});
