/**
 * Runs `work` in a task of its own, as soon as the host allows: through
 * setImmediate where the host has one (Node, Electron's main side), where a
 * timer of 0 waits at least 1 ms; elsewhere (a page) through a timer of 0.
 * The SyncEngine takes each batch of deliveries this way: in Node a
 * 10,000-envelope catch-up in its batches of 128 spent about 80 ms idle on
 * those timers alone. Looked up on globalThis, not named, so a page's bundle
 * needs no Node global (test/runtime-boundaries.ts).
 */
type Schedule = (work: () => void) => unknown;

const immediate = (globalThis as { setImmediate?: Schedule }).setImmediate;

export function nextTask(work: () => void): void {
  if (typeof immediate === "function") immediate(work);
  else setTimeout(work, 0);
}
