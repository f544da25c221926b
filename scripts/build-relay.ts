/**
 * `npm run build:relay`: compiles the relay to JavaScript for production, so
 * a server runs `node dist/relay/main.js` instead of TypeScript through tsx.
 * Writes dist/relay/:
 *   main.js                  relay/main.ts with our own modules (relay/,
 *                            core/) bundled in
 *   sqlite-worker.js         the SQLite store's worker thread, bundled alike
 *   sqlite-worker-boot.mjs   the worker entry the store starts (next to
 *                            main.js, where `new URL(..., import.meta.url)`
 *                            looks); it loads sqlite-worker.js when present
 * Every npm package stays external and is loaded from node_modules at run
 * time: native ones (better-sqlite3) cannot be bundled, optional ones (ws's
 * bufferutil) must stay optional, pino starts its own worker files, and the
 * cluster's clients (pg, ioredis) are kept out alike. So the output needs the
 * production dependencies installed beside it (`npm prune --omit=dev` after
 * building); test/relay-built.test.ts checks that everything it imports is
 * one of them.
 */
import { copyFileSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build, type Metafile } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface RelayBuild {
  /** Path of main.js. */
  main: string;
  /** What each output file imports. */
  metafile: Metafile;
}

/** Builds the relay into `outdir` (default dist/relay under `root`). */
export async function buildRelay(
  root = ROOT,
  outdir = join(root, "dist", "relay"),
): Promise<RelayBuild> {
  mkdirSync(outdir, { recursive: true });
  const result = await build({
    absWorkingDir: root,
    entryPoints: {
      main: "relay/main.ts",
      "sqlite-worker": "relay/store/sqlite-worker.ts",
    },
    outdir,
    bundle: true,
    packages: "external",
    platform: "node",
    format: "esm",
    target: "node20",
    sourcemap: "linked",
    metafile: true,
    logLevel: "warning",
  });
  copyFileSync(
    join(root, "relay", "store", "sqlite-worker-boot.mjs"),
    join(outdir, "sqlite-worker-boot.mjs"),
  );
  return { main: join(outdir, "main.js"), metafile: result.metafile };
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const { main } = await buildRelay();
  console.log(`Grove relay: built ${main}; run it with \`node ${main}\``);
}
