/**
 * Content hashes: SHA-256. Used for envelope ids, author hash chains, blob
 * addresses and membership-log links. Synchronous on purpose: chain checks
 * run per envelope in catch-up, where an async WebCrypto digest costs more
 * in scheduling (~60 us, and in Chromium ~50 us of main thread each even
 * when issued a thousand at once) than in hashing.
 *
 * Two implementations of the one function: Node's native one-shot
 * `crypto.hash` where there is one (Node and Electron's main side), about
 * three times faster than @noble/hashes for an envelope (a tenth of a
 * 10,000-envelope catch-up on files), and @noble/hashes everywhere else
 * (a page, the renderer). Standard SHA-256 also lets the relay check blob
 * addresses natively.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { nodeBuiltin } from "./host-builtin.js";

export const HASH_LENGTH = 32;

type OneShotHash = {
  (algorithm: string, data: Uint8Array, outputEncoding: "buffer"): Uint8Array;
  (algorithm: string, data: Uint8Array, outputEncoding: "latin1"): string;
};

/** Node's `crypto.hash` (Node 20.12 on), where there is one. */
function nativeHash(): OneShotHash | undefined {
  const module = nodeBuiltin("node:crypto") as { hash?: unknown } | undefined;
  return typeof module?.hash === "function" ? (module.hash as OneShotHash) : undefined;
}

const native = nativeHash();

/** Which implementation `hash32` uses here: for benches that report it. */
export const hashBackend: "node" | "noble" = native ? "node" : "noble";

/**
 * noble's SHA-256 with one hasher, reset from a fresh one for each digest
 * and wiped after it: making a hasher per call (a block buffer and a
 * DataView over it) was two fifths of hashing an envelope in Chromium,
 * and its garbage more collections in a catch-up. Synchronous throughout,
 * so no call can see another's state.
 */
const freshHasher = sha256.create();
const hasher = sha256.create();

function portableHash(bytes: Uint8Array): Uint8Array {
  freshHasher._cloneInto(hasher);
  hasher.update(bytes);
  const digest = new Uint8Array(HASH_LENGTH);
  hasher.digestInto(digest);
  hasher.destroy();
  return digest;
}

export function hash32(bytes: Uint8Array): Uint8Array {
  if (!native) return portableHash(bytes);
  // A plain Uint8Array like noble's (Node gives a Buffer, whose slice and equality differ),
  // over the Buffer's own 32 bytes: no copy (the test checks they are not a shared pool's).
  const digest = native("sha256", bytes, "buffer");
  return new Uint8Array(digest.buffer, digest.byteOffset, HASH_LENGTH);
}

/**
 * The same digest as 32 one-byte characters (latin1), where the native hash
 * gives it that way (undefined elsewhere): for hashes only compared, never
 * kept as bytes. A string costs the heap a small object where a Buffer costs
 * an ArrayBuffer of its own; hashing a catch-up's 10,000 envelopes took a
 * third of the time this way (a hash chain compares each hash once).
 */
export const hash32Latin1: ((bytes: Uint8Array) => string) | undefined = native
  ? (bytes) => native("sha256", bytes, "latin1")
  : undefined;

/** The portable implementation, for tests that hold the two side by side. */
export function hash32Portable(bytes: Uint8Array): Uint8Array {
  return portableHash(bytes);
}
