/**
 * `npm run bench -- staging`: what the embedded relay store costs per send
 * of a 20-target fan-out, in this process, without sockets: CPU per delivery
 * (all threads) and bytes allocated per send (V8's sampling heap profiler,
 * counting objects already collected). Allocation is what the fan-out
 * bench's collector threads pay for; this measures it steadily where the
 * fan-out rate moves with the machine's load.
 *
 * One sender, 20 live targets, 1 KB envelopes, 256 sends unacked at most;
 * each target acks what it was given about every 16 sends, before its row
 * falls due (so nothing but dedupe records and counters is written).
 * With GROVE_BENCH_RELAY_BEFORE=<checkout> that checkout's store runs too,
 * taking turns, in the same run.
 */
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { Session } from "node:inspector/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { EnqueueResult, RelayStore } from "../relay/store/relay-store.js";
import { round } from "./timing.js";

const TARGETS = 20;
const WINDOW = 256;
const RUNS = 3;

type StoreModule = {
  SqliteRelayStore: new (dir: string) => RelayStore;
};

interface HeapNode {
  selfSize: number;
  children: HeapNode[];
}

function sampledBytes(node: HeapNode): number {
  return node.children.reduce((n, c) => n + sampledBytes(c), node.selfSize);
}

async function runOnce(module: StoreModule, sends: number, session: Session) {
  const dir = mkdtempSync(join(tmpdir(), "grove-staging-"));
  const store = new module.SqliteRelayStore(dir);
  const devices = Array.from({ length: TARGETS }, () => new Uint8Array(randomBytes(32)));
  const sender = new Uint8Array(randomBytes(32));
  const msgIds = Array.from({ length: sends }, () => new Uint8Array(randomBytes(16)));
  const quota = { maxMessages: 1e6, maxBytes: 1e12, sourceShareBytes: 1e12 };
  const given: number[][] = devices.map(() => []);
  const inflight = new Set<Promise<unknown>>();
  const ackAll = () => {
    devices.forEach((device, i) => {
      const seqs = given[i]?.splice(0) ?? [];
      if (seqs.length > 0) void store.ack(device, seqs);
    });
  };
  const turn = () => new Promise((resolve) => setImmediate(resolve));
  await session.post("HeapProfiler.startSampling", {
    samplingInterval: 4096,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  });
  const cpu = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < sends; i++) {
    const p = store
      .enqueue(
        {
          sender,
          msgId: msgIds[i] as Uint8Array,
          // As the relay hands them over: fresh copies per send.
          targets: devices.map((d) => d.slice()),
          flags: 0,
          envelope: new Uint8Array(1024),
          expiresAt: Date.now() + 60_000,
          source: "127.0.0.1",
          live: devices.map(() => true),
        },
        quota,
        (result: EnqueueResult) => {
          if (result.status !== "queued") return;
          result.seqs.forEach((s, j) => {
            given[j]?.push(s);
          });
        },
      )
      .then(() => {
        inflight.delete(p);
      });
    inflight.add(p);
    if (i % 16 === 15) {
      await turn();
      ackAll();
    }
    while (inflight.size >= WINDOW) {
      await turn();
      ackAll();
    }
  }
  while (inflight.size > 0) {
    await turn();
    ackAll();
  }
  const ms = performance.now() - started;
  const used = process.cpuUsage(cpu);
  const { profile } = (await session.post("HeapProfiler.stopSampling")) as {
    profile: { head: HeapNode };
  };
  await store.close();
  rmSync(dir, { recursive: true, force: true });
  return {
    sends,
    cpuPerDeliveryUs: round((used.user + used.system) / (sends * TARGETS), 2),
    allocatedPerSendKB: round(sampledBytes(profile.head) / sends / 1024, 1),
    sendsPerSec: round((sends * 1000) / ms, 0),
  };
}

export async function runStagingBench(options: { quick?: boolean } = {}) {
  const sends = options.quick ? 1000 : 10_000;
  const before = process.env.GROVE_BENCH_RELAY_BEFORE;
  const modules: [string, StoreModule][] = [
    ["grove", (await import("../relay/store/sqlite-store.js")) as unknown as StoreModule],
  ];
  if (before) {
    const path = join(before, "relay/store/sqlite-store.ts");
    modules.unshift(["before", (await import(path)) as StoreModule]);
  }
  const session = new Session();
  session.connect();
  const runs: Record<string, Awaited<ReturnType<typeof runOnce>>[]> = {};
  // A first pass unmeasured: both stores compiled and warm before either is timed.
  for (const [, module] of modules) await runOnce(module, Math.min(sends, 1000), session);
  for (let i = 0; i < RUNS; i++) {
    for (const [name, module] of modules) {
      const list = runs[name] ?? [];
      runs[name] = list;
      list.push(await runOnce(module, sends, session));
    }
  }
  session.disconnect();
  const summary = Object.fromEntries(
    Object.entries(runs).map(([name, list]) => [
      name,
      {
        cpuPerDeliveryUs: Math.min(...list.map((r) => r.cpuPerDeliveryUs)),
        allocatedPerSendKB: Math.min(...list.map((r) => r.allocatedPerSendKB)),
        runs: list,
      },
    ]),
  );
  for (const [name, s] of Object.entries(summary))
    console.error(
      `staging ${name}: ${s.cpuPerDeliveryUs} us CPU per delivery, ${s.allocatedPerSendKB} KB allocated per send (best of ${RUNS})`,
    );
  return {
    baseline: before
      ? `the store of ${before} (GROVE_BENCH_RELAY_BEFORE)`
      : "none (set GROVE_BENCH_RELAY_BEFORE)",
    shape: { targets: TARGETS, sends, window: WINDOW, envelopeBytes: 1024 },
    staging: summary,
    goals: [],
    curves: [],
  };
}
