import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { bytesKey } from "./bytes.js";

/** The definition: one char per byte. */
const reference = (bytes: Uint8Array) => Array.from(bytes, (b) => String.fromCharCode(b)).join("");

describe("bytesKey", () => {
  it("is one char per byte for any bytes, however calls interleave (32-byte keys remembered)", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(
            fc.uint8Array({ minLength: 32, maxLength: 32 }),
            fc.uint8Array({ maxLength: 80 }),
            // A few keys again and again, and ones differing in one byte only.
            fc.constantFrom(...[0, 1, 2].map((n) => new Uint8Array(32).fill(n))),
            fc.nat(31).map((i) => {
              const key = new Uint8Array(32).fill(1);
              key[i] = 2;
              return key;
            }),
          ),
          { maxLength: 60 },
        ),
        (arrays) => {
          for (const bytes of arrays) expect(bytesKey(bytes)).toBe(reference(bytes));
        },
      ),
      { numRuns: 300 },
    );
  });

  it("follows a key changed in place after it was remembered, and a view into a larger array", () => {
    const backing = new Uint8Array(40).fill(7);
    const view = backing.subarray(4, 36);
    const before = bytesKey(view);
    backing[10] = 8;
    expect(bytesKey(view)).not.toBe(before);
    expect(bytesKey(view)).toBe(reference(view));
    view.fill(7);
    expect(bytesKey(view)).toBe(before);
  });
});
