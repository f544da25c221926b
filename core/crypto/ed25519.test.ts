import fc from "fast-check";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { seqBytes } from "../../test/fixtures.js";
import { toHex } from "./bytes.js";
import {
  ed25519,
  naclEd25519,
  nodeCrypto,
  nodeEd25519,
  PROBE,
  webCryptoEd25519,
} from "./ed25519.js";

const webcrypto = webCryptoEd25519(globalThis.crypto.subtle);
const node = nodeEd25519(nodeCrypto()!);
const natives = [webcrypto, node];

describe("Ed25519 backends", () => {
  it("detects node:crypto in Node and uses it (no thread pool trip per check)", async () => {
    expect((await ed25519()).name).toBe("node");
  });

  it("probes WebCrypto against tweetnacl's own answer, held as constants", () => {
    const keys = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(7));
    expect(toHex(keys.publicKey)).toBe(PROBE.publicKey);
    expect(toHex(nacl.sign.detached(Uint8Array.from([1, 2, 3]), keys.secretKey))).toBe(
      PROBE.signature,
    );
  });

  it("all give byte-identical signatures and accept each other's", async () => {
    for (let i = 0; i < 12; i++) {
      const keys = nacl.sign.keyPair.fromSeed(seqBytes(32, i * 7));
      const message = seqBytes(i * 37, i);
      const a = await naclEd25519.sign(keys.secretKey, message);
      for (const backend of natives) {
        const b = await backend.sign(keys.secretKey, message);
        expect(b).toEqual(a);
        expect(Object.getPrototypeOf(b)).toBe(Uint8Array.prototype);
        expect(await naclEd25519.verify(keys.publicKey, message, b)).toBe(true);
        expect(await backend.verify(keys.publicKey, message, a)).toBe(true);
      }
    }
  });

  it("all reject a signature over another message and one by another key", async () => {
    const keys = nacl.sign.keyPair();
    const other = nacl.sign.keyPair();
    const sig = nacl.sign.detached(seqBytes(10), keys.secretKey);
    for (const backend of [naclEd25519, ...natives]) {
      expect(await backend.verify(keys.publicKey, seqBytes(10, 1), sig)).toBe(false);
      expect(await backend.verify(other.publicKey, seqBytes(10), sig)).toBe(false);
    }
  });

  it("all reject a malleated signature (S + L), so backends never disagree", async () => {
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
    for (const backend of [naclEd25519, ...natives]) {
      expect(await backend.verify(keys.publicKey, message, malleated)).toBe(false);
    }
  });

  it("all treat garbage public keys and wrong lengths as invalid, not as errors", async () => {
    for (const backend of [naclEd25519, ...natives]) {
      expect(await backend.verify(new Uint8Array(31), seqBytes(4), new Uint8Array(64))).toBe(false);
      expect(
        await backend.verify(new Uint8Array(32).fill(0xff), seqBytes(4), new Uint8Array(64)),
      ).toBe(false);
    }
  });
});

describe("the node:crypto backend against the reference", () => {
  it("agrees with tweetnacl on any message, signature bit flips and keys included", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array({ maxLength: 600 }),
        fc.nat(64 * 8 - 1),
        fc.boolean(),
        async (seed, message, bit, flip) => {
          const keys = nacl.sign.keyPair.fromSeed(seed);
          const signature = nacl.sign.detached(message, keys.secretKey);
          expect(await node.sign(keys.secretKey, message)).toEqual(signature);
          if (flip) signature[bit >> 3]! ^= 1 << (bit & 7);
          expect(await node.verify(keys.publicKey, message, signature)).toBe(
            await naclEd25519.verify(keys.publicKey, message, signature),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
