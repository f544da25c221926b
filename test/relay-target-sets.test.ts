/**
 * Target sets (protocol revision 4): a sender fanning out to the same
 * devices names their list by a one-byte id instead of uploading 32 bytes
 * per device with every delta. Against a real relay process: what a set
 * reaches, that a set never outlives its connection nor reaches devices it
 * no longer lists, that a refused definition forgets every set (so nothing
 * is misrouted), and that the app's transport uses sets and recovers.
 */
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { bytesKey } from "../core/crypto/bytes.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { TargetSetCache } from "../core/sync/target-set-cache.js";
import type { Frame, SendFrame } from "../core/wire/frame-types.js";
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
  removeDir,
  startRelayProcess,
  type TestDevice,
  waitFor,
} from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";
import { RawClient } from "./relay-raw.js";

const relay = relayPerFile();
const open: { close(): unknown }[] = [];
// Registered after the relay's: vitest runs after-hooks last first, so clients close first.
afterAll(async () => {
  for (const c of open) await c.close();
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

/** A device online at `url` (the file's relay unless named), closed after the file. */
async function receiver(url = relay.url): Promise<TestDevice> {
  const d = await device(url);
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

  it("a SEND naming a set reaches the devices it lists; an id is defined once, and reusing it forgets it", async () => {
    const { raw: a } = await raw();
    const [b, c, d] = await Promise.all([receiver(), receiver(), receiver()]);
    const sendTo = (setId: number, n: number) =>
      a.send({
        type: "send",
        msgId: msgId(n),
        flags: 0,
        ttlSeconds: 0,
        targets: [],
        targetSet: setId,
        envelope: envelope(n),
      });
    a.send({ type: "targetSet", setId: 7, targets: [b.keys.publicKey, c.keys.publicKey] });
    sendTo(7, 1);
    await a.next("ack");
    await waitFor(() => got(b, 1) && got(c, 1), "both listed devices got it");
    // A client that means other devices under the same id is refused, and the old list is
    // gone: the SEND behind it cannot reach b or c.
    let from = a.frames.length;
    a.send({ type: "targetSet", setId: 7, targets: [d.keys.publicKey] });
    expect((await a.next("error", from)).code).toBe(RelayErrorCode.UNKNOWN_TARGET_SET);
    from = a.frames.length;
    sendTo(7, 2);
    expect(await a.next("error", from)).toMatchObject({
      code: RelayErrorCode.UNKNOWN_TARGET_SET,
      ref: msgId(2),
    });
    // A higher id is a new set.
    a.send({ type: "targetSet", setId: 8, targets: [d.keys.publicKey] });
    from = a.frames.length;
    sendTo(8, 3);
    await a.next("ack", from);
    await waitFor(() => got(d, 3), "the newly listed device got it");
    // A marker listed to b and c comes after anything stored for them before it.
    from = a.frames.length;
    a.send({
      type: "send",
      msgId: msgId(4),
      flags: 0,
      ttlSeconds: 0,
      targets: [b.keys.publicKey, c.keys.publicKey],
      envelope: envelope(4),
    });
    await a.next("ack", from);
    await waitFor(() => got(b, 4) && got(c, 4), "the marker at b and c");
    expect(got(b, 2) || got(c, 2) || got(b, 3) || got(c, 3) || got(d, 2)).toBe(false);
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

  it("the oldest sets make room for new ones; a SEND naming an evicted set is refused by name", async () => {
    const { raw: a } = await raw();
    const b = await receiver();
    a.send({ type: "targetSet", setId: 0, targets: [b.keys.publicKey] });
    const big = (n: number) =>
      Array.from({ length: 256 }, (_, i) => new Uint8Array(32).fill(n).fill(i, 0, 1));
    // Four sets of 256 fill the connection's 1,024 keys: set 0 makes room first.
    for (let id = 1; id <= MAX_TARGET_SET_ENTRIES / 256; id++) {
      a.send({ type: "targetSet", setId: id, targets: big(id) });
    }
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
    expect(await a.next("error", from)).toMatchObject({
      code: RelayErrorCode.UNKNOWN_TARGET_SET,
      ref: msgId(5),
    });
    expect(a.isOpen).toBe(true);
    expect(got(b, 5)).toBe(false);
  });

  it("a definition lost to the frame rate limit never lets the SEND behind it reach an older list", async () => {
    // Its own relay: the frame rate limit must bite.
    const limited = await startRelayProcess({ args: ["--rate-frames", "20"] });
    try {
      const [b, c, d] = await Promise.all([
        receiver(limited.url),
        receiver(limited.url),
        receiver(limited.url),
      ]);
      const a = await RawClient.open(limited.url);
      open.push(a);
      await a.login(generateDeviceKeys().sign, limited.url);
      a.send({ type: "targetSet", setId: 0, targets: [b.keys.publicKey, c.keys.publicKey] });
      // Drain the frame bucket, so the next definition is dropped unread.
      for (let i = 0; i < 60; i++) a.send({ type: "resend", fromSeq: 1 });
      a.send({ type: "targetSet", setId: 1, targets: [d.keys.publicKey] });
      await waitFor(
        () => a.frames.some((f) => f.type === "error" && f.code === RelayErrorCode.RATE_LIMITED),
        "the flood refused",
      );
      // The SEND names set 1, which the relay never held: refused by name once the bucket
      // lets it through, never resolved to set 0's list.
      const answer = await sendPastTheLimit(a, (id) => ({
        type: "send",
        msgId: id,
        flags: 0,
        ttlSeconds: 0,
        targets: [],
        targetSet: 1,
        envelope: envelope(6),
      }));
      expect(answer).toMatchObject({ type: "error", code: RelayErrorCode.UNKNOWN_TARGET_SET });
      // A marker listed to b and c comes after anything stored for them before it.
      const marked = await sendPastTheLimit(a, (id) => ({
        type: "send",
        msgId: id,
        flags: 0,
        ttlSeconds: 0,
        targets: [b.keys.publicKey, c.keys.publicKey],
        envelope: envelope(7),
      }));
      expect(marked.type).toBe("ack");
      await waitFor(() => got(b, 7) && got(c, 7), "the marker at b and c");
      expect(got(b, 6) || got(c, 6)).toBe(false);
    } finally {
      await limited.kill();
      removeDir(limited.dataDir);
    }
  });
});

/** The first ACK or ERROR the relay sent after frame `from`. */
const answerAfter = (c: RawClient, from: number): Frame | undefined =>
  c.frames.slice(from).find((f) => f.type === "ack" || f.type === "error");

const isRateLimited = (f: Frame) => f.type === "error" && f.code === RelayErrorCode.RATE_LIMITED;

let attempt = 100;
/** Sends until the relay answers with anything but RATE_LIMITED (each try a new msgId). */
async function sendPastTheLimit(c: RawClient, make: (id: Uint8Array) => SendFrame): Promise<Frame> {
  for (;;) {
    const from = c.frames.length;
    c.send(make(msgId(attempt++ % 256)));
    await waitFor(() => answerAfter(c, from) !== undefined, "an answer to the send");
    const answer = answerAfter(c, from);
    if (answer && !isRateLimited(answer)) return answer;
  }
}

describe("the app's relay transport under the frame rate limit", () => {
  it("a burst of sends to many lists over the frame rate reaches exactly the devices each names", async () => {
    const limited = await startRelayProcess({ args: ["--rate-frames", "100"] });
    try {
      const rx = await Promise.all(Array.from({ length: 14 }, () => receiver(limited.url)));
      const pairs: [TestDevice, TestDevice][] = [];
      for (let i = 0; i < rx.length; i++) {
        for (let j = i + 1; j < rx.length; j++)
          pairs.push([rx[i] as TestDevice, rx[j] as TestDevice]);
      }
      const sender = await device(limited.url, { ackTimeoutMs: 1000 });
      open.push({ close: () => sender.client.stop() });
      // Queued while offline, so all of it goes out at once after login: far over the rate,
      // and more lists than the relay holds sets for.
      const sends = 300;
      const acked: Promise<void>[] = [];
      const meant = (n: number) => pairs[n % pairs.length] as [TestDevice, TestDevice];
      for (let n = 0; n < sends; n++) {
        const env = new Uint8Array(8);
        new DataView(env.buffer).setUint32(4, n);
        const queued = await sender.client.enqueue(
          meant(n).map((d) => d.keys.publicKey),
          env,
        );
        acked.push(queued.acked);
      }
      sender.client.start();
      await online(sender.client);
      await Promise.all(acked);
      const numbers = (d: TestDevice) =>
        new Set(
          d.received
            .filter((r) => r.envelope.length === 8)
            .map((r) => new DataView(r.envelope.buffer, r.envelope.byteOffset).getUint32(4)),
        );
      await waitFor(
        () =>
          pairs.every(([x, y], k) =>
            [x, y].every((d) => numbersHave(numbers(d), k, sends, pairs.length)),
          ),
        "every send at both of its devices",
        60_000,
      );
      // A marker to everyone comes after anything stored for them before it.
      await sender.client.send(
        rx.map((d) => d.keys.publicKey),
        new Uint8Array(9),
      );
      await waitFor(
        () => rx.every((d) => d.received.some((r) => r.envelope.length === 9)),
        "the marker everywhere",
      );
      const wrong = rx.flatMap((d) =>
        [...numbers(d)].filter((n) => !meant(n).includes(d)).map((n) => `${n}`),
      );
      expect(wrong).toEqual([]);
    } finally {
      await limited.kill();
      removeDir(limited.dataDir);
    }
  });
});

/** Every send numbered n (n = k mod pairs) is among `seen`. */
function numbersHave(seen: Set<number>, k: number, sends: number, pairs: number): boolean {
  for (let n = k; n < sends; n += pairs) if (!seen.has(n)) return false;
  return true;
}

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
  it("for any sequence of target lists, every SEND resolves at the relay to exactly its targets, and ids only increase", () => {
    const pool = Array.from({ length: 40 }, (_, i) => new Uint8Array(32).fill(i + 1));
    const list = fc
      .array(fc.nat({ max: pool.length - 1 }), { minLength: 1, maxLength: 40 })
      .map((ix) => ix.map((i) => pool[i] as Uint8Array));
    fc.assert(
      fc.property(fc.array(list, { minLength: 1, maxLength: 300 }), (sends) => {
        const cache = new TargetSetCache();
        const relaySide = new TargetSets();
        let lastId = -1;
        for (const targets of sends) {
          const choice = cache.choose(targets);
          if (choice.kind === "listed") continue;
          if (choice.define) {
            expect(choice.setId).toBeGreaterThan(lastId);
            lastId = choice.setId;
            expect(relaySide.define(choice.setId, choice.targets)).toBe(true);
          }
          const resolved = relaySide.get(choice.setId);
          const meant = [...new Set(targets.map(bytesKey))];
          expect(resolved?.map(bytesKey)).toEqual(meant);
          expect(relaySide.keys(choice.setId)).toEqual(meant);
          expect(relaySide.size.sets).toBeLessThanOrEqual(MAX_TARGET_SETS);
          expect(relaySide.size.entries).toBeLessThanOrEqual(MAX_TARGET_SET_ENTRIES);
        }
      }),
      { numRuns: 300 },
    );
  });
});
