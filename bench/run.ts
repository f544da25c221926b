/**
 * `npm run bench -- <name>`: runs one benchmark and writes
 * bench/results/<name>.json. Benchmarks measure Grove side by side with the
 * baseline they name, in the same process and run.
 */
import { writeFileSync } from "node:fs";
import { cpus } from "node:os";

const benches: Record<string, () => Promise<Record<string, unknown>>> = {
  crypto: async () => (await import("./crypto.js")).runCryptoBench(),
  relay: async () => (await import("./relay.js")).runRelayBench(),
  sync: async () => (await import("./sync.js")).runSyncBench(),
  app: async () => (await import("./app.js")).runAppBench(),
};

const names = process.argv.slice(2).filter((a) => !a.startsWith("-"));
if (names.length === 0 || names.some((n) => !benches[n])) {
  console.error(`usage: npm run bench -- <${Object.keys(benches).join("|")}> [...]`);
  process.exit(2);
}
for (const name of names) {
  const figures = await benches[name]!();
  const result = {
    bench: name,
    date: new Date().toISOString(),
    machine: { node: process.version, cpu: cpus()[0]?.model, cores: cpus().length },
    ...figures,
  };
  const path = new URL(`./results/${name}.json`, import.meta.url);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${path.pathname}`);
}
