/**
 * One device's WebrtcMesh, bare (no engine), for the PeerMesh contract in
 * Chromium (test/e2e/mesh-contract.spec.ts): the test hands in the room's
 * space, key and member devices, and drives the mesh's doc.
 */
import { fromHex, toHex } from "../../../core/crypto/bytes.js";
import { ed25519 } from "../../../core/crypto/ed25519.js";
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

let mesh: WebrtcMesh | undefined;
let told: string[] | null = null;

function the(): WebrtcMesh {
  if (!mesh) throw new Error("no mesh: call open first");
  return mesh;
}

const api = {
  async open(setup: MeshSetup) {
    const backend = await ed25519();
    const secretKey = fromHex(setup.secretKey);
    const device = { publicKey: secretKey.slice(32), secretKey };
    const access = new StaticAccess(
      fromHex(setup.spaceId),
      fromHex(setup.epochKey),
      setup.members.map((m) => [fromHex(m), "member"]),
    );
    mesh = new WebrtcMesh({ relayUrl: setup.relayUrl, access, device, backend });
    const m = mesh;
    m.on("peers", () => {
      told = [...m.connected()].sort();
    });
    return toHex(device.publicKey);
  },
  start: () => the().start(),
  write: (key: string, value: string) => void the().doc.getMap<string>("contract").set(key, value),
  read: (key: string) => the().doc.getMap<string>("contract").get(key) ?? null,
  connected: () => [...the().connected()].sort(),
  bytesSent: () => the().bytesSent,
  drained: () => the().drained(),
  peersAtLastEvent: () => told,
  destroy: () => the().destroy(),
};

export type MeshPageApi = typeof api;

(globalThis as unknown as { grove: MeshPageApi }).grove = api;
