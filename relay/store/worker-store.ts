/**
 * A RelayStore whose SQLite runs on a worker thread (see sqlite-worker.ts).
 * Same semantics as SqliteRelayStore: a write resolves after its group
 * commit; the calls are just answered from another thread. If the worker
 * dies, every pending and later call fails with STORE_IO, so /healthz turns
 * 503 and nothing is acked that was not committed.
 */
import { Worker } from "node:worker_threads";
import {
  type BlobPutResult,
  type BlobQuota,
  type EnqueueRequest,
  type EnqueueResult,
  type MailboxQuota,
  type RelayStore,
  RelayStoreError,
  type RelayStoreStats,
  type StoredMessage,
} from "./relay-store.js";
import type { SqliteStoreOptions } from "./sqlite-store.js";
import {
  packEnqueue,
  type StoreMethod,
  type WorkerErrorInfo,
  type WorkerReply,
  type WorkerRequest,
} from "./worker-protocol.js";

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  staged?: (value: unknown) => void;
}

const WORKER_ENTRY = new URL("./sqlite-worker-boot.mjs", import.meta.url);

function toError(info: WorkerErrorInfo): RelayStoreError {
  const code =
    info.code === "STORE_CLOSED" || info.code === "STORE_CORRUPT" ? info.code : "STORE_IO";
  return new RelayStoreError(code, info.message);
}

export class WorkerRelayStore implements RelayStore {
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private failure: RelayStoreError | undefined;
  /** Calls made in this turn, posted together. */
  private outgoing: WorkerRequest[] = [];

  private constructor(
    private readonly worker: Worker,
    options: SqliteStoreOptions,
  ) {
    worker.on("message", (reply: WorkerReply) => {
      if (reply.type === "commit") return options.onCommit?.(reply.ms, reply.writes);
      if (reply.type !== "results") return;
      for (const result of reply.results) {
        const call = this.pending.get(result.id);
        if (!call) continue;
        if ("staged" in result) {
          call.staged?.(result.value);
          continue;
        }
        this.pending.delete(result.id);
        if (result.ok) call.resolve(result.value);
        else call.reject(toError(result.error));
      }
    });
    const fail = (message: string) => {
      this.failure ??= new RelayStoreError("STORE_IO", message);
      for (const call of this.pending.values()) call.reject(this.failure);
      this.pending.clear();
    };
    worker.on("error", (err) => fail(`store worker failed: ${err.message}`));
    worker.on("exit", (code) => fail(`store worker exited with code ${code}`));
  }

  /** Starts the worker and waits until the database is open (or fails to). */
  static async open(dataDir: string, options: SqliteStoreOptions = {}): Promise<WorkerRelayStore> {
    const worker = new Worker(WORKER_ENTRY, { workerData: { dataDir } });
    await new Promise<void>((resolve, reject) => {
      const onMessage = (reply: WorkerReply) => {
        if (reply.type === "ready") done(resolve);
        if (reply.type === "failed") done(() => reject(toError(reply.error)));
      };
      const onExit = (code: number) =>
        done(() =>
          reject(new RelayStoreError("STORE_IO", `store worker exited with code ${code}`)),
        );
      const onError = (err: Error) =>
        done(() => reject(new RelayStoreError("STORE_IO", `store worker failed: ${err.message}`)));
      const done = (settle: () => void) => {
        worker.off("message", onMessage).off("exit", onExit).off("error", onError);
        settle();
      };
      worker.on("message", onMessage).on("exit", onExit).on("error", onError);
    });
    return new WorkerRelayStore(worker, options);
  }

  enqueue(
    request: EnqueueRequest,
    quota: MailboxQuota,
    staged?: (result: EnqueueResult) => void,
  ): Promise<EnqueueResult> {
    // One buffer and the envelope (packEnqueue); targets of mixed lengths go as they are.
    const packed = packEnqueue(request, quota, staged !== undefined);
    const args = packed ? [packed] : [request, quota, staged !== undefined];
    return this.callStaged(
      staged as ((value: unknown) => void) | undefined,
      "enqueue",
      ...args,
    ) as Promise<EnqueueResult>;
  }

  fetch(
    device: Uint8Array,
    afterSeq: number,
    limit: number,
    maxBytes = Number.MAX_SAFE_INTEGER,
  ): Promise<StoredMessage[]> {
    return this.call("fetch", device, afterSeq, limit, maxBytes) as Promise<StoredMessage[]>;
  }

  ack(device: Uint8Array, seqs: number[]): Promise<void> {
    return this.call("ack", device, seqs) as Promise<void>;
  }

  queued(device: Uint8Array): Promise<number> {
    return this.call("queued", device) as Promise<number>;
  }

  putBlob(
    hash: Uint8Array,
    data: Uint8Array,
    owner: Uint8Array,
    quota: BlobQuota,
    source = "",
  ): Promise<BlobPutResult> {
    return this.call("putBlob", hash, data, owner, quota, source) as Promise<BlobPutResult>;
  }

  getBlob(hash: Uint8Array): Promise<Uint8Array | undefined> {
    return this.call("getBlob", hash) as Promise<Uint8Array | undefined>;
  }

  sweepExpired(now: number): Promise<number> {
    return this.call("sweepExpired", now) as Promise<number>;
  }

  sweepBlobs(unusedSince: number): Promise<number> {
    return this.call("sweepBlobs", unusedSince) as Promise<number>;
  }

  stats(): Promise<RelayStoreStats> {
    return this.call("stats") as Promise<RelayStoreStats>;
  }

  checkWritable(): Promise<void> {
    return this.call("checkWritable") as Promise<void>;
  }

  /** Commits what is queued, closes the database, then stops the worker. */
  async close(): Promise<void> {
    if (this.failure) return;
    try {
      await this.call("close");
    } finally {
      this.failure = new RelayStoreError("STORE_CLOSED", "relay store is closed");
      await this.worker.terminate();
    }
  }

  private call(method: StoreMethod, ...args: unknown[]): Promise<unknown> {
    return this.callStaged(undefined, method, ...args);
  }

  private callStaged(
    staged: ((value: unknown) => void) | undefined,
    method: StoreMethod,
    ...args: unknown[]
  ): Promise<unknown> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject, ...(staged && { staged }) });
      if (this.outgoing.length === 0) process.nextTick(() => this.post());
      this.outgoing.push({ id, method, args });
    });
  }

  private post(): void {
    const requests = this.outgoing;
    this.outgoing = [];
    if (this.failure) {
      for (const { id } of requests) this.pending.get(id)?.reject(this.failure);
      for (const { id } of requests) this.pending.delete(id);
      return;
    }
    this.worker.postMessage(requests);
  }
}
