/**
 * Ephemeral envelopes (presence) in a Space on disk: sent marked ephemeral
 * and never logged; received in a batch with lasting envelopes, they are
 * handed to listeners and left out of the batch's log record, and their seq
 * is taken so a replay is a duplicate. A restart after a crash does not
 * reuse their seqs (which members would refuse), and a device that may not
 * author one sends nothing. With the relay out of reach, the engine drops
 * presence rather than queue it.
 */
import { afterEach, describe, expect, it } from "vitest";
import { equalBytes } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { generateDeviceKeys, type SigningKeyPair } from "../core/crypto/identity.js";
import { type Outgoing, Space } from "../core/space/space.js";
import { loggedEnvelopes, readLog } from "../core/space/space-log.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import { decodeEnvelope, EnvelopeKind } from "../core/wire/envelope.js";
import { removeDir, tempDir } from "./relay-harness.js";
import { spaceFor, TestDevice } from "./sync-harness.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});
const STORAGE_KEY = new Uint8Array(32).fill(4);

async function storeAt(dir: string) {
  return new EncryptedStore(await FileStore.open(dir), STORAGE_KEY);
}

async function openSpace(
  fixture: ReturnType<typeof spaceFor>,
  device: SigningKeyPair,
  sent: Outgoing[] = [],
  dir = tempDir("grove-space-"),
) {
  if (!dirs.includes(dir)) dirs.push(dir);
  const store = await storeAt(dir);
  const space = await Space.open({
    access: fixture.access(),
    device,
    backend: await ed25519(),
    store,
    dispatch: async (out) => {
      sent.push(out);
    },
  });
  const heard: { author: Uint8Array; payload: Uint8Array }[] = [];
  space.on("ephemeral", (author, payload) => heard.push({ author, payload }));
  return { space, store, dir, sent, heard };
}

const seqOf = (envelope: Uint8Array) => decodeEnvelope(envelope).header.seq;
const kindOf = (envelope: Uint8Array) => decodeEnvelope(envelope).header.kind;

