/**
 * The honest side of the soak: devices (each from its own loopback address,
 * as people are) exchanging envelopes through the relay and sharing blobs,
 * with every delivery checked off and timed. An absent member whose mailbox
 * the attackers fill is among the targets, as in a real space.
 */
import { createHash } from "node:crypto";
import { WebSocket } from "ws";
import { bytesKey } from "../core/crypto/bytes.js";
import { randomBytes } from "../core/crypto/random.js";
import type { WebSocketLike } from "../core/sync/websocket.js";
import { device, online, type TestDevice } from "../test/relay-harness.js";

export interface HonestFigures {
  devices: number;
  sends: number;
  expectedDeliveries: number;
  deliveriesLost: number;
  latencyMs: { samples: number; p50: number; p99: number; max: number };
  /** p99 latency in each 10-second window of the run: spikes in time, not just in total. */
  p99ByWindowMs: number[];
  blobs: { put: number; fetched: number; failed: number };
  /** Sends that listed the absent member as full: answered at once, delivered to the rest. */
  sendsWithFullTarget: number;
}

const PAYLOAD_BYTES = [1024, 4096, 16 * 1024];
const SEND_EVERY_MS = 500;
const BLOB_EVERY_MS = 5000;
const BLOB_BYTES = 64 * 1024;

function connectFrom(localAddress: string) {
  return (url: string) => new WebSocket(url, { localAddress }) as unknown as WebSocketLike;
}

export class HonestTraffic {
  private readonly devices: TestDevice[] = [];
  private readonly expected = new Map<string, Set<string>>();
  private readonly latencies: number[] = [];
  private readonly receivedAt: number[] = [];
  private readonly startedAt = performance.now();
  private readonly timers: NodeJS.Timeout[] = [];
  private sends = 0;
  private fullSeen = 0;
  private readonly blobs = { put: 0, fetched: 0, failed: 0 };
  private sequence = 0;

  constructor(
    private readonly url: string,
    private readonly count: number,
    /** A member who is never online: the attackers fill its mailbox. */
    private readonly absent: Uint8Array,
  ) {}

  async start(): Promise<void> {
    for (let i = 0; i < this.count; i++) {
      const address = `127.0.1.${i + 1}`;
      const index = i;
      const d = await device(this.url, {
        connect: connectFrom(address),
        onDeliver: (delivery) => this.received(index, delivery.msgId, delivery.envelope),
      });
      this.devices.push(d);
      d.client.on("fullTargets", (t) => {
        if (t.length > 0) this.fullSeen++;
      });
      d.client.start();
    }
    await Promise.all(this.devices.map((d) => online(d.client)));
    this.devices.forEach((d, i) => {
      // Staggered, so the twenty do not send in lockstep.
      const jitter = (i * SEND_EVERY_MS) / this.count;
      this.timers.push(
        setTimeout(() => {
          this.timers.push(setInterval(() => this.sendOne(i), SEND_EVERY_MS));
          this.timers.push(setInterval(() => void this.blobRound(i), BLOB_EVERY_MS));
        }, jitter),
      );
    });
  }

  /** The device ephemeral floods aim at. */
  get firstDevice(): Uint8Array {
    return this.devices[0]!.keys.publicKey;
  }

  async stop(drainMs: number): Promise<HonestFigures> {
    for (const t of this.timers) clearTimeout(t);
    // Whatever is in flight gets its chance to arrive.
    const deadline = performance.now() + drainMs;
    while (this.missing() > 0 && performance.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
    }
    const figures = this.figures();
    await Promise.all(this.devices.map((d) => d.client.stop()));
    return figures;
  }

  private sendOne(from: number): void {
    const others = this.devices.map((_, i) => i).filter((i) => i !== from);
    const picked = shuffle(others).slice(0, 3 + (this.sequence % 3));
    const size = PAYLOAD_BYTES[this.sequence % PAYLOAD_BYTES.length]!;
    const envelope = randomBytes(size);
    const msgTag = randomBytes(16);
    envelope.set(msgTag, 0);
    new DataView(envelope.buffer).setFloat64(16, performance.now());
    const targets = picked.map((i) => this.devices[i]!.keys.publicKey);
    // One send in five also names the absent member, whose mailbox is being flooded.
    if (this.sequence++ % 5 === 0) targets.push(this.absent);
    this.expected.set(bytesKey(msgTag), new Set(picked.map(String)));
    this.sends++;
    void this.devices[from]!.client.send(targets, envelope).catch(() => undefined);
  }

  private received(receiver: number, _msgId: Uint8Array, envelope: Uint8Array): void {
    if (envelope.length < 24) return;
    const tag = bytesKey(envelope.subarray(0, 16));
    const waiting = this.expected.get(tag);
    if (!waiting?.delete(String(receiver))) return; // a redelivery
    const sentAt = new DataView(envelope.buffer, envelope.byteOffset).getFloat64(16);
    this.latencies.push(performance.now() - sentAt);
    this.receivedAt.push(performance.now());
  }

  private async blobRound(from: number): Promise<void> {
    const data = randomBytes(BLOB_BYTES);
    const hash = new Uint8Array(createHash("sha256").update(data).digest());
    const fetcher = this.devices[(from + 1) % this.devices.length]!;
    try {
      await this.devices[from]!.client.putBlob(hash, data);
      this.blobs.put++;
      const back = await fetcher.client.getBlob(hash);
      if (back.length === data.length) this.blobs.fetched++;
    } catch {
      this.blobs.failed++;
    }
  }

  private windows(ms: number): number[][] {
    const out: number[][] = [];
    this.latencies.forEach((latency, i) => {
      const w = Math.floor((this.receivedAt[i]! - this.startedAt) / ms);
      if (!out[w]) out[w] = [];
      out[w].push(latency);
    });
    return [...out].map((w) => w ?? []);
  }

  private missing(): number {
    let n = 0;
    for (const waiting of this.expected.values()) n += waiting.size;
    return n;
  }

  private figures(): HonestFigures {
    const sorted = [...this.latencies].sort((a, b) => a - b);
    const at = (p: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] ?? 0;
    const round = (x: number) => Math.round(x * 10) / 10;
    let expected = 0;
    for (const waiting of this.expected.values()) expected += waiting.size;
    return {
      devices: this.count,
      sends: this.sends,
      expectedDeliveries: expected + this.latencies.length,
      deliveriesLost: this.missing(),
      latencyMs: {
        samples: sorted.length,
        p50: round(at(0.5)),
        p99: round(at(0.99)),
        max: round(sorted.at(-1) ?? 0),
      },
      p99ByWindowMs: this.windows(10_000).map((w) => {
        const sortedW = w.sort((a, b) => a - b);
        return round(sortedW[Math.min(sortedW.length - 1, Math.floor(0.99 * sortedW.length))] ?? 0);
      }),
      blobs: this.blobs,
      sendsWithFullTarget: this.fullSeen,
    };
  }
}

function shuffle<T>(items: T[]): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
