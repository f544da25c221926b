/**
 * Names from ops as they are shown and compared: whatever a member put in
 * their name, the shown name holds no bidirectional control or control
 * character, showing is idempotent, and two names that differ only by
 * invisible characters, case or compatibility forms compare equal.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { displayName, nameKey } from "../core/membership/display-name.js";

const INVISIBLE = ["\u200b", "\u200c", "\u200d", "\u2060", "\u00ad", "\ufeff", "\u180e"];
const BIDI = [
  "\u202a",
  "\u202b",
  "\u202c",
  "\u202d",
  "\u202e",
  "\u2066",
  "\u2067",
  "\u2068",
  "\u2069",
  "\u200e",
  "\u200f",
  "\u061c",
];
const tricky = fc.constantFrom(
  ...INVISIBLE,
  ...BIDI,
  "\u0000",
  "\u0085",
  "\n",
  "\t",
  " ",
  "A",
  "b",
  "é",
  "Ａ",
);
const name = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.array(tricky, { maxLength: 20 }).map((a) => a.join("")),
);

// biome-ignore lint/suspicious/noControlCharactersInRegex: what a shown name must never hold
const SHOWN_NEVER = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;

describe("names as shown and compared", () => {
  it("a shown name holds no bidi or control character, and showing it again changes nothing", () => {
    fc.assert(
      fc.property(name, (raw) => {
        const shown = displayName(raw);
        expect(SHOWN_NEVER.test(shown)).toBe(false);
        expect(displayName(shown)).toBe(shown);
        expect(nameKey(shown)).toBe(nameKey(raw));
      }),
      { numRuns: 1000 },
    );
  });

  it("invisible characters, case and full-width forms do not make another name", () => {
    fc.assert(
      fc.property(fc.constantFrom(...INVISIBLE, ...BIDI), fc.nat(2), (mark, at) => {
        const base = "Bob";
        const marked = base.slice(0, at) + mark + base.slice(at);
        expect(nameKey(marked)).toBe("bob");
      }),
    );
    expect(nameKey("ＢＯＢ")).toBe("bob");
  });
});
