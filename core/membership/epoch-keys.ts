/**
 * Epoch keys from the membership state. Each rotation seals its new key to
 * every device (and open invite) meant to read on, and seals the key it
 * replaces under the new one; so whoever opens one epoch's box can walk back
 * to every earlier key, and whoever was left out of a rotation cannot read
 * anything sealed after it.
 */
import nacl from "tweetnacl";
import { concatBytes, toHex } from "../crypto/bytes.js";
import { CryptoError } from "../crypto/errors.js";
import { openKeyBox, sealKeyBox } from "../crypto/key-box.js";
import { randomBytes } from "../crypto/random.js";
import type { KeyBoxEntry } from "./ops.js";
import type { Epoch } from "./resolve.js";

export function sealToAll(key: Uint8Array, recipients: Uint8Array[]): KeyBoxEntry[] {
  return recipients.map((recipient) => ({ recipient, box: sealKeyBox(key, recipient) }));
}

export function sealPrevious(previous: Uint8Array, next: Uint8Array): Uint8Array {
  const nonce = randomBytes(nacl.secretbox.nonceLength);
  return concatBytes(nonce, nacl.secretbox(previous, nonce, next));
}

function openPrevious(sealed: Uint8Array, next: Uint8Array): Uint8Array | undefined {
  return nacl.secretbox.open(sealed.subarray(24), sealed.subarray(0, 24), next) ?? undefined;
}

/**
 * Every epoch key one holder of a box key can reach: from the newest epoch
 * with a box for it, back through the sealed previous keys.
 */
export function reachableKeys(
  epochs: Epoch[],
  box: { publicKey: Uint8Array; secretKey: Uint8Array },
): Map<number, Uint8Array> {
  const me = toHex(box.publicKey);
  const keys = new Map<number, Uint8Array>();
  // Newest first: the first epoch with a box we open, then back through each previous key.
  let later: Epoch | undefined;
  let key: Uint8Array | undefined;
  for (const epoch of [...epochs].reverse()) {
    if (key) {
      const previous = later?.previous;
      key = previous ? openPrevious(previous, key) : undefined;
      if (!key) break;
    } else {
      const entry = epoch.boxes.find((b) => toHex(b.recipient) === me);
      key = entry && openBox(entry.box, box.secretKey);
    }
    if (key) keys.set(epoch.epoch, key);
    later = epoch;
  }
  return keys;
}

/** A box sealed to our key that does not open is as good as none: older epochs may still. */
function openBox(sealed: Uint8Array, secretKey: Uint8Array): Uint8Array | undefined {
  try {
    return openKeyBox(sealed, secretKey);
  } catch (err) {
    if (err instanceof CryptoError) return undefined;
    throw err;
  }
}
