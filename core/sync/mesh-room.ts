/**
 * Where a space's direct mesh meets: the y-webrtc room name and password of
 * its current epoch. Pure derivation, shared, so Node code (the loopback mesh
 * in tests) finds the same room as the browser's WebrtcMesh without loading
 * y-webrtc. The name hashes the space id with the epoch key, so the relay's
 * /signal learns neither the space nor who is in it, and a removed member is
 * out of the room at the next key rotation.
 */
import { concatBytes, toHex, utf8 } from "../crypto/bytes.js";
import { hash32 } from "../crypto/hash.js";
import type { SpaceAccess } from "../space/access.js";

/** The opaque room name and the password of a space's current epoch. */
export function roomFor(access: SpaceAccess): { name: string; password: string } {
  const { key } = access.currentEpoch();
  const derive = (label: string) => toHex(hash32(concatBytes(utf8(label), access.spaceId, key)));
  return {
    name: `grove-${derive("grove/webrtc-room/v1").slice(0, 32)}`,
    password: derive("grove/webrtc-password/v1"),
  };
}
