/**
 * The direct path in Node: engines whose envelope logs sync over in-process
 * links (the role y-webrtc plays in the app) next to a real relay process.
 * Edits go directly while peers are linked, keep flowing with the relay
 * gone, fall back to the relay when a direct target vanishes unacked, and
 * hostile envelopes written into the log are refused like on the relay.
 * Ephemeral envelopes (presence, carets) take the direct link to linked
 * members and the relay to the others, and what a link brings is verified
 * like what the relay brings.
 */
import { isDeepStrictEqual } from "node:util";
import { afterEach, expect, it } from "vitest";
import { fromHex, toHex } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { envelopeHash } from "../core/crypto/envelope.js";
import { generateDeviceKeys, type SigningKeyPair } from "../core/crypto/identity.js";
import { type Outgoing, Space } from "../core/space/space.js";
import { loggedEnvelopes } from "../core/space/space-log.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import { EnvelopeLog } from "../core/sync/envelope-log.js";
import { decodeEnvelope, EnvelopeKind } from "../core/wire/envelope.js";
import { HOSTILE_REJECTIONS, hostileEnvelopes } from "./hostile-envelopes.js";
import { LoopbackHub, LoopbackMesh, Uplink } from "./loopback-mesh.js";
import {
  type RelayProcess,
  removeDir,
  startRelayProcess,
  tempDir,
  waitFor,
} from "./relay-harness.js";
import {
  firstLogRecord,
  openLinked,
  queued,
  type SpaceFixture,
  spaceFor,
  TestDevice,
  waitConverged,
} from "./sync-harness.js";

const cleanup: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step().catch(() => {});
});

async function relay(): Promise<RelayProcess> {
  const r = await startRelayProcess();
  cleanup.push(async () => {
    await r.kill();
    removeDir(r.dataDir);
  });
  return r;
}

async function linked(
  fixture: SpaceFixture,
  count: number,
  hub: LoopbackHub,
  relayUrl: () => string,
  uplinks: Uplink[] = [],
): Promise<TestDevice[]> {
  const devices = await openLinked(fixture, count, hub, relayUrl, (i, hex) =>
    uplinks[i] ? { direct: () => new LoopbackMesh(hub, hex, uplinks[i]) } : {},
  );
  for (const d of devices) {
    cleanup.push(async () => {
      await d.stop();
      d.remove();
    });
  }
  return devices;
}

const chat = (d: TestDevice) => d.space.doc.getArray<string>("chat").toJSON();

it("edits go directly between linked peers and keep flowing both ways with the relay stopped", async () => {
  const r = await relay();
  const fixture = spaceFor(2);
  const [a, b] = await linked(fixture, 2, new LoopbackHub(), () => r.url);
  await waitFor(() => a!.engine.relay?.status === "online", "a online at the relay");
  // The greeting (sync requests sent before the peers met) may still wait for the relay's
  // ack: only once it is gone does an empty relay outbox below say the edit never went there.
  await waitFor(async () => (await queued(a!)) === 0, "a's greeting acked");

  await a!.space.edit((doc) => doc.getArray("chat").push(["hello over the direct link"]));
  await waitFor(() => chat(b!).length === 1, "b to see a's message");
  expect(a!.engine.route?.reason).toBe("direct");
  // Acked by b in the log: nothing of it waits anywhere.
  await waitFor(
    async () => (await a!.engine.directOutbox.list()).length === 0,
    "a's direct outbox to empty on b's ack",
  );
  expect(await a!.engine.outbox.list()).toEqual([]);

  await r.kill();
  await waitFor(() => a!.engine.relay?.status !== "online", "a to notice the relay is gone");
  await a!.space.edit((doc) => doc.getArray("chat").push(["a, relay down"]));
  await b!.space.edit((doc) => doc.getArray("chat").push(["b, relay down"]));
  await waitConverged([a!, b!], "both messages both ways with no relay");
  expect([...chat(a!)].sort()).toEqual(
    ["a, relay down", "b, relay down", "hello over the direct link"].sort(),
  );
  expect(a!.engine.route?.reason).toBe("direct");
});

