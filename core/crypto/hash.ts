/**
 * Content hashes: SHA-512 (tweetnacl) truncated to 32 bytes. Used for
 * envelope ids, author hash chains, blob addresses and membership-log links.
 * Synchronous on purpose: chain checks run per envelope in catch-up, where an
 * async WebCrypto digest costs more in scheduling than in hashing.
 */
import nacl from "tweetnacl";

export const HASH_LENGTH = 32;

export function hash32(bytes: Uint8Array): Uint8Array {
  return nacl.hash(bytes).slice(0, HASH_LENGTH);
}
