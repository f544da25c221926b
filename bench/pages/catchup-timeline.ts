/**
 * A per-batch timeline of one catch-up in the page, to see where its wall
 * time goes: when each batch's prefetch is sent to the open worker and its
 * reply arrives, when the space takes it (its turn: `open`), when its apply
 * starts and ends, and when each store write starts, reaches IndexedDB and
 * ends. It watches from outside: the opener's and the stores' methods are
 * wrapped on their instances and the doc's transactions observed, so the
 * product code runs unchanged (the wrappers add a `performance.now()` call
 * per batch, not per envelope).
 */
import type * as Y from "yjs";
import { REMOTE } from "../../core/space/space.js";
import type { Store } from "../../core/store/store.js";

/** One batch's moments (ms since the catch-up's start); absent where it did not happen. */
export interface BatchTimes {
  envelopes: number;
  prefetchSent?: number;
  replyIn?: number;
  openStart?: number;
  openEnd?: number;
  applyStart?: number;
  applyEnd?: number;
}

/** One store write (a group commit: one or more batches' records). */
export interface WriteTimes {
  records: number;
  /** `putMany` called on the sealing store. */
  start: number;
  /** Sealed: `putMany` called on IndexedDB. */
  idbStart?: number;
  /** The transaction committed (strict durability). */
  end?: number;
}

export interface Timeline {
  batches: BatchTimes[];
  writes: WriteTimes[];
  end?: number;
  /** At a batch's turn, how long the page waited for the worker's reply, summed (ms). */
  waitedForWorkerMs?: number;
  /** From the last apply's end to the end: the last writes' commit (ms). */
  tailMs?: number;
}

let zero = 0;
let current: Timeline = { batches: [], writes: [] };
/** Prefetches since the start: the n-th is the n-th batch. */
let prefetches = 0;
const at = () => Math.round((performance.now() - zero) * 10) / 10;
/** Now, in the timeline's ms. */
export const sinceStart = at;

/** Starts a fresh timeline at now. */
export function startTimeline(): void {
  zero = performance.now();
  current = { batches: [], writes: [] };
  prefetches = 0;
}

export function endTimeline(): Timeline {
  const end = at();
  current.end = end;
  let waited = 0;
  let lastApply = 0;
  for (const b of current.batches) {
    if (b.openStart !== undefined && b.replyIn !== undefined) {
      waited += Math.max(0, b.replyIn - b.openStart);
    }
    lastApply = Math.max(lastApply, b.applyEnd ?? 0);
  }
  current.waitedForWorkerMs = Math.round(waited * 10) / 10;
  current.tailMs = Math.round((end - lastApply) * 10) / 10;
  return current;
}

/** The batch handed over `n`-th (0-based) since the start. */
export function batch(n: number): BatchTimes {
  let times = current.batches[n];
  if (!times) {
    times = { envelopes: 0 };
    current.batches[n] = times;
  }
  return times;
}

// biome-ignore lint/suspicious/noExplicitAny: wraps any method of an instance
type Method = (...args: any[]) => any;

/** Replaces `object[name]` on the instance by `wrap(original)`. */
function around<T extends object>(object: T, name: keyof T, wrap: (original: Method) => Method) {
  const original = (object[name] as Method).bind(object);
  (object as Record<keyof T, unknown>)[name] = wrap(original);
}

/** Watches an opener's prefetch (its reply) and open (a batch's turn). */
export function watchOpener(opener: object): void {
  const batchOf = new WeakMap<object, number>();
  around(opener as { prefetch: Method }, "prefetch", (prefetch) => (envelopes, context) => {
    const n = prefetches++;
    const times = batch(n);
    times.envelopes = envelopes.length;
    times.prefetchSent = at();
    const prefetched = prefetch(envelopes, context);
    if (prefetched) {
      batchOf.set(prefetched, n);
      void prefetched.reply.then(() => {
        times.replyIn = at();
      });
    }
    return prefetched;
  });
  around(opener as { open: Method }, "open", (open) => async (envelopes, opts, prefetched) => {
    const n = batchOf.get(prefetched);
    // Membership ops and the rest are opened in two calls; only the rest (the batch) is timed.
    const times = n === undefined || envelopes.length === 0 ? undefined : batch(n);
    if (times && times.openStart === undefined) times.openStart = at();
    const result = await open(envelopes, opts, prefetched);
    if (times) times.openEnd = at();
    return result;
  });
}

/** Watches the remote transactions of a doc: each is one batch's apply, in order. */
export function watchApplies(doc: Y.Doc): void {
  let applied = 0;
  doc.on("beforeTransaction", (tr: Y.Transaction) => {
    if (tr.origin === REMOTE) batch(applied).applyStart = at();
  });
  doc.on("afterTransaction", (tr: Y.Transaction) => {
    if (tr.origin === REMOTE) batch(applied++).applyEnd = at();
  });
}

/** Watches writes: `sealing` the store the space writes to, `inner` the one under it. */
export function watchWrites(sealing: Store, inner: Store): void {
  let open: WriteTimes | undefined;
  around(sealing, "putMany", (putMany) => async (entries: unknown[]) => {
    const write: WriteTimes = { records: entries.length, start: at() };
    current.writes.push(write);
    open = write;
    try {
      return await putMany(entries);
    } finally {
      write.end = at();
    }
  });
  around(sealing, "put", (put) => async (key: string, value: Uint8Array) => {
    const write: WriteTimes = { records: 1, start: at() };
    current.writes.push(write);
    open = write;
    try {
      return await put(key, value);
    } finally {
      write.end = at();
    }
  });
  // Sealed records reach IndexedDB in the order the writes started (one inner call each).
  around(inner, "putMany", (putMany) => (entries: unknown[]) => {
    const write = current.writes.find((w) => w.idbStart === undefined) ?? open;
    if (write) write.idbStart = at();
    return putMany(entries);
  });
}
