/**
 * `npm run dist`: installers from a fresh release build. The renderer is
 * always rebuilt without test hooks (an earlier `npm test` leaves a build
 * with them in renderer/dist) and checked, then the shell is bundled, then
 * electron-builder runs with whatever arguments were passed through.
 */
import { spawnSync } from "node:child_process";
import { prepareReleaseRenderer, TestHooksInReleaseError } from "./release-renderer.js";

function run(cmd: string, args: string[]): void {
  const { status } = spawnSync(cmd, args, { stdio: "inherit" });
  if (status !== 0) process.exit(status ?? 1);
}

try {
  await prepareReleaseRenderer();
} catch (err) {
  if (err instanceof TestHooksInReleaseError) {
    console.error(`dist: ${err.message}`);
    process.exit(1);
  }
  throw err;
}
run(process.execPath, ["electron/build.mjs"]);
run("npx", ["electron-builder", ...process.argv.slice(2)]);
