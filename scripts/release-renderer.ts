/**
 * The renderer as installers ship it: built by Vite with the test hooks off,
 * whatever GROVE_TEST_HOOKS says in the environment (`npm test` sets it and
 * builds into the same folder), then checked file by file for the hooks.
 */
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "vite";

const CONFIG = fileURLToPath(new URL("../renderer/vite.config.ts", import.meta.url));
export const RENDERER_DIST = fileURLToPath(new URL("../renderer/dist", import.meta.url));

/** What a build with test hooks contains and a release build must not: the client on globalThis. */
const HOOK_MARKERS = ["groveClient"];

export class TestHooksInReleaseError extends Error {
  override readonly name = "TestHooksInReleaseError";
  readonly code = "TEST_HOOKS_IN_RELEASE";
  constructor(readonly files: string[]) {
    super(`renderer files with test hooks, refusing to package them: ${files.join(", ")}`);
  }
}

/** Builds the release renderer into `outDir` (renderer/dist by default). */
export async function buildReleaseRenderer(outDir = RENDERER_DIST): Promise<void> {
  const previous = process.env.GROVE_TEST_HOOKS;
  process.env.GROVE_TEST_HOOKS = "0";
  try {
    await build({ configFile: CONFIG, logLevel: "error", build: { outDir, emptyOutDir: true } });
  } finally {
    if (previous === undefined) delete process.env.GROVE_TEST_HOOKS;
    else process.env.GROVE_TEST_HOOKS = previous;
  }
}

/**
 * Files electron-builder would package from `dir` (everything but source
 * maps, which electron-builder.yml leaves out) that carry a test hook.
 */
export function filesWithTestHooks(dir = RENDERER_DIST): string[] {
  const found: string[] = [];
  for (const entry of readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || entry.name.endsWith(".map")) continue;
    const path = join(entry.parentPath, entry.name);
    const text = readFileSync(path).toString("latin1");
    if (HOOK_MARKERS.some((m) => text.includes(m))) found.push(relative(dir, path));
  }
  return found;
}

/** Builds the release renderer and throws TestHooksInReleaseError if any file still has hooks. */
export async function prepareReleaseRenderer(outDir = RENDERER_DIST): Promise<void> {
  await buildReleaseRenderer(outDir);
  const found = filesWithTestHooks(outDir);
  if (found.length > 0) throw new TestHooksInReleaseError(found);
}
