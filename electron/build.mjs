#!/usr/bin/env node
/**
 * Compiles the shell for Electron, which cannot run TypeScript: bundles
 * electron/main.ts and electron/preload.ts (each with the modules it
 * imports; `electron` stays external) into electron/dist/main.cjs and
 * electron/dist/preload.cjs. A sandboxed preload must be one CommonJS file.
 * scripts/start.mjs and the Electron e2e test call buildShell(); run this
 * file directly to build once (electron-builder packages the output).
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const ROOT = fileURLToPath(new URL("..", import.meta.url));

/** Builds electron/dist and returns the path of main.cjs. */
export async function buildShell(root = ROOT) {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  await build({
    absWorkingDir: root,
    entryPoints: { main: "electron/main.ts", preload: "electron/preload.ts" },
    outdir: "electron/dist",
    outExtension: { ".js": ".cjs" },
    bundle: true,
    platform: "node",
    format: "cjs",
    target: "node22",
    external: ["electron"],
    define: { GROVE_VERSION: JSON.stringify(pkg.version) },
    sourcemap: "linked",
    logLevel: "warning",
  });
  return join(root, "electron", "dist", "main.cjs");
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  console.log(`Grove: built ${await buildShell()}`);
}
