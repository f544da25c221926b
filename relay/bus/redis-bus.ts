/**
 * RelayBus on Redis pub/sub, for several relay nodes. One channel per
 * device a node holds (`grove:d:<hex>`), one per /signal topic a local peer
 * is on (`grove:t:<topic>`); budgets are sliding logs in sorted sets.
 *
 * Redis is a hint channel only. On every (re)connect the node subscribes to
 * all its channels first and only then asks for a resync (re-reading its
 * devices' mailboxes): hints published in between are either heard or found
 * in the store, never both missed (the race of matrix-org/synapse#7427).
 * Publishing while Redis is down fails at once (no offline queue: stale
 * hints are worthless); budgets then fall back to this node's own count.
 */
import { randomUUID } from "node:crypto";
import { Redis } from "ioredis";
import type { Logger } from "pino";
import { WindowLimit } from "../rate-limit.js";
import {
  decodeDevicePayload,
  decodeTopicPayload,
  encodeDevicePayload,
  encodeTopicPayload,
} from "./bus-codec.js";
import type { BusHandlers, BusHealth, DeviceEvent, RelayBus, SharedBudget } from "./relay-bus.js";

const DEVICE = "grove:d:";
const TOPIC = "grove:t:";

/** At most `ARGV[2]` events per key in the last `ARGV[1]` ms, by Redis's clock (one clock for all nodes). */
const TAKE_SCRIPT = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - tonumber(ARGV[1]))
if redis.call('ZCARD', KEYS[1]) >= tonumber(ARGV[2]) then return 0 end
redis.call('ZADD', KEYS[1], now, ARGV[3])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1
`;

export interface RedisBusOptions {
  url: string;
  log: Logger;
  /** Names this node on the bus; a node drops messages carrying its own name. */
  node?: string;
  /** A publish or budget call failed because Redis is unreachable. */
  onFailure?: (what: string) => void;
}

export class RedisBus implements RelayBus {
  readonly kind = "redis";
  readonly node: string;
  private readonly pub: Redis;
  private readonly sub: Redis;
  private readonly channels = new Set<string>();
  private handlers: BusHandlers | undefined;
  private seq = 0;
  private closed = false;
  /** Whether the subscriber was connected and subscribed, for logging changes only. */
  private up = false;

  private constructor(private readonly options: RedisBusOptions) {
    this.node = options.node ?? randomUUID();
    const common = {
      enableOfflineQueue: false,
      autoResubscribe: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 2000,
      // Reconnect for ever, at most every second: Redis coming back must be noticed soon.
      retryStrategy: (times: number) => Math.min(100 * times, 1000),
      lazyConnect: true,
    };
    this.pub = new Redis(options.url, common);
    this.sub = new Redis(options.url, common);
    for (const [name, client] of [
      ["pub", this.pub],
      ["sub", this.sub],
    ] as const) {
      // ioredis reports each failed reconnect; one line per state change is enough.
      client.on("error", (err) => options.log.debug({ err: err.message, client: name }, "redis"));
      client.on("end", () => undefined);
    }
    // One line per change of state, not one per reconnect attempt while Redis is away.
    this.sub.on("close", () => {
      if (this.closed || !this.up) return;
      this.up = false;
      options.log.warn("redis bus disconnected; delivery between nodes falls back to polling");
    });
    this.sub.on("ready", () => void this.resubscribe());
    this.sub.on("message", (channel: string, message: string) => this.onMessage(channel, message));
  }

  /** Connects both clients; starts anyway (on polling) if Redis is not there within `waitMs`. */
  static async open(options: RedisBusOptions, waitMs = 3000): Promise<RedisBus> {
    const bus = new RedisBus(options);
    const ready = (c: Redis) =>
      new Promise<void>((resolve) => {
        // Not there yet: ioredis keeps retrying (retryStrategy) and the relay polls meanwhile.
        c.connect().catch((err: unknown) =>
          options.log.warn({ err: (err as Error).message }, "redis not reachable yet; retrying"),
        );
        if (c.status === "ready") return resolve();
        c.once("ready", () => resolve());
      });
    const timer = new Promise<void>((resolve) => setTimeout(resolve, waitMs).unref());
    await Promise.race([Promise.all([ready(bus.pub), ready(bus.sub)]), timer]);
    if (bus.sub.status !== "ready") options.log.warn("redis bus not reachable yet; polling");
    return bus;
  }

  setHandlers(handlers: BusHandlers): void {
    this.handlers = handlers;
  }

  watchDevice(device: string): Promise<void> {
    return this.watch(DEVICE + hex(device));
  }

  unwatchDevice(device: string): void {
    this.unwatch(DEVICE + hex(device));
  }

  publishDevice(device: string, event: DeviceEvent): void {
    this.publish(DEVICE + hex(device), encodeDevicePayload(this.node, event));
  }

  watchTopic(topic: string): void {
    void this.watch(TOPIC + topic);
  }

  unwatchTopic(topic: string): void {
    this.unwatch(TOPIC + topic);
  }

  publishTopic(topic: string, text: string): void {
    this.publish(TOPIC + topic, encodeTopicPayload(this.node, text));
  }

  budget(name: string, limit: number, windowMs: number): SharedBudget {
    const fallback = new WindowLimit(limit, windowMs);
    return {
      take: async (key) => {
        if (this.pub.status === "ready") {
          try {
            const member = `${this.node}:${++this.seq}`;
            const ok = await this.pub.eval(
              TAKE_SCRIPT,
              1,
              `grove:b:${name}:${key}`,
              windowMs,
              limit,
              member,
            );
            return ok === 1;
          } catch {
            this.options.onFailure?.("budget");
          }
        }
        // Redis down: this node counts alone (a budget briefly per node beats refusing all mail).
        return fallback.take(key);
      },
      prune: () => fallback.prune(),
    };
  }

  async health(): Promise<BusHealth> {
    if (this.pub.status !== "ready" || this.sub.status !== "ready")
      return { kind: "redis", reachable: false };
    try {
      const pong = await Promise.race([
        this.pub.ping(),
        new Promise<string>((resolve) => setTimeout(() => resolve("timeout"), 1000).unref()),
      ]);
      return { kind: "redis", reachable: pong === "PONG" };
    } catch {
      return { kind: "redis", reachable: false };
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.pub.disconnect();
    this.sub.disconnect();
  }

  private async watch(channel: string): Promise<void> {
    this.channels.add(channel);
    if (this.sub.status !== "ready") return; // subscribed with all others once it is
    try {
      await this.sub.subscribe(channel);
    } catch (err) {
      // Lost the connection meanwhile: the ready handler subscribes it again.
      this.options.log.debug({ err: (err as Error).message, channel }, "redis subscribe deferred");
    }
  }

  private unwatch(channel: string): void {
    if (!this.channels.delete(channel)) return;
    // A failed unsubscribe only leaves hints coming for a channel nobody here listens to; a
    // reconnect subscribes to the current channels alone.
    if (this.sub.status === "ready") {
      this.sub
        .unsubscribe(channel)
        .catch((err: unknown) =>
          this.options.log.debug(
            { err: (err as Error).message, channel },
            "redis unsubscribe failed",
          ),
        );
    }
  }

  /** Every (re)connect: all channels first, then the resync that covers what was missed. */
  private async resubscribe(): Promise<void> {
    try {
      if (this.channels.size > 0) await this.sub.subscribe(...this.channels);
      this.up = true;
      this.options.log.info({ channels: this.channels.size }, "redis bus subscribed");
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, "redis bus resubscribe failed");
      return; // the next ready tries again
    }
    this.handlers?.resync();
  }

  private publish(channel: string, payload: string): void {
    if (this.pub.status !== "ready") {
      this.options.onFailure?.("publish");
      return;
    }
    this.pub.publish(channel, payload).catch(() => this.options.onFailure?.("publish"));
  }

  private onMessage(channel: string, raw: string): void {
    try {
      if (channel.startsWith(DEVICE)) {
        const { node, event } = decodeDevicePayload(raw);
        if (node === this.node) return;
        this.handlers?.device(unhex(channel.slice(DEVICE.length)), event);
      } else if (channel.startsWith(TOPIC)) {
        const { node, text } = decodeTopicPayload(raw);
        if (node === this.node) return;
        this.handlers?.topic(channel.slice(TOPIC.length), text);
      }
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message }, "dropped a bus message");
    }
  }
}

/** Device ids are bytesKey strings (one char per byte); channels name them in hex. */
const hex = (key: string) => Buffer.from(key, "latin1").toString("hex");
const unhex = (h: string) => Buffer.from(h, "hex").toString("latin1");
