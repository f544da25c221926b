/**
 * Target sets (protocol revision 4): a sender fanning out to the same
 * devices names their list by a one-byte id instead of uploading 32 bytes
 * per device with every delta. Against a real relay process: what a set
 * reaches, that a set never outlives its connection nor reaches devices it
 * no longer lists, that a refused definition forgets every set (so nothing
 * is misrouted), and that the app's transport uses sets and recovers.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesKey } from "../core/crypto/bytes.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { TargetSetCache } from "../core/sync/target-set-cache.js";
import {
  MAX_TARGET_SET_ENTRIES,
  MAX_TARGET_SETS,
  MSG_ID_BYTES,
  RELAY_FEATURE_TARGET_SETS,
} from "../core/wire/frame-types.js";
import { RelayErrorCode } from "../core/wire/relay-errors.js";
import { TargetSets } from "../relay/target-sets.js";
import {
  device,
  online,
  type RelayProcess,
  removeDir,
  startRelayProcess,
  type TestDevice,
  waitFor,
} from "./relay-harness.js";
import { RawClient } from "./relay-raw.js";

let relay: RelayProcess;
const open: { close(): unknown }[] = [];

beforeAll(async () => {
  relay = await startRelayProcess();
});
afterAll(async () => {
  for (const c of open) await c.close();
  await relay?.kill();
  if (relay) removeDir(relay.dataDir);
});

const msgId = (n: number) => new Uint8Array(MSG_ID_BYTES).fill(n);
const envelope = (n: number) => new Uint8Array(300).fill(n);

async function raw(): Promise<{ raw: RawClient; key: Uint8Array }> {
  const keys = generateDeviceKeys().sign;
  const c = await RawClient.open(relay.url);
  open.push(c);
  await c.login(keys, relay.url);
  return { raw: c, key: keys.publicKey };
}

async function receiver(): Promise<TestDevice> {
  const d = await device(relay.url);
  open.push({ close: () => d.client.stop() });
  d.client.start();
  await online(d.client);
  return d;
}

const got = (d: TestDevice, n: number) => d.received.some((r) => r.envelope[0] === n);

describe("target sets at the relay", () => {
  it("the relay offers them after every login", async () => {
    const { raw: a } = await raw();
    expect((await a.next("relayInfo")).features & RELAY_FEATURE_TARGET_SETS).not.toBe(0);
  });

  it("a SEND naming a set reaches the devices it lists, and a redefined set only the new ones", async () => {
    const { raw: a } = await raw();
    const [b, c, d] = await Promise.all([receiver(), receiver(), receiver()]);
    a.send({ type: "targetSet", setId: 7, targets: [b.keys.publicKey, c.keys.publicKey] });
    a.send({
      type: "send",
      msgId: msgId(1),
      flags: 0,
      ttlSeconds: 0,
      targets: [],
      targetSet: 7,
      envelope: envelope(1),
    });
    await a.next("ack");
    await waitFor(() => got(b, 1) && got(c, 1), "both listed devices got it");
    a.send({ type: "targetSet", setId: 7, targets: [d.keys.publicKey] });
    const from = a.frames.length;
    a.send({
      type: "send",
      msgId: msgId(2),
      flags: 0,
      ttlSeconds: 0,
      targets: [],
      targetSet: 7,
      envelope: envelope(2),
    });
    await a.next("ack", from);
    await waitFor(() => got(d, 2), "the newly listed device got it");
    // Had the relay sent it to b or c too, it would have gone out with d's copy.
    expect(got(b, 2) || got(c, 2)).toBe(false);
  });

  it("a set never defined, or defined on another connection, is refused by name and the connection serves on", async () => {
    const { raw: a, key } = await raw();
    const b = await receiver();
    a.send({ type: "targetSet", setId: 3, targets: [b.keys.publicKey, key] });
    a.close();
    const { raw: again } = await raw();
    again.send({
      type: "send",
      msgId: msgId(3),
      flags: 0,
      ttlSeconds: 0,
      targets: [],
      targetSet: 3,
      envelope: envelope(3),
    });
    const error = await again.next("error");
    expect(error.code).toBe(RelayErrorCode.UNKNOWN_TARGET_SET);
    expect(error.ref).toEqual(msgId(3));
    again.send({
      type: "send",
      msgId: msgId(4),
      flags: 0,
      ttlSeconds: 0,
      targets: [b.keys.publicKey],
      envelope: envelope(4),
    });
    expect((await again.next("ack")).msgId).toEqual(msgId(4));
    await waitFor(() => got(b, 4), "the listed send arrived");
    expect(got(b, 3)).toBe(false);
  });

  it("a definition past the bound is refused and forgets every set, so a later SEND cannot reach an old list", async () => {
    const { raw: a } = await raw();
    const b = await receiver();
    a.send({ type: "targetSet", setId: 0, targets: [b.keys.publicKey] });
    const big = (n: number) =>
      Array.from({ length: 256 }, (_, i) => new Uint8Array(32).fill(n).fill(i, 0, 1));
    for (let id = 1; id <= MAX_TARGET_SET_ENTRIES / 256; id++) {
      a.send({ type: "targetSet", setId: id, targets: big(id) });
    }
    const error = await a.next("error");
    expect(error.code).toBe(RelayErrorCode.TOO_MANY_TARGETS);
    const from = a.frames.length;
    a.send({
      type: "send",
      msgId: msgId(5),
      flags: 0,
      ttlSeconds: 0,
      targets: [],
      targetSet: 0,
      envelope: envelope(5),
    });
    expect((await a.next("error", from)).code).toBe(RelayErrorCode.UNKNOWN_TARGET_SET);
    expect(a.isOpen).toBe(true);
    expect(got(b, 5)).toBe(false);
  });
});

describe("the app's relay transport", () => {
  it("names a set after the first send to the same targets: ten targets cost one byte, not 320", async () => {
    const targets = await Promise.all(Array.from({ length: 10 }, () => receiver()));
    const sender = await device(relay.url);
    open.push({ close: () => sender.client.stop() });
    sender.client.start();
    await online(sender.client);
    const keys = targets.map((t) => t.keys.publicKey);
    // Sets are used once the relay has said it takes them.
    await waitFor(() => sender.client.info.targetSets, "relay info");
    const sizes: number[] = [];
    for (let n = 10; n < 13; n++) {
      const before = sender.client.bytesSent;
      await sender.client.send(keys, envelope(n));
      sizes.push(sender.client.bytesSent - before);
    }
    await waitFor(
      () => targets.every((t) => got(t, 10) && got(t, 11) && got(t, 12)),
      "all delivered",
    );
    const frameOverhead = 2 + MSG_ID_BYTES + 1 + 1 + 1 + 2;
    // The first send defines the set (its keys go up once); the next two carry a set id.
    expect(sizes[0]).toBeGreaterThan(300 + 10 * 32);
    expect(sizes[1]).toBeLessThanOrEqual(300 + frameOverhead + 4);
    expect(sizes[2]).toBe(sizes[1]);
  });
});

describe("the transport's cache mirrors the relay's sets", () => {
  it("for any sequence of target lists, every SEND resolves at the relay to exactly its targets and no definition is refused", () => {
    const pool = Array.from({ length: 40 }, (_, i) => new Uint8Array(32).fill(i + 1));
    const list = fc
      .uniqueArray(fc.nat({ max: pool.length - 1 }), { minLength: 1, maxLength: 40 })
      .map((ix) => ix.map((i) => pool[i] as Uint8Array));
    fc.assert(
      fc.property(fc.array(list, { minLength: 1, maxLength: 300 }), (sends) => {
        const cache = new TargetSetCache();
        const relaySide = new TargetSets();
        for (const targets of sends) {
          const choice = cache.choose(targets);
          if (choice.kind === "listed") continue;
          expect(choice.setId).toBeLessThan(MAX_TARGET_SETS);
          if (choice.define) expect(relaySide.define(choice.setId, targets)).toBe(true);
          const resolved = relaySide.get(choice.setId);
          expect(resolved?.map(bytesKey)).toEqual(targets.map(bytesKey));
        }
      }),
      { numRuns: 300 },
    );
  });
});
