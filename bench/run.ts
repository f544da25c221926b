/**
 * `npm run bench -- <name>`: runs one benchmark and writes
 * bench/results/<name>.json. Benchmarks measure Grove side by side with the
 * baseline they name, in the same process and run. The process exits once
 * the results are written, whatever timers a library left behind.
 *
 *   --quick          a small shape, to check a bench runs and ends (relay, cluster, curves, link)
 *   --out <dir>      write results there instead of bench/results/
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus } from "node:os";
import { join } from "node:path";

const args = process.argv.slice(2);
const quick = args.includes("--quick");
const outAt = args.indexOf("--out");
const outDir = outAt >= 0 ? args[outAt + 1] : undefined;

const benches: Record<string, () => Promise<Record<string, unknown>>> = {
  crypto: async () => (await import("./crypto.js")).runCryptoBench(),
  relay: async () => (await import("./relay.js")).runRelayBench({ quick }),
  sync: async () => (await import("./sync.js")).runSyncBench(),
  app: async () => (await import("./app.js")).runAppBench(),
  cluster: async () => (await import("./cluster.js")).runClusterBench({ quick }),
  notes: async () => (await import("./notes.js")).runNotesBench(),
  catchup: async () => (await import("./catchup.js")).runCatchUpBench({ quick }),
  fanout: async () => (await import("./fanout.js")).runFanOutBench({ quick }),
  staging: async () => (await import("./staging.js")).runStagingBench({ quick }),
  idle: async () => (await import("./fanout.js")).runIdleBench({ quick }),
  membership: async () => (await import("./membership.js")).runMembershipBench({ quick }),
  mesh: async () => (await import("./mesh.js")).runMeshBench({ quick }),
  launch: async () => (await import("./launch.js")).runLaunchBench({ quick }),
  link: async () => (await import("./link.js")).runLinkBench({ quick }),
};

const names = args.filter((a, i) => !a.startsWith("-") && (outAt < 0 || i !== outAt + 1));
if (names[0] === "report") {
  // Not a measurement: draws bench/report.html and the charts from the results there are.
  const { renderReport } = await import("./report.js");
  console.log(JSON.stringify(await renderReport(outDir ? { out: outDir } : {}), null, 2));
  process.exit(0);
}
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
  const dir = outDir ?? new URL("./results/", import.meta.url).pathname;
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${name}.json`);
  writeFileSync(path, `${JSON.stringify(result, null, 2)}\n`);
  console.log(JSON.stringify(result, null, 2));
  console.log(`wrote ${path}`);
}
// Done is done: a handle some library forgot (an interval, a socket) must not keep CI waiting.
process.exit(0);
