/**
 * Runs a SqliteRelayStore on a worker thread, so the relay's event loop
 * never waits on an fsync: sockets keep being served while a group commit
 * is on disk. Speaks a small request/response protocol with
 * WorkerRelayStore; only RelayStore methods can be called.
 */
import { parentPort, workerData } from "node:worker_threads";
import { KEY_BYTES } from "../../core/wire/envelope.js";
import type { EnqueueRequest, RelayStore } from "./relay-store.js";
import { SqliteRelayStore } from "./sqlite-store.js";
import {
  STORE_METHODS,
  type StoreMethod,
  unpackTargets,
  type WorkerReply,
  type WorkerRequest,
  type WorkerResult,
} from "./worker-protocol.js";

const port = parentPort;
if (!port) throw new Error("sqlite-worker must run as a worker thread");
const reply = (message: WorkerReply) => port.postMessage(message);

let store: RelayStore;
try {
  store = new SqliteRelayStore((workerData as { dataDir: string }).dataDir, {
    onCommit: (ms, writes) => reply({ type: "commit", ms, writes }),
  });
  reply({ type: "ready" });
} catch (err) {
  reply({ type: "failed", error: errorInfo(err) });
  process.exit(1);
}

/** Results settled in this turn: a group commit settles many at once, and they go back as one. */
let settled: WorkerResult[] = [];
function answer(result: WorkerResult): void {
  if (settled.length === 0) process.nextTick(sendResults);
  settled.push(result);
}
function sendResults(): void {
  const results = settled;
  settled = [];
  reply({ type: "results", results });
}

port.on("message", (requests: WorkerRequest[]) => {
  for (const request of requests) call(request);
});

function call(request: WorkerRequest): void {
  if (!STORE_METHODS.includes(request.method as StoreMethod)) {
    return answer({
      id: request.id,
      ok: false,
      error: { code: "STORE_IO", message: "unknown store method" },
    });
  }
  const method = store[request.method] as (...args: unknown[]) => Promise<unknown>;
  // An enqueue that asks for it (a trailing `true`) is answered once ordered, then once settled.
  const args =
    request.method === "enqueue"
      ? [
          unpackTargets(request.args[0] as EnqueueRequest, KEY_BYTES),
          request.args[1],
          request.args[2] === true
            ? (value: unknown) => answer({ id: request.id, staged: true, value })
            : undefined,
        ]
      : request.args;
  method.apply(store, args).then(
    (value) => answer({ id: request.id, ok: true, value }),
    (err) => answer({ id: request.id, ok: false, error: errorInfo(err) }),
  );
}

function errorInfo(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  return {
    code: typeof e?.code === "string" ? e.code : "STORE_IO",
    message: typeof e?.message === "string" ? e.message : String(err),
  };
}
