/**
 * The PeerMesh contract (test/mesh-contract.ts) on LoopbackMesh, the mesh
 * the Node tests use in place of WebRTC: what those tests learn about the
 * direct path holds only as far as LoopbackMesh behaves as WebrtcMesh does,
 * which runs the same cases in Chromium (test/e2e/mesh-contract.spec.ts).
 */
import { describe, it } from "vitest";
import { LoopbackHub, LoopbackMesh } from "./loopback-mesh.js";
import { type MeshHarness, type MeshPeer, meshContract } from "./mesh-contract.js";

function peerOf(mesh: LoopbackMesh): MeshPeer {
  let told: string[] | undefined;
  mesh.on("peers", () => {
    told = [...mesh.connected()].sort();
  });
  const map = mesh.doc.getMap<string>("contract");
  return {
    device: mesh.device,
    start: async () => mesh.start(),
    write: async (key, value) => void map.set(key, value),
    read: async (key) => map.get(key),
    connected: async () => [...mesh.connected()].sort(),
    bytesSent: async () => mesh.bytesSent,
    drained: () => mesh.drained(),
    peersAtLastEvent: async () => told,
    destroy: async () => mesh.destroy(),
  };
}

function harness(): MeshHarness {
  const hub = new LoopbackHub();
  let n = 0;
  return {
    linkMs: 5_000,
    peer: async (room) => peerOf(new LoopbackMesh(hub, `device-${room}-${n++}`, undefined, room)),
  };
}

describe("PeerMesh contract: LoopbackMesh", () => {
  for (const c of meshContract) it(c.name, () => c.run(harness()));
});
