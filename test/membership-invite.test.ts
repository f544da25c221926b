/**
 * Invitations end to end, with a real relay process and real engines on
 * encrypted file stores: the inviter leaves, the joiner comes with only the
 * link. Open: the joiner reads and writes at once, and the inviter, back,
 * sees the joiner as a member with the joiner's writes. Confirmed: the
 * joiner sees nothing until the inviter comes back and confirms, then reads
 * the whole history and writes. Removal: the removed member's later
 * envelopes are refused by all, and nothing written after it opens with the
 * removed member's keys.
 */
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import { openEnvelope } from "../core/crypto/envelope.js";
import { certifyDevice, generateDeviceKeys, generateUserKeys } from "../core/crypto/identity.js";
import { parseInviteUrl } from "../core/membership/invite-link.js";
import { joinByLink } from "../core/membership/join-by-link.js";
import { type Me, MemberSpace } from "../core/membership/member-space.js";
import type { SpaceAccess } from "../core/space/access.js";
import { loggedEnvelopes } from "../core/space/space-log.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import { SyncEngine } from "../core/sync/sync-engine.js";
import { roomFor } from "../core/sync/webrtc-mesh.js";
import { decodeEnvelope } from "../core/wire/envelope.js";
import { LoopbackHub, LoopbackMesh, Uplink } from "./loopback-mesh.js";
import { connectWs, removeDir, tempDir, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

const relay = relayPerFile();
const STORAGE_KEY = new Uint8Array(32).fill(9);
let backend: Ed25519Backend;
beforeAll(async () => {
  backend = await ed25519();
});

/** A person with one device: identity, a directory, and an engine while online. */
class Person {
  engine: SyncEngine | undefined;
  store!: EncryptedStore;
  readonly dir = tempDir("grove-person-");
  /** With a hub, the device also meets others directly, in the room its epoch key names. */
  hub: LoopbackHub | undefined;
  private constructor(readonly me: Me) {}

  static async create(name: string): Promise<Person> {
    const user = generateUserKeys();
    const keys = generateDeviceKeys();
    const cert = await certifyDevice(backend, user, keys, `${name}'s laptop`, Date.now());
    return new Person({ keys, cert, name });
  }

  get id(): string {
    return toHex(this.me.cert.user);
  }

  async online(): Promise<SyncEngine> {
    this.store = new EncryptedStore(await FileStore.open(this.dir), STORAGE_KEY);
    this.engine = new SyncEngine({
      device: this.me.keys.sign,
      backend,
      store: this.store,
      relay: {
        url: relay.url,
        connect: connectWs,
        backoff: { baseMs: 20, maxMs: 300 },
        retryMs: 50,
      },
      gapTimeoutMs: 300,
      space: { batchMs: 20, maxBatchMs: 100 },
      ...(this.hub && {
        direct: (access: SpaceAccess) =>
          new LoopbackMesh(
            this.hub!,
            toHex(this.me.keys.sign.publicKey),
            new Uplink(),
            roomFor(access).name,
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

  async join(url: string): Promise<MemberSpace> {
    const engine = await this.online();
    engine.start();
    return joinByLink({
      link: parseInviteUrl(url),
      engine,
      store: this.store,
      backend,
      connect: connectWs,
      me: this.me,
    });
  }
}

const people: Person[] = [];
afterEach(async () => {
  for (const p of people.splice(0)) {
    await p.engine?.stop().catch(() => {});
    removeDir(p.dir);
  }
});

async function person(name: string) {
  const p = await Person.create(name);
  people.push(p);
  return p;
}

const chat = (s: MemberSpace) => s.space.doc.getArray<string>("chat").toJSON();
const say = (s: MemberSpace, text: string) =>
  s.space.edit((doc) => doc.getArray("chat").push([text]));

async function founded(owner: Person, name: string) {
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
}

function inviteOptions(mode: "open" | "confirmed") {
  const http = relay.url.replace(/^ws/, "http");
  return {
    role: "member" as const,
    mode,
    expiresAt: Date.now() + 3_600_000,
    oneTime: true,
    relayUrl: relay.url,
    publicUrl: http,
  };
}

describe("invitations", () => {
  it("open invite: the joiner reads and writes with no member online; the inviter, back, sees both", async () => {
    const [ann, bob] = [await person("Ann"), await person("Bob")];
    const annSpace = await founded(ann, "Trip");
    await say(annSpace, "hello from Ann");
    const { url } = await annSpace.invite(inviteOptions("open"));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/join#[A-Za-z0-9_-]+$/);
    await ann.offline();

    const bobSpace = await bob.join(url);
    expect(bobSpace.name).toBe("Trip");
    expect(chat(bobSpace)).toEqual(["hello from Ann"]);
    expect(bobSpace.log.state.members.get(bob.id)?.role).toBe("member");
    await say(bobSpace, "hi from Bob");
    await bob.offline();

    const annAgain = await ann.reopen(annSpace.space.access.spaceId);
    await waitFor(() => chat(annAgain).includes("hi from Bob"), "Bob's message at Ann");
    expect(annAgain.log.state.members.get(bob.id)?.name).toBe("Bob");
    expect(annAgain.space.stats.rejected).toEqual({});
  });

  it("confirmed invite: nothing before a manager confirms; then the whole history, and writes", async () => {
    const [ann, bob] = [await person("Ann"), await person("Bob")];
    const annSpace = await founded(ann, "Plans");
    for (const text of ["one", "two", "three"]) await say(annSpace, text);
    const { url } = await annSpace.invite(inviteOptions("confirmed"));
    await ann.offline();

    const bobSpace = await bob.join(url);
    expect(chat(bobSpace)).toEqual([]);
    expect(bobSpace.access.isMember()).toBe(false);
    expect(() => bobSpace.access.readableEpochs()).not.toThrow();
    expect(bobSpace.access.readableEpochs()).toEqual([]);

    const annAgain = await ann.reopen(annSpace.space.access.spaceId);
    await waitFor(() => annAgain.log.state.pending.size === 1, "Bob's request at Ann");
    const [request] = [...annAgain.log.state.pending.values()];
    expect(request!.name).toBe("Bob");
    expect(toHex(request!.cert.user)).toBe(bob.id);
    await annAgain.confirm(request!.id);

    await waitFor(() => chat(bobSpace).length === 3, "the history at Bob", 20_000);
    expect(chat(bobSpace)).toEqual(["one", "two", "three"]);
    await say(bobSpace, "thanks");
    await waitFor(() => chat(annAgain).includes("thanks"), "Bob's message at Ann");
  });

  it("removal while offline: the removed member's later envelopes are refused; nothing after it opens with their keys", async () => {
    const [ann, bob, cy] = [await person("Ann"), await person("Bob"), await person("Cy")];
    const annSpace = await founded(ann, "Club");
    const bobSpace = await bob.join((await annSpace.invite(inviteOptions("open"))).url);
    const cySpace = await cy.join((await annSpace.invite(inviteOptions("open"))).url);
    await waitFor(() => annSpace.log.state.members.size === 3, "three members at Ann");
    await waitFor(() => bobSpace.log.state.members.size === 3, "three members at Bob");
    const spaceId = annSpace.space.access.spaceId;
    const cyKeys = cySpace.access.readableEpochs();
    await cy.offline();

    await annSpace.remove(cy.me.cert.user);
    await say(annSpace, "after Cy left");
    await waitFor(() => chat(bobSpace).includes("after Cy left"), "Ann's message at Bob");
    expect(bobSpace.log.state.members.has(cy.id)).toBe(false);

    // Cy, offline, did not see the removal and writes on.
    const cyAgain = await cy.reopen(spaceId);
    await say(cyAgain, "from Cy");
    await waitFor(
      () => (annSpace.space.stats.rejected.AUTHOR_NOT_ALLOWED ?? 0) > 0,
      "Cy's message refused at Ann",
    );
    await waitFor(
      () => (bobSpace.space.stats.rejected.AUTHOR_NOT_ALLOWED ?? 0) > 0,
      "Cy's message refused at Bob",
    );
    expect(chat(annSpace)).not.toContain("from Cy");
    // Cy is told, under the key Cy still has.
    await waitFor(() => !cyAgain.log.state.members.has(cy.id), "the removal at Cy");
    expect(chat(bobSpace)).not.toContain("from Cy");

    // Every envelope Ann logged after the removal, tried with every key Cy ever had.
    const epochs = annSpace.log.state.epochs;
    const newEpoch = epochs[epochs.length - 1]!.epoch;
    const after = (await loggedEnvelopes(ann.store, toHex(spaceId))).filter(
      (e) => decodeEnvelope(e).header.epoch === newEpoch,
    );
    expect(after.length).toBeGreaterThan(0);
    for (const envelope of after) {
      for (const { key } of [...cyKeys, ...cyAgain.access.readableEpochs()]) {
        await expect(
          openEnvelope(envelope, {
            backend,
            spaceId,
            keyForEpoch: () => key,
            isAllowed: () => true,
          }),
        ).rejects.toMatchObject({ code: "DECRYPT_FAILED" });
      }
    }
  });

  it("a removed member falls out of the direct mesh: the others meet in the new key's room", async () => {
    const hub = new LoopbackHub();
    const [ann, bob, cy] = [await person("Ann"), await person("Bob"), await person("Cy")];
    for (const p of [ann, bob, cy]) p.hub = hub;
    const annSpace = await founded(ann, "Band");
    const spaceId = annSpace.space.access.spaceId;
    await bob.join((await annSpace.invite(inviteOptions("open"))).url);
    const cySpace = await cy.join((await annSpace.invite(inviteOptions("open"))).url);
    const peers = (p: Person) => [...p.engine!.directPeers(spaceId)].sort();
    const hex = (p: Person) => toHex(p.me.keys.sign.publicKey);
    await waitFor(
      () => [ann, bob, cy].every((p) => peers(p).length === 2),
      "all three meeting directly",
    );
    await waitFor(() => annSpace.log.state.members.size === 3, "three members at Ann");

    await annSpace.remove(cy.me.cert.user);
    await waitFor(
      () => peers(ann).join() === hex(bob) && peers(bob).join() === hex(ann),
      "Ann and Bob in the new room",
    );
    expect(peers(cy)).toEqual([]);
    // Cy heard of the removal but holds no key to the new room.
    await waitFor(() => !cySpace.log.state.members.has(cy.id), "the removal at Cy");
    expect(roomFor(cySpace.access).name).not.toBe(roomFor(annSpace.access).name);
  });
});
