/**
 * Messages between WorkerRelayStore and its worker thread. Calls and
 * results travel in batches: everything asked for in one turn of the
 * relay's event loop is one message, and the results of one group commit
 * come back as one, so a commit for many sends wakes the relay once.
 */
import type { EnqueueRequest, MailboxQuota, RelayStore } from "./relay-store.js";

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

/**
 * An enqueue as posted: everything but the envelope in one buffer, the
 * envelope beside it (its own buffer already, and delivered from there).
 * A structured clone walks an object per field and copies each typed
 * array as an object of its own; a fan-out's send names tens of targets,
 * and the relay posts thousands of sends a second.
 *
 * Layout (little-endian): f64 expiresAt, f64 maxMessages, f64 maxBytes,
 * f64 sourceShareBytes (NaN: none), u32 flags, u32 targets, u16 sender
 * bytes, u16 msgId bytes, u16 source bytes (UTF-8), u8 bits (1: a source,
 * 2: live flags, 4: wants the staged answer), u8 key bytes per target;
 * then sender, msgId, targets, one byte per target when live, source.
 */
export interface PackedEnqueue {
  head: Uint8Array;
  envelope: Uint8Array;
}

const FIXED = 8 * 4 + 4 * 2 + 2 * 3 + 2;
const HAS_SOURCE = 1;
const HAS_LIVE = 2;
const WANTS_STAGED = 4;
const utf8 = new TextEncoder();
const fromUtf8 = new TextDecoder();

/** The request packed, or undefined when its targets are not all one length of at most 255 bytes. */
export function packEnqueue(
  request: EnqueueRequest,
  quota: MailboxQuota,
  wantsStaged: boolean,
): PackedEnqueue | undefined {
  const { targets, sender, msgId, live } = request;
  const keyBytes = targets[0]?.length ?? 0;
  for (const t of targets) if (t.length !== keyBytes) return undefined;
  if (keyBytes > 255 || sender.length > 0xffff || msgId.length > 0xffff) return undefined;
  const source = request.source === undefined ? undefined : utf8.encode(request.source);
  if (source && source.length > 0xffff) return undefined;
  const n = targets.length;
  const size =
    FIXED + sender.length + msgId.length + n * keyBytes + (live ? n : 0) + (source?.length ?? 0);
  const head = new Uint8Array(size);
  const view = new DataView(head.buffer);
  view.setFloat64(0, request.expiresAt, true);
  view.setFloat64(8, quota.maxMessages, true);
  view.setFloat64(16, quota.maxBytes, true);
  view.setFloat64(24, quota.sourceShareBytes ?? Number.NaN, true);
  view.setUint32(32, request.flags, true);
  view.setUint32(36, n, true);
  view.setUint16(40, sender.length, true);
  view.setUint16(42, msgId.length, true);
  view.setUint16(44, source?.length ?? 0, true);
  head[46] = (source ? HAS_SOURCE : 0) | (live ? HAS_LIVE : 0) | (wantsStaged ? WANTS_STAGED : 0);
  head[47] = keyBytes;
  let at = FIXED;
  head.set(sender, at);
  at += sender.length;
  head.set(msgId, at);
  at += msgId.length;
  for (const t of targets) {
    head.set(t, at);
    at += keyBytes;
  }
  if (live) for (let i = 0; i < n; i++) head[at++] = live[i] === true ? 1 : 0;
  if (source) head.set(source, at);
  return { head, envelope: request.envelope };
}

/** The request, quota and staged wish a packed enqueue was made from; byte fields are views into `head`. */
export function unpackEnqueue(packed: PackedEnqueue): {
  request: EnqueueRequest;
  quota: MailboxQuota;
  wantsStaged: boolean;
} {
  const { head, envelope } = packed;
  const view = new DataView(head.buffer, head.byteOffset, head.byteLength);
  const n = view.getUint32(36, true);
  const senderBytes = view.getUint16(40, true);
  const msgIdBytes = view.getUint16(42, true);
  const sourceBytes = view.getUint16(44, true);
  const bits = head[46] ?? 0;
  const keyBytes = head[47] ?? 0;
  let at = FIXED;
  const sender = head.subarray(at, at + senderBytes);
  at += senderBytes;
  const msgId = head.subarray(at, at + msgIdBytes);
  at += msgIdBytes;
  const targets = new Array<Uint8Array>(n);
  for (let i = 0; i < n; i++) {
    targets[i] = head.subarray(at, at + keyBytes);
    at += keyBytes;
  }
  let live: boolean[] | undefined;
  if (bits & HAS_LIVE) {
    live = new Array<boolean>(n);
    for (let i = 0; i < n; i++) live[i] = head[at++] === 1;
  }
  const share = view.getFloat64(24, true);
  const request: EnqueueRequest = {
    sender,
    msgId,
    targets,
    flags: view.getUint32(32, true),
    envelope,
    expiresAt: view.getFloat64(0, true),
    ...(bits & HAS_SOURCE && { source: fromUtf8.decode(head.subarray(at, at + sourceBytes)) }),
    ...(live && { live }),
  };
  const quota: MailboxQuota = {
    maxMessages: view.getFloat64(8, true),
    maxBytes: view.getFloat64(16, true),
    ...(!Number.isNaN(share) && { sourceShareBytes: share }),
  };
  return { request, quota, wantsStaged: (bits & WANTS_STAGED) !== 0 };
}
