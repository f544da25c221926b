/**
 * The Chromium part of `npm run bench -- sync` alone (catch-up of 10,000
 * envelopes over IndexedDB beside raw Yjs in the page), for working on it:
 * `npx tsx bench/catchup-chromium.ts [runs]`, with GROVE_BENCH_SYNC_BEFORE
 * and GROVE_BENCH_CATCHUP_TIMELINE as in the full bench. Prints the figures;
 * writes nothing (the published figure is the full bench's).
 */
import { ed25519 } from "../core/crypto/ed25519.js";
import { authorDeltas, catchUpInput } from "./sync.js";
import { browserCatchUp } from "./sync-paths.js";

const runs = Number(process.argv[2] ?? 3);
const deltas = await authorDeltas(await ed25519());
const figures = await browserCatchUp(
  catchUpInput(deltas),
  runs,
  process.env.GROVE_BENCH_SYNC_BEFORE,
);
console.log(JSON.stringify(figures, null, 1));
process.exit(0);
