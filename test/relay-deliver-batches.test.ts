/**
 * DELIVER_BATCH (revision 5) against a real relay process: a device that
 * sent ACCEPT_BATCHES gets what was ready at once in few frames, in seq
 * order, and acks them in one; a device that never did (revision 4) gets
 * every message as its own DELIVER, as before; an app device (RelayTransport)
 * opts in by itself and loses nothing across a reconnect.
 */
import { describe, expect, it } from "vitest";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import type { DeliverFrame, Frame } from "../core/wire/frame-types.js";
import { device, online, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";
import { RawClient } from "./relay-raw.js";

const relay = relayPerFile();

/** Every stored message a raw client has been handed, from DELIVER and DELIVER_BATCH frames. */
function delivered(frames: Frame[]): Omit<DeliverFrame, "type">[] {
  return frames.flatMap((f) =>
    f.type === "deliver" ? [f] : f.type === "deliverBatch" ? f.deliveries : [],
  );
}

async function queueFor(target: Uint8Array, count: number, tag = 1): Promise<void> {
  const sender = await device(relay.url);
  sender.client.start();
  await online(sender.client);
  await Promise.all(
    Array.from({ length: count }, (_, i) =>
      sender.client.send([target], Uint8Array.of(i & 0xff, i >> 8, tag)),
    ),
  );
  await sender.client.stop();
}

async function queuedMessages(): Promise<number> {
  const text = await (await fetch(`${relay.url.replace("ws://", "http://")}/metrics`)).text();
  return Number(/^grove_relay_queued_messages (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

async function loggedIn(keys = generateDeviceKeys().sign): Promise<RawClient> {
  const c = await RawClient.open(relay.url);
  await c.login(keys, relay.url);
  return c;
}

describe("relay: DELIVER_BATCH", () => {
  it("a device that accepts batches gets what is ready in one frame, in order, and acks once", async () => {
    const keys = generateDeviceKeys().sign;
    await queueFor(keys.publicKey, 40);
    const c = await loggedIn(keys);
    try {
      const info = await c.next("relayInfo");
      expect(info.features & 0x04).toBe(0x04);
      // Read before the opt-in: one DELIVER each.
      await waitFor(() => delivered(c.frames).length >= 40, "40 deliveries");
      expect(c.frames.some((f) => f.type === "deliverBatch")).toBe(false);
      c.send({ type: "acceptBatches" });
      const from = c.frames.length;
      c.send({ type: "resend", fromSeq: 1 });
      const batch = await c.next("deliverBatch", from);
      expect(batch.deliveries.map((d) => d.seq)).toEqual(
        Array.from({ length: 40 }, (_, i) => i + 1),
      );
      c.send({ type: "deliverAck", seqs: batch.deliveries.map((d) => d.seq) });
      await waitFor(async () => (await queuedMessages()) === 0, "acks committed");
    } finally {
      c.close();
    }
  });

  it("a device that never accepts them (revision 4) gets one DELIVER per message", async () => {
    const keys = generateDeviceKeys().sign;
    await queueFor(keys.publicKey, 20);
    const c = await loggedIn(keys);
    try {
      await waitFor(() => delivered(c.frames).length >= 20, "20 deliveries");
      expect(c.frames.some((f) => f.type === "deliverBatch")).toBe(false);
      expect(delivered(c.frames).map((d) => d.seq)).toEqual(
        Array.from({ length: 20 }, (_, i) => i + 1),
      );
    } finally {
      c.close();
    }
  });

  it("a DELIVER_BATCH sent to the relay is refused as BAD_FRAME, and the connection serves on", async () => {
    const c = await loggedIn();
    try {
      const m = { seq: 1, msgId: new Uint8Array(16), sender: new Uint8Array(32), flags: 0 };
      c.send({ type: "deliverBatch", deliveries: [{ ...m, envelope: Uint8Array.of(1) }] });
      const err = await c.next("error");
      expect(err.message).toContain("unexpected deliverBatch");
      c.send({ type: "resend", fromSeq: 1 });
      expect(c.isOpen).toBe(true);
    } finally {
      c.close();
    }
  });

  it("an app device takes batches and gets every message across a reconnect", async () => {
    const keys = generateDeviceKeys().sign;
    const receiver = await device(relay.url, {}, keys);
    receiver.client.start();
    await online(receiver.client);
    await queueFor(keys.publicKey, 300);
    await waitFor(() => receiver.received.length >= 300, "300 deliveries");
    await receiver.client.stop();
    await queueFor(keys.publicKey, 100, 2);
    const again = await device(relay.url, {}, keys);
    again.client.start();
    // Unacked ones of the first 300 may come again; the new 100 come once each, in order.
    const fresh = () => again.received.filter((d) => d.envelope[2] === 2);
    await waitFor(() => fresh().length >= 100, "the next 100");
    expect(fresh().map((d) => (d.envelope[0] ?? 0) + 256 * (d.envelope[1] ?? 0))).toEqual(
      Array.from({ length: 100 }, (_, i) => i),
    );
    await again.client.stop();
  });
});
