/**
 * `npm run soak -- --minutes N`: the relay under attack, with honest users
 * beside the attackers. 20 honest devices exchange envelopes and blobs
 * while hostile clients do everything issue 16 found, all at once (deep
 * /signal JSON, non-reading sockets with 1 MiB envelopes, mailbox floods,
 * key minting, mail and blob abuse, ephemeral floods, malformed frames,
 * socket hoarding). Writes bench/results/soak.json: honest deliveries lost
 * (goal 0), honest delivery p99 (goal < 100 ms), peak relay RSS (goal
 * < 300 MiB), restarts (goal 0), and what the relay refused, by reason.
 *
 *   --minutes N   how long the attack runs (default 3; fractions work: 0.5)
 *   --out <dir>   where soak.json goes (default bench/results/)
 *   --calm        honest devices only: the baseline the attack is compared with
 *   --only a,b    only the attacks whose names start so (to find which one costs what)
 */

import { spawn } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";
import { monitorEventLoopDelay } from "node:perf_hooks";
import { toHex } from "../core/crypto/bytes.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { type RelayProcess, removeDir, startRelayProcess, tempDir } from "../test/relay-harness.js";
import { FROM, TestSmtp } from "../test/smtp-harness.js";
import { HonestTraffic } from "./soak-honest.js";

const MiB = 1024 * 1024;
const HONEST_DEVICES = 20;
const DRAIN_MS = 15_000;

const args = process.argv.slice(2);
const flag = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const minutes = Number(flag("--minutes") ?? 3);
if (!(minutes > 0)) {
  console.error("usage: npm run soak -- [--minutes N] [--out dir]");
  process.exit(2);
}
const outDir = flag("--out") ?? new URL("./results/", import.meta.url).pathname;
const calm = args.includes("--calm");

/**
 * Defaults everywhere but blob storage, scaled down so a soak does not fill
 * the disk of the machine it runs on (the defaults allow 2 GiB per address),
 * with room for what the honest devices store in 30 minutes (~450 MiB).
 */
const RELAY_ARGS = [
  "--blob-quota-per-source-bytes",
  String(64 * MiB),
  "--blob-total-bytes",
  String(1024 * MiB),
];

function rssBytes(pid: number): number {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

/** Prometheus samples of the families that say what was refused. */
function refusals(text: string): Record<string, Record<string, number>> {
  const families: Record<string, Record<string, number>> = {};
  const wanted = ["errors_total", "refusals_total", "mail_total", "handler_failures_total"];
  for (const line of text.split("\n")) {
    const m = /^grove_relay_(\w+)\{(\w+)="([^"]+)"\} (\d+(?:\.\d+)?)$/.exec(line);
    if (!m || !wanted.includes(m[1]!)) continue;
    const value = Number(m[4]);
    if (value === 0) continue;
    families[m[1]!] ??= {};
    families[m[1]!]![m[3]!] = value;
  }
  return families;
}

/** The relay store's group commits: how many, and how long they took on average. */
function storeFigures(text: string) {
  const value = (name: string) =>
    Number(new RegExp(`^grove_relay_${name} (\\S+)$`, "m").exec(text)?.[1] ?? Number.NaN);
  const commits = value("store_commit_seconds_count");
  return {
    commits,
    meanCommitMs: Math.round((value("store_commit_seconds_sum") / commits) * 10_000) / 10,
    meanWritesPerCommit: Math.round((value("store_batch_writes_sum") / commits) * 10) / 10,
  };
}

/** The attackers, in their own process (bench/soak-attacker.ts); stop() returns their counts. */
function startAttacker(url: string, victim: Uint8Array, honest: Uint8Array) {
  const only = flag("--only");
  const child = spawn(
    process.execPath,
    [
      "--import",
      "tsx",
      new URL("./soak-attacker.ts", import.meta.url).pathname,
      url,
      toHex(victim),
      toHex(honest),
      ...(only ? [only] : []),
    ],
    { stdio: ["pipe", "pipe", "inherit"] },
  );
  let out = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    out += chunk.toString();
  });
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return {
    async stop(): Promise<Record<string, number>> {
      child.stdin!.end();
      await exited;
      try {
        return JSON.parse(out.trim().split("\n").at(-1) ?? "{}");
      } catch {
        return {};
      }
    },
  };
}

