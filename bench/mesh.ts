/**
 * `npm run bench -- mesh`: members typing at once over direct links, 2, 4
 * and 8 members. Each member types keystrokes into the space's notes at
 * about 8 a second for a few seconds (batched into envelopes as `Space.type`
 * batches them), every device linked to every other (in-process links
 * standing in for WebRTC) and to a real relay. Measured while they type and
 * until every doc holds every keystroke:
 *   - CPU per member: this process's CPU time (all members run in it, the
 *     relay apart) over the wall time, divided by members, in % of a core;
 *   - bytes per edit: bytes every device pushed (direct and relay) per
 *     keystroke typed.
 * Baseline in the same run: a plaintext y-webrtc-style mesh of Y.Docs, each
 * update sent to every other member and applied there (bytes: update sizes
 * times peers; CPU: those applies, timed).
 */
import * as Y from "yjs";
import { fromHex } from "../core/crypto/bytes.js";
import { LoopbackHub } from "../test/loopback-mesh.js";
import { removeDir, startRelayProcess, waitFor } from "../test/relay-harness.js";
import { openLinked, spaceFor, type TestDevice } from "../test/sync-harness.js";
import { curve, type Goal, type Point } from "./curve.js";
import { now, round } from "./timing.js";

const STROKES = 40;
const STROKE_EVERY_MS = 125;

function sentBytes(d: TestDevice): number {
  const direct = d.engine.directTransport(fromHex(d.space.id))?.bytesSent ?? 0;
  return direct + (d.engine.relay?.bytesSent ?? 0);
}

async function typing(relayUrl: string, members: number) {
  const fixture = spaceFor(members);
  // The app's own timings (the test harness shortens them): typing sealed after 300 ms idle
  // or 1 s at most, gaps asked for after 2 s.
  const devices = await openLinked(
    fixture,
    members,
    new LoopbackHub(),
    () => relayUrl,
    () => ({
      gapTimeoutMs: 2000,
      space: { batchMs: 300, maxBatchMs: 1000 },
    }),
  );
  const updates: Uint8Array[] = [];
  try {
    // Greetings settled first, so only the typing is counted.
    await new Promise((r) => setTimeout(r, 500));
    for (const d of devices) {
      d.space.doc.on("update", (u: Uint8Array, origin: unknown) => {
        if (typeof origin !== "symbol") updates.push(u);
      });
    }
    const before = devices.map(sentBytes);
    const cpu0 = process.cpuUsage();
    const start = now();
    await Promise.all(
      devices.map(async (d, m) => {
        for (let k = 0; k < STROKES; k++) {
          d.space.type((doc) => doc.getText("notes").insert(0, String.fromCharCode(97 + m)));
          await new Promise((r) => setTimeout(r, STROKE_EVERY_MS));
        }
        await d.space.flush();
      }),
    );
    const total = STROKES * members;
    await waitFor(
      () => devices.every((d) => d.space.doc.getText("notes").length === total),
      "every keystroke everywhere",
      60_000,
    );
    const wallMs = now() - start;
    const cpu = process.cpuUsage(cpu0);
    const bytes = devices.reduce((n, d, i) => n + sentBytes(d) - before[i]!, 0);
    // Baseline: the same local updates, each sent to and applied by every other member.
    const docs = Array.from({ length: members - 1 }, () => new Y.Doc());
    const applyStart = now();
    for (const u of updates) for (const doc of docs) Y.applyUpdate(doc, u);
    const applyMs = now() - applyStart;
    const baselineBytes = updates.reduce((n, u) => n + u.length, 0) * (members - 1);
    return {
      members,
      keystrokes: total,
      wallMs: round(wallMs, 0),
      cpuPerMemberPct: round(((cpu.user + cpu.system) / 1000 / wallMs / members) * 100, 2),
      bytesPerEdit: round(bytes / total, 1),
      baseline: {
        bytesPerEdit: round(baselineBytes / total, 1),
        cpuPerMemberPct: round((applyMs / wallMs / members) * 100, 3),
      },
    };
  } finally {
    for (const d of devices) {
      await d.stop();
      d.remove();
    }
  }
}

export async function runMeshBench(options: { quick?: boolean } = {}) {
  const sizes = options.quick ? [2, 3] : [2, 4, 8];
  const relay = await startRelayProcess();
  const rows: Awaited<ReturnType<typeof typing>>[] = [];
  try {
    for (const n of sizes) {
      const row = await typing(relay.url, n);
      rows.push(row);
      console.error(`mesh ${n}: ${JSON.stringify(row)}`);
    }
  } finally {
    await relay.stop();
    removeDir(relay.dataDir);
  }
  const pts = (f: (r: (typeof rows)[number]) => number): Point[] =>
    rows.map((r) => ({ x: r.members, y: f(r) }));
  const goals: Goal[] = [];
  return {
    baseline:
      "plaintext mesh of Y.Docs: each update to every other member (bytes), applied there (CPU)",
    shape: { strokesPerMember: STROKES, strokeEveryMs: STROKE_EVERY_MS },
    rows,
    goals,
    curves: [
      curve({
        id: "mesh-cpu",
        title: "Direct mesh: CPU per member with members typing at once",
        x: { label: "members typing" },
        y: { label: "% of one core per member" },
        series: [
          {
            name: "plaintext Yjs mesh (applies only)",
            baseline: true,
            points: pts((r) => r.baseline.cpuPerMemberPct),
          },
          {
            name: "Grove (seal, sign, verify, open, log, send)",
            points: pts((r) => r.cpuPerMemberPct),
          },
        ],
        note: "All members in one Node process (the relay apart); 2 cores shared with other work.",
      }),
      curve({
        id: "mesh-bytes",
        title: "Direct mesh: bytes sent per keystroke",
        x: { label: "members typing" },
        y: { label: "bytes per keystroke (all devices)" },
        series: [
          {
            name: "plaintext Yjs mesh",
            baseline: true,
            points: pts((r) => r.baseline.bytesPerEdit),
          },
          { name: "Grove (direct and relay)", points: pts((r) => r.bytesPerEdit) },
        ],
      }),
    ],
  };
}
