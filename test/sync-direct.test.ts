/**
 * The direct path in Node: engines whose envelope logs sync over in-process
 * links (the role y-webrtc plays in the app) next to a real relay process.
 * Edits go directly while peers are linked, keep flowing with the relay
 * gone, fall back to the relay when a direct target vanishes unacked, and
 * hostile envelopes written into the log are refused like on the relay.
 */
import { isDeepStrictEqual } from "node:util";
import { afterEach, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { envelopeHash } from "../core/crypto/envelope.js";
import { EnvelopeLog } from "../core/sync/envelope-log.js";
import { HOSTILE_REJECTIONS, hostileEnvelopes } from "./hostile-envelopes.js";
import { LoopbackHub, LoopbackMesh, Uplink } from "./loopback-mesh.js";
import { type RelayProcess, removeDir, startRelayProcess, waitFor } from "./relay-harness.js";
import {
  firstLogRecord,
  openLinked,
  queued,
  type SpaceFixture,
  spaceFor,
  type TestDevice,
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
