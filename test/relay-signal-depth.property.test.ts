/**
 * The /signal depth check and the forwarded text: the scan agrees with the
 * nesting JSON.parse sees, never throws anything but SignalMessageError,
 * and a forwarded publish parses to what was sent plus the client count.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  checkDepth,
  parseSignalMessage,
  SignalMessageError,
  withClientCount,
} from "../relay/signal-message.js";

function depthOf(value: unknown): number {
  if (Array.isArray(value)) return 1 + Math.max(0, ...value.map(depthOf));
  if (typeof value === "object" && value !== null)
    return 1 + Math.max(0, ...Object.values(value).map(depthOf));
  return 0;
}

describe("checkDepth", () => {
  it("throws TOO_DEEP exactly when JSON nests deeper than the limit", () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 8 }), fc.integer({ min: 0, max: 10 }), (v, max) => {
        const deep = depthOf(v) > max;
        let threw = false;
        try {
          checkDepth(JSON.stringify(v), max);
        } catch (err) {
          expect(err).toBeInstanceOf(SignalMessageError);
          expect((err as SignalMessageError).code).toBe("TOO_DEEP");
          threw = true;
        }
        expect(threw).toBe(deep);
      }),
      { numRuns: 3000 },
    );
  });

  it("takes any text, including brackets inside strings and escapes, without recursion", () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom("[", "]", "{", "}", '"', "\\", "a") }), (t) => {
        try {
          checkDepth(t, 4);
        } catch (err) {
          expect(err).toBeInstanceOf(SignalMessageError);
        }
      }),
      { numRuns: 3000 },
    );
    expect(() => checkDepth(`"${"[".repeat(1000)}"`, 2)).not.toThrow();
    expect(() => checkDepth("[".repeat(200_000), 32)).toThrow(SignalMessageError);
  });
});

describe("withClientCount", () => {
  it("forwards the publish text as received, with the client count last", () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 4 })),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.nat(1000),
        (extra, topic, clients) => {
          const text = JSON.stringify({ ...extra, type: "publish", topic });
          const msg = parseSignalMessage(text);
          if (msg.type !== "publish") throw new Error("not a publish");
          const out = withClientCount(msg.text, clients);
          expect(out.startsWith(text.slice(0, -1))).toBe(true);
          expect(JSON.parse(out)).toEqual({ ...JSON.parse(text), clients });
        },
      ),
      { numRuns: 2000 },
    );
  });
});
