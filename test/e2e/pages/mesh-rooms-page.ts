/**
 * One browser's WebrtcMeshes of many rooms at once, for the link-up test
 * (test/e2e/mesh-links.spec.ts) and the link bench (bench/link.ts): the
 * caller opens a mesh per room, starts them all in one call (so that the
 * browsers of a room announce at the same moment), and reads back how long
 * each took until it listed every other device of its room. The clock is
 * the page's own; a mesh not linked yet reads as null.
 */
import { ed25519 } from "../../../core/crypto/ed25519.js";
import type { WebrtcMesh } from "../../../core/sync/dom-webrtc-mesh.js";
import { type MeshSetup, meshFrom } from "./mesh-setup.js";

/** One room as this browser joins it. */
export type RoomSetup = MeshSetup;

interface Open {
  mesh: WebrtcMesh;
  others: number;
  startedAt: number;
  linkedAfter: number | null;
}

let meshes: Open[] = [];
let ticker: ReturnType<typeof setInterval> | undefined;

/** Notes the first moment each started mesh lists all its room's other devices. */
function look(): void {
  const now = performance.now();
  for (const m of meshes) {
    if (m.linkedAfter !== null || m.startedAt < 0) continue;
    if (m.mesh.connected().size >= m.others) m.linkedAfter = now - m.startedAt;
  }
}

const api = {
  async open(rooms: RoomSetup[]) {
    const backend = await ed25519();
    meshes = rooms.map((setup) => {
      const { mesh } = meshFrom(setup, backend);
      const open: Open = {
        mesh,
        others: setup.members.length - 1,
        startedAt: -1,
        linkedAfter: null,
      };
      mesh.on("peers", look);
      return open;
    });
  },
  startAll() {
    const now = performance.now();
    for (const m of meshes) {
      m.startedAt = now;
      m.mesh.start();
    }
    // connected() can change without a "peers" event until the mesh's next tick.
    ticker = setInterval(look, 10);
  },
  /** Per room, in the order opened: ms from start until linked, or null. */
  linkTimes(): (number | null)[] {
    look();
    return meshes.map((m) => m.linkedAfter);
  },
  destroyAll() {
    clearInterval(ticker);
    for (const m of meshes) m.mesh.destroy();
    meshes = [];
  },
};

export type MeshRoomsPageApi = typeof api;

(globalThis as unknown as { grove: MeshRoomsPageApi }).grove = api;
