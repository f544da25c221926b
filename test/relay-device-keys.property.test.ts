/**
 * DeviceKeys (relay/store/device-keys.ts), the embedded store's cache of
 * map keys per device: whatever bytes come in (any length, keys that share
 * their first four bytes, views into buffers changed afterwards, a cache
 * too small to hold them), a key is always the base64 of exactly these
 * bytes and a share key always that key, "|", and the source.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { DeviceKeys } from "../relay/store/device-keys.js";

const base64 = (bytes: Uint8Array) => Buffer.from(bytes).toString("base64");

/** Keys drawn from a few heads and a few tails: many share their first four bytes. */
const key = fc
  .tuple(fc.constantFrom(0, 1, 0xffffffff), fc.uint8Array({ minLength: 28, maxLength: 28 }))
  .map(([head, tail]) => {
    const bytes = new Uint8Array(32);
    new DataView(bytes.buffer).setUint32(0, head);
    bytes.set(tail, 4);
    return bytes;
  });

describe("DeviceKeys", () => {
  it("gives the key and share key of exactly the bytes asked about", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.record({
            bytes: fc.oneof(key, fc.uint8Array({ maxLength: 40 })),
            source: fc.constantFrom("", "10.0.0.1", "token:7"),
            share: fc.boolean(),
            scribble: fc.boolean(),
          }),
          { maxLength: 60 },
        ),
        fc.integer({ min: 1, max: 8 }),
        (calls, max) => {
          const keys = new DeviceKeys(max);
          const seen: Uint8Array[] = [];
          for (const call of calls) {
            // A view into a larger buffer, as a frame's key is.
            const frame = new Uint8Array(call.bytes.length + 3);
            frame.set(call.bytes, 3);
            const view = frame.subarray(3);
            const expected = base64(call.bytes);
            if (call.share)
              expect(keys.shareKey(view, call.source)).toBe(`${expected}|${call.source}`);
            else expect(keys.key(view)).toBe(expected);
            // The caller's buffer is reused (past the first four bytes, so a key remembered
            // as a view would now look like another device of the same head).
            if (call.scribble) {
              frame.fill(0xaa, 3 + 4);
              const other = view.slice();
              expect(keys.key(other)).toBe(base64(other));
            }
            seen.push(call.bytes);
          }
          for (const bytes of seen) {
            expect(keys.key(bytes.slice())).toBe(base64(bytes));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
