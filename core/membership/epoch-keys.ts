/**
 * Epoch keys from the membership state. Each rotation seals its new key to
 * every device (and open invite) meant to read on, and seals the key it
 * replaces under the new one; so whoever opens one epoch's box can walk back
 * to every earlier key, and whoever was left out of a rotation cannot read
 * anything sealed after it.
 */
import nacl from "tweetnacl";
import { concatBytes, toHex } from "../crypto/bytes.js";
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
  let i = epochs.length - 1;
  let key: Uint8Array | undefined;
  for (; i >= 0 && !key; i--) {
    const entry = epochs[i]!.boxes.find((b) => toHex(b.recipient) === me);
    if (!entry) continue;
    try {
      key = openKeyBox(entry.box, box.secretKey);
      keys.set(epochs[i]!.epoch, key);
    } catch {
      // Sealed to our key but not openable: a broken box is as good as none.
    }
  }
  for (; i >= 0 && key; i--) {
    const previous = epochs[i + 1]!.previous;
    key = previous ? openPrevious(previous, key) : undefined;
    if (key) keys.set(epochs[i]!.epoch, key);
  }
  return keys;
}
