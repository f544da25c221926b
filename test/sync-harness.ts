/**
 * Devices for sync tests: each a real SyncEngine over an encrypted FileStore
 * in its own directory, talking to a real relay over loopback. A device can
 * be stopped and reopened on the same directory, as an app restart would.
 */
import nacl from "tweetnacl";
import * as Y from "yjs";
import { equalBytes, fromHex, toHex } from "../core/crypto/bytes.js";
import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import { generateDeviceKeys, type SigningKeyPair } from "../core/crypto/identity.js";
import { type Role, type SpaceAccess, StaticAccess } from "../core/space/access.js";
import { Space } from "../core/space/space.js";
import { loggedEnvelopes } from "../core/space/space-log.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { MemoryStore } from "../core/store/memory-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import type { DirectTransport, PeerMesh } from "../core/sync/direct-transport.js";
import {
  type AppSyncEngine,
  directLink,
  type RelayLinkOptions,
  relayLink,
} from "../core/sync/links.js";
import type { RelayTransport } from "../core/sync/relay-transport.js";
import { SyncEngine, type SyncEngineOptions } from "../core/sync/sync-engine.js";
import type { ConnectWebSocket } from "../core/sync/websocket.js";
import { decodeEnvelope, streamOf } from "../core/wire/envelope.js";
import { type LoopbackHub, LoopbackMesh } from "./loopback-mesh.js";
import { connectWs, removeDir, tempDir, waitFor } from "./relay-harness.js";

export interface SpaceFixture {
  spaceId: Uint8Array;
  epochKey: Uint8Array;
  members: SigningKeyPair[];
  /** Members not listed are plain members. */
  roles: Map<SigningKeyPair, Role>;
  access(): StaticAccess;
}

export function spaceFor(
  count: number,
  given?: { spaceId: Uint8Array; epochKey: Uint8Array; members: SigningKeyPair[] },
): SpaceFixture {
  const spaceId = given?.spaceId ?? nacl.randomBytes(16);
  const epochKey = given?.epochKey ?? nacl.randomBytes(32);
  const members = given?.members ?? Array.from({ length: count }, () => generateDeviceKeys().sign);
  const roles = new Map<SigningKeyPair, Role>();
  return {
    spaceId,
    epochKey,
    members,
    roles,
    access: () =>
      new StaticAccess(
        spaceId,
        epochKey,
        members.map((m) => [m.publicKey, roles.get(m) ?? "member"]),
      ),
  };
}

let backend: Ed25519Backend | undefined;

export type DeviceExtras = Partial<
  Omit<SyncEngineOptions<RelayTransport, DirectTransport>, "relay" | "direct">
> & {
  connect?: ConnectWebSocket;
  relayOptions?: Partial<RelayLinkOptions>;
  /** The mesh each space's direct path runs over; no direct path without it. */
  direct?: (access: SpaceAccess) => PeerMesh;
  directAckTimeoutMs?: number;
};

export class TestDevice {
  engine!: AppSyncEngine;
  space!: Space;
  store!: EncryptedStore;
  private constructor(
    readonly keys: SigningKeyPair,
    readonly dir: string,
    private readonly fixture: SpaceFixture,
    private readonly relayUrl: () => string,
    private readonly extra: DeviceExtras,
  ) {}

  static async open(
    fixture: SpaceFixture,
    index: number,
    relayUrl: () => string,
    extra: DeviceExtras = {},
    dir = tempDir("grove-device-"),
  ): Promise<TestDevice> {
    const device = new TestDevice(fixture.members[index]!, dir, fixture, relayUrl, extra);
    await device.start();
    return device;
  }

