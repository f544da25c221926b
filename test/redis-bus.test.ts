/**
 * RedisBus against a real redis-server: nodes hear each other but never
 * themselves, a (re)connect subscribes every channel before it asks for a
 * resync, and budgets hold across nodes (each node counts alone while Redis
 * is away).
 */
import { Redis } from "ioredis";
import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { encodeDevicePayload } from "../relay/bus/bus-codec.js";
import { RedisBus } from "../relay/bus/redis-bus.js";
import type { BusHandlers, DeviceEvent } from "../relay/bus/relay-bus.js";
import { type RedisServer, startRedisServer } from "./redis-server.js";
import { waitFor } from "./relay-harness.js";

let redis: RedisServer;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterAll(async () => {
  await redis?.destroy();
});

const log = pino({ level: "silent" });

interface Heard {
  device: [string, DeviceEvent][];
  topic: [string, string][];
  resyncs: number;
}

async function node(name: string): Promise<{ bus: RedisBus; heard: Heard }> {
  const bus = await RedisBus.open({ url: redis.url, log, node: name });
  const heard: Heard = { device: [], topic: [], resyncs: 0 };
  const handlers: BusHandlers = {
    device: (d, e) => heard.device.push([d, e]),
    topic: (t, text) => heard.topic.push([t, text]),
    resync: () => {
      heard.resyncs++;
    },
  };
  bus.setHandlers(handlers);
  return { bus, heard };
}

describe("RedisBus", () => {
  it("a node hears another node's events for its devices and topics, never its own", async () => {
    const a = await node("a");
    const b = await node("b");
    try {
      await b.bus.watchDevice("dev-1");
      b.bus.watchTopic("room");
      await waitFor(async () => {
        a.bus.publishDevice("dev-1", { kind: "connected", at: 1 });
        return b.heard.device.length > 0;
      }, "b subscribed");
      b.bus.publishDevice("dev-1", { kind: "connected", at: 2 });
      a.bus.publishTopic("room", '{"type":"publish","topic":"room"}');
      await waitFor(() => b.heard.topic.length === 1, "the topic message");
      a.bus.publishDevice("dev-1", { kind: "mail", seq: 9 });
      await waitFor(
        () => b.heard.device.some(([, e]) => e.kind === "mail"),
        "the mail hint after it",
      );
      // b's own "connected" never came back to it.
      expect(b.heard.device.every(([, e]) => e.kind !== "connected" || e.at === 1)).toBe(true);
      expect(b.heard.device.at(-1)).toEqual(["dev-1", { kind: "mail", seq: 9 }]);
      expect(a.heard.device).toEqual([]);
    } finally {
      await a.bus.close();
      await b.bus.close();
    }
  });

  it("after Redis comes back, every channel is subscribed before the resync is asked for", async () => {
    const b = await node("b");
    // Another node, as plain as can be: it queues its command until Redis is back.
    const other = new Redis(redis.url, { retryStrategy: () => 50 });
    other.on("error", () => undefined);
    try {
      await b.bus.watchDevice("dev-2");
      const resyncsBefore = b.heard.resyncs;
      await redis.kill();
      await waitFor(async () => !(await b.bus.health()).reachable, "b sees Redis gone");
      b.bus.setHandlers({
        device: (d, e) => b.heard.device.push([d, e]),
        topic: () => undefined,
        resync: () => {
          b.heard.resyncs++;
          // Redis runs this PUBLISH after b's SUBSCRIBE was answered: b must hear it.
          void other.publish(
            `grove:d:${Buffer.from("dev-2", "latin1").toString("hex")}`,
            encodeDevicePayload("other", { kind: "mail", seq: 2 }),
          );
        },
      });
      await redis.start();
      await waitFor(() => b.heard.resyncs > resyncsBefore, "a resync after the reconnect", 20_000);
      await waitFor(
        () => b.heard.device.some(([, e]) => e.kind === "mail" && e.seq === 2),
        "the hint published at the resync",
      );
      expect((await b.bus.health()).reachable).toBe(true);
    } finally {
      other.disconnect();
      await b.bus.close();
    }
  }, 60_000);

  it("a budget holds across nodes, and each node counts alone while Redis is away", async () => {
    const a = await node("a");
    const b = await node("b");
    try {
      const name = `mail-${Date.now()}`;
      const [ba, bb] = [a.bus.budget(name, 3, 3_600_000), b.bus.budget(name, 3, 3_600_000)];
      const taken = [
        await ba.take("k"),
        await bb.take("k"),
        await ba.take("k"),
        await bb.take("k"),
      ];
      expect(taken).toEqual([true, true, true, false]);
      expect(await ba.take("other")).toBe(true);
      await redis.kill();
      expect([
        await ba.take("k"),
        await ba.take("k"),
        await ba.take("k"),
        await ba.take("k"),
      ]).toEqual([true, true, true, false]);
      await redis.start();
    } finally {
      await a.bus.close();
      await b.bus.close();
    }
  }, 30_000);
});
