/**
 * A real PostgreSQL for tests: Debian's server binaries, a fresh data
 * directory in /tmp, a port chosen at run time, loopback only. PostgreSQL
 * refuses to run as root, so as root it runs as `nobody` (the data
 * directory is handed to that user). Stop it with `stop()` (immediate
 * shutdown: no checkpoint, so a restart replays the WAL as after a crash).
 */

import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./free-port.js";

export interface PgServer {
  port: number;
  /** postgres://… of the `postgres` database as the superuser `grove`. */
  url: string;
  /** A new, empty database; its URL. */
  createDatabase(name: string): Promise<string>;
  /** Crash-like stop (SIGQUIT: immediate shutdown), waiting for the port to close. */
  stop(): Promise<void>;
  /** Starts again on the same data directory and port. */
  start(): Promise<void>;
  /** Stops and deletes the data directory. */
  destroy(): Promise<void>;
  readonly logs: string[];
}

export function postgresBinDir(): string | undefined {
  const root = "/usr/lib/postgresql";
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root)
    .filter((v) => existsSync(join(root, v, "bin", "postgres")))
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], "bin") : undefined;
}

const asRoot = () => process.getuid?.() === 0;

/** Runs a binary as the unprivileged user when we are root. */
function command(bin: string, args: string[]): [string, string[]] {
  return asRoot()
    ? ["setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", "--", bin, ...args]]
    : [bin, args];
}

export async function startPgServer(): Promise<PgServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql");
  const dir = mkdtempSync(join(tmpdir(), "grove-pg-"));
  const data = join(dir, "data");
  if (asRoot()) {
    chownSync(dir, 65534, 65534);
    chmodSync(dir, 0o700);
  }
  const [initCmd, initArgs] = command(join(bin, "initdb"), [
    "-D",
    data,
    "-U",
    "grove",
    "--auth=trust",
    "--no-sync",
    "-E",
    "UTF8",
    "--locale=C",
  ]);
  execFileSync(initCmd, initArgs, { stdio: "pipe" });
  const port = await freePort();
  const logs: string[] = [];
  let proc: ChildProcess | undefined;
  let exited: Promise<void> = Promise.resolve();

  async function start(): Promise<void> {
    const [cmd, args] = command(join(bin!, "postgres"), [
      "-D",
      data,
      "-p",
      String(port),
      "-k",
      dir,
      "-c",
      "listen_addresses=127.0.0.1",
      "-c",
      "max_connections=200",
      "-c",
      "shared_buffers=32MB",
      // Durable as in production: every commit is flushed before it is acknowledged.
      "-c",
      "fsync=on",
      "-c",
      "synchronous_commit=on",
    ]);
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    proc = child;
    exited = new Promise((resolve) => child.once("exit", () => resolve()));
    const keep = (chunk: Buffer) => {
      logs.push(chunk.toString());
      if (logs.length > 200) logs.shift();
    };
    child.stdout!.on("data", keep);
    child.stderr!.on("data", keep);
    const deadline = Date.now() + 30_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`postgres exited:\n${logs.join("")}`);
      const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 1000 });
      try {
        await client.connect();
        await client.query("SELECT 1");
        await client.end();
        return;
      } catch {
        await client.end().catch(() => undefined);
      }
      if (Date.now() > deadline) {
        child.kill("SIGKILL");
        throw new Error(`postgres did not accept connections:\n${logs.join("")}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const url = `postgres://grove@127.0.0.1:${port}/postgres`;
  await start();
  let created = 0;
  return {
    port,
    url,
    logs,
    start,
    async createDatabase(name) {
      const db = `${name}_${++created}`;
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        await client.query(`CREATE DATABASE ${db}`);
      } finally {
        await client.end();
      }
      return `postgres://grove@127.0.0.1:${port}/${db}`;
    },
    stop,
    async destroy() {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };

  async function stop(): Promise<void> {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    proc.kill("SIGQUIT");
    const timer = setTimeout(() => proc?.kill("SIGKILL"), 10_000);
    await exited;
    clearTimeout(timer);
  }
}
