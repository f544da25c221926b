/**
 * Issue 16, finding 10: `npm run bench -- relay` used to write its results
 * and never exit (y-websocket's awareness intervals outlived the bench).
 * The quick shape runs the same code end to end.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expect, it } from "vitest";

const ROOT = new URL("..", import.meta.url).pathname;

it("the relay bench exits once its results are written", async () => {
  const out = mkdtempSync(join(tmpdir(), "grove-bench-"));
  try {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "bench/run.ts", "relay", "--quick", "--out", out],
      { cwd: ROOT, stdio: "ignore" },
    );
    const code = await new Promise<number | null>((resolve) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        resolve(-1);
      }, 45_000);
      child.once("exit", (c) => {
        clearTimeout(timer);
        resolve(c);
      });
    });
    expect(code).toBe(0);
    expect(existsSync(join(out, "relay.json"))).toBe(true);
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}, 60_000);
