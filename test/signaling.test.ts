/**
 * WS /signal against a real relay process: y-webrtc's protocol (subscribe,
 * publish to every subscriber with a client count, ping/pong, unsubscribe),
 * and that a peer sending junk is closed while others keep being served.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { type RelayProcess, removeDir, startRelayProcess, waitFor } from "./relay-harness.js";

let relay: RelayProcess;
beforeAll(async () => {
  relay = await startRelayProcess();
});
afterAll(async () => {
  await relay.kill();
  removeDir(relay.dataDir);
});

interface SignalPeer {
  ws: WebSocket;
  inbox: Record<string, unknown>[];
  closed: { code: number; reason: string } | undefined;
}

async function connect(): Promise<SignalPeer> {
  const ws = new WebSocket(`${relay.url}/signal`);
  const peer: SignalPeer = { ws, inbox: [], closed: undefined };
  ws.on("message", (data) => peer.inbox.push(JSON.parse(String(data))));
  ws.on("close", (code, reason) => {
    peer.closed = { code, reason: String(reason) };
  });
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return peer;
}

const send = (peer: SignalPeer, msg: unknown) => peer.ws.send(JSON.stringify(msg));

/** Subscribes and proves the subscription is in place by a ping round trip (messages are ordered). */
async function subscribe(peer: SignalPeer, topics: string[]): Promise<void> {
  send(peer, { type: "subscribe", topics });
  const before = peer.inbox.length;
  send(peer, { type: "ping" });
  await waitFor(() => peer.inbox.slice(before).some((m) => m.type === "pong"), "pong");
}

describe("relay /signal (y-webrtc signaling)", () => {
  it("publishes to every subscriber of a topic, the sender included, with a client count", async () => {
    const [a, b, c] = await Promise.all([connect(), connect(), connect()]);
    await subscribe(a, ["room-1"]);
    await subscribe(b, ["room-1", "room-2"]);
    await subscribe(c, ["room-2"]);

    send(a, { type: "publish", topic: "room-1", data: { type: "announce", from: "peer-a" } });
    const isAnnounce = (m: Record<string, unknown>) => m.type === "publish" && m.topic === "room-1";
    await waitFor(() => b.inbox.some(isAnnounce) && a.inbox.some(isAnnounce), "announce");
    expect(b.inbox.find(isAnnounce)).toEqual({
      type: "publish",
      topic: "room-1",
      data: { type: "announce", from: "peer-a" },
      clients: 2,
    });

    // c is not in room-1; a round trip on c proves nothing for room-1 is in flight to it.
    await subscribe(c, []);
    expect(c.inbox.some(isAnnounce)).toBe(false);

    send(b, { type: "unsubscribe", topics: ["room-1"] });
    await subscribe(b, []);
    send(a, { type: "publish", topic: "room-1", data: { n: 2 } });
    await waitFor(() => a.inbox.some((m) => m.clients === 1), "publish after unsubscribe");
    expect(b.inbox.filter(isAnnounce)).toHaveLength(1);
    for (const p of [a, b, c]) p.ws.close();
  });

  it("closes a peer that sends junk with a policy close code and keeps serving the others", async () => {
    const [good, bad] = await Promise.all([connect(), connect()]);
    await subscribe(good, ["room-x"]);
    bad.ws.send("{not json");
    await waitFor(() => bad.closed !== undefined, "bad peer closed");
    expect(bad.closed?.code).toBe(1008);
    expect(bad.closed?.reason).toContain("NOT_JSON");

    const bad2 = await connect();
    send(bad2, { type: "subscribe", topics: ["x".repeat(300)] });
    await waitFor(() => bad2.closed !== undefined, "second bad peer closed");
    expect(bad2.closed?.reason).toContain("BAD_TOPIC");

    send(good, { type: "publish", topic: "room-x", data: "still here" });
    await waitFor(() => good.inbox.some((m) => m.data === "still here"), "good peer served");
    expect(good.closed).toBeUndefined();
    good.ws.close();
  });

  it("rate-limits a flooding peer", async () => {
    const flood = await connect();
    for (let i = 0; i < 1000; i++) send(flood, { type: "ping" });
    await waitFor(() => flood.closed !== undefined, "flooding peer closed");
    expect(flood.closed?.code).toBe(1008);
    expect(flood.closed?.reason).toContain("rate limit");
  });

  it("reports signaling connections and messages in /metrics", async () => {
    const peer = await connect();
    await subscribe(peer, ["metrics-room"]);
    const http = relay.url.replace("ws://", "http://");
    const text = await (await fetch(`${http}/metrics`)).text();
    expect(text).toMatch(/grove_relay_signaling_connections [1-9]/);
    expect(text).toMatch(/grove_relay_signaling_messages_total\{type="subscribe"\} [1-9]/);
    peer.ws.close();
  });
});
