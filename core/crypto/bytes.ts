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
 */
export function bytesKey(bytes: Uint8Array): string {
  return String.fromCharCode.apply(null, bytes as unknown as number[]);
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
