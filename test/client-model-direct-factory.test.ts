/**
 * The client's engine builds a direct path per space through a factory it
 * hands hooks to. A factory may report peers while it is being built (a
 * mesh that finds its room already full): the engine takes that report
 * instead of failing to open the space, and asks the peers it then has.
 * Two engines over the loopback mesh (Node has no WebRTC), real stores.
 */
import { afterEach, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import { directLink } from "../core/sync/links.js";
import { SyncEngine } from "../core/sync/sync-engine.js";
import { LoopbackHub, LoopbackMesh } from "./loopback-mesh.js";
import { removeDir, tempDir, waitFor } from "./relay-harness.js";
import { spaceFor } from "./sync-harness.js";

const engines: SyncEngine[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const e of engines.splice(0)) await e.stop();
  for (const d of dirs.splice(0)) removeDir(d);
});

it("a direct factory that reports peers while it is built opens its space, and the engine learns them", async () => {
  const fixture = spaceFor(2);
  const hub = new LoopbackHub();
  const backend = await ed25519();
  const open = async (index: number) => {
    const keys = fixture.members[index];
    if (!keys) throw new Error("no such member");
    const dir = tempDir("grove-factory-");
    dirs.push(dir);
    const hex = toHex(keys.publicKey);
    const mesh = directLink(() => new LoopbackMesh(hub, hex));
    const engine = new SyncEngine({
      device: keys,
      backend,
      store: new EncryptedStore(await FileStore.open(dir), new Uint8Array(32).fill(7)),
      direct: (access, hooks) => {
        hooks.peersChanged();
        const transport = mesh(access, hooks);
        hooks.peersChanged();
        return transport;
      },
    });
    engines.push(engine);
    const space = await engine.openSpace(fixture.access());
    engine.start();
    return { engine, space };
  };

  const a = await open(0);
  const b = await open(1);
  expect(a.engine.directTransport(fixture.spaceId)).toBeDefined();
  await waitFor(
    () =>
      a.engine.directPeers(fixture.spaceId).size === 1 &&
      b.engine.directPeers(fixture.spaceId).size === 1,
    "both engines linked directly",
  );
  await a.space.edit((doc) => doc.getMap("test").set("said", "hello"));
  await waitFor(() => b.space.doc.getMap("test").get("said") === "hello", "B has A's edit");
});
