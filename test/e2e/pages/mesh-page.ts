/**
 * One device's WebrtcMesh, bare (no engine), for the PeerMesh contract in
 * Chromium (test/e2e/mesh-contract.spec.ts): the test hands in the room's
 * space, key and member devices, and drives the mesh's doc.
 */
import { toHex } from "../../../core/crypto/bytes.js";
import { ed25519 } from "../../../core/crypto/ed25519.js";
import type { WebrtcMesh } from "../../../core/sync/dom-webrtc-mesh.js";
import { type MeshSetup, meshFrom } from "./mesh-setup.js";

export type { MeshSetup };

let mesh: WebrtcMesh | undefined;
let told: string[] | null = null;

function the(): WebrtcMesh {
  if (!mesh) throw new Error("no mesh: call open first");
  return mesh;
}

const api = {
  async open(setup: MeshSetup) {
    const backend = await ed25519();
    const made = meshFrom(setup, backend);
    mesh = made.mesh;
    const m = mesh;
    m.on("peers", () => {
      told = [...m.connected()].sort();
    });
    return toHex(made.publicKey);
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
