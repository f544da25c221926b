import { sha256 } from "@noble/hashes/sha2.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex, utf8 } from "./bytes.js";
import {
  HASH_LENGTH,
  hash32,
  hash32Latin1,
  hash32Noble,
  hash32Portable,
  hash32Wasm,
  hashBackend,
  loadHash,
} from "./hash.js";

describe("hash32: SHA-256, native in Node, hash-wasm or @noble/hashes elsewhere", () => {
  it("takes Node's native hash here (the tests run in Node), loaded or not", async () => {
    expect(hashBackend().name).toBe("node");
    expect(await loadHash()).toBe("node");
    expect(hashBackend()).toEqual({ name: "node" });
  });

  it("gives the FIPS 180-2 answers on every implementation", async () => {
    const vectors: [string, string][] = [
      ["", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"],
      ["abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"],
      [
        "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
        "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1",
      ],
    ];
    const wasm = await hash32Wasm();
    if (!wasm) throw new Error("hash-wasm did not load in Node");
    for (const [text, hex] of vectors) {
      expect(toHex(hash32(utf8(text)))).toBe(hex);
      expect(toHex(hash32Portable(utf8(text)))).toBe(hex);
      expect(toHex(hash32Noble(utf8(text)))).toBe(hex);
      expect(toHex(wasm(utf8(text)))).toBe(hex);
    }
  });

  it("hash-wasm's digest is a copy of its own: the next digest does not change it", async () => {
    const wasm = await hash32Wasm();
    if (!wasm) throw new Error("hash-wasm did not load in Node");
    const first = wasm(utf8("first"));
    const kept = toHex(first);
    wasm(utf8("second"));
    expect(toHex(first)).toBe(kept);
    expect(first.length).toBe(HASH_LENGTH);
    expect(first.buffer.byteLength).toBe(HASH_LENGTH);
  });

  it("hash-wasm agrees with noble on any bytes, views inside larger buffers, and over 64 KiB", async () => {
    const wasm = await hash32Wasm();
    if (!wasm) throw new Error("hash-wasm did not load in Node");
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4096 }), fc.nat(64), (bytes, before) => {
        const backing = new Uint8Array(before + bytes.length).fill(0x5a);
        backing.set(bytes, before);
        const view = backing.subarray(before);
        const expected = toHex(sha256(bytes));
        expect(toHex(wasm(view))).toBe(expected);
        expect(toHex(hash32Noble(view))).toBe(expected);
      }),
      { numRuns: 300 },
    );
    // Larger than hash-wasm's staging buffer (64 KiB): fed to it in chunks.
    const large = new Uint8Array(200_000).map((_, i) => (i * 31) & 0xff);
    expect(toHex(wasm(large))).toBe(toHex(sha256(large)));
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
