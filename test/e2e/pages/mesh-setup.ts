/**
 * A bare WebrtcMesh from what a test hands a page: the room's space, key and
 * member devices, and this device's secret key (shared by the mesh pages).
 */
import { fromHex } from "../../../core/crypto/bytes.js";
import type { Ed25519Backend } from "../../../core/crypto/ed25519.js";
import { StaticAccess } from "../../../core/space/access.js";
import { WebrtcMesh } from "../../../core/sync/dom-webrtc-mesh.js";

export interface MeshSetup {
  relayUrl: string;
  spaceId: string;
  epochKey: string;
  /** Public keys (hex) of the room's devices, this one included. */
  members: string[];
  /** This device's 64-byte Ed25519 secret key (seed || public), hex. */
  secretKey: string;
}

export function meshFrom(
  setup: MeshSetup,
  backend: Ed25519Backend,
): { mesh: WebrtcMesh; publicKey: Uint8Array } {
  const secretKey = fromHex(setup.secretKey);
  const device = { publicKey: secretKey.slice(32), secretKey };
  const access = new StaticAccess(
    fromHex(setup.spaceId),
    fromHex(setup.epochKey),
    setup.members.map((m) => [fromHex(m), "member"]),
  );
  const mesh = new WebrtcMesh({ relayUrl: setup.relayUrl, access, device, backend });
  return { mesh, publicKey: device.publicKey };
}
