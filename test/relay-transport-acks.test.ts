/**
 * How RelayTransport acks deliveries, against a real relay process: acks of
 * deliveries taken while another is still in hand go out together once it
 * is done, so the relay refills its window in chunks, not one slot at a
 * time; and an ack never waits longer than `ackHoldMs` for a slow one.
 */
import { afterAll, describe, expect, it } from "vitest";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import type { WebSocketLike } from "../core/sync/websocket.js";
import { decodeFrame } from "../core/wire/frame.js";
import { MSG_ID_BYTES } from "../core/wire/frame-types.js";
import { connectWs, device, online, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";
import { RawClient } from "./relay-raw.js";

const relay = relayPerFile();
const open: { close(): unknown }[] = [];
// Registered after the relay's: vitest runs after-hooks last first, so clients close first.
afterAll(async () => {
  for (const c of open) await c.close();
});

const COUNT = 10;

/** A receiver whose first delivery is held until `release`, recording the acks it sends. */
async function receiver(ackHoldMs: number) {
  const acks: number[][] = [];
  let release = () => {};
  const held = new Promise<void>((r) => {
    release = r;
  });
  let taken = 0;
  const d = await device(relay.url, {
    ackHoldMs,
    onDeliver: (delivery) => {
      taken++;
      d.received.push(delivery);
      return taken === 1 ? held : undefined;
    },
    connect: (url) => {
      const ws = connectWs(url);
      const send = ws.send.bind(ws);
      ws.send = (data: Uint8Array) => {
        const frame = decodeFrame(data);
        if (frame.type === "deliverAck") acks.push(frame.seqs);
        send(data);
      };
      return ws as WebSocketLike;
    },
  });
  // A failed test must not leave the held delivery holding stop() up.
  open.push({
    close: () => {
      release();
      return d.client.stop();
    },
  });
  d.client.start();
  await online(d.client);
  return { d, acks, release: () => release() };
}

/** COUNT messages to `to` from a raw sender, each acked by the relay. */
async function sendTo(to: Uint8Array): Promise<void> {
  const sender = await RawClient.open(relay.url);
  open.push(sender);
  await sender.login(generateDeviceKeys().sign, relay.url);
  for (let i = 1; i <= COUNT; i++) {
    const from = sender.frames.length;
    sender.send({
      type: "send",
      msgId: new Uint8Array(MSG_ID_BYTES).fill(i),
      flags: 0,
      ttlSeconds: 0,
      targets: [to],
      envelope: new Uint8Array(200).fill(i),
    });
    await sender.next("ack", from);
  }
}

describe("RelayTransport acks", () => {
  it("acks what was taken while a delivery is still in hand together, once that one is done", async () => {
    const { d, acks, release } = await receiver(600_000);
    await sendTo(d.keys.publicKey);
    await waitFor(() => d.received.length === COUNT, "every delivery taken");
    expect(acks).toEqual([]);
    release();
    await waitFor(() => acks.flat().length === COUNT, "every delivery acked");
    // One frame: the relay frees its whole window at once.
    expect(acks).toHaveLength(1);
    expect(acks[0]?.slice().sort((a, b) => a - b)).toEqual(d.received.map((r) => r.seq));
  });

  it("does not hold acks past ackHoldMs for a delivery that stays in hand", async () => {
    const { d, acks, release } = await receiver(20);
    await sendTo(d.keys.publicKey);
    await waitFor(() => acks.flat().length === COUNT - 1, "all but the held delivery acked");
    expect(acks.flat()).not.toContain(d.received[0]?.seq);
    release();
    await waitFor(() => acks.flat().length === COUNT, "the held one acked once done");
  });
});
