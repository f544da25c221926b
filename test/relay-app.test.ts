/**
 * The relay serving the web app (--app-dir): its files under /app/ with the
 * app's CSP, client routes answered with index.html, nothing outside the
 * folder, the join page pointing at /app/, and a clear refusal to start
 * without a built app.
 */
import { spawnSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { APP_CSP } from "../relay/app-files.js";
import { type RelayProcess, removeDir, startRelayProcess, tempDir } from "./relay-harness.js";

const ROOT = new URL("..", import.meta.url).pathname;
const cleanup: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0)) await c();
});

function builtApp(): string {
  const dir = tempDir("grove-app-");
  mkdirSync(join(dir, "assets"));
  writeFileSync(join(dir, "index.html"), "<!doctype html><title>Grove</title>");
  writeFileSync(join(dir, "assets", "index-abc.js"), "console.log('app')");
  cleanup.push(() => removeDir(dir));
  return dir;
}

async function relayWithApp(): Promise<RelayProcess> {
  const relay = await startRelayProcess({ args: ["--app-dir", builtApp()] });
  cleanup.push(async () => {
    await relay.kill();
    removeDir(relay.dataDir);
  });
  return relay;
}

describe("the relay serving the app", () => {
  it("serves the app's files with its CSP and index.html for client routes", async () => {
    const relay = await relayWithApp();
    const base = `http://127.0.0.1:${relay.port}`;
    const page = await fetch(`${base}/app/`);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-security-policy")).toBe(APP_CSP);
    expect(page.headers.get("x-frame-options")).toBe("DENY");
    expect(await page.text()).toContain("<title>Grove</title>");
    const asset = await fetch(`${base}/app/assets/index-abc.js`);
    expect(asset.headers.get("cache-control")).toContain("immutable");
    expect(await (await fetch(`${base}/app/join`)).text()).toContain("<title>Grove</title>");
    const bare = await fetch(`${base}/app`, { redirect: "manual" });
    expect([bare.status, bare.headers.get("location")]).toEqual([308, "/app/"]);
    // Nothing outside the folder, however the path is spelled.
    for (const path of [
      "/app/../package.json",
      "/app/%2e%2e/package.json",
      "/app/..%2fpackage.json",
    ]) {
      const res = await fetch(`${base}${path}`);
      expect(await res.text()).not.toContain('"name": "grove"');
    }
    expect(APP_CSP).toContain("script-src 'self' 'wasm-unsafe-eval';");
    expect(APP_CSP).not.toMatch(/'unsafe-inline'|'unsafe-eval'/);
  });

  it("links its join page to its own /app/", async () => {
    const relay = await relayWithApp();
    const html = await (await fetch(`http://127.0.0.1:${relay.port}/join`)).text();
    expect(html).toContain(`"http://127.0.0.1:${relay.port}/app/join"`);
  });

  it("refuses to start with an app folder that holds no built app", () => {
    const empty = tempDir("grove-noapp-");
    const data = tempDir("grove-noapp-data-");
    cleanup.push(() => removeDir(empty));
    cleanup.push(() => removeDir(data));
    const run = spawnSync(
      process.execPath,
      [
        "--import",
        "tsx",
        join(ROOT, "relay/main.ts"),
        ...["--port", "0", "--data", data, "--app-dir", empty],
      ],
      { cwd: ROOT, encoding: "utf8", timeout: 20_000 },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("holds no index.html");
  });
});