  /** Opens the engine on this device's directory and connects (again). */
  async start(): Promise<void> {
    backend ??= await ed25519();
    const { connect, relayOptions, direct, directAckTimeoutMs, ...rest } = this.extra;
    const store = new EncryptedStore(await FileStore.open(this.dir), STORAGE_KEY);
    this.store = store;
    this.engine = new SyncEngine({
      device: this.keys,
      backend,
      store,
      relay: relayLink({
        url: this.relayUrl(),
        connect: connect ?? connectWs,
        backoff: { baseMs: 20, maxMs: 300 },
        retryMs: 50,
        ...relayOptions,
      }),
      ...(direct && {
        direct: directLink(direct, {
          ...(directAckTimeoutMs !== undefined && { ackTimeoutMs: directAckTimeoutMs }),
        }),
      }),
      gapTimeoutMs: 300,
      space: { batchMs: 20, maxBatchMs: 100 },
      ...rest,
    });
    this.space = await this.engine.openSpace(this.fixture.access());
    this.engine.start();
  }

  async stop(): Promise<void> {
    await this.engine.stop();
  }

  remove(): void {
    removeDir(this.dir);
  }
}

const STORAGE_KEY = new Uint8Array(32).fill(9);

/** Content of every root type, comparable with toEqual. */
export function contentOf(doc: Y.Doc): Record<string, unknown> {
  return {
    chat: doc.getArray("chat").toJSON(),
    notes: doc.getText("notes").toString(),
    // Map key order follows local insertion order; compare by key.
    tasks: Object.fromEntries(Object.entries(doc.getMap("tasks").toJSON()).sort()),
  };
}

export function converged(devices: TestDevice[]): boolean {
  const [first, ...rest] = devices.map((d) => d.space.doc);
  const sv = Y.encodeStateVector(first!);
  const content = JSON.stringify(contentOf(first!));
  return rest.every(
    (doc) => equalBytes(Y.encodeStateVector(doc), sv) && JSON.stringify(contentOf(doc)) === content,
  );
}

export async function waitConverged(devices: TestDevice[], what: string, timeoutMs = 30_000) {
  try {
    await waitFor(() => converged(devices), what, timeoutMs);
  } catch (err) {
    const report = await Promise.all(devices.map(diagnose));
    throw new Error(`${(err as Error).message}\n${report.join("\n")}`);
  }
}

/** What a device holds and lacks, for a failure message. */
export async function diagnose(d: TestDevice): Promise<string> {
  const c = contentOf(d.space.doc) as { chat: unknown[]; notes: string; tasks: object };
  return JSON.stringify({
    device: d.keys.publicKey.slice(0, 4).join("."),
    relay: d.engine.relay?.status,
    outbox: (await d.engine.outbox.list()).length,
    stats: d.space.stats,
    gaps: d.space.gaps().slice(0, 5),
    chat: c.chat.length,
    notes: c.notes.length,
    tasks: Object.keys(c.tasks).length,
  });
}

/**
 * Opens `count` devices whose direct meshes share `hub` (in-process links
 * standing in for WebRTC), and waits until each is linked to every other.
 */
export async function openLinked(
  fixture: SpaceFixture,
  count: number,
  hub: LoopbackHub,
  relayUrl: () => string,
  extrasFor: (index: number, hex: string) => DeviceExtras = () => ({}),
): Promise<TestDevice[]> {
  const devices: TestDevice[] = [];
  for (let i = 0; i < count; i++) {
    const hex = toHex(fixture.members[i]!.publicKey);
    devices.push(
      await TestDevice.open(fixture, i, relayUrl, {
        direct: () => new LoopbackMesh(hub, hex),
        directAckTimeoutMs: 2000,
        ...extrasFor(i, hex),
      }),
    );
  }
  await waitFor(
    () => devices.every((d) => d.engine.directPeers(fixture.spaceId).size === count - 1),
    "every device linked to every other",
  );
  return devices;
}

/** Envelopes a device still holds for someone, on either path. */
export async function queued(d: TestDevice): Promise<number> {
  return (await d.engine.outbox.list()).length + (await d.engine.directOutbox.list()).length;
}

