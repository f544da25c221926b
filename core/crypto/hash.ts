/**
 * Content hashes: SHA-256. Used for envelope ids, author hash chains, blob
 * addresses and membership-log links. Synchronous on purpose: chain checks
 * run per envelope in catch-up, where an async WebCrypto digest costs more
 * in scheduling (~60 us, and in Chromium ~50 us of main thread each even
 * when issued a thousand at once) than in hashing.
 *
 * Three implementations of the one function: Node's native one-shot
 * `crypto.hash` where there is one (Node and Electron's main side), about
 * three times faster than @noble/hashes for an envelope (a tenth of a
 * 10,000-envelope catch-up on files); elsewhere (a page, the renderer, the
 * open worker) hash-wasm's WebAssembly SHA-256 once `loadHash` has loaded
 * it, about twice as fast as noble (half the open worker's time in a
 * catch-up was noble's hashing); and @noble/hashes until then, or where
 * WebAssembly is refused. Standard SHA-256 also lets the relay check blob
 * addresses natively.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import type { IHasher } from "hash-wasm";
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

export type HashBackendName = "node" | "wasm" | "noble";

/** hash-wasm's hasher once loaded (never where the native hash is). */
let wasm: IHasher | undefined;
let loading: Promise<HashBackendName> | undefined;
let loadFailure: string | undefined;

/**
 * Loads hash-wasm's SHA-256 once where there is no native hash; resolves
 * with the implementation `hash32` then uses. Never rejects: where
 * WebAssembly cannot load (a CSP without 'wasm-unsafe-eval'), noble stays
 * and `hashBackend().unavailable` says why. Digests are the same either way.
 */
export function loadHash(): Promise<HashBackendName> {
  if (native) return Promise.resolve("node");
  loading ??= import("hash-wasm")
    .then(async ({ createSHA256 }) => {
      const hasher = await createSHA256();
      // Checked once against noble before use: a broken instance must not name envelopes.
      const probe = new Uint8Array([0x67, 0x72, 0x6f, 0x76, 0x65]);
      if (!sameDigest(wasmHash(hasher, probe), noblePortable(probe))) {
        throw new Error("hash-wasm's SHA-256 disagrees with noble's");
      }
      wasm = hasher;
      return "wasm" as const;
    })
    .catch((err: unknown) => {
      loadFailure = String(err);
      return "noble" as const;
    });
  return loading;
}

/** Which implementation `hash32` uses here now: for benches and diagnostics. */
export function hashBackend(): { name: HashBackendName; unavailable?: string } {
  const name = native ? "node" : wasm ? "wasm" : "noble";
  return { name, ...(loadFailure ? { unavailable: loadFailure } : {}) };
}

/** One digest on hash-wasm's hasher: synchronous, so no call can see another's state. */
function wasmHash(hasher: IHasher, bytes: Uint8Array): Uint8Array {
  hasher.init();
  hasher.update(bytes);
  // A copy out of the instance's memory: the next digest cannot change it.
  return hasher.digest("binary");
}

function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((byte, i) => byte === b[i]);
}

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
  return wasm ? wasmHash(wasm, bytes) : noblePortable(bytes);
}

function noblePortable(bytes: Uint8Array): Uint8Array {
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

/** The portable implementations, for tests that hold them side by side with the native one. */
export function hash32Portable(bytes: Uint8Array): Uint8Array {
  return portableHash(bytes);
}

export function hash32Noble(bytes: Uint8Array): Uint8Array {
  return noblePortable(bytes);
}

/** hash-wasm's digest, loading it first where needed; undefined where it cannot load. */
export async function hash32Wasm(): Promise<((bytes: Uint8Array) => Uint8Array) | undefined> {
  await loadHash();
  if (native) {
    // Node: loaded here for the tests, never used by hash32.
    const { createSHA256 } = await import("hash-wasm");
    const hasher = await createSHA256();
    return (bytes) => wasmHash(hasher, bytes);
  }
  const loaded = wasm;
  return loaded && ((bytes) => wasmHash(loaded, bytes));
}
