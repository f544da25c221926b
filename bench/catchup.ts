/**
 * `npm run bench -- catchup`: catch-up time against missed deltas (1,000,
 * 10,000, 100,000), Grove beside raw Yjs in the same run.
 *
 * The deltas are the sync bench's mixed edits (chat, tasks, typing) by three
 * authors. A fresh Space takes them through `receive` in batches of 1,024,
 * handed over as the SyncEngine hands relay deliveries over, until it holds
 * what the authors hold (checked; a run that did not converge throws):
 *   - memory: EncryptedStore over a Map (records sealed at rest, no disk);
 *   - file: EncryptedStore over FileStore (fsync per record);
 *   - chromium: EncryptedStore over IndexedDB in Chromium, raw Yjs in the same page.
 * Raw Yjs applies the same plaintext updates into a fresh Y.Doc, one
 * `applyUpdate` each (unbatched), and inside one transaction per 1,024
 * (batched). Raw and Grove runs alternate, best of 3 each, every run kept.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ed25519 } from "../core/crypto/ed25519.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import { best, curve, type Goal, type Point } from "./curve.js";
import { MemoryStore } from "./memory-store.js";
import { authorDeltas, catchUpInput, type Deltas, rawApply, receiveAll } from "./sync.js";
import { browserCatchUp } from "./sync-paths.js";
import { round } from "./timing.js";

const STORAGE_KEY = new Uint8Array(32).fill(9);
const BATCH = 1024;
const GOAL_RATIO = 2;

async function onFiles(deltas: Deltas, backend: Awaited<ReturnType<typeof ed25519>>) {
  const dir = await mkdtemp(join(tmpdir(), "grove-bench-catchup-"));
  try {
    return await receiveAll(
      deltas,
      backend,
      new EncryptedStore(await FileStore.open(dir), STORAGE_KEY),
    );
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function runCatchUpBench(options: { quick?: boolean } = {}) {
  const sizes = options.quick ? [300, 1000] : [1000, 10_000, 100_000];
  const backend = await ed25519();
  const series = {
    raw: [] as Point[],
    rawBatched: [] as Point[],
    memory: [] as Point[],
    file: [] as Point[],
    chromium: [] as Point[],
    chromiumRaw: [] as Point[],
  };
  const ratios: Record<string, Record<string, number>> = {};
  for (const n of sizes) {
    const deltas = await authorDeltas(backend, n);
    // Warm-up (JIT) of both paths, not measured.
    rawApply(deltas);
    await receiveAll(deltas, backend, new MemoryStore());
    const runs = {
      raw: [] as number[],
      rawBatched: [] as number[],
      memory: [] as number[],
      file: [] as number[],
    };
    for (let r = 0; r < 3; r++) {
      runs.raw.push(rawApply(deltas));
      runs.rawBatched.push(rawApply(deltas, true));
      runs.memory.push(
        await receiveAll(deltas, backend, new EncryptedStore(new MemoryStore(), STORAGE_KEY)),
      );
      runs.file.push(await onFiles(deltas, backend));
    }
    for (const k of Object.keys(runs) as (keyof typeof runs)[]) series[k].push(best(n, runs[k]));
    const chromium = await browserCatchUp(catchUpInput(deltas), n >= 100_000 ? 2 : 3);
    series.chromium.push(best(n, chromium.groveMsEach));
    series.chromiumRaw.push(best(n, chromium.rawMsEach));
    const raw = Math.min(...runs.raw);
    ratios[String(n)] = {
      memory: round(Math.min(...runs.memory) / raw, 2),
      file: round(Math.min(...runs.file) / raw, 2),
      memoryToBatched: round(Math.min(...runs.memory) / Math.min(...runs.rawBatched), 2),
      fileToBatched: round(Math.min(...runs.file) / Math.min(...runs.rawBatched), 2),
      chromium: chromium.ratioToRaw,
    };
    console.error(`catch-up ${n}: ${JSON.stringify(ratios[String(n)])}`);
  }
  const at10k = ratios["10000"];
  const goals: Goal[] = at10k
    ? (["memory", "file", "chromium"] as const).map((k) => ({
        goal: `Catch-up of 10,000 deltas within ${GOAL_RATIO}x raw Yjs (unbatched), ${k}`,
        figure: `${at10k[k]}x${k === "chromium" ? "" : ` (${at10k[`${k}ToBatched` as "memoryToBatched"]}x raw batched)`}`,
        met: at10k[k]! <= GOAL_RATIO,
        limits: "2 cores shared with other work: best of 3, raw and Grove runs alternated",
      }))
    : [];
  return {
    baseline:
      "Yjs applying the same plaintext updates into a fresh Y.Doc (unbatched, and batched per 1,024)",
    batch: BATCH,
    ratioToRaw: ratios,
    goals,
    curves: [
      curve({
        id: "catchup",
        title: "Catch-up time against missed deltas",
        x: { label: "missed deltas", log: true },
        y: { label: "ms (best of 3)", log: true },
        series: [
          { name: "raw Yjs, unbatched (Node)", baseline: true, points: series.raw },
          { name: "raw Yjs, batched (Node)", baseline: true, points: series.rawBatched },
          { name: "Grove, sealed store in memory", points: series.memory },
          { name: "Grove, sealed store on files", points: series.file },
          { name: "raw Yjs, unbatched (Chromium)", baseline: true, points: series.chromiumRaw },
          { name: "Grove, IndexedDB (Chromium)", points: series.chromium },
        ],
        note: "Grove verifies (hash chain, one signature per author run), decrypts, applies and logs every delta; raw Yjs only applies.",
      }),
    ],
  };
}