it("typing is sealed within a frame while every member is linked directly, whatever the space's own pause", async () => {
  const r = await relay();
  const fixture = spaceFor(2);
  // An hour's pause: without every member linked, this typing would wait for it (or a flush).
  const hour = { space: { batchMs: 3_600_000, maxBatchMs: 3_600_000 } };
  const [a, b] = await openLinked(
    fixture,
    2,
    new LoopbackHub(),
    () => r.url,
    () => hour,
  );
  for (const d of [a!, b!]) {
    cleanup.push(async () => {
      await d.stop();
      d.remove();
    });
  }
  // A sync answer would carry the typing to b too, so what is counted is a's own sealed updates.
  const sealed = async () =>
    (await loggedEnvelopes(a!.store, a!.space.id)).filter((e) => {
      const { header } = decodeEnvelope(e);
      return (
        header.kind === EnvelopeKind.update && toHex(header.author) === toHex(a!.keys.publicKey)
      );
    }).length;
  const before = await sealed();
  a!.space.type((doc) => doc.getArray("chat").push(["typed, not flushed"]));
  await waitFor(async () => (await sealed()) === before + 1, "a's typing sealed without a flush");
  await waitFor(() => chat(b!).length === 1, "b to see it");
});

it("a direct target that vanishes before acking gets the envelope through the relay", async () => {
  const r = await relay();
  const fixture = spaceFor(2);
  // a's link is slow, so its send is still on the way when b drops off.
  const slow = new Uplink(4 * 1024);
  const [a, b] = await linked(fixture, 2, new LoopbackHub(), () => r.url, [slow]);
  await waitFor(() => a!.engine.relay?.status === "online", "a online at the relay");
  await waitFor(() => b!.engine.relay?.status === "online", "b online at the relay");
  // Let the greeting sync requests and answers settle: after this only the fallback can carry it.
  await waitFor(async () => (await queued(a!)) + (await queued(b!)) === 0, "both outboxes empty");

  const text = "x".repeat(8 * 1024);
  await a!.space.edit((doc) => doc.getArray("chat").push([text]));
  await b!.engine.directTransport(fixture.spaceId)!.stop();
  expect(chat(b!)).toEqual([]);

  await waitFor(() => chat(b!).length === 1, "b to get the message through the relay", 15_000);
  await waitFor(async () => (await queued(a!)) === 0, "a's outboxes to empty");
});

it("forged, non-member, viewer, wrong-key and replayed envelopes written into the log are refused", async () => {
  const r = await relay();
  const fixture = spaceFor(3);
  const viewer = fixture.members[2]!;
  fixture.roles.set(viewer, "viewer");
  const hub = new LoopbackHub();
  const [a, b] = await linked(fixture, 2, hub, () => r.url);
  await a!.space.edit((doc) => doc.getArray("chat").push(["real"]));
  await waitConverged([a!, b!], "a's real message at b");
  const captured = await firstLogRecord(b!);

  // A member gone rogue (or anyone past the room's password) writes straight into the log.
  const rogue = new LoopbackMesh(hub, toHex(viewer.publicKey));
  const rogueLog = new EnvelopeLog(rogue.doc, toHex(viewer.publicKey), {
    envelope() {},
    ack() {},
  });
  rogue.start();
  cleanup.push(async () => rogue.destroy());
  const hostile = await hostileEnvelopes({
    spaceId: fixture.spaceId,
    epochKey: fixture.epochKey,
    member: a!.keys,
    viewer,
    backend: await ed25519(),
  });
  for (const env of [...Object.values(hostile), captured]) {
    rogueLog.put(toHex(envelopeHash(env).subarray(0, 16)), env);
  }
  // Under its own id the log itself may drop the copy; under a fresh id it reaches the space.
  rogueLog.put("f".repeat(32), captured);
  await waitFor(
    () =>
      isDeepStrictEqual(b!.space.stats.rejected, HOSTILE_REJECTIONS) &&
      b!.space.stats.duplicates >= 1,
    "b to refuse every hostile envelope",
  ).catch((err) => {
    throw new Error(`${err.message}: ${JSON.stringify(b!.space.stats)}`);
  });
  expect(chat(b!)).toEqual(["real"]);
  expect(chat(a!)).toEqual(["real"]);
});

