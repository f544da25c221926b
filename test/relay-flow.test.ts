/**
 * Issue 16, findings 7, 6 and 2: frames pipelined after AUTH keep their
 * order, ephemeral floods reach a target only within its budget, and
 * sockets that never read cannot grow the relay's memory. Against a real
 * relay process on loopback.
 */
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { bytesKey } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { signRelayChallenge } from "../core/crypto/relay-auth.js";
import { FLAG_EPHEMERAL } from "../core/wire/frame-types.js";
import { RelayErrorCode } from "../core/wire/relay-errors.js";
import { filled, seqBytes } from "./fixtures.js";
import { httpBase, metric } from "./relay-attack.js";
import { waitFor } from "./relay-harness.js";
import { relaysPerTest } from "./relay-per-file.js";
import { RawClient } from "./relay-raw.js";

const relay = relaysPerTest();

const msgId = (i: number) => seqBytes(16, i);

describe("finding 7: frames pipelined right after AUTH", () => {
  it("are handled in arrival order, as a client written from PROTOCOL.md sends them", async () => {
    const r = await relay();
    const backend = await ed25519();
    const target = generateDeviceKeys().sign;
    const runs = 10;
    const perRun = 20;
    for (let run = 0; run < runs; run++) {
      const sender = await RawClient.open(r.url);
      const keys = generateDeviceKeys().sign;
      const challenge = await sender.hello();
      const signature = await signRelayChallenge(backend, keys.secretKey, challenge.nonce, r.url);
      // AUTH and the SENDs leave in one burst, without waiting for AUTH_OK.
      sender.send({ type: "auth", device: keys.publicKey, signature, accessToken: "" });
      for (let i = 0; i < perRun; i++) {
        sender.send({
          type: "send",
          msgId: msgId(run * perRun + i),
          flags: 0,
          ttlSeconds: 0,
          targets: [target.publicKey],
          envelope: seqBytes(64, i),
        });
      }
      await waitFor(() => sender.frames.filter((f) => f.type === "ack").length === perRun, "acks");
      sender.close();
    }
    const reader = await RawClient.open(r.url);
    await reader.login(target, r.url);
    const total = runs * perRun;
    await waitFor(() => reader.frames.filter((f) => f.type === "deliver").length === total, "all");
    const order = reader.frames.flatMap((f) => (f.type === "deliver" ? [f.msgId[0]!] : []));
    expect(order).toEqual(Array.from({ length: total }, (_, i) => msgId(i)[0]));
    reader.close();
  });
});

describe("finding 6: ephemeral frames per target", () => {
  it("forwards a flood to one target only within its budget and tells the sender", async () => {
    const r = await relay(["--ephemeral-per-source-target", "20", "--ephemeral-per-target", "100"]);
    const target = await RawClient.open(r.url);
    const targetKeys = generateDeviceKeys().sign;
    await target.login(targetKeys, r.url);

    // Four throwaway keys from one address, 500 ephemeral frames each.
    const attackers = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const c = await RawClient.open(r.url, "127.0.0.7");
        await c.login(generateDeviceKeys().sign, r.url);
        return c;
      }),
    );
    const started = performance.now();
    attackers.forEach((c, a) => {
      for (let i = 0; i < 500; i++) {
        c.send({
          type: "send",
          msgId: seqBytes(16, a * 1000 + i),
          flags: FLAG_EPHEMERAL,
          ttlSeconds: 0,
          targets: [targetKeys.publicKey],
          envelope: seqBytes(200, i),
        });
      }
    });
    const answered = (c: RawClient) =>
      c.frames.filter((f) => f.type === "ack" || f.type === "error").length;
    await waitFor(() => attackers.every((c) => answered(c) === 500), "every flood frame answered");
    const seconds = (performance.now() - started) / 1000;
    // The sender hears of every frame not forwarded.
    const refused = attackers.flatMap((c) =>
      c.frames.filter((f) => f.type === "error" && f.code === RelayErrorCode.RATE_LIMITED),
    );
    const forwarded = 2000 - refused.length;
    expect(forwarded).toBeLessThanOrEqual(Math.ceil(40 + 20 * seconds) + 1);

    // Another address still reaches the target: the flood spent its own budget, not the target's.
    const friend = await RawClient.open(r.url, "127.0.0.8");
    await friend.login(generateDeviceKeys().sign, r.url);
    // All bytes equal: no attacker's msgId (an increasing run of bytes) can be mistaken for it.
    const friendMsg = filled(16, 0xee);
    friend.send({
      type: "send",
      msgId: friendMsg,
      flags: FLAG_EPHEMERAL,
      ttlSeconds: 0,
      targets: [targetKeys.publicKey],
      envelope: seqBytes(50, 7),
    });
    await friend.next("ack");
    await waitFor(
      () =>
        target.frames.some(
          (f) => f.type === "deliver" && bytesKey(f.msgId) === bytesKey(friendMsg),
        ),
      "friend's frame delivered",
    );
    const delivered = target.frames.filter((f) => f.type === "deliver").length;
    expect(delivered).toBe(forwarded + 1);
    for (const c of [target, friend, ...attackers]) c.close();
  });
});

function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) * 1024;
}

describe("finding 2: memory under sockets that never read", () => {
  it.skipIf(process.platform !== "linux")(
    "keeps bytes in flight bounded per connection and closes the non-readers",
    async () => {
      const MiB = 1024 * 1024;
      const r = await relay([
        "--rate-send-bytes",
        String(256 * MiB),
        "--rate-send-bytes-per-source",
        String(256 * MiB),
        "--slow-reader-timeout-ms",
        "2000",
      ]);
      const pid = r.proc.pid!;
      const base = httpBase(r.url);
      const readers = await Promise.all(
        Array.from({ length: 4 }, async () => {
          const keys = generateDeviceKeys().sign;
          const c = await RawClient.open(r.url, "127.0.0.11");
          await c.login(keys, r.url);
          c.stopReading();
          return keys;
        }),
      );
      const before = rssBytes(pid);
      let peak = before;
      let peakOutbound = 0;
      const sampler = setInterval(() => {
        peak = Math.max(peak, rssBytes(pid));
        void metric(base, "grove_relay_outbound_buffered_bytes").then((n) => {
          peakOutbound = Math.max(peakOutbound, n);
        });
      }, 25);
      const sender = await RawClient.open(r.url);
      await sender.login(generateDeviceKeys().sign, r.url);
      const count = 40;
      for (let i = 0; i < count; i++) {
        sender.send({
          type: "send",
          msgId: msgId(i),
          flags: 0,
          ttlSeconds: 0,
          targets: readers.map((k) => k.publicKey),
          envelope: new Uint8Array(MiB).fill(i),
        });
      }
      await waitFor(() => sender.frames.filter((f) => f.type === "ack").length === count, "acks");
      await waitFor(
        async () => (await metric(base, 'grove_relay_refusals_total{reason="slow_reader"}')) === 4,
        "non-readers closed",
      );
      clearInterval(sampler);
      peak = Math.max(peak, rssBytes(pid));
      // What the relay holds for the non-readers: at most the high-water mark plus one frame each.
      expect(peakOutbound).toBeGreaterThan(0);
      expect(peakOutbound).toBeLessThanOrEqual(4 * (4 * MiB + MiB + 1024));
      // And the process: 160 MiB of deliveries would sit in buffers without the bound (the
      // relay of before died of it); what remains is the sends passing through and GC lag.
      expect(peak - before).toBeLessThan(150 * MiB);
      expect(await metric(base, "grove_relay_outbound_buffered_bytes")).toBe(0);
      sender.close();
    },
  );
});
