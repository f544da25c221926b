/**
 * A person's name as others see it. Names are the member's own choice and
 * travel in signed ops, so anyone can put characters in them that change how
 * text around them reads or that cannot be seen: a right-to-left override
 * makes "\u202Enna" show as "ann", a zero-width space makes "A\u200Bnn" look
 * like "Ann" while being another string.
 *
 * `displayName` is the name shown: without bidirectional controls (the
 * views set `dir="auto"` themselves) and control characters, spaces
 * collapsed. `nameKey` is what two names are compared by (is this a verified
 * buddy's name?): the shown name in NFKC, lower case, without any character
 * that has no glyph of its own (Unicode's default-ignorable code points,
 * zero-width joiners included). Look-alike letters of other scripts are not
 * folded.
 */

// And U+FEFF, invisible, which JavaScript's \s would otherwise turn into a space.
const BIDI_CONTROLS = /[\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is removed
const CONTROLS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;
const INVISIBLE = /\p{Default_Ignorable_Code_Point}/gu;

export function displayName(raw: string): string {
  return raw.replace(BIDI_CONTROLS, "").replace(CONTROLS, " ").replace(/\s+/g, " ").trim();
}

export function nameKey(raw: string): string {
  return displayName(raw)
    .normalize("NFKC")
    .replace(INVISIBLE, "")
    .toLowerCase()
    .replace(/\s+/g, " ")
    .trim();
}
