/**
 * A hostile relay operator against the app's transport (RelayTransport),
 * over DELIVER_BATCH (revision 5). The attacker runs the relay: it logs the
 * device in, offers batches, and then sends batches that are malformed,
 * oversized, carry flags or repeat seqs. The device must refuse each with a
 * typed error and keep the session: a good batch after them is taken, in
 * order, and acked; nothing it took is lost.
 */
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer, type WebSocket as WsSocket } from "ws";
import { relayOrigin } from "../core/crypto/relay-auth.js";
import type { RelayError } from "../core/sync/relay-transport.js";
import { decodeFrame, encodeFrame } from "../core/wire/frame.js";
import { CHALLENGE_BYTES, type Frame, FrameType } from "../core/wire/frame-types.js";
import { device, online, waitFor } from "./relay-harness.js";

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
});

const entry = (seq: number, tag: number) => ({
  seq,
  msgId: new Uint8Array(16).fill(tag),
  sender: new Uint8Array(32).fill(9),
  flags: 0,
  envelope: Uint8Array.of(tag, seq & 0xff),
});

/** A valid DELIVER_BATCH, then its bytes changed by `edit`. */
function batchBytes(entries: ReturnType<typeof entry>[]): Uint8Array {
  return encodeFrame({ type: "deliverBatch", deliveries: entries });
}

describe("RelayTransport against a hostile relay's DELIVER_BATCH frames", () => {
  it("refuses malformed, oversized, flagged and huge-count batches with BAD_FRAME, keeps the session, and takes and acks a good batch after them", async () => {
    const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    servers.push(server);
    await new Promise((r) => server.once("listening", r));
    const { port } = server.address() as { port: number };
    const url = `ws://127.0.0.1:${port}`;
    const fromDevice: Frame[] = [];
    let socket: WsSocket | undefined;
    server.on("connection", (ws) => {
      socket = ws;
      ws.on("message", (data: Buffer) => {
        const frame = decodeFrame(new Uint8Array(data));
        fromDevice.push(frame);
        if (frame.type === "auth") {
          ws.send(encodeFrame({ type: "authOk", queued: 0 }));
          ws.send(encodeFrame({ type: "relayInfo", features: 0x04 }));
        }
      });
      ws.send(
        encodeFrame({
          type: "challenge",
          nonce: new Uint8Array(CHALLENGE_BYTES).fill(1),
          relayUrl: relayOrigin(url),
          maxEnvelopeBytes: 1 << 20,
          maxTargets: 64,
        }),
      );
    });

    const d = await device(url);
    const errors: RelayError[] = [];
    d.client.on("error", (e) => errors.push(e));
    d.client.start();
    await online(d.client);
    await waitFor(() => fromDevice.some((f) => f.type === "acceptBatches"), "ACCEPT_BATCHES");
    const ws = socket;
    if (!ws) throw new Error("no socket");

    const good = batchBytes([entry(1, 1), entry(2, 1)]);
    const header = Uint8Array.of(good[0] ?? 0, FrameType.deliverBatch);
    const flagged = batchBytes([entry(3, 2)]);
    // The flags byte of the only entry: after version, type, count, seq, msgId and sender.
    flagged[2 + 1 + 1 + 16 + 32] = 1;
    const hostile: Uint8Array[] = [
      Uint8Array.of(...header, 0), // no deliveries
      Uint8Array.of(...header, 0xac, 0x02, ...good.subarray(3)), // count 300
      Uint8Array.of(...header, 0xff, 0xff, 0xff, 0xff, 0x0f), // a count in the billions, no body
      good.subarray(0, good.length - 1), // cut short
      Uint8Array.of(...good, 0), // a byte too many
      flagged, // an ephemeral flag in a batch
      batchBytes([entry(0, 3)]).fill(0, 3, 4), // seq 0
      new Uint8Array(2 * 1024 * 1024).fill(0x17), // past any frame limit
    ];
    for (const bytes of hostile) ws.send(bytes);
    // Repeated seqs decode (a batch is a list): the device takes both and acks them.
    ws.send(batchBytes([entry(5, 4), entry(5, 4), entry(6, 4)]));
    ws.send(good);

    await waitFor(() => d.received.some((r) => r.seq === 2), "the good batch taken");
    await waitFor(
      () =>
        fromDevice
          .flatMap((f) => (f.type === "deliverAck" ? f.seqs : []))
          .filter((s) => s === 1 || s === 2).length === 2,
      "the good batch acked",
    );
    const bad = errors.filter((e) => e.code === "BAD_FRAME");
    expect(bad).toHaveLength(hostile.length);
    expect(d.client.status).toBe("online");
    expect(d.received.map((r) => r.seq)).toEqual([5, 5, 6, 1, 2]);
    // Nothing from a refused frame reached the app or was acked.
    const acked = fromDevice.flatMap((f) => (f.type === "deliverAck" ? f.seqs : []));
    expect(acked.filter((s) => s === 0 || s === 3)).toEqual([]);
    await d.client.stop();
  });
});
