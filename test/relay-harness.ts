/**
 * Runs a real relay process for integration tests (port chosen at run time,
 * read from its "relay listening" log line) and connects real RelayTransports
 * to it over loopback.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { WebSocket } from "ws";
import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import { generateDeviceKeys, type SigningKeyPair } from "../core/crypto/identity.js";
import {
  type Delivery,
  RelayTransport,
  type RelayTransportOptions,
} from "../core/sync/relay-transport.js";
import type { WebSocketLike } from "../core/sync/websocket.js";

const ROOT = new URL("..", import.meta.url).pathname;

export interface RelayProcess {
  port: number;
  url: string;
  dataDir: string;
  proc: ChildProcess;
  logs: string[];
  /** SIGTERM and wait for exit; resolves with the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL and wait for exit. */
  kill(): Promise<void>;
}

export function tempDir(prefix = "grove-relay-"): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export async function startRelayProcess(
  options: {
    dataDir?: string;
    args?: string[];
    env?: NodeJS.ProcessEnv;
    /** A built relay (dist/relay/main.js) to run with plain node instead of the source through tsx. */
    built?: string;
    /** Another checkout's relay source to run (a bench's "before"); this one by default. */
    root?: string;
    /** Flags for node itself (e.g. --cpu-prof), which NODE_OPTIONS may not carry. */
    nodeArgs?: string[];
  } = {},
): Promise<RelayProcess> {
  const dataDir = options.dataDir ?? tempDir();
  const root = options.root ?? ROOT;
  const entry = options.built ? [options.built] : ["--import", "tsx", join(root, "relay/main.ts")];
  const proc = spawn(
    process.execPath,
    [
      ...(options.nodeArgs ?? []),
      ...entry,
      "--port",
      "0",
      "--data",
      dataDir,
      ...(options.args ?? []),
    ],
    { cwd: root, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] },
  );
  const logs: string[] = [];
  const exited = new Promise<number | null>((resolve) =>
    proc.once("exit", (code) => resolve(code)),
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => {
      // Never leave a relay behind that this harness could not see start.
      proc.kill("SIGKILL");
      reject(new Error(`relay did not start:\n${logs.join("\n")}`));
    }, 20_000);
    let buffered = "";
    proc.stdout!.on("data", (chunk: Buffer) => {
      buffered += chunk.toString();
      const lines = buffered.split("\n");
      buffered = lines.pop()!;
      for (const line of lines) {
        logs.push(line);
        try {
          const entry = JSON.parse(line);
          if (entry.msg === "relay listening") {
            clearTimeout(timer);
            resolve(entry.port);
          }
        } catch {
          // not JSON: keep it in logs
        }
      }
    });
    proc.stderr!.on("data", (chunk: Buffer) => logs.push(chunk.toString()));
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`relay exited with ${code}:\n${logs.join("\n")}`));
    });
  });
  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    dataDir,
    proc,
    logs,
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill("SIGTERM");
      return exited;
    },
    async kill() {
      if (proc.exitCode !== null || proc.signalCode !== null) return;
      proc.kill("SIGKILL");
      await exited;
    },
  };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export const connectWs = (url: string) => new WebSocket(url) as unknown as WebSocketLike;

export interface TestDevice {
  keys: SigningKeyPair;
  client: RelayTransport;
  received: Delivery[];
}

let backend: Ed25519Backend | undefined;

export async function device(
  url: string,
  extra: Partial<RelayTransportOptions> = {},
  keys: SigningKeyPair = generateDeviceKeys().sign,
): Promise<TestDevice> {
  backend ??= await ed25519();
  const received: Delivery[] = [];
  const client = new RelayTransport({
    url,
    device: keys,
    backend,
    connect: connectWs,
    onDeliver: (d) => {
      received.push(d);
    },
    backoff: { baseMs: 50, maxMs: 500 },
    retryMs: 100,
    ...extra,
  });
  return { keys, client, received };
}

/** Waits for a condition, polling; fails with `what` after the deadline. */
export async function waitFor(
  condition: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 15_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

export function online(client: RelayTransport): Promise<void> {
  return waitFor(() => client.status === "online", "client online");
}
