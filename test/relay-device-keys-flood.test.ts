/**
 * Hash flooding of DeviceKeys (relay/store/device-keys.ts). Its map is keyed
 * by a number made of a device key's first four bytes, and V8 hashes small
 * integer map keys with a fixed, unseeded function (ComputeUnseededHash,
 * modelled below), unlike strings, whose hash is seeded per process. A
 * member's device names its SEND targets freely, so it can pick thousands
 * of keys whose numbers all land in one bucket of the map's table: every
 * later lookup and insert in that bucket walks the whole chain, on the
 * store worker that serves every send (measured with the same model in
 * plain Node 20: 20,000 such keys set and read 3 times took 1,224 ms
 * against 31 ms for spread keys).
 *
 * The test cannot time V8's table (no timed assertions); it feeds crafted
 * keys and checks that the numbers the cache actually keys its map by are
 * spread over the buckets, as V8 would place them.
 */
import { describe, expect, it } from "vitest";
import { DeviceKeys } from "../relay/store/device-keys.js";

/** V8's hash of a small integer map key (src/utils/utils.h, ComputeUnseededHash). */
function v8SmiHash(key: number): number {
  let x = key >>> 0;
  x = (~x + (x << 15)) >>> 0;
  x = (x ^ (x >>> 12)) >>> 0;
  x = (x + (x << 2)) >>> 0;
  x = (x ^ (x >>> 4)) >>> 0;
  x = Math.imul(x, 2057) >>> 0;
  x = (x ^ (x >>> 16)) >>> 0;
  return x & 0x3fffffff;
}

const BUCKETS = 1 << 16;
const KEYS = 4_000;

/** Device keys whose first four bytes, read as the cache read them, share one V8 bucket. */
function craftedKeys(): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let head = 0; out.length < KEYS; head++) {
    if ((v8SmiHash(head) & (BUCKETS - 1)) !== 0) continue;
    const bytes = new Uint8Array(32).fill(7);
    // Little-endian, as the cache reads its head; a small positive number (a Smi).
    new DataView(bytes.buffer).setUint32(0, head, true);
    out.push(bytes);
  }
  return out;
}

describe("DeviceKeys under hash flooding", () => {
  it("spreads keys crafted to share one V8 bucket over the buckets", () => {
    const keys = new DeviceKeys();
    for (const device of craftedKeys()) keys.key(device);
    const numbers = [...(keys as unknown as { byHead: Map<number, unknown> }).byHead.keys()];
    expect(numbers.length).toBeGreaterThan(KEYS * 0.9);
    const perBucket = new Map<number, number>();
    for (const n of numbers) {
      const b = v8SmiHash(n) & (BUCKETS - 1);
      perBucket.set(b, (perBucket.get(b) ?? 0) + 1);
    }
    // Spread at random, 4,000 keys in 65,536 buckets put a handful at most in any one.
    expect(Math.max(...perBucket.values())).toBeLessThan(16);
  });
});
