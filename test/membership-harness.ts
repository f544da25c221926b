/**
 * People with one device each for membership tests: an identity, a store
 * directory, and an engine (relay, optionally a loopback mesh) while online;
 * plus the small acts the tests repeat (found a space, chat, invite options).
 * Every person made with `people.person` is stopped and removed after each test.
 */
import { afterEach, beforeAll } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import {
  certifyDevice,
  generateDeviceKeys,
  generateUserKeys,
  type UserKeys,
} from "../core/crypto/identity.js";
import {
  DeviceLinkOffer,
  linkCode,
  openLinkedSpaces,
  requestLink,
} from "../core/membership/device-link.js";
import { parseInviteUrl } from "../core/membership/invite-link.js";
import { joinByLink } from "../core/membership/join-by-link.js";
import { type Me, MemberSpace } from "../core/membership/member-space.js";
import type { InviteMode } from "../core/membership/ops.js";
import type { SpaceAccess } from "../core/space/access.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import { type AppSyncEngine, directLink, relayLink } from "../core/sync/links.js";
import { roomFor } from "../core/sync/mesh-room.js";
import { SyncEngine } from "../core/sync/sync-engine.js";
import { type LoopbackHub, LoopbackMesh, Uplink } from "./loopback-mesh.js";
import { connectWs, removeDir, tempDir, waitFor } from "./relay-harness.js";

const STORAGE_KEY = new Uint8Array(32).fill(9);
export let backend: Ed25519Backend;
beforeAll(async () => {
  backend = await ed25519();
});

/** A person with one device: identity, a directory, and an engine while online. */
export class Person {
  engine: AppSyncEngine | undefined;
  store!: EncryptedStore;
  readonly dir = tempDir("grove-person-");
  /** With a hub, the device also meets others directly, in the room its epoch key names. */
  hub: LoopbackHub | undefined;
  private constructor(
    readonly me: Me,
    private readonly relayUrl: () => string,
    /** The user key, which certifies this person's devices (on the first device only). */
    readonly user?: UserKeys,
  ) {}

  /** Another device of someone, once it has its certificate (a linked device). */
  static device(me: Me, relayUrl: () => string): Person {
    return new Person(me, relayUrl);
  }

  static async create(name: string, relayUrl: () => string): Promise<Person> {
    const user = generateUserKeys();
    const keys = generateDeviceKeys();
    const cert = await certifyDevice(backend, user, keys, `${name}'s laptop`, Date.now());
    return new Person({ keys, cert, name }, relayUrl, user);
  }

  get id(): string {
    return toHex(this.me.cert.user);
  }

  async online(): Promise<AppSyncEngine> {
    this.store = new EncryptedStore(await FileStore.open(this.dir), STORAGE_KEY);
    this.engine = new SyncEngine({
      device: this.me.keys.sign,
      backend,
      store: this.store,
      relay: relayLink({
        url: this.relayUrl(),
        connect: connectWs,
        backoff: { baseMs: 20, maxMs: 300 },
        retryMs: 50,
      }),
      gapTimeoutMs: 300,
      space: { batchMs: 20, maxBatchMs: 100 },
      ...(this.hub && {
        direct: directLink(
          (access: SpaceAccess) =>
            new LoopbackMesh(
              this.hub!,
              toHex(this.me.keys.sign.publicKey),
              new Uplink(),
              roomFor(access).name,
            ),
        ),
      }),
    });
    return this.engine;
  }

  /** Waits until everything this device queued is at the relay, then leaves. */
  async offline(): Promise<void> {
    const engine = this.engine!;
    await waitFor(
      async () =>
        (await engine.outbox.list()).length + (await engine.directOutbox.list()).length === 0,
      `${this.me.name}'s outbox to empty`,
    );
    await engine.stop();
    this.engine = undefined;
  }

  /** Back online with the spaces it holds. */
  async reopen(spaceId: Uint8Array): Promise<MemberSpace> {
    const engine = await this.online();
    const space = await MemberSpace.open({
      engine,
      store: this.store,
      backend,
      me: this.me,
      spaceId,
    });
    engine.start();
    return space;
  }

  /**
   * Joins by a link. On an open link it waits until a manager's device has
   * let this person in (the tests keep the inviter online), unless
   * `admitted: false`; on a confirmed one it returns with the request sent.
   */
  async join(url: string, options: { admitted?: boolean } = {}): Promise<MemberSpace> {
    const engine = await this.online();
    engine.start();
    const link = parseInviteUrl(url);
    const space = await joinByLink({
      link,
      engine,
      store: this.store,
      backend,
      connect: connectWs,
      me: this.me,
    });
    if (options.admitted ?? link.mode === "open") {
      await waitFor(() => space.access.isMember(), `${this.me.name} let in`);
    }
    return space;
  }
}

/** Makes people on the relay at `relayUrl`, and cleans them up after each test. */
export function peopleOn(relayUrl: () => string) {
  const made: Person[] = [];
  afterEach(async () => {
    for (const p of made.splice(0)) {
      await p.engine?.stop().catch(() => {});
      removeDir(p.dir);
    }
  });
  return {
    async person(name: string): Promise<Person> {
      const p = await Person.create(name, relayUrl);
      made.push(p);
      return p;
    },
    async founded(owner: Person, name: string): Promise<MemberSpace> {
      const engine = await owner.online();
      const space = await MemberSpace.create({
        engine,
        store: owner.store,
        backend,
        me: owner.me,
        name,
      });
      engine.start();
      return space;
    },
    /**
     * Links a new device of `owner` (who holds the user key) to `spaces`, the
     * way the app does: the offer's text, the new device's request, both codes
     * compared, accepted. The new device is online with the spaces open.
     */
    async linkDevice(owner: Person, spaces: MemberSpace[], name: string) {
      const offer = new DeviceLinkOffer({
        relayUrl: relayUrl(),
        me: owner.me,
        user: owner.user!,
        backend,
        connect: connectWs,
      });
      const keys = generateDeviceKeys();
      const { code, linked } = await requestLink({
        text: offer.text,
        keys,
        name,
        backend,
        connect: connectWs,
      });
      const request = await offer.nextRequest();
      const shownCode = linkCode(offer.seed, request);
      const cert = await offer.accept(request, spaces);
      await offer.close();
      const result = await linked;
      const device = Person.device(result.me, relayUrl);
      made.push(device);
      const engine = await device.online();
      const opened = await openLinkedSpaces({ result, engine, store: device.store, backend });
      engine.start();
      return { device, spaces: opened, request, code, shownCode, cert };
    },
    inviteOptions(mode: InviteMode) {
      return {
        role: "member" as const,
        mode,
        expiresAt: Date.now() + 3_600_000,
        oneTime: true,
        relayUrl: relayUrl(),
        publicUrl: relayUrl().replace(/^ws/, "http"),
      };
    },
  };
}

export const chat = (s: MemberSpace) => s.space.doc.getArray<string>("chat").toJSON();
export const say = (s: MemberSpace, text: string) =>
  s.space.edit((doc) => doc.getArray("chat").push([text]));
