/**
 * Messages between WorkerRelayStore and its worker thread. Calls and
 * results travel in batches: everything asked for in one turn of the
 * relay's event loop is one message, and the results of one group commit
 * come back as one, so a commit for many sends wakes the relay once.
 */
import type { EnqueueRequest, RelayStore } from "./relay-store.js";

export type StoreMethod = Exclude<keyof RelayStore, never>;

export const STORE_METHODS: readonly StoreMethod[] = [
  "enqueue",
  "fetch",
  "ack",
  "queued",
  "putBlob",
  "getBlob",
  "sweepExpired",
  "sweepBlobs",
  "stats",
  "checkWritable",
  "close",
];

export interface WorkerRequest {
  id: number;
  method: StoreMethod;
  args: unknown[];
}

export interface WorkerErrorInfo {
  code: string;
  message: string;
}

export type WorkerResult =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: WorkerErrorInfo }
  /** An enqueue was ordered (its seqs are known) before it is durable; its result follows. */
  | { id: number; staged: true; value: unknown };

export type WorkerReply =
  | { type: "ready" }
  | { type: "failed"; error: WorkerErrorInfo }
  | { type: "commit"; ms: number; writes: number }
  | { type: "results"; results: WorkerResult[] };

/** An enqueue as posted: its 32-byte targets in one buffer, one after another. */
export interface PackedEnqueue extends EnqueueRequest {
  packedTargets: Uint8Array;
}

/** The request an enqueue was posted as, with its targets as views into the packed buffer. */
export function unpackTargets(
  request: EnqueueRequest | PackedEnqueue,
  keyBytes: number,
): EnqueueRequest {
  if (!("packedTargets" in request)) return request;
  const { packedTargets, ...rest } = request;
  const targets: Uint8Array[] = [];
  for (let at = 0; at + keyBytes <= packedTargets.length; at += keyBytes)
    targets.push(packedTargets.subarray(at, at + keyBytes));
  return { ...rest, targets };
}
