/**
 * Relay throughput and latency, side by side in one run: Grove's relay
 * (durable: SQLite WAL, synchronous=FULL, group commit) against
 * @y/websocket-server (in memory), each in its own process, 1 sender and 20
 * connected receivers, 1 KB payloads. Clients run in this process.
 *
 * Throughput: the sender pushes N messages with a bounded window and we time
 * until every receiver has all N. Latency: a paced phase (RATE msgs/s) where
 * each payload carries its send time; latency = receive time - send time.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { WebSocket } from "ws";
import { WebsocketProvider } from "y-websocket";
import * as Y from "yjs";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import type { Delivery } from "../core/sync/relay-transport.js";
import { device, online, removeDir, startRelayProcess, waitFor } from "../test/relay-harness.js";
import { now, round, summarize } from "./timing.js";

/**
 * CPU time of the server process (all its threads: workers, GC helpers) and
 * of this process (every client), in ms: divided by the deliveries of a
 * phase, a cost per delivery that depends less on what else runs on the
 * machine than a rate does.
 */
function cpuMs(pid: number): { server: number; clients: number } {
  const fields = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]?.split(" ") ?? [];
  const ticks = Number(fields[11]) + Number(fields[12]);
  const own = process.cpuUsage();
  return { server: (ticks * 1000) / CLOCK_TICKS, clients: (own.user + own.system) / 1000 };
}
/** Linux's USER_HZ: /proc counts CPU time in these. */
const CLOCK_TICKS = 100;

function cpuPerDelivery(
  before: { server: number; clients: number },
  pid: number,
  deliveries: number,
) {
  const after = cpuMs(pid);
  return {
    serverUs: round(((after.server - before.server) * 1000) / deliveries, 1),
    clientsUs: round(((after.clients - before.clients) * 1000) / deliveries, 1),
  };
}

const RECEIVERS = 20;
const PAYLOAD = 1024;
/** The shape of one run; `--quick` shrinks it to check the bench itself (it starts, ends, exits). */
let THROUGHPUT_MESSAGES = 2000;
let LATENCY_MESSAGES = 300;
const RATE = 100; // messages per second in the latency phase
const WINDOW = 256;

function stamped(index: number): Uint8Array {
  const bytes = new Uint8Array(PAYLOAD);
  const view = new DataView(bytes.buffer);
  view.setUint32(0, index);
  view.setFloat64(4, now());
  return bytes;
}
const sentAt = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset).getFloat64(4);

async function paced(
  count: number,
  send: (i: number) => unknown,
  rate: number = RATE,
): Promise<void> {
  const start = now();
  const pending: Promise<unknown>[] = [];
  for (let i = 0; i < count; i++) {
    const due = start + (i * 1000) / rate;
    const wait = due - now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(Promise.resolve(send(i)));
  }
  await Promise.all(pending);
}

/** One fan-out run's shape: the default is the `relay` bench's (20 receivers). */
export interface FanOutShape {
  receivers: number;
  throughputMessages: number;
  latencyMessages: number;
  /** Messages per second in the latency phase. */
  rate: number;
  relayArgs?: string[];
  /** Another checkout whose relay to run instead of this one (the "before" of a change). */
  relayRoot?: string;
}

const defaultShape = (): FanOutShape => ({
  receivers: RECEIVERS,
  throughputMessages: THROUGHPUT_MESSAGES,
  latencyMessages: LATENCY_MESSAGES,
  rate: RATE,
});

export async function benchGrove(shape: FanOutShape = defaultShape()) {
  const { receivers: RECEIVERS, throughputMessages: THROUGHPUT_MESSAGES, rate } = shape;
  const LATENCY_MESSAGES = shape.latencyMessages;
  const relay = await startRelayProcess({
    args: shape.relayArgs ?? [],
    ...(shape.relayRoot && { root: shape.relayRoot }),
    // e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof": profiles the relay under the bench's load.
    ...(process.env.GROVE_BENCH_RELAY_NODE_ARGS && {
      nodeArgs: process.env.GROVE_BENCH_RELAY_NODE_ARGS.split(" ").filter(Boolean),
    }),
  });
  try {
    let phase: "throughput" | "latency" = "throughput";
    const latencies: number[] = [];
    const counts = new Array<number>(RECEIVERS).fill(0);
    const receivers = await Promise.all(
      Array.from({ length: RECEIVERS }, (_, r) =>
        device(relay.url, {
          onDeliver: (d: Delivery) => {
            counts[r]!++;
            if (phase === "latency") latencies.push(now() - sentAt(d.envelope));
          },
        }),
      ),
    );
    const sender = await device(relay.url);
    for (const d of [sender, ...receivers]) d.client.start();
    await Promise.all([sender, ...receivers].map((d) => online(d.client)));
    const targets = receivers.map((d) => d.keys.publicKey);

    const cpuStart = cpuMs(relay.proc.pid ?? 0);
    const start = now();
    const inflight = new Set<Promise<void>>();
    for (let i = 0; i < THROUGHPUT_MESSAGES; i++) {
      const p = sender.client.send(targets, stamped(i)).then(() => {
        inflight.delete(p);
      });
      inflight.add(p);
      if (inflight.size >= WINDOW) await Promise.race(inflight);
    }
    await waitFor(
      () => counts.every((c) => c >= THROUGHPUT_MESSAGES),
      "grove throughput deliveries",
      120_000,
    );
    const seconds = (now() - start) / 1000;
    const cpu = cpuPerDelivery(cpuStart, relay.proc.pid ?? 0, THROUGHPUT_MESSAGES * RECEIVERS);

    phase = "latency";
    await paced(LATENCY_MESSAGES, (i) => sender.client.send(targets, stamped(i)), rate);
    await waitFor(
      () => latencies.length >= LATENCY_MESSAGES * RECEIVERS,
      "grove latency deliveries",
      60_000,
    );
    await Promise.all([sender, ...receivers].map((d) => d.client.stop()));
    return {
      durable: true,
      deliveriesPerSec: round((THROUGHPUT_MESSAGES * RECEIVERS) / seconds, 0),
      cpuPerDelivery: cpu,
      latency: summarize(latencies),
    };
  } finally {
    await relay.stop();
    removeDir(relay.dataDir);
  }
}

