/**
 * Builds the web app once per test run (Vite, production mode, with the test
 * hooks on: `globalThis.groveClient` for the bench) and returns its folder.
 */
import { fileURLToPath } from "node:url";
import { build } from "vite";

const CONFIG = fileURLToPath(new URL("../../renderer/vite.config.ts", import.meta.url));
const OUT = fileURLToPath(new URL("../../renderer/dist", import.meta.url));
let built: Promise<string> | undefined;

export function buildRenderer(): Promise<string> {
  process.env.GROVE_TEST_HOOKS = "1";
  built ??= build({ configFile: CONFIG, logLevel: "error" }).then(() => OUT);
  return built;
}
