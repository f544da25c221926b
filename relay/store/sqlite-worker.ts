/**
 * Runs a SqliteRelayStore on a worker thread, so the relay's event loop
 * never waits on an fsync: sockets keep being served while a group commit
 * is on disk. Speaks a small request/response protocol with
 * WorkerRelayStore; only RelayStore methods can be called.
 */
import { parentPort, workerData } from "node:worker_threads";
import type { EnqueueRequest, RelayStore } from "./relay-store.js";
import { SqliteRelayStore } from "./sqlite-store.js";
import {
  type PackedEnqueue,
  STORE_METHODS,
  type StoreMethod,
  unpackEnqueue,
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
  // An enqueue comes packed (packEnqueue), or as request, quota and whether it wants to be
  // answered once ordered as well as once settled.
  const args = request.method === "enqueue" ? enqueueArgs(request.id, request.args) : request.args;
  method.apply(store, args).then(
    (value) => answer({ id: request.id, ok: true, value }),
    (err) => answer({ id: request.id, ok: false, error: errorInfo(err) }),
  );
}

function enqueueArgs(id: number, args: unknown[]): unknown[] {
  const packed = args.length === 1 ? unpackEnqueue(args[0] as PackedEnqueue) : undefined;
  const request = packed ? packed.request : (args[0] as EnqueueRequest);
  const quota = packed ? packed.quota : args[1];
  const wantsStaged = packed ? packed.wantsStaged : args[2] === true;
  return [
    request,
    quota,
    wantsStaged ? (value: unknown) => answer({ id, staged: true, value }) : undefined,
  ];
}

function errorInfo(err: unknown): { code: string; message: string } {
  const e = err as { code?: unknown; message?: unknown };
  return {
    code: typeof e?.code === "string" ? e.code : "STORE_IO",
    message: typeof e?.message === "string" ? e.message : String(err),
  };
}
