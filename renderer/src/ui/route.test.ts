import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { formatRoute, parseRoute, TOOLS, type View } from "./route.js";

const view: fc.Arbitrary<View> = fc.oneof(
  fc.record({
    kind: fc.constant("space" as const),
    id: fc.stringMatching(/^[0-9a-f]{32}$/),
    tool: fc.constantFrom(...TOOLS),
  }),
  fc.constant({ kind: "buddies" as const }),
  fc.constant({ kind: "status" as const }),
  fc.constant({ kind: "activity" as const }),
  fc.constant({ kind: "home" as const }),
  fc
    .string({ minLength: 1 })
    .filter((q) => q.trim() === q && q.length > 0)
    .map((query) => ({ kind: "search" as const, query })),
);

describe("routes", () => {
  it("read back every place they write", () => {
    fc.assert(
      fc.property(view, (v) => {
        expect(parseRoute(formatRoute(v))).toEqual(v);
      }),
    );
  });

  it("read any other address as home, never throwing", () => {
    fc.assert(
      fc.property(fc.string(), (hash) => {
        const v = parseRoute(`#${hash}`);
        expect(["space", "buddies", "status", "activity", "search", "home"]).toContain(v.kind);
      }),
    );
    expect(parseRoute("#/space/not-an-id/chat")).toEqual({ kind: "home" });
    expect(parseRoute("#/search/%E0%A4%A")).toEqual({ kind: "home" });
    expect(parseRoute("#/space/0123456789abcdef0123456789abcdef/nope")).toEqual({
      kind: "space",
      id: "0123456789abcdef0123456789abcdef",
    });
  });
});