/** Every ephemeral payload a device's space hands on, and every ephemeral envelope it seals. */
function listen(d: TestDevice) {
  const heard: string[] = [];
  d.space.on("ephemeral", (_author, payload) => heard.push(new TextDecoder().decode(payload)));
  const tap = { sealed: [] as Uint8Array[], hold: false };
  const options = (d.space as unknown as { options: { dispatch(out: Outgoing): Promise<void> } })
    .options;
  const dispatch = options.dispatch;
  options.dispatch = async (out) => {
    if (out.ephemeral) tap.sealed.push(out.envelope);
    if (!(out.ephemeral && tap.hold)) await dispatch(out);
  };
  return { heard, tap };
}

const say = (space: Space, text: string) => space.sendEphemeral(new TextEncoder().encode(text));

const ephemeralQueued = async (d: TestDevice) =>
  [...(await d.engine.outbox.list()), ...(await d.engine.directOutbox.list())].filter(
    (e) => decodeEnvelope(e.envelope).header.kind === EnvelopeKind.ephemeral,
  ).length;

it("presence and carets go over the direct link to linked members and through the relay to the others", async () => {
  const r = await relay();
  const fixture = spaceFor(3);
  const [a, b] = await linked(fixture, 2, new LoopbackHub(), () => r.url);
  // Cho has no direct link: only the relay reaches her.
  const c = await TestDevice.open(fixture, 2, () => r.url);
  cleanup.push(async () => {
    await c.stop();
    c.remove();
  });
  await waitFor(
    () => [a!, c].every((d) => d.engine.relay?.status === "online"),
    "a and c online at the relay",
  );
  const atB = listen(b!);
  const atC = listen(c);
  await say(a!.space, "here");
  await waitFor(() => atB.heard.includes("here") && atC.heard.includes("here"), "b and c hear a");
  expect(a!.engine.ephemeralDirect).toBe(1);
  expect(a!.engine.ephemeralRelayed).toBe(1);

  // With the relay gone, the link still carries them; none waits in an outbox.
  await r.kill();
  await waitFor(() => a!.engine.relay?.status !== "online", "a to notice the relay is gone");
  await say(a!.space, "still here");
  await waitFor(() => atB.heard.includes("still here"), "b to hear a with no relay");
  expect(atC.heard).not.toContain("still here");
  expect(await ephemeralQueued(a!)).toBe(0);
});

