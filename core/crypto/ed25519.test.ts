import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { seqBytes } from "../../test/fixtures.js";
import { toHex } from "./bytes.js";
import { ed25519, naclEd25519, PROBE, webCryptoEd25519 } from "./ed25519.js";

const webcrypto = webCryptoEd25519(globalThis.crypto.subtle);

describe("Ed25519 backends", () => {
  it("detects WebCrypto in Node and uses it", async () => {
    expect((await ed25519()).name).toBe("webcrypto");
  });

  it("probes WebCrypto against tweetnacl's own answer, held as constants", () => {
    const keys = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(7));
    expect(toHex(keys.publicKey)).toBe(PROBE.publicKey);
    expect(toHex(nacl.sign.detached(Uint8Array.from([1, 2, 3]), keys.secretKey))).toBe(
      PROBE.signature,
    );
  });

  it("give byte-identical signatures and accept each other's", async () => {
    for (let i = 0; i < 12; i++) {
      const keys = nacl.sign.keyPair.fromSeed(seqBytes(32, i * 7));
      const message = seqBytes(i * 37, i);
      const a = await naclEd25519.sign(keys.secretKey, message);
      const b = await webcrypto.sign(keys.secretKey, message);
      expect(b).toEqual(a);
      expect(await naclEd25519.verify(keys.publicKey, message, b)).toBe(true);
      expect(await webcrypto.verify(keys.publicKey, message, a)).toBe(true);
    }
  });

  it("both reject a signature over another message and one by another key", async () => {
    const keys = nacl.sign.keyPair();
    const other = nacl.sign.keyPair();
    const sig = nacl.sign.detached(seqBytes(10), keys.secretKey);
    for (const backend of [naclEd25519, webcrypto]) {
      expect(await backend.verify(keys.publicKey, seqBytes(10, 1), sig)).toBe(false);
      expect(await backend.verify(other.publicKey, seqBytes(10), sig)).toBe(false);
    }
  });

  it("both reject a malleated signature (S + L), so backends never disagree", async () => {
    const keys = nacl.sign.keyPair();
    const message = seqBytes(20);
    const sig = nacl.sign.detached(message, keys.secretKey);
    // Add the group order L to S (little-endian, bytes 32..63).
    const order = [
      0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde,
      0x14, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
    ];
    const malleated = sig.slice();
    let carry = 0;
    for (let i = 0; i < 32; i++) {
      const sum = malleated[32 + i]! + order[i]! + carry;
      malleated[32 + i] = sum & 0xff;
      carry = sum >> 8;
    }
    for (const backend of [naclEd25519, webcrypto]) {
      expect(await backend.verify(keys.publicKey, message, malleated)).toBe(false);
    }
  });

  it("treat garbage public keys and wrong lengths as invalid, not as errors", async () => {
    for (const backend of [naclEd25519, webcrypto]) {
      expect(await backend.verify(new Uint8Array(31), seqBytes(4), new Uint8Array(64))).toBe(false);
      expect(
        await backend.verify(new Uint8Array(32).fill(0xff), seqBytes(4), new Uint8Array(64)),
      ).toBe(false);
    }
  });
});
