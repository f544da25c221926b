/**
 * Sealed key boxes: an epoch key sealed to one recipient device's X25519
 * key, from a throwaway sender key pair so the box reveals nothing about who
 * made it (the membership op that carries it is signed separately).
 *
 *   u8 1 || ephemeral public key 32 || nonce 24 || nacl.box(key)
 */
import nacl from "tweetnacl";
import { concatBytes } from "./bytes.js";
import { CryptoError } from "./errors.js";
import { randomBytes } from "./random.js";
import { boxImpl } from "./secretbox.js";

const KEY_BOX_VERSION = 1;
export const EPOCH_KEY_BYTES = nacl.secretbox.keyLength;
export const KEY_BOX_BYTES = 1 + 32 + 24 + EPOCH_KEY_BYTES + nacl.box.overheadLength;

export function newEpochKey(): Uint8Array {
  return randomBytes(EPOCH_KEY_BYTES);
}

export function sealKeyBox(key: Uint8Array, recipientBoxKey: Uint8Array): Uint8Array {
  return sealKeyBoxWith(key, recipientBoxKey, randomBytes(32), randomBytes(24));
}

/** The deterministic core of sealKeyBox, exposed for known-answer vectors. */
export function sealKeyBoxWith(
  key: Uint8Array,
  recipientBoxKey: Uint8Array,
  ephemeralSecret: Uint8Array,
  nonce: Uint8Array,
): Uint8Array {
  if (key.length !== EPOCH_KEY_BYTES) throw new RangeError("epoch key must be 32 bytes");
  if (recipientBoxKey.length !== 32) throw new RangeError("box key must be 32 bytes");
  const impl = boxImpl();
  const box = impl.seal(key, nonce, recipientBoxKey, ephemeralSecret);
  const ephemeralPublic = impl.publicKeyOf(ephemeralSecret);
  return concatBytes(Uint8Array.of(KEY_BOX_VERSION), ephemeralPublic, nonce, box);
}

export function openKeyBox(sealed: Uint8Array, recipientBoxSecret: Uint8Array): Uint8Array {
  if (sealed.length !== KEY_BOX_BYTES || sealed[0] !== KEY_BOX_VERSION) {
    throw new CryptoError("BAD_FORMAT", "not a version 1 key box");
  }
  const ephemeral = sealed.subarray(1, 33);
  const nonce = sealed.subarray(33, 57);
  const key = boxImpl().open(sealed.subarray(57), nonce, ephemeral, recipientBoxSecret);
  if (!key) throw new CryptoError("DECRYPT_FAILED", "key box is not sealed to this device");
  return key;
}