async function main(): Promise<void> {
  const smtp = await TestSmtp.start();
  const dataDir = tempDir("grove-soak-");
  const relayArgs = [...RELAY_ARGS, "--smtp-url", smtp.url, "--smtp-from", FROM];
  let relay: RelayProcess = await startRelayProcess({ dataDir, args: relayArgs });
  const port = relay.port;
  let restarts = 0;
  let stopping = false;
  const watch = (r: RelayProcess) =>
    r.proc.once("exit", () => {
      if (stopping) return;
      restarts++;
      // Same port and data: honest devices reconnect on their own.
      void startRelayProcess({ dataDir, args: [...relayArgs, "--port", String(port)] }).then(
        (next) => {
          relay = next;
          watch(next);
        },
      );
    });
  watch(relay);

  let peakRss = rssBytes(relay.proc.pid!);
  const startRss = peakRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, rssBytes(relay.proc.pid!));
  }, 250);

  const absent = generateDeviceKeys().sign.publicKey;
  const honest = new HonestTraffic(relay.url, HONEST_DEVICES, absent);
  await honest.start();
  const started = Date.now();
  const attacker = calm ? undefined : startAttacker(relay.url, absent, honest.firstDevice);
  const loopDelay = monitorEventLoopDelay({ resolution: 10 });
  loopDelay.enable();
  console.log(`soak: ${HONEST_DEVICES} honest devices and 13 attackers for ${minutes} min`);
  const timeline: { s: number; rssMiB: number; outboundMiB: number; inboundMiB: number }[] = [];
  const progress = setInterval(() => {
    void fetch(`http://127.0.0.1:${port}/metrics`)
      .then((res) => res.text())
      .then((text) => {
        const gauge = (name: string) =>
          Number(new RegExp(`^grove_relay_${name} (\\S+)$`, "m").exec(text)?.[1] ?? 0) / MiB;
        const point = {
          s: Math.round((Date.now() - started) / 1000),
          rssMiB: Math.round(rssBytes(relay.proc.pid!) / MiB),
          outboundMiB: Math.round(gauge("outbound_buffered_bytes") * 10) / 10,
          inboundMiB: Math.round(gauge("inbound_pending_bytes") * 10) / 10,
        };
        timeline.push(point);
        console.log(`soak: ${JSON.stringify(point)}`);
      })
      .catch(() => undefined);
  }, 10_000);
  await new Promise((r) => setTimeout(r, minutes * 60_000));
  clearInterval(progress);

  loopDelay.disable();
  const attempts = attacker ? await attacker.stop() : {};
  const honestFigures = await honest.stop(DRAIN_MS);
  clearInterval(sampler);
  const metrics = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  stopping = true;
  await relay.kill();
  await smtp.close();
  removeDir(dataDir);

  const result = {
    bench: "soak",
    date: new Date().toISOString(),
    machine: { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length },
    minutes,
    calm,
    relayArgs: RELAY_ARGS,
    /** How late the honest clients' timers ran: latency they add themselves, not the relay. */
    benchEventLoopDelayMs: {
      p50: Math.round(loopDelay.percentile(50) / 1e5) / 10,
      p99: Math.round(loopDelay.percentile(99) / 1e5) / 10,
    },
    honest: honestFigures,
    relay: {
      startRssMiB: Math.round(startRss / MiB),
      peakRssMiB: Math.round(peakRss / MiB),
      restarts,
      mailsAcceptedBySmtp: smtp.received.length,
    },
    store: storeFigures(metrics),
    /** Every 10 s: the relay's RSS and the bytes in flight it counts (the bounded part). */
    timeline,
    hostileAttempts: attempts,
    refusedByReason: refusals(metrics),
    goals: {
      deliveriesLost: { goal: 0, met: honestFigures.deliveriesLost === 0 },
      p99Ms: { goal: "< 100", met: honestFigures.latencyMs.p99 < 100 },
      peakRssMiB: { goal: "< 300", met: peakRss < 300 * MiB },
      restarts: { goal: 0, met: restarts === 0 },
    },
  };
  mkdirSync(outDir, { recursive: true });
  const path = join(outDir, calm ? "soak-calm.json" : "soak.json");
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${path}`);
}

await main();
// Done is done: a handle left open by a client library must not keep the soak alive.
process.exit(0);
