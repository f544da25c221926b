/**
 * The relay as production runs it: built by `npm run build:relay` into
 * dist/relay and started with plain node (no tsx), the way the systemd
 * units in docs/hosting start it.
 */
import { existsSync, readFileSync } from "node:fs";
import { builtinModules } from "node:module";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bytesKey } from "../core/crypto/bytes.js";
import { buildRelay, type RelayBuild } from "../scripts/build-relay.js";
import { seqBytes } from "./fixtures.js";
import {
  device,
  online,
  type RelayProcess,
  removeDir,
  startRelayProcess,
  type TestDevice,
  waitFor,
} from "./relay-harness.js";

const ROOT = new URL("..", import.meta.url).pathname;
const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  dependencies: Record<string, string>;
};

let built: RelayBuild;
const running: RelayProcess[] = [];
const clients: TestDevice[] = [];

beforeAll(async () => {
  built = await buildRelay();
});
afterAll(async () => {
  await Promise.all(clients.map((d) => d.client.stop()));
  for (const relay of running) {
    await relay.kill();
    removeDir(relay.dataDir);
  }
});

/** "@scope/name/sub" -> "@scope/name"; "name/sub" -> "name". */
function packageOf(specifier: string): string {
  const parts = specifier.split("/");
  return specifier.startsWith("@") ? parts.slice(0, 2).join("/") : parts[0]!;
}

describe("the built relay", () => {
  it("is written where the systemd units run it, with its SQLite worker beside it", () => {
    expect(relative(ROOT, built.main)).toBe(join("dist", "relay", "main.js"));
    for (const file of ["sqlite-worker-boot.mjs", "sqlite-worker.js"]) {
      expect(existsSync(join(ROOT, "dist", "relay", file)), file).toBe(true);
    }
  });

  it("imports nothing but Node's built-ins and production dependencies", () => {
    // A production install (`npm prune --omit=dev`) has these and nothing else.
    const builtins = new Set(builtinModules);
    const outside: string[] = [];
    for (const [file, output] of Object.entries(built.metafile.outputs)) {
      for (const imported of output.imports) {
        if (!imported.external) continue;
        const name = imported.path.replace(/^node:/, "");
        if (imported.path.startsWith("node:") || builtins.has(name)) continue;
        if (!(packageOf(imported.path) in pkg.dependencies))
          outside.push(`${file}: ${imported.path}`);
      }
    }
    expect(outside).toEqual([]);
    // The bundling is real: the output imports none of our TypeScript sources.
    const imports = Object.values(built.metafile.outputs).flatMap((o) => o.imports);
    expect(imports.filter((i) => i.path.endsWith(".ts"))).toEqual([]);
  });

  it("runs under plain node: serves /healthz, stores a send for an offline device and delivers it", async () => {
    const relay = await startRelayProcess({ built: built.main });
    running.push(relay);
    // No TypeScript loader in this process: the store's worker can only be the compiled one.
    expect(relay.proc.spawnargs).not.toContain("tsx");

    const health = await fetch(`http://127.0.0.1:${relay.port}/healthz`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe("ok");

    const a = await device(relay.url);
    const b = await device(relay.url);
    clients.push(a, b);
    a.client.start();
    await online(a.client);
    const envelope = seqBytes(256, 9);
    await a.client.send([b.keys.publicKey], envelope);
    b.client.start();
    await waitFor(() => b.received.length >= 1, "the queued envelope reaches b");
    expect(b.received[0]!.envelope).toEqual(envelope);
    expect(bytesKey(b.received[0]!.sender)).toBe(bytesKey(a.keys.publicKey));

    await Promise.all([a.client.stop(), b.client.stop()]);
    // SIGTERM is a graceful stop: the process commits, closes and exits 0.
    expect(await relay.stop()).toBe(0);
  });
});
