/**
 * Three relay nodes (separate processes) on one PostgreSQL and one Redis,
 * devices behind a load balancer, under faults: kill -9 of nodes and of
 * Redis while 1 -> 20 fan-out runs, and a restart of everything. What must
 * hold: every acked msgId reaches all its targets (devices dedupe), nothing
 * is ever delivered to only some targets, devices move to another node and
 * resume, and the bus comes back by itself.
 *
 * Scaled to two shared cores: 200 devices (GROVE_CLUSTER_DEVICES to change)
 * and 6 senders; three node kills and one Redis kill, each after 150 more
 * fan-outs are acked (one fault about every 5 s, some 25 s in all here),
 * instead of a kill every 10 s for a minute.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import WebSocket from "ws";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { relayOrigin } from "../core/crypto/relay-auth.js";
import type { WebSocketLike } from "../core/sync/websocket.js";
import { RelayCloseCode, RelayErrorCode } from "../core/wire/relay-errors.js";
import { type Cluster, PUBLIC_URL, startCluster } from "./cluster-harness.js";
import { device, online, removeDir, startRelayProcess, waitFor } from "./relay-harness.js";
import { RawClient } from "./relay-raw.js";

const DEVICES = Number(process.env.GROVE_CLUSTER_DEVICES ?? 200);
const SENDERS = 6;
const FANOUT = 20;

let cluster: Cluster;
beforeAll(async () => {
  // Every test device comes from 127.0.0.1: per-IP limits sized for many people, not one host.
  cluster = await startCluster(3, [
    "--connections-per-source",
    "1000",
    "--new-devices-per-hour",
    "5000",
    "--unauth-per-ip",
    "1000",
  ]);
}, 60_000);
afterAll(async () => {
  await cluster?.destroy();
});

const encoder = new TextEncoder();
const decoder = new TextDecoder();

describe("relay cluster", () => {
  it("refuses a Redis bus over SQLite at start, saying why", async () => {
    await expect(startRelayProcess({ args: ["--bus", "redis://127.0.0.1:1"] })).rejects.toThrow(
      /several nodes cannot share one SQLite file/,
    );
  });

  it("refuses a store or bus URL of another kind without echoing it (it may hold a password)", async () => {
    const refused = (args: string[]) =>
      startRelayProcess({ args }).then(
        () => "",
        (err: Error) => err.message,
      );
    const store = await refused(["--store", "mysql://grove:hunter2@db/grove"]);
    expect(store).toMatch(/store must be a postgres:\/\//);
    const bus = await refused(["--store", "postgres://db/grove", "--bus", "http://:hunter2@x"]);
    expect(bus).toMatch(/bus must be a redis:\/\//);
    expect(store + bus).not.toContain("hunter2");
  });

  it("refuses a second relay process on one SQLite data directory, saying why", async () => {
    const first = await startRelayProcess();
    try {
      await expect(startRelayProcess({ dataDir: first.dataDir })).rejects.toThrow(
        /one SQLite data directory serves one relay/,
      );
    } finally {
      await first.kill();
      removeDir(first.dataDir);
    }
  });

  it("reports store and bus in /healthz and the engines in /metrics", async () => {
    const health = await cluster.health(0);
    expect(health).toMatchObject({
      status: "ok",
      store: { kind: "postgres", reachable: true },
      bus: { kind: "redis", reachable: true },
    });
    expect(await cluster.metric(0, "grove_relay_node_info", 'store="postgres"')).toBe(1);
    expect(await cluster.metric(0, "grove_relay_bus_up")).toBe(1);
  });

  it("the same device logging in on a second node closes the older connection with REPLACED", async () => {
    const keys = generateDeviceKeys().sign;
    const origin = relayOrigin(PUBLIC_URL);
    const first = await RawClient.open(cluster.nodes[0]!.relay.url);
    await first.login(keys, origin);
    await first.next("authOk");
    const second = await RawClient.open(cluster.nodes[1]!.relay.url);
    await second.login(keys, origin);
    await second.next("authOk");
    expect((await first.closed).code).toBe(RelayCloseCode.REPLACED);
    expect(second.isOpen).toBe(true);
    second.ws.close();
  });

  it("an ephemeral frame reaches a device on another node, and is never stored", async () => {
    const a = await device(PUBLIC_URL, { connect: pinned(0) });
    const b = await device(PUBLIC_URL, { connect: pinned(1) });
    for (const d of [a, b]) d.client.start();
    await Promise.all([online(a.client), online(b.client)]);
    expect(a.client.sendEphemeral([b.keys.publicKey], encoder.encode("typing"))).toBe(true);
    await waitFor(() => b.received.length === 1, "the ephemeral frame on node 1");
    expect(b.received[0]).toMatchObject({ seq: 0, ephemeral: true });
    expect(decoder.decode(b.received[0]!.envelope)).toBe("typing");
    await Promise.all([a.client.stop(), b.client.stop()]);
  });

  it("/signal: a peer on one node reaches a peer on another, once, and hears itself once", async () => {
    const topic = `room-${Date.now()}`;
    const [a, b] = await Promise.all([0, 1].map((i) => signalPeer(cluster.nodes[i]!.relay.url)));
    for (const p of [a!, b!]) p.ws.send(JSON.stringify({ type: "subscribe", topics: [topic] }));
    // Node 1's subscription reaches Redis a moment after b's: announce until b hears one, one
    // probe per 10 polls (about 10 a second), well inside the hub's rate limit.
    let n = 0;
    await waitFor(() => {
      if (n++ % 10 === 0)
        a!.ws.send(JSON.stringify({ type: "publish", topic, data: { probe: n } }));
      return b!.inbox.some((m) => m.type === "publish");
    }, "a publish across nodes");
    a!.ws.send(JSON.stringify({ type: "publish", topic, data: { final: 1 } }));
    b!.ws.send(JSON.stringify({ type: "publish", topic, data: { fromB: 1 } }));
    const count = (p: SignalPeer, key: string) =>
      p.inbox.filter((m) => m.type === "publish" && key in (m.data as object)).length;
    await waitFor(
      () => count(b!, "final") === 1 && count(a!, "fromB") === 1 && count(a!, "final") === 1,
      "each message once on each side",
    );
    // Ordered after the messages above on every path: if a duplicate were coming, it came.
    a!.ws.send(JSON.stringify({ type: "publish", topic, data: { last: 1 } }));
    await waitFor(() => count(b!, "last") === 1 && count(a!, "last") === 1, "the last one");
    expect([
      count(a!, "final"),
      count(b!, "final"),
      count(a!, "fromB"),
      count(b!, "fromB"),
    ]).toEqual([1, 1, 1, 1]);
    for (const p of [a!, b!]) p.ws.close();
  });

  it("under kill -9 of nodes and of Redis, every acked fan-out reaches all its targets", async () => {
    const got = new Map<string, Set<number>>();
    const targetsOf = new Map<string, number[]>();
    const acked = new Set<string>();
    // Redeliveries of what a device had taken but whose DELIVER_ACK died with its node.
    let duplicates = 0;
    const devices = await Promise.all(
      Array.from({ length: DEVICES }, (_, i) =>
        cluster.device(i % 3, {
          onDeliver: (d) => {
            const key = decoder.decode(d.envelope);
            const set = got.get(key) ?? new Set<number>();
            if (set.has(i)) duplicates++;
            set.add(i);
            got.set(key, set);
          },
        }),
      ),
    );
    for (const d of devices) d.client.start();
    await Promise.all(devices.map((d) => online(d.client)));

    // Continuous fan-out: each sender keeps up to 4 sends in flight, a new one every 50 ms.
    let sending = true;
    let counter = 0;
    const inflight = new Map<number, number>();
    const pending: Promise<void>[] = [];
    const tick = setInterval(() => {
      if (!sending) return;
      for (let s = 0; s < SENDERS; s++) {
        if ((inflight.get(s) ?? 0) >= 4) continue;
        const key = `${s}:${counter++}`;
        const targets = pick(DEVICES, FANOUT, s);
        targetsOf.set(key, targets);
        inflight.set(s, (inflight.get(s) ?? 0) + 1);
        pending.push(
          devices[s]!.client.send(
            targets.map((t) => devices[t]!.keys.publicKey),
            encoder.encode(key),
          ).then(() => {
            acked.add(key);
            inflight.set(s, inflight.get(s)! - 1);
          }),
        );
      }
    }, 50);

    const delivered = () => [...got.values()].reduce((n, s) => n + s.size, 0);
    const allOnline = () => devices.every((d) => d.client.status === "online");
    const reconnectMs: number[] = [];
    const killAndReplace = async (index: number) => {
      // Faults are spaced by progress, not by the clock: 150 more fan-outs acked (about 5 s here).
      const before = acked.size;
      await waitFor(() => acked.size >= before + 150, "fan-outs acked before the kill", 30_000);
      const at = Date.now();
      await cluster.killNode(index);
      await waitFor(() => !allOnline(), "the dead node's devices notice", 5000);
      // Devices of the dead node move to the live ones (the load balancer's job).
      await waitFor(allOnline, "every device online again", 20_000);
      reconnectMs.push(Date.now() - at);
      await cluster.restartNode(index);
    };

    try {
      await killAndReplace(0);

      // Redis dies: hints stop, the safety poll carries cross-node delivery meanwhile.
      const beforeRedis = delivered();
      const busResyncsBefore = await cluster.metric(1, "grove_relay_resyncs_total", 'reason="bus"');
      await cluster.redis.kill();
      await waitFor(
        async () => !((await cluster.health(1)).bus as { reachable: boolean }).reachable,
        "node 1 sees the bus down",
      );
      // Sends acked while Redis is down reach all 20 targets, spread over three nodes: the
      // safety poll carries what the hints would have.
      const ackedBefore = new Set(acked);
      const completeSinceKill = () =>
        [...acked].filter(
          (k) => !ackedBefore.has(k) && got.get(k)?.size === targetsOf.get(k)!.length,
        ).length;
      await waitFor(() => completeSinceKill() >= 20, "fan-outs complete without Redis", 20_000);
      expect(delivered()).toBeGreaterThan(beforeRedis);
      // A device with no traffic of its own (nothing else wakes its mailbox) on node 2 gets a
      // message sent on node 1: only the safety poll can tell node 2.
      const quiet = await device(PUBLIC_URL, { connect: pinned(2) });
      const quietSender = await device(PUBLIC_URL, { connect: pinned(1) });
      for (const d of [quiet, quietSender]) d.client.start();
      await Promise.all([online(quiet.client), online(quietSender.client)]);
      await quietSender.client.send([quiet.keys.publicKey], encoder.encode("poll only"));
      await waitFor(() => quiet.received.length === 1, "a quiet device's mail without Redis");
      expect(await cluster.metric(2, "grove_relay_resyncs_total", 'reason="poll"')).toBeGreaterThan(
        0,
      );
      await Promise.all([quiet.client.stop(), quietSender.client.stop()]);
      await cluster.redis.start();
      await waitFor(
        async () => {
          const health = await Promise.all([0, 1, 2].map((i) => cluster.health(i)));
          return health.every((h) => (h.bus as { reachable: boolean }).reachable);
        },
        "every node back on the bus",
        20_000,
      );
      // Resubscribed, then re-read every local device: what was hinted meanwhile is found.
      expect(await cluster.metric(1, "grove_relay_resyncs_total", 'reason="bus"')).toBeGreaterThan(
        busResyncsBefore,
      );
      const hintsBefore = await cluster.metric(
        1,
        "grove_relay_delivery_hints_total",
        'direction="in"',
      );
      await waitFor(
        async () =>
          (await cluster.metric(1, "grove_relay_delivery_hints_total", 'direction="in"')) >
          hintsBefore,
        "cross-node hints again after Redis is back",
      );

      await killAndReplace(1);
      await killAndReplace(2);
    } finally {
      sending = false;
      clearInterval(tick);
    }

    await waitFor(() => acked.size === targetsOf.size, "every send acked", 30_000).catch((err) => {
      throw new Error(
        `${err.message}: ${targetsOf.size - acked.size} of ${targetsOf.size} unacked`,
      );
    });
    await Promise.all(pending);
    const incomplete = () =>
      [...acked].filter((key) => (got.get(key)?.size ?? 0) < targetsOf.get(key)!.length);
    await waitFor(
      () => incomplete().length === 0,
      "every acked send at all its targets",
      30_000,
    ).catch((err) => {
      throw new Error(
        `${err.message}: ${incomplete().length} incomplete, e.g. ${incomplete().slice(0, 3)}`,
      );
    });
    for (const [key, targets] of targetsOf) {
      // Exactly the targets: nothing reached a device it was not for.
      expect([...(got.get(key) ?? [])].sort((x, y) => x - y)).toEqual(
        [...targets].sort((x, y) => x - y),
      );
    }
    console.info(
      `cluster run: ${targetsOf.size} sends, ${delivered()} deliveries (${duplicates} redelivered, deduped), reconnect after kill (ms): ${reconnectMs.join(", ")}`,
    );
    await Promise.all(devices.map((d) => d.client.stop()));
  }, 120_000);

  it("while PostgreSQL is down, sends are refused with the retryable STORE_UNAVAILABLE and /healthz is 503", async () => {
    const keys = generateDeviceKeys().sign;
    const client = await RawClient.open(cluster.nodes[0]!.relay.url);
    await client.login(keys, relayOrigin(PUBLIC_URL));
    await client.next("authOk");
    const msgId = new Uint8Array(16).fill(7);
    const frame = {
      type: "send" as const,
      msgId,
      flags: 0,
      ttlSeconds: 0,
      targets: [generateDeviceKeys().sign.publicKey],
      envelope: encoder.encode("during the outage"),
    };
    await cluster.pg.stop();
    try {
      const from = client.frames.length;
      client.send(frame);
      const error = await client.next("error", from);
      expect(error.code).toBe(RelayErrorCode.STORE_UNAVAILABLE);
      expect(error.ref).toEqual(msgId);
      const res = await fetch(`${cluster.nodes[0]!.relay.url.replace(/^ws/, "http")}/healthz`);
      expect(res.status).toBe(503);
      expect(await res.json()).toMatchObject({ store: { kind: "postgres", reachable: false } });
    } finally {
      await cluster.pg.start();
    }
    // The same msgId again, as a device retries: acked once the primary is back.
    await waitFor(async () => {
      const from = client.frames.length;
      client.send(frame);
      const answer = await Promise.race([client.next("ack", from), client.next("error", from)]);
      return answer.type === "ack";
    }, "an ack after PostgreSQL is back");
    client.ws.close();
  });

  it("after a restart of everything (nodes, Redis, PostgreSQL) every queued message is delivered", async () => {
    const sender = await cluster.device(0);
    const keys = Array.from({ length: 10 }, () => generateDeviceKeys().sign);
    sender.client.start();
    await online(sender.client);
    const sent = Array.from({ length: 30 }, (_, i) => `queued-${i}`);
    await Promise.all(
      sent.map((text) =>
        sender.client.send(
          keys.map((k) => k.publicKey),
          encoder.encode(text),
        ),
      ),
    );
    await sender.client.stop();

    for (let i = 0; i < cluster.nodes.length; i++) await cluster.killNode(i);
    await cluster.redis.kill();
    await cluster.pg.stop();
    await cluster.pg.start();
    await cluster.redis.start();
    for (let i = 0; i < cluster.nodes.length; i++) await cluster.restartNode(i);

    const receivers = await Promise.all(keys.map((k, i) => cluster.device(i % 3, {}, k)));
    for (const r of receivers) r.client.start();
    await waitFor(
      () =>
        receivers.every(
          (r) => new Set(r.received.map((d) => decoder.decode(d.envelope))).size === 30,
        ),
      "all 30 at each of 10 receivers",
      30_000,
    );
    for (const r of receivers) {
      expect(new Set(r.received.map((d) => decoder.decode(d.envelope)))).toEqual(new Set(sent));
      await r.client.stop();
    }
  }, 90_000);
});

/** A socket to one node, whatever the load balancer would pick. */
function pinned(index: number) {
  return (url: string) =>
    new WebSocket(
      url.replace(PUBLIC_URL, cluster.nodes[index]!.relay.url),
    ) as unknown as WebSocketLike;
}

interface SignalPeer {
  ws: WebSocket;
  inbox: Record<string, unknown>[];
}

async function signalPeer(url: string): Promise<SignalPeer> {
  const ws = new WebSocket(`${url}/signal`);
  const peer: SignalPeer = { ws, inbox: [] };
  ws.on("message", (data) => peer.inbox.push(JSON.parse(String(data))));
  await new Promise<void>((resolve, reject) => {
    ws.once("open", () => resolve());
    ws.once("error", reject);
  });
  return peer;
}

/** `count` distinct device indexes out of `of`, never `not`. */
function pick(of: number, count: number, not: number): number[] {
  const out = new Set<number>();
  while (out.size < count) {
    const i = Math.floor(Math.random() * of);
    if (i !== not) out.add(i);
  }
  return [...out];
}
