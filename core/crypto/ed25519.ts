/**
 * Ed25519 signing and verification with three interchangeable backends:
 * tweetnacl (the reference, available everywhere), WebCrypto's native
 * Ed25519 (Chromium, Electron, Node), which verifies 50-100x faster, and in
 * Node the same OpenSSL code called synchronously (node:crypto), which
 * spares each check a trip through the thread pool: in a catch-up on files
 * those trips queued behind the store's fsyncs and left the main thread
 * waiting on every batch. Ed25519 is deterministic, so all produce the same
 * bytes; the backend is chosen once, by checking that the candidate
 * reproduces a tweetnacl signature.
 *
 * Both backends reject signatures whose scalar S is not below the group
 * order, so two members on different backends never disagree on validity.
 */
import type * as NodeCrypto from "node:crypto";
import nacl from "tweetnacl";
import { bytesKey, concatBytes, fromHex } from "./bytes.js";
import { nodeBuiltin } from "./host-builtin.js";

export interface Ed25519Backend {
  readonly name: "node" | "webcrypto" | "tweetnacl";
  /** `secretKey` is tweetnacl's 64-byte form: seed || public key. */
  sign(secretKey: Uint8Array, message: Uint8Array): Promise<Uint8Array>;
  verify(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): Promise<boolean>;
}

/** Group order L, little-endian. */
const ORDER = Uint8Array.from([
  0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14, 0,
  0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10,
]);

function wellFormed(publicKey: Uint8Array, signature: Uint8Array): boolean {
  if (publicKey.length !== 32 || signature.length !== 64) return false;
  for (let i = 31; i >= 0; i--) {
    const s = signature[32 + i];
    const l = ORDER[i];
    if (s === undefined || l === undefined) return false;
    if (s < l) return true;
    if (s > l) return false;
  }
  return false; // S == L
}

export const naclEd25519: Ed25519Backend = {
  name: "tweetnacl",
  async sign(secretKey, message) {
    return nacl.sign.detached(message, secretKey);
  },
  async verify(publicKey, message, signature) {
    if (!wellFormed(publicKey, signature)) return false;
    return nacl.sign.detached.verify(message, signature, publicKey);
  },
};

/** PKCS#8 wrapping of a raw Ed25519 seed (RFC 8410), the form WebCrypto imports. */
const PKCS8_PREFIX = Uint8Array.from([
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20,
]);
const ALG = { name: "Ed25519" } as const;
const KEY_CACHE_LIMIT = 4096;

export function webCryptoEd25519(subtle: SubtleCrypto): Ed25519Backend {
  // Importing a key costs about as much as a verify; members sign many envelopes, so cache.
  const signKeys = new Map<string, Promise<CryptoKey>>();
  const verifyKeys = new Map<string, Promise<CryptoKey>>();
  /** The same keys once imported, for use without an await. */
  const importedVerifyKeys = new Map<string, CryptoKey>();

  const cached = (
    cache: Map<string, Promise<CryptoKey>>,
    id: string,
    load: () => Promise<CryptoKey>,
  ) => {
    let key = cache.get(id);
    if (!key) {
      const oldest = cache.size >= KEY_CACHE_LIMIT ? cache.keys().next() : undefined;
      if (oldest && !oldest.done) cache.delete(oldest.value);
      key = load();
      cache.set(id, key);
      key.catch(() => cache.delete(id));
    }
    return key;
  };

  return {
    name: "webcrypto",
    async sign(secretKey, message) {
      const publicId = bytesKey(secretKey.subarray(32));
      const key = await cached(signKeys, publicId, () =>
        subtle.importKey(
          "pkcs8",
          concatBytes(PKCS8_PREFIX, secretKey.subarray(0, 32)) as BufferSource,
          ALG,
          false,
          ["sign"],
        ),
      );
      return new Uint8Array(await subtle.sign(ALG, key, message as BufferSource));
    },
    verify(publicKey, message, signature) {
      if (!wellFormed(publicKey, signature)) return Promise.resolve(false);
      const id = bytesKey(publicKey);
      const check = (key: CryptoKey) =>
        subtle.verify(ALG, key, signature as BufferSource, message as BufferSource);
      // A key already imported is used at once, not after an await: the check is then
      // under way while the caller goes on (hashing the rest of a batch) instead of after.
      const ready = importedVerifyKeys.get(id);
      if (ready) return check(ready).catch(() => false);
      return cached(verifyKeys, id, async () => {
        const key = await subtle.importKey("raw", publicKey as BufferSource, ALG, false, [
          "verify",
        ]);
        if (importedVerifyKeys.size >= KEY_CACHE_LIMIT) importedVerifyKeys.clear();
        importedVerifyKeys.set(id, key);
        return key;
      })
        .then(check)
        .catch(() => false); // An unimportable public key is not a valid signer.
    },
  };
}

