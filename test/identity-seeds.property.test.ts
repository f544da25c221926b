/**
 * The profile's key pairs are derived from their seeds at every launch, by
 * libsodium once it is loaded and by tweetnacl before: both must give the
 * very same keys, or a device would sign as someone else after a restart.
 */
import fc from "fast-check";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { deviceKeysFromSeeds, userKeysFromSeed } from "../core/crypto/identity.js";
import { loadSecretbox, secretboxBackend } from "../core/crypto/secretbox.js";

const seed = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("key pairs from seeds", () => {
  it("libsodium derives the same signing and box keys as tweetnacl", async () => {
    await loadSecretbox();
    expect(secretboxBackend().name).toBe("libsodium");
    fc.assert(
      fc.property(seed, seed, (sign, box) => {
        const device = deviceKeysFromSeeds(sign, box);
        const reference = nacl.sign.keyPair.fromSeed(sign);
        expect(device.sign.publicKey).toEqual(reference.publicKey);
        expect(device.sign.secretKey).toEqual(reference.secretKey);
        expect(device.box).toEqual(nacl.box.keyPair.fromSecretKey(box));
        expect(userKeysFromSeed(sign).sign.secretKey).toEqual(reference.secretKey);
      }),
      { numRuns: 100 },
    );
  });

  it("a box secret of the wrong size is refused, not turned into a key", async () => {
    await loadSecretbox();
    expect(() => deviceKeysFromSeeds(new Uint8Array(32), new Uint8Array(31))).toThrow();
  });
});
