// Worker entry: the compiled module when there is one, else the TypeScript
// source through tsx (development, tests), which a worker's execArgv cannot
// register on Node 20.
import { existsSync } from "node:fs";

const compiled = new URL("./sqlite-worker.js", import.meta.url);
if (existsSync(compiled)) {
  await import(compiled.href);
} else {
  const { tsImport } = await import("tsx/esm/api");
  await tsImport("./sqlite-worker.ts", import.meta.url);
}
