/** Deterministic keys and helpers shared by tests, vectors and benches. */
import { deviceKeysFromSeeds, userKeysFromSeed } from "../core/crypto/identity.js";

export function filled(length: number, byte: number): Uint8Array {
  return new Uint8Array(length).fill(byte);
}

export function seqBytes(length: number, start = 0): Uint8Array {
  return Uint8Array.from({ length }, (_, i) => (start + i) & 0xff);
}

export const alice = {
  user: userKeysFromSeed(filled(32, 0x01)),
  device: deviceKeysFromSeeds(filled(32, 0x02), filled(32, 0x03)),
};
export const bob = {
  user: userKeysFromSeed(filled(32, 0x11)),
  device: deviceKeysFromSeeds(filled(32, 0x12), filled(32, 0x13)),
};
export const SPACE_ID = seqBytes(16, 0xa0);
export const EPOCH_KEY = filled(32, 0x42);
