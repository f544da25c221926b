/**
 * Hostile input: 2,000 random, mutated, truncated and oversized frames from
 * one connection, while two other devices keep exchanging mail. The relay
 * must answer with errors, stay healthy, and not disturb the others.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesKey } from "../core/crypto/bytes.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { encodeFrame } from "../core/wire/frame.js";
import type { Frame } from "../core/wire/frame-types.js";
import { filled, seqBytes } from "./fixtures.js";
import { mutated } from "./mutate.js";
import {
  device,
  online,
  type RelayProcess,
  removeDir,
  startRelayProcess,
  waitFor,
} from "./relay-harness.js";
import { RawClient } from "./relay-raw.js";

const MAX_FRAME = 20_000;
let relay: RelayProcess;

beforeAll(async () => {
  relay = await startRelayProcess({
    args: ["--max-frame-bytes", String(MAX_FRAME), "--max-envelope-bytes", "16000"],
  });
});
afterAll(async () => {
  await relay.kill();
  removeDir(relay.dataDir);
});

const valid: Frame[] = [
  {
    type: "send",
    msgId: seqBytes(16),
    flags: 0,
    ttlSeconds: 60,
    targets: [filled(32, 1)],
    envelope: seqBytes(100),
  },
  { type: "deliverAck", seqs: [1, 2, 3] },
  { type: "resend", fromSeq: 1 },
  { type: "blobPut", hash: filled(32, 2), data: seqBytes(64) },
  { type: "blobGet", hash: filled(32, 2) },
  { type: "hello", client: "x", minVersion: 1, maxVersion: 1 },
  { type: "auth", device: filled(32, 3), signature: filled(64, 4), accessToken: "t" },
  { type: "mailSend", msgId: seqBytes(16, 7), to: "bob@example.com", subject: "Hi", text: "x" },
];

describe("relay under hostile input", () => {
  it("2,000 bad frames from one connection leave the relay healthy and other traffic untouched", async () => {
    const keys = generateDeviceKeys().sign;
    const hostile = fc.sample(
      fc.oneof(
        fc.uint8Array({ maxLength: 300 }),
        mutated(valid.map((f) => encodeFrame(f))),
        fc
          .integer({ min: MAX_FRAME + 1, max: MAX_FRAME * 2 - 1 })
          .map((n) => new Uint8Array(n).fill(1)),
      ),
      { numRuns: 2000, seed: 42 },
    );

    const a = await device(relay.url);
    const b = await device(relay.url);
    a.client.start();
    b.client.start();
    await Promise.all([online(a.client), online(b.client)]);

    let raw = await RawClient.open(relay.url);
    await raw.login(keys, relay.url);
    let reconnects = 0;
    let sent = 0;
    const traffic: Promise<void>[] = [];
    for (const bytes of hostile) {
      if (!raw.isOpen) {
        reconnects++;
        raw = await RawClient.open(relay.url);
        await raw.login(keys, relay.url);
      }
      raw.send(bytes);
      sent++;
      if (sent % 100 === 0) {
        traffic.push(a.client.send([b.keys.publicKey], seqBytes(200, sent / 100)));
        // Let the relay answer before the next burst.
        await raw.next("error", raw.frames.length - 1).catch(() => undefined);
      }
    }
    expect(sent).toBe(2000);
    await Promise.all(traffic);
    await waitFor(
      () => new Set(b.received.map((d) => bytesKey(d.msgId))).size === 20,
      "20 deliveries to b",
    );
    expect(raw.frames.filter((f) => f.type === "error").length + reconnects).toBeGreaterThan(0);

    const health = await fetch(`http://127.0.0.1:${relay.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok" });
    await a.client.stop();
    await b.client.stop();
    raw.close();
  });
});
