/**
 * Fingerprints and safety numbers that two people compare out of band.
 *
 * A user's fingerprint is 30 digits derived from the user signing key by
 * iterated hashing (so that finding a key with a chosen fingerprint costs
 * real work per guess). The safety number of a pair is both fingerprints in
 * a fixed order (smaller first), 12 groups of 5 digits: the same on both
 * sides, and different as soon as either key changes.
 */
import nacl from "tweetnacl";
import { concatBytes, utf8 } from "./bytes.js";

const FINGERPRINT_VERSION = Uint8Array.of(0, 1);
const CONTEXT = utf8("grove/fingerprint");
const ITERATIONS = 5200;
const GROUPS_PER_USER = 6;

/** Six 5-digit groups for one user key. */
export function fingerprintGroups(userKey: Uint8Array): string[] {
  if (userKey.length !== 32) throw new RangeError("user key must be 32 bytes");
  let digest = concatBytes(FINGERPRINT_VERSION, CONTEXT, userKey);
  for (let i = 0; i < ITERATIONS; i++) digest = nacl.hash(concatBytes(digest, userKey));
  const groups: string[] = [];
  for (let g = 0; g < GROUPS_PER_USER; g++) {
    // 5 bytes (40 bits) per group, reduced to 5 digits; the bias of mod 1e5 on 2^40 is negligible.
    let value = 0;
    for (const byte of digest.subarray(g * 5, g * 5 + 5)) value = value * 256 + byte;
    groups.push(String(value % 100000).padStart(5, "0"));
  }
  return groups;
}

export function fingerprint(userKey: Uint8Array): string {
  return fingerprintGroups(userKey).join(" ");
}

/** Twelve groups of five digits; symmetric in its arguments. */
export function safetyNumber(a: Uint8Array, b: Uint8Array): string {
  const ga = fingerprintGroups(a);
  const gb = fingerprintGroups(b);
  const [first, second] = ga.join("") < gb.join("") ? [ga, gb] : [gb, ga];
  return [...first, ...second].join(" ");
}
