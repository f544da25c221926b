import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CryptoError } from "./errors.js";
import { joinChunks, openChunk, sealFile } from "./file-chunks.js";
import { randomBytes } from "./random.js";

const openAll = (sealed: ReturnType<typeof sealFile>) =>
  joinChunks(
    sealed.chunks.map((c, index) => openChunk(c.box, { hash: c.hash, key: sealed.key, index })),
    sealed.size,
  );

describe("file chunks", () => {
  it("seal and open any file, in chunks of any size", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 3000 }),
        fc.integer({ min: 1, max: 700 }),
        (bytes, size) => {
          const sealed = sealFile(bytes, size);
          expect(sealed.chunks).toHaveLength(Math.max(1, Math.ceil(bytes.length / size)));
          expect(openAll(sealed)).toEqual(bytes);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("give each file its own key, so equal files share no chunk", () => {
    const bytes = randomBytes(100);
    const [a, b] = [sealFile(bytes), sealFile(bytes)];
    expect(a.key).not.toEqual(b.key);
    expect(a.chunks[0]!.hash).not.toEqual(b.chunks[0]!.hash);
  });

  it("refuse a chunk that is not the one named: other bytes, other place, other key, other size", () => {
    const sealed = sealFile(randomBytes(250), 100);
    const [first, second] = sealed.chunks as [(typeof sealed.chunks)[0], (typeof sealed.chunks)[0]];
    const code = (f: () => unknown) => {
      try {
        f();
      } catch (err) {
        expect(err).toBeInstanceOf(CryptoError);
        return (err as CryptoError).code;
      }
      return "opened";
    };
    const flipped = first.box.slice();
    flipped[50]! ^= 1;
    expect(code(() => openChunk(flipped, { hash: first.hash, key: sealed.key, index: 0 }))).toBe(
      "BAD_FORMAT",
    );
    // A relay swapping chunks: the hash matches the chunk asked for, but not its place.
    expect(
      code(() => openChunk(second.box, { hash: second.hash, key: sealed.key, index: 0 })),
    ).toBe("BAD_FORMAT");
    expect(
      code(() => openChunk(first.box, { hash: first.hash, key: randomBytes(32), index: 0 })),
    ).toBe("DECRYPT_FAILED");
    expect(code(() => joinChunks([new Uint8Array(3)], 4))).toBe("BAD_FORMAT");
  });

  it("throw only CryptoError on arbitrary bytes", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), fc.nat({ max: 5 }), (box, index) => {
        const sealed = sealFile(randomBytes(10));
        try {
          openChunk(box, { hash: sealed.chunks[0]!.hash, key: sealed.key, index });
        } catch (err) {
          expect(err).toBeInstanceOf(CryptoError);
        }
      }),
    );
  });
});
