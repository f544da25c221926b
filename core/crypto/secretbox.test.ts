import fc from "fast-check";
import nacl from "tweetnacl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { concatBytes } from "./bytes.js";
import {
  loadSecretbox,
  openSecretbox,
  type SecretboxBackendName,
  sealSecretbox,
  secretboxBackend,
  selectSecretbox,
} from "./secretbox.js";

/** tweetnacl is the reference: nonce || nacl.secretbox(message, nonce, key). */
const naclSeal = (message: Uint8Array, key: Uint8Array, nonce = nacl.randomBytes(24)) =>
  concatBytes(nonce, nacl.secretbox(message, nonce, key));
const naclOpen = (body: Uint8Array, key: Uint8Array) =>
  nacl.secretbox.open(body.subarray(24), body.subarray(0, 24), key);

const LENGTHS = [0, 1, 15, 16, 31, 32, 33, 63, 64, 65, 127, 128, 129, 1000, 4099];

it("loads libsodium where WebAssembly runs", async () => {
  expect(await loadSecretbox()).toBe("libsodium");
  expect(secretboxBackend()).toEqual({ name: "libsodium" });
});

describe.each<SecretboxBackendName>(["libsodium", "tweetnacl"])(
  "the secretbox seam over %s: envelope body layout, authentication",
  (backend) => {
    let before: SecretboxBackendName;
    beforeAll(async () => {
      await loadSecretbox();
      before = selectSecretbox(backend);
    });
    afterAll(() => void selectSecretbox(before));

    it("seals the same bytes as nacl.secretbox, at every length around the block size", () => {
      const key = nacl.randomBytes(32);
      for (const length of LENGTHS) {
        const message = nacl.randomBytes(length);
        const nonce = nacl.randomBytes(24);
        expect(sealSecretbox(message, nonce, key)).toEqual(naclSeal(message, key, nonce));
      }
    });

    it("opens what nacl.secretbox seals, and nacl opens what it seals", () => {
      const key = nacl.randomBytes(32);
      for (const length of LENGTHS) {
        const message = nacl.randomBytes(length);
        const box = naclSeal(message, key);
        expect(openSecretbox(box, key)).toEqual(message);
        expect(openSecretbox(box, key)).toEqual(naclOpen(box, key));
        expect(naclOpen(sealSecretbox(message, nacl.randomBytes(24), key), key)).toEqual(message);
      }
    });

    it("refuses a flipped bit anywhere, a wrong key and a short box, like nacl", () => {
      const key = nacl.randomBytes(32);
      const box = naclSeal(nacl.randomBytes(100), key);
      for (let i = 0; i < box.length; i++) {
        const bad = box.slice();
        bad[i]! ^= 1 << (i % 8);
        expect(openSecretbox(bad, key)).toBeUndefined();
        expect(naclOpen(bad, key)).toBeNull();
      }
      expect(openSecretbox(box, nacl.randomBytes(32))).toBeUndefined();
      expect(openSecretbox(box.subarray(0, 39), key)).toBeUndefined();
      expect(openSecretbox(box.subarray(0, 40), key)).toBeUndefined();
      expect(() => openSecretbox(box, new Uint8Array(31))).toThrow(RangeError);
      expect(() => sealSecretbox(box, new Uint8Array(24), new Uint8Array(16))).toThrow(RangeError);
    });

    it("leaves the box untouched, opened or refused", () => {
      const key = nacl.randomBytes(32);
      const box = naclSeal(nacl.randomBytes(300), key);
      const copy = box.slice();
      openSecretbox(box, key);
      expect(box).toEqual(copy);
      openSecretbox(box, nacl.randomBytes(32));
      expect(box).toEqual(copy);
    });

    it("agrees with nacl on any message, nonce and key; a result is its own copy", () => {
      fc.assert(
        fc.property(
          fc.uint8Array({ maxLength: 2048 }),
          fc.uint8Array({ minLength: 24, maxLength: 24 }),
          fc.uint8Array({ minLength: 32, maxLength: 32 }),
          fc.nat(),
          (message, nonce, key, flip) => {
            const box = sealSecretbox(message, nonce, key);
            expect(box).toEqual(naclSeal(message, key, nonce));
            const opened = openSecretbox(box, key)!;
            expect(opened).toEqual(message);
            // Another call must not reuse the bytes handed out (libsodium works in one heap).
            openSecretbox(sealSecretbox(new Uint8Array(message.length).fill(7), nonce, key), key);
            expect(opened).toEqual(message);
            const bad = box.slice();
            bad[flip % bad.length]! ^= 1;
            expect(openSecretbox(bad, key)).toBeUndefined();
          },
        ),
        { numRuns: 300 },
      );
    });

    it("opens a box that is a view into a larger buffer (an envelope's body)", () => {
      const key = nacl.randomBytes(32);
      const message = nacl.randomBytes(300);
      const box = naclSeal(message, key);
      const frame = concatBytes(nacl.randomBytes(77), box, nacl.randomBytes(64));
      expect(openSecretbox(frame.subarray(77, 77 + box.length), key)).toEqual(message);
    });

    it("opens boxes past the region libsodium keeps for them, then small ones, each its own copy", () => {
      const key = nacl.randomBytes(32);
      const opened: [Uint8Array, Uint8Array][] = [];
      for (const length of [10, 100_000, 5, 70_000, 0, 150_000, 33]) {
        const message = nacl.randomBytes(length);
        opened.push([openSecretbox(naclSeal(message, key), key)!, message]);
        // A refusal between them leaves nothing behind for the next.
        const bad = naclSeal(message, key);
        bad[30] = (bad[30] ?? 0) ^ 1;
        expect(openSecretbox(bad, key)).toBeUndefined();
      }
      for (const [got, message] of opened) expect(got).toEqual(message);
    });
  },
);