/** SPKI wrapping of a raw Ed25519 public key (RFC 8410), the form node:crypto imports. */
const SPKI_PREFIX = Uint8Array.from([
  0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00,
]);

type NodeCryptoModule = Pick<
  typeof NodeCrypto,
  "createPrivateKey" | "createPublicKey" | "sign" | "verify"
>;

/** node:crypto where the host is Node (see host-builtin.ts). */
export function nodeCrypto(): NodeCryptoModule | undefined {
  const module = nodeBuiltin("node:crypto") as Partial<NodeCryptoModule> | undefined;
  return typeof module?.verify === "function" &&
    typeof module.sign === "function" &&
    typeof module.createPublicKey === "function" &&
    typeof module.createPrivateKey === "function"
    ? (module as NodeCryptoModule)
    : undefined;
}

/** Ed25519 through node:crypto's one-shot sign and verify (synchronous, no thread hop). */
export function nodeEd25519(crypto: NodeCryptoModule): Ed25519Backend {
  const signKeys = new Map<string, NodeCrypto.KeyObject>();
  const verifyKeys = new Map<string, NodeCrypto.KeyObject | null>();
  const cached = <T>(cache: Map<string, T>, id: string, load: () => T): T => {
    if (cache.has(id)) return cache.get(id) as T;
    const oldest = cache.size >= KEY_CACHE_LIMIT ? cache.keys().next() : undefined;
    if (oldest && !oldest.done) cache.delete(oldest.value);
    const key = load();
    cache.set(id, key);
    return key;
  };
  return {
    name: "node",
    async sign(secretKey, message) {
      const key = cached(signKeys, bytesKey(secretKey.subarray(32)), () =>
        crypto.createPrivateKey({
          key: concatBytes(PKCS8_PREFIX, secretKey.subarray(0, 32)) as Buffer,
          format: "der",
          type: "pkcs8",
        }),
      );
      return new Uint8Array(crypto.sign(null, message, key));
    },
    async verify(publicKey, message, signature) {
      if (!wellFormed(publicKey, signature)) return false;
      // An unimportable public key is not a valid signer (remembered as such).
      const key = cached(verifyKeys, bytesKey(publicKey), () => {
        try {
          return crypto.createPublicKey({
            key: concatBytes(SPKI_PREFIX, publicKey) as Buffer,
            format: "der",
            type: "spki",
          });
        } catch {
          return null;
        }
      });
      if (!key) return false;
      try {
        return crypto.verify(null, message, key, signature);
      } catch {
        return false;
      }
    },
  };
}

/** tweetnacl's key and signature for the probe in `detect` (see the test in ed25519 vectors). */
export const PROBE = {
  publicKey: "ea4a6c63e29c520abef5507b132ec5f9954776aebebe7b92421eea691446d22c",
  signature:
    "83998e719947612d0e82d427472c685a64b14d9aea67968cbcc39733f27376f3b8ea9858c24e061feb8bcdefce93aa921a6bc8ee1cab17f68d5d1ffc0dc2d800",
};

let detected: Promise<Ed25519Backend> | undefined;

/**
 * The fastest backend that agrees with the reference, detected once per
 * process. Falls back to tweetnacl when WebCrypto lacks Ed25519 or disagrees.
 */
export function ed25519(): Promise<Ed25519Backend> {
  detected ??= detect();
  return detected;
}

async function detect(): Promise<Ed25519Backend> {
  const node = nodeCrypto();
  if (node) {
    const candidate = nodeEd25519(node);
    if (await agreesWithReference(candidate)) return candidate;
  }
  const subtle = globalThis.crypto?.subtle;
  if (!subtle) return naclEd25519;
  const candidate = webCryptoEd25519(subtle);
  return (await agreesWithReference(candidate)) ? candidate : naclEd25519;
}

/** Whether `candidate` signs and verifies the probe exactly as tweetnacl does. */
async function agreesWithReference(candidate: Ed25519Backend): Promise<boolean> {
  try {
    // The reference's answer, computed once with tweetnacl (seed 7 x 32, message 1 2 3) and
    // checked against it in the tests: deriving it at every launch cost two scalar
    // multiplications in JavaScript before the first space could open.
    const seed = new Uint8Array(32).fill(7);
    const probe = { publicKey: fromHex(PROBE.publicKey), secretKey: new Uint8Array(64) };
    probe.secretKey.set(seed);
    probe.secretKey.set(probe.publicKey, 32);
    const message = Uint8Array.from([1, 2, 3]);
    const ours = await candidate.sign(probe.secretKey, message);
    const reference = fromHex(PROBE.signature);
    if (ours.length !== 64 || !ours.every((b, i) => b === reference[i])) return false;
    return await candidate.verify(probe.publicKey, message, reference);
  } catch {
    return false;
  }
}
