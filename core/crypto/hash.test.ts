import { sha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "./bytes.js";
import { HASH_LENGTH, hash32, hash32Latin1, hash32Portable, hashBackend } from "./hash.js";

describe("hash32: SHA-256, native in Node, @noble/hashes elsewhere", () => {
  it("takes Node's native hash here (the tests run in Node)", () => {
    expect(hashBackend).toBe("node");
  });

  it("gives the FIPS 180-2 answers on both implementations", () => {
    const vectors: [string, string][] = [
      ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
      ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
      [
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
      ],
    ];
    for (const [text, hex] of vectors) {
      expect(toHex(hash32(utf8(text)))).toBe(hex);
      expect(toHex(hash32Portable(utf8(text)))).toBe(hex);
    }
  });

  it("returns a plain 32-byte Uint8Array of its own, not a Buffer or a shared view", () => {
    const digest = hash32(utf8("grove"));
    expect(Object.getPrototypeOf(digest)).toBe(Uint8Array.prototype);
    expect(digest.length).toBe(HASH_LENGTH);
    expect(digest.byteOffset).toBe(0);
    expect(digest.buffer.byteLength).toBe(HASH_LENGTH);
  });

  it("agrees with the portable implementation on any bytes, views inside larger buffers too", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 2048 }),
        fc.nat(64),
        fc.nat(64),
        (bytes, before, after) => {
          const backing = new Uint8Array(before + bytes.length + after).fill(0xa5);
          backing.set(bytes, before);
          const view = backing.subarray(before, before + bytes.length);
          // noble's one-shot digest is the reference for the reused hasher, call after call.
          const expected = toHex(sha256(bytes));
          expect(toHex(hash32Portable(bytes))).toBe(expected);
          expect(toHex(hash32Portable(view))).toBe(expected);
          expect(toHex(hash32(bytes))).toBe(expected);
          expect(toHex(hash32(view))).toBe(expected);
          // The same digest as text: one character per byte, every byte value kept.
          const text = hash32Latin1?.(view) ?? "";
          expect(text.length).toBe(HASH_LENGTH);
          expect(toHex(Uint8Array.from(text, (c) => c.charCodeAt(0)))).toBe(expected);
        },
      ),
      { numRuns: 300 },
    );
  });
});
