import fc from "fast-check";
import nacl from "tweetnacl";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { newEpochKey, openKeyBox, sealKeyBox, sealKeyBoxWith } from "./key-box.js";
import { loadSecretbox, selectSecretbox } from "./secretbox.js";

/** Key boxes by libsodium and by tweetnacl: the same bytes, each opening the other's. */
describe("key boxes on both backends", () => {
  let before: ReturnType<typeof selectSecretbox>;
  beforeAll(async () => {
    expect(await loadSecretbox()).toBe("libsodium");
    before = selectSecretbox("libsodium");
  });
  afterAll(() => void selectSecretbox(before));

  it("seal the same bytes from the same inputs, and open each other's", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        (key, ephemeral, nonce) => {
          const recipient = nacl.box.keyPair();
          selectSecretbox("libsodium");
          const bySodium = sealKeyBoxWith(key, recipient.publicKey, ephemeral, nonce);
          selectSecretbox("tweetnacl");
          const byNacl = sealKeyBoxWith(key, recipient.publicKey, ephemeral, nonce);
          expect(bySodium).toEqual(byNacl);
          expect(openKeyBox(bySodium, recipient.secretKey)).toEqual(key);
          selectSecretbox("libsodium");
          expect(openKeyBox(byNacl, recipient.secretKey)).toEqual(key);
        },
      ),
      { numRuns: 50 },
    );
  });

  it("refuse a box sealed to another device, or altered, on either backend", () => {
    for (const backend of ["libsodium", "tweetnacl"] as const) {
      selectSecretbox(backend);
      const me = nacl.box.keyPair();
      const other = nacl.box.keyPair();
      const sealed = sealKeyBox(newEpochKey(), me.publicKey);
      expect(() => openKeyBox(sealed, other.secretKey)).toThrow(/not sealed to this device/);
      const altered = sealed.slice();
      altered[altered.length - 1]! ^= 1;
      expect(() => openKeyBox(altered, me.secretKey)).toThrow(/not sealed to this device/);
    }
  });
});
