import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { diffText } from "./text-edit.js";

const apply = (text: string, c: { index: number; remove: number; insert: string }) =>
  text.slice(0, c.index) + c.insert + text.slice(c.index + c.remove);

describe("a textarea over shared text", () => {
  it("finds the one replaced range of an input event", () => {
    expect(diffText("hello", "hello!")).toEqual({ index: 5, remove: 0, insert: "!" });
    expect(diffText("hello", "hllo")).toEqual({ index: 1, remove: 1, insert: "" });
    expect(diffText("aaa", "aaaa")).toEqual({ index: 3, remove: 0, insert: "a" });
    expect(diffText("one two", "one 2")).toEqual({ index: 4, remove: 3, insert: "2" });
    expect(diffText("same", "same")).toEqual({ index: 4, remove: 0, insert: "" });
  });

  it("turns any text into any other, never splitting an emoji", () => {
    const text = fc.string({ unit: fc.constantFrom("a", "b", " ", "\n", "é", "😀", "👍") });
    fc.assert(
      fc.property(text, text, (before, after) => {
        const change = diffText(before, after);
        expect(apply(before, change)).toBe(after);
        // The cut points sit between code points in both texts.
        const cut = (s: string, i: number) =>
          i === 0 || i === s.length || !/[\uDC00-\uDFFF]/.test(s.charAt(i));
        expect(cut(before, change.index)).toBe(true);
        expect(cut(before, change.index + change.remove)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });
});
