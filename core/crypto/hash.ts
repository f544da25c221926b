/**
 * Content hashes: SHA-256 (@noble/hashes). Used for envelope ids, author
 * hash chains, blob addresses and membership-log links. Synchronous on
 * purpose: chain checks run per envelope in catch-up, where an async
 * WebCrypto digest costs more in scheduling (~60 us) than in hashing; noble's
 * SHA-256 takes ~3 us for a small envelope, half of tweetnacl's SHA-512.
 * Standard SHA-256 also lets the relay check blob addresses natively.
 */
import { sha256 } from "@noble/hashes/sha2.js";

export const HASH_LENGTH = 32;

export function hash32(bytes: Uint8Array): Uint8Array {
  return sha256(bytes);
}
