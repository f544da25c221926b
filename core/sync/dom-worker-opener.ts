/**
 * A PrefetchOpener over a Web Worker running dom-open-worker.ts: requests
 * go out with their buffers transferred, replies are matched by id. If the
 * worker fails (it could not load, or it threw), every batch in flight and
 * every later one is opened on the page instead, so a broken worker slows a
 * catch-up down and loses nothing.
 */
import { OpenReplyError } from "../space/off-thread-open.js";
import { PrefetchOpener } from "../space/prefetch-opener.js";

/** The part of a Worker used here (a test may hand in a stand-in). */
export interface OpenWorker {
  postMessage(message: unknown, transfer: Transferable[]): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  addEventListener(type: "error", listener: (event: Event) => void): void;
  terminate(): void;
}

/**
 * How long a batch may wait for the worker's answer before the page opens it itself: far
 * above what a batch takes (milliseconds), so only a worker that hangs meets it.
 */
const REPLY_TIMEOUT_MS = 15_000;

/** The opener, and `close` to end its worker. */
export function workerOpener(
  worker: OpenWorker,
  replyTimeoutMs = REPLY_TIMEOUT_MS,
): PrefetchOpener & { close(): void } {
  const waiting = new Map<number, { resolve(reply: unknown): void; reject(err: Error): void }>();
  let broken: Error | undefined;
  const fail = (err: Error) => {
    broken ??= err;
    for (const { reject } of waiting.values()) reject(err);
    waiting.clear();
  };
  worker.addEventListener("message", (event) => {
    const data = event.data as { id?: unknown; failed?: unknown } | null;
    const id = typeof data?.id === "number" ? data.id : undefined;
    const pending = id === undefined ? undefined : waiting.get(id);
    if (id === undefined || !pending) return;
    waiting.delete(id);
    if (data?.failed !== undefined) {
      pending.reject(new OpenReplyError("WORKER_FAILED", `open worker: ${String(data.failed)}`));
    } else pending.resolve(data);
  });
  worker.addEventListener("error", () => {
    fail(new OpenReplyError("WORKER_FAILED", "open worker failed to load or crashed"));
  });
  const opener = new PrefetchOpener(
    (request, transfer) =>
      new Promise((resolve, reject) => {
        if (broken) return reject(broken);
        const timer = setTimeout(() => {
          waiting.delete(request.id);
          reject(new OpenReplyError("WORKER_FAILED", "open worker did not answer in time"));
        }, replyTimeoutMs);
        const done = () => clearTimeout(timer);
        waiting.set(request.id, {
          resolve: (reply) => {
            done();
            resolve(reply);
          },
          reject: (err) => {
            done();
            reject(err);
          },
        });
        worker.postMessage(request, transfer);
      }),
  );
  return Object.assign(opener, {
    close() {
      fail(new OpenReplyError("WORKER_FAILED", "open worker closed"));
      worker.terminate();
    },
  });
}