/** Broadcast envelopes a device has logged on disk (of one author, if named), in seq order. */
export async function loggedBroadcasts(d: TestDevice, author?: Uint8Array): Promise<Uint8Array[]> {
  const mine = (await loggedEnvelopes(d.store, d.space.id))
    .map((bytes) => decodeEnvelope(bytes))
    .filter(({ header }) => streamOf(header.kind) === "broadcast")
    .filter(({ header }) => !author || equalBytes(header.author, author));
  return mine.sort((a, b) => a.header.seq - b.header.seq).map((e) => e.bytes);
}

/** The first broadcast envelope a device holds, once it is on disk: a real envelope to replay. */
export async function firstLogRecord(d: TestDevice): Promise<Uint8Array> {
  // The doc shows an envelope before its record is written; wait for the disk.
  await waitFor(async () => (await loggedBroadcasts(d)).length > 0, "a log record on disk");
  return (await loggedBroadcasts(d))[0]!;
}

/**
 * Sends one chat message per text from `sender`, one after the other, and
 * waits until every target shows them all, the sender's outboxes are empty
 * and one target has them on disk. Returns the bytes the sender pushed into
 * each path meanwhile and the envelopes as that target recorded them.
 */
export async function sendAndCount(sender: TestDevice, targets: TestDevice[], texts: string[]) {
  const direct = sender.engine.directTransport(fromHex(sender.space.id))!;
  const before = { direct: direct.bytesSent, relay: sender.engine.relay!.bytesSent };
  // The sender's broadcast envelopes at one target: one per chat message, once on disk.
  const records = async () =>
    new Map((await loggedBroadcasts(targets[0]!, sender.keys.publicKey)).map((e) => [toHex(e), e]));
  const chatBefore = sender.space.doc.getArray("chat").length;
  const onDisk = (n: number) =>
    waitFor(async () => (await records()).size === n, `${n} records at a target`, 60_000);
  await onDisk(chatBefore);
  const known = await records();
  for (const text of texts) await sender.space.edit((doc) => doc.getArray("chat").push([text]));
  const total = chatBefore + texts.length;
  await waitFor(
    () => targets.every((t) => t.space.doc.getArray("chat").length === total),
    "every target to have every message",
    60_000,
  );
  await waitFor(async () => (await queued(sender)) === 0, "the sender's outboxes to empty", 60_000);
  // The doc shows a message before its record is written: wait for the disk.
  await onDisk(total);
  const envelopes: Uint8Array[] = [];
  for (const [hex, envelope] of await records()) if (!known.has(hex)) envelopes.push(envelope);
  return {
    direct: direct.bytesSent - before.direct,
    relay: sender.engine.relay!.bytesSent - before.relay,
    envelopes,
  };
}

/**
 * The envelopes of `count` chat edits (`${prefix}0`, `${prefix}1`, …) by `author` in the space
 * `access` describes, from a Space over a MemoryStore, closed once they are out.
 */
export async function chatEnvelopes(
  access: SpaceAccess,
  author: SigningKeyPair,
  count: number,
  backend: Ed25519Backend,
  prefix = "m",
): Promise<Uint8Array[]> {
  const sent: Uint8Array[] = [];
  const space = await Space.open({
    access,
    device: author,
    backend,
    store: new MemoryStore(),
    dispatch: async (out) => void sent.push(out.envelope),
  });
  for (let i = 0; i < count; i++)
    await space.edit((doc) => doc.getArray("chat").push([`${prefix}${i}`]));
  await space.close();
  return sent;
}

/** A space fixture as a child process gets it: ids and keys in hex (device-process.ts). */
export interface FixtureSpec {
  spaceId: string;
  epochKey: string;
  members: { publicKey: string; secretKey: string }[];
}

export function fixtureOf(spec: FixtureSpec): SpaceFixture {
  return spaceFor(spec.members.length, {
    spaceId: fromHex(spec.spaceId),
    epochKey: fromHex(spec.epochKey),
    members: spec.members.map((m) => ({
      publicKey: fromHex(m.publicKey),
      secretKey: fromHex(m.secretKey),
    })),
  });
}
