/** Messages between WorkerRelayStore and its worker thread. */
import type { RelayStore } from "./relay-store.js";

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

export type WorkerReply =
  | { type: "ready" }
  | { type: "failed"; error: WorkerErrorInfo }
  | { type: "commit"; ms: number; writes: number }
  | { type: "result"; id: number; ok: true; value: unknown }
  | { type: "result"; id: number; ok: false; error: WorkerErrorInfo };
