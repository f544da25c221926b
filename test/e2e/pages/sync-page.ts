/**
 * A device as the app runs it, for Playwright: SyncEngine over an
 * encrypted IndexedDB store, the relay over the browser's WebSocket, and
 * each space's direct mesh over y-webrtc. The test hands in the keys and
 * the member list (membership comes in a later issue) and drives edits.
 */
import { fromHex, toHex } from "../../../core/crypto/bytes.js";
import { ed25519 } from "../../../core/crypto/ed25519.js";
import { type Role, StaticAccess } from "../../../core/space/access.js";
import type { Space } from "../../../core/space/space.js";
import { loggedEnvelopes } from "../../../core/space/space-log.js";
import { IdbStore } from "../../../core/store/dom-idb-store.js";
import { EncryptedStore } from "../../../core/store/encrypted-store.js";
import { WebrtcMesh } from "../../../core/sync/dom-webrtc-mesh.js";
import { type AppSyncEngine, directLink, relayLink } from "../../../core/sync/links.js";
import { SyncEngine } from "../../../core/sync/sync-engine.js";
import type { WebSocketLike } from "../../../core/sync/websocket.js";
import { decodeEnvelope, streamOf } from "../../../core/wire/envelope.js";

export interface DeviceSetup {
  relayUrl: string;
  spaceId: string;
  epochKey: string;
  members: [string, Role][];
  /** The device's 64-byte Ed25519 secret key (seed || public), hex. */
  secretKey: string;
}

let engine: AppSyncEngine;
let space: Space;
let store: EncryptedStore;
let me = "";
let mesh: WebrtcMesh | undefined;

const arrivals = new Map<string, number>();
/** One clock for every page of the browser: the epoch plus the page's monotonic time. */
const stamp = () => performance.timeOrigin + performance.now();

const connect = (url: string) => new WebSocket(url) as unknown as WebSocketLike;

const api = {
  async open(setup: DeviceSetup) {
    const backend = await ed25519();
    const secretKey = fromHex(setup.secretKey);
    const device = { publicKey: secretKey.slice(32), secretKey };
    me = toHex(device.publicKey);
    store = new EncryptedStore(await IdbStore.open("grove"), new Uint8Array(32).fill(5));
    engine = new SyncEngine({
      device,
      backend,
      store,
      relay: relayLink({ url: setup.relayUrl, connect, backoff: { baseMs: 50, maxMs: 500 } }),
      direct: directLink((access) => {
        mesh = new WebrtcMesh({ relayUrl: setup.relayUrl, access, device, backend });
        return mesh;
      }),
      gapTimeoutMs: 500,
      space: { batchMs: 20, maxBatchMs: 100 },
    });
    const members = setup.members.map(([key, role]) => [fromHex(key), role] as [Uint8Array, Role]);
    space = await engine.openSpace(
      new StaticAccess(fromHex(setup.spaceId), fromHex(setup.epochKey), members),
    );
    engine.start();
  },
  async say(text: string) {
    await space.edit((doc) => doc.getArray("chat").push([text]));
  },
  /** Says `text` and returns when the edit was made (ms since the epoch, sub-ms precision). */
  async sayTimed(text: string) {
    const at = stamp();
    await space.edit((doc) => doc.getArray("chat").push([text]));
    return at;
  },
  /** From now on, notes when each chat message first becomes visible here. */
  watchArrivals() {
    space.doc.getArray<string>("chat").observe((event) => {
      const at = stamp();
      for (const item of event.changes.added) {
        for (const text of item.content.getContent() as string[]) arrivals.set(text, at);
      }
    });
  },
  arrival: (text: string) => arrivals.get(text),
  chat: () => space.doc.getArray<string>("chat").toJSON(),
  directPeers: () => engine.directPeers(fromHex(space.id)).size,
  relayStatus: () => engine.relay?.status,
  links: () => ({ links: mesh?.links() ?? [], hellos: mesh?.hellos() ?? [] }),
  route: () => engine.route?.reason,
  stats: () => JSON.parse(JSON.stringify(space.stats)) as typeof space.stats,
  async queued() {
    return (await engine.outbox.list()).length + (await engine.directOutbox.list()).length;
  },
  /** The first envelope this device wrote, as anyone who saw it could keep it. */
  async ownFirstEnvelope() {
    const first = (await loggedEnvelopes(store, space.id))
      .map((bytes) => decodeEnvelope(bytes))
      .find(
        ({ header }) =>
          toHex(header.author) === me && streamOf(header.kind) === "broadcast" && header.seq === 1,
      );
    return toHex(first!.bytes);
  },
  /** Writes envelopes into this device's envelope log, as a rogue member could. */
  inject(envelopes: string[]) {
    const log = engine.directTransport(fromHex(space.id))!.log;
    for (const hex of envelopes) {
      const id = toHex(crypto.getRandomValues(new Uint8Array(16)));
      log.put(id, fromHex(hex));
    }
  },
  async close() {
    await engine.stop();
  },
};

export type SyncPageApi = typeof api;

(globalThis as unknown as { grove: SyncPageApi }).grove = api;
