/**
 * Map keys for device keys in the embedded store (base64 of the 32 bytes),
 * made once per device rather than once per target per send. A fan-out names
 * the same devices send after send; each new key string cost a buffer view,
 * a base64 encoding and a hash at every map it was looked up in, and the
 * `${key}|${source}` share key a concatenation and a flattening on top.
 *
 * Keys are found by an integer made of their first four bytes (mixed under
 * a random per-process seed, so they cannot be picked to flood one bucket of
 * the map) and then compared whole, so the answer is always the key of exactly these bytes: two
 * devices sharing four bytes (chance, or keys ground out on purpose) only
 * take turns in the cache and pay for a fresh encoding.
 */

import { getRandomValues } from "node:crypto";

interface Entry {
  readonly bytes: Uint8Array;
  readonly key: string;
  /** The last source a share key was asked for, and that share key. */
  source: string | undefined;
  shared: string;
}

const KEY_BYTES = 32;

/** The key a source's share of a device's mailbox is counted under. */
export function shareKey(key: string, source: string): string {
  return `${key}|${source}`;
}

export function base64Key(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
}

export class DeviceKeys {
  private readonly byHead = new Map<number, Entry>();

  constructor(
    /** Devices remembered at most (an entry is a few hundred bytes); then it starts over. */
    private readonly max = 50_000,
  ) {}

  /** base64 of the bytes. */
  key(device: Uint8Array): string {
    return this.entry(device)?.key ?? base64Key(device);
  }

  /** shareKey(key(device), source). */
  shareKey(device: Uint8Array, source: string): string {
    const entry = this.entry(device);
    if (!entry) return shareKey(base64Key(device), source);
    if (entry.source !== source) {
      entry.source = source;
      entry.shared = shareKey(entry.key, source);
    }
    return entry.shared;
  }

  private entry(device: Uint8Array): Entry | undefined {
    if (device.length !== KEY_BYTES) return undefined;
    const head = seeded(
      (device[0] ?? 0) |
        ((device[1] ?? 0) << 8) |
        ((device[2] ?? 0) << 16) |
        ((device[3] ?? 0) << 24),
    );
    const found = this.byHead.get(head);
    if (found && same(found.bytes, device)) return found;
    if (this.byHead.size >= this.max) this.byHead.clear();
    // A copy: the caller's bytes may be a view into a buffer that is reused.
    const entry: Entry = {
      bytes: Uint8Array.from(device),
      key: base64Key(device),
      source: undefined,
      shared: "",
    };
    this.byHead.set(head, entry);
    return entry;
  }
}

/**
 * Per process, random: V8 hashes small integer map keys with a fixed
 * function (strings get a seeded one), and a device names its targets
 * freely, so unmixed heads could be picked to share one bucket of the map's
 * table and make every lookup there walk all of them (hash flooding).
 */
const seeds = getRandomValues(new Uint32Array(2));
const SEED_XOR = seeds[0] ?? 0;
const SEED_MUL = (seeds[1] ?? 0) | 1;

/**
 * The head mixed under the process's seeds, cut to 30 bits so it stays a small integer (a Smi):
 * heads that meet there are two devices taking turns in one entry, compared whole.
 */
function seeded(head: number): number {
  let h = Math.imul(head ^ SEED_XOR, SEED_MUL);
  h ^= h >>> 16;
  h = Math.imul(h, 0x45d9f3b);
  h ^= h >>> 16;
  return h & 0x3fffffff;
}

function same(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < KEY_BYTES; i++) if (a[i] !== b[i]) return false;
  return true;
}