export async function startPeer(): Promise<{ proc: ChildProcess; port: number }> {
  const proc = spawn(
    process.execPath,
    [new URL("./peers/y-websocket-server.mjs", import.meta.url).pathname],
    {
      stdio: ["ignore", "pipe", "inherit"],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    proc.stdout!.once("data", (chunk: Buffer) => resolve(JSON.parse(chunk.toString()).port));
    proc.once("exit", (code) => reject(new Error(`y-websocket server exited ${code}`)));
  });
  return { proc, port };
}

export async function benchYWebsocket(shape: FanOutShape = defaultShape()) {
  const { receivers: RECEIVERS, throughputMessages: THROUGHPUT_MESSAGES, rate } = shape;
  const LATENCY_MESSAGES = shape.latencyMessages;
  const { proc, port } = await startPeer();
  try {
    const url = `ws://127.0.0.1:${port}`;
    const room = `bench-${generateDeviceKeys().sign.publicKey[0]}`;
    let phase: "throughput" | "latency" = "throughput";
    const latencies: number[] = [];
    const connect = () => {
      const doc = new Y.Doc();
      const provider = new WebsocketProvider(url, room, doc, {
        WebSocketPolyfill: WebSocket as never,
        disableBc: true,
      });
      return { doc, provider, items: doc.getArray<Uint8Array>("messages") };
    };
    const receivers = Array.from({ length: RECEIVERS }, connect);
    for (const r of receivers) {
      r.items.observe((event) => {
        if (phase !== "latency") return;
        for (const delta of event.changes.delta) {
          for (const item of (delta.insert as Uint8Array[] | undefined) ?? [])
            latencies.push(now() - sentAt(item));
        }
      });
    }
    const sender = connect();
    const all = [sender, ...receivers];
    await waitFor(() => all.every((c) => c.provider.synced), "y-websocket clients synced", 30_000);

    const cpuStart = cpuMs(proc.pid ?? 0);
    const start = now();
    for (let i = 0; i < THROUGHPUT_MESSAGES; i++) {
      sender.items.push([stamped(i)]);
      // Yield now and then so the socket writes, as an app's event loop would.
      if (i % WINDOW === WINDOW - 1) await new Promise((r) => setImmediate(r));
    }
    await waitFor(
      () => receivers.every((r) => r.items.length >= THROUGHPUT_MESSAGES),
      "y-websocket throughput",
      120_000,
    );
    const seconds = (now() - start) / 1000;
    const cpu = cpuPerDelivery(cpuStart, proc.pid ?? 0, THROUGHPUT_MESSAGES * RECEIVERS);

    phase = "latency";
    await paced(LATENCY_MESSAGES, (i) => sender.items.push([stamped(i)]), rate);
    await waitFor(
      () => latencies.length >= LATENCY_MESSAGES * RECEIVERS,
      "y-websocket latency",
      60_000,
    );
    for (const c of all) {
      c.provider.destroy();
      // The provider's awareness keeps an interval running until its doc is destroyed.
      c.doc.destroy();
    }
    return {
      durable: false,
      deliveriesPerSec: round((THROUGHPUT_MESSAGES * RECEIVERS) / seconds, 0),
      cpuPerDelivery: cpu,
      latency: summarize(latencies),
    };
  } finally {
    proc.kill("SIGTERM");
  }
}

export async function runRelayBench(options: { quick?: boolean } = {}) {
  if (options.quick) {
    THROUGHPUT_MESSAGES = 200;
    LATENCY_MESSAGES = 30;
  }
  const grove = await benchGrove();
  const yWebsocket = await benchYWebsocket();
  return {
    shape: {
      senders: 1,
      receivers: RECEIVERS,
      payloadBytes: PAYLOAD,
      throughputMessages: THROUGHPUT_MESSAGES,
      latencyMessages: LATENCY_MESSAGES,
      latencyRatePerSec: RATE,
    },
    grove,
    yWebsocketServer: yWebsocket,
    ratioDeliveriesPerSec: round(grove.deliveriesPerSec / yWebsocket.deliveriesPerSec, 2),
    goals: { deliveriesRatioAtLeast: 1, p99MsUnder: 50 },
    notes:
      "Each server in its own process; all 21 clients in the bench process (shared by both runs). Grove acks only after a durable group commit (SQLite WAL, synchronous=FULL); @y/websocket-server keeps the doc in memory.",
  };
}