it("ephemeral envelopes over a direct link are verified before they are opened: an outsider's, a tampered one and a replay are refused", async () => {
  const r = await relay();
  const fixture = spaceFor(2);
  const hub = new LoopbackHub();
  const [a, b] = await linked(fixture, 2, hub, () => r.url);
  const atA = listen(a!);
  const atB = listen(b!);
  await say(a!.space, "real");
  await waitFor(() => atB.heard.includes("real"), "b to hear a");
  const real = atA.tap.sealed[0]!;
  // A fresh one of a's, kept back and changed on the way by someone in the room.
  atA.tap.hold = true;
  await say(a!.space, "changed");
  const tampered = atA.tap.sealed[1]!.slice();
  tampered[tampered.length - 80]! ^= 1;

  // Mallory holds the epoch key and a place in the room, and is no member.
  const mallory = generateDeviceKeys().sign;
  const believed = spaceFor(3, { ...fixture, members: [...fixture.members, mallory] });
  const outsider = await openBareSpace(believed, mallory);
  await outsider.space.sendEphemeral(new TextEncoder().encode("from mallory"));
  const rogue = new LoopbackMesh(hub, toHex(mallory.publicKey));
  rogue.start();
  cleanup.push(async () => rogue.destroy());
  const bHex = toHex(b!.keys.publicKey);
  const before = { ...b!.space.stats, rejected: { ...b!.space.stats.rejected } };
  for (const bytes of [outsider.sent[0]!.envelope, tampered, real]) {
    expect(rogue.sendEphemeral([bHex], bytes)).toEqual(new Set([bHex]));
  }
  const grew = (code: keyof typeof before.rejected) =>
    (b!.space.stats.rejected[code] ?? 0) - (before.rejected[code] ?? 0);
  await waitFor(
    () =>
      grew("EPHEMERAL_NOT_MEMBER") === 1 &&
      grew("BAD_SIGNATURE") === 1 &&
      b!.space.stats.duplicates - before.duplicates === 1,
    "b to refuse all three",
  ).catch((err) => {
    throw new Error(`${err.message}: ${JSON.stringify(b!.space.stats)}`);
  });
  expect(atB.heard).toEqual(["real"]);
});

/** A space of Mallory's own, whose sends are kept, not dispatched. */
async function openBareSpace(fixture: SpaceFixture, device: SigningKeyPair) {
  const dir = tempDir("grove-space-");
  cleanup.push(async () => removeDir(dir));
  const sent: Outgoing[] = [];
  const space = await Space.open({
    access: fixture.access(),
    device,
    backend: await ed25519(),
    store: new EncryptedStore(await FileStore.open(dir), new Uint8Array(32).fill(3)),
    dispatch: async (out) => {
      sent.push(out);
    },
  });
  cleanup.push(() => space.close());
  return { space, sent };
}

it("acks go to the author alone, and into the log for a build that takes no direct acks; the log empties either way", async () => {
  const r = await relay();
  const fixture = spaceFor(3);
  const hub = new LoopbackHub();
  // Cho's build is older: a mesh that forwards what it applies and acks in the log.
  const devices = await openLinked(
    fixture,
    3,
    hub,
    () => r.url,
    (i, hex) => ({
      direct: () => new LoopbackMesh(hub, hex, undefined, "", i === 2),
    }),
  );
  for (const d of devices) {
    cleanup.push(async () => {
      await d.stop();
      d.remove();
    });
  }
  const [a, b, c] = devices as [TestDevice, TestDevice, TestDevice];
  const transport = (d: TestDevice) => {
    const t = d.engine.directTransport(fromHex(d.space.id));
    if (!t) throw new Error("no direct transport");
    return t;
  };
  const acks = () =>
    devices.map((d) => ({ direct: transport(d).acksDirect, logged: transport(d).acksLogged }));
  const before = acks();
  await a.space.edit((doc) => doc.getArray("chat").push(["from ann"]));
  await c.space.edit((doc) => doc.getArray("chat").push(["from cho"]));
  await waitConverged([a, b, c], "both messages everywhere");
  await waitFor(
    () => devices.every((d) => transport(d).unacked === 0 && transport(d).logged === 0),
    "every send acked and gone from the log",
  );
  // Bob acked Ann's directly and Cho's (whose build takes none) in the log; Ann acked Cho's
  // in the log; Cho never acks directly. (Link-up's sync answers may add to the counts.)
  const after = acks();
  const grew = (i: number, k: "direct" | "logged") => (after[i]?.[k] ?? 0) - (before[i]?.[k] ?? 0);
  expect(grew(1, "direct")).toBeGreaterThanOrEqual(1);
  expect(grew(1, "logged")).toBeGreaterThanOrEqual(1);
  expect(grew(0, "logged")).toBeGreaterThanOrEqual(1);
  expect(after[2]?.direct).toBe(0);
  // Nothing went through the relay: every ack reached its author in time.
  for (const d of devices) expect(await d.engine.outbox.list()).toEqual([]);
});
