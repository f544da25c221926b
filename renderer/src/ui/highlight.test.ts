import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { highlightPieces } from "./Search.js";

describe("search highlights", () => {
  it("marks each occurrence of every word, whatever its case and accents", () => {
    expect(highlightPieces("Tomatoes and more TOMATOES", "tomatoes")).toEqual([
      { text: "Tomatoes", match: true },
      { text: " and more ", match: false },
      { text: "TOMATOES", match: true },
    ]);
    expect(highlightPieces("Crème brûlée", "creme brulee")).toEqual([
      { text: "Crème", match: true },
      { text: " ", match: false },
      { text: "brûlée", match: true },
    ]);
  });

  it("keeps the text whole and in order, for any text and words", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme" }), fc.string(), (text, words) => {
        expect(
          highlightPieces(text, words)
            .map((p) => p.text)
            .join(""),
        ).toBe(text);
      }),
    );
  });
});
