/** Byte helpers shared by the crypto modules. */
import nacl from "tweetnacl";

/**
 * Constant-time equality for secrets and MACs. Lengths are not secret, so a
 * length mismatch returns early; equal-length inputs are compared by
 * nacl.verify, whose time does not depend on where they differ.
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  if (a.length === 0) return true;
  return nacl.verify(a, b);
}

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

const HEX = Array.from({ length: 256 }, (_, b) => b.toString(16).padStart(2, "0"));

export function toHex(bytes: Uint8Array): string {
  // Record keys and ledger ids take a hex key per envelope: a table keeps it off the profile.
  // A byte always indexes the table; the `?? ""` only satisfies the index type.
  let out = "";
  for (const b of bytes) out += HEX[b] ?? "";
  return out;
}

export function fromHex(hex: string): Uint8Array {
  if (hex.length % 2 !== 0 || /[^0-9a-f]/i.test(hex)) throw new RangeError("invalid hex");
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

/**
 * A compact Map key for short byte strings (keys, ids): one char per byte.
 * Several times cheaper than hex on hot paths; not for display.
 *
 * Keys of 32 bytes (device keys, hashes) are remembered, the last
 * RECENT_KEYS of them: a catch-up names the same few authors several times
 * per envelope, and each `fromCharCode.apply` allocates an argument list
 * besides the string (a fifth of a 10,000-envelope catch-up's garbage).
 * A hit compares bytes and allocates nothing.
 */
export function bytesKey(bytes: Uint8Array): string {
  if (bytes.length !== KEY_BYTES) return charsOf(bytes);
  for (const entry of recentKeys) if (sameKey(entry.bytes, bytes)) return entry.key;
  const key = charsOf(bytes);
  if (recentKeys.length >= RECENT_KEYS) recentKeys.pop();
  // A copy: the caller's array may be a view it reuses or changes.
  recentKeys.unshift({ bytes: bytes.slice(), key });
  return key;
}

const KEY_BYTES = 32;
const RECENT_KEYS = 8;
const recentKeys: { bytes: Uint8Array; key: string }[] = [];

function charsOf(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
}

/** Whole-key compare of two 32-byte arrays (public values: an early exit is fine). */
function sameKey(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < KEY_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The keys in first-seen order, each once. */
export function distinctKeys(keys: readonly Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = bytesKey(k);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

const encoder = new TextEncoder();
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}