describe("ephemeral envelopes in a space", () => {
  it("are sent marked ephemeral and never logged by their author", async () => {
    const fixture = spaceFor(2);
    const a = await openSpace(fixture, fixture.members[0]!);
    await a.space.edit((doc) => doc.getArray("chat").push(["hi"]));
    await a.space.sendEphemeral(Uint8Array.of(1, 2, 3));
    await a.space.sendEphemeral(Uint8Array.of(4), [fixture.members[1]!.publicKey]);

    const [edit, toAll, toOne] = a.sent;
    expect(edit!.ephemeral).toBeUndefined();
    expect(toAll).toMatchObject({ kind: EnvelopeKind.ephemeral, ephemeral: true });
    expect(toAll!.to).toBeUndefined();
    expect(toOne!.to).toEqual([fixture.members[1]!.publicKey]);
    // Addressed chain: seqs 1 and 2, apart from the broadcast edit's seq 1.
    expect([toAll, toOne].map((o) => seqOf(o!.envelope))).toEqual([1, 2]);
    const logged = await loggedEnvelopes(a.store, a.space.id);
    expect(logged.map(kindOf)).toEqual([EnvelopeKind.update]);
  });

  it("received in a batch with lasting envelopes: handed on, left out of the log record, a replay is a duplicate", async () => {
    const fixture = spaceFor(2);
    const [ann, bob] = fixture.members as [SigningKeyPair, SigningKeyPair];
    const a = await openSpace(fixture, ann);
    await a.space.edit((doc) => doc.getArray("chat").push(["one"]));
    await a.space.sendEphemeral(Uint8Array.of(7));
    await a.space.edit((doc) => doc.getArray("chat").push(["two"]));
    const [one, presence, two] = a.sent.map((o) => o.envelope) as [
      Uint8Array,
      Uint8Array,
      Uint8Array,
    ];

    const b = await openSpace(fixture, bob);
    await b.space.receive([one, presence, two]);
    expect(b.space.doc.getArray("chat").toJSON()).toEqual(["one", "two"]);
    expect(b.heard).toHaveLength(1);
    expect(equalBytes(b.heard[0]!.author, ann.publicKey)).toBe(true);
    expect([...b.heard[0]!.payload]).toEqual([7]);
    expect(b.space.stats).toMatchObject({ accepted: 2, ephemeral: 1, duplicates: 0, rejected: {} });
    const { records } = await readLog(b.store, b.space.id);
    expect(records.map((r) => r.envelopes)).toEqual([[one, two]]);

    // Replayed, alone or again in a batch: dropped as duplicates, not handed on.
    await b.space.receive([presence]);
    await b.space.receive([presence, one]);
    expect(b.heard).toHaveLength(1);
    expect(b.space.stats).toMatchObject({ accepted: 2, ephemeral: 1, duplicates: 3 });
    // Addressed seqs only guard replay: no gap to ask for.
    expect(b.space.gaps()).toEqual([]);

    // A batch of ephemeral envelopes only writes nothing.
    await a.space.sendEphemeral(Uint8Array.of(8));
    await b.space.receive([a.sent[3]!.envelope]);
    expect(b.heard).toHaveLength(2);
    expect((await readLog(b.store, b.space.id)).records).toHaveLength(1);
    // Reopened, the receiver holds only what lasts.
    await b.space.close();
    const again = await openSpace(fixture, bob, [], b.dir);
    expect(again.space.doc.getArray("chat").toJSON()).toEqual(["one", "two"]);
    expect(again.heard).toEqual([]);
  });

  it("a restart after a crash does not reuse the seqs of unlogged ephemeral envelopes", async () => {
    const fixture = spaceFor(2);
    const [ann, bob] = fixture.members as [SigningKeyPair, SigningKeyPair];
    const a = await openSpace(fixture, ann);
    for (let i = 0; i < 3; i++) await a.space.sendEphemeral(Uint8Array.of(i));
    const b = await openSpace(fixture, bob);
    await b.space.receive(a.sent.map((o) => o.envelope));
    expect(b.heard).toHaveLength(3);

    // No close: as after a crash, nothing but the reservation says seqs 1-3 were used.
    const sent: Outgoing[] = [];
    const crashed = await openSpace(fixture, ann, sent, a.dir);
    await crashed.space.sendEphemeral(Uint8Array.of(9));
    await crashed.space.requestSync();
    expect(sent.map((o) => seqOf(o.envelope)).every((seq) => seq > 3)).toBe(true);
    await b.space.receive(sent.map((o) => o.envelope));
    expect(b.heard.map((h) => h.payload[0])).toEqual([0, 1, 2, 9]);
    expect(b.space.stats.duplicates).toBe(0);
    expect(b.space.stats.rejected).toEqual({});

    // After a clean close, the chain goes on where it stopped: no seqs skipped.
    await crashed.space.close();
    const last = seqOf(sent[sent.length - 1]!.envelope);
    const reopened: Outgoing[] = [];
    const clean = await openSpace(fixture, ann, reopened, a.dir);
    await clean.space.sendEphemeral(Uint8Array.of(10));
    expect(seqOf(reopened[0]!.envelope)).toBe(last + 1);
  });

  it("a device that may not author sends nothing; what one seals anyway is refused", async () => {
    const fixture = spaceFor(2);
    const mallory = generateDeviceKeys().sign;
    const outsider = await openSpace(fixture, mallory);
    await outsider.space.sendEphemeral(Uint8Array.of(1));
    expect(outsider.sent).toEqual([]);

    // Mallory holds the key and believes itself a member: members refuse its presence.
    const believed = spaceFor(3, { ...fixture, members: [...fixture.members, mallory] });
    const m = await openSpace(believed, mallory);
    await m.space.sendEphemeral(Uint8Array.of(1));
    expect(m.sent).toHaveLength(1);
    const b = await openSpace(fixture, fixture.members[1]!);
    await b.space.receive([m.sent[0]!.envelope]);
    expect(b.heard).toEqual([]);
    // Dropped before its signature is checked: a non-member's presence costs no verify.
    expect(b.space.stats).toMatchObject({ ephemeral: 0, rejected: { EPHEMERAL_NOT_MEMBER: 1 } });
  });

  it("with the relay out of reach, the engine drops presence: nothing queued in either outbox", async () => {
    const fixture = spaceFor(2);
    // Nothing listens on port 1: the link never comes up.
    const device = await TestDevice.open(fixture, 0, () => "ws://127.0.0.1:1");
    dirs.push(device.dir);
    try {
      await device.space.edit((doc) => doc.getArray("chat").push(["lasting"]));
      await device.space.sendEphemeral(Uint8Array.of(1));
      const queued = [
        ...(await device.engine.outbox.list()),
        ...(await device.engine.directOutbox.list()),
      ];
      expect(queued.map((e) => kindOf(e.envelope))).toEqual([EnvelopeKind.update]);
    } finally {
      await device.stop();
    }
  });
});
