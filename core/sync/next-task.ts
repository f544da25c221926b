/**
 * Runs `work` in a task of its own, as soon as the host allows. The
 * SyncEngine takes each batch of deliveries this way, so a catch-up of
 * 10,000 envelopes in its batches of 128 takes about 80 such turns:
 * - Node, Electron's main side: setImmediate (a timer of 0 waits at least
 *   1 ms: about 80 ms idle per catch-up);
 * - a page: a MessageChannel, since a page clamps a timer of 0 set from a
 *   timer's own task to 4 ms once five are nested (HTML's timer rules), and
 *   the engine's chain of batches is such a chain (about 4 ms a batch in
 *   Chromium, more than it spent applying one);
 * - a host with neither: a timer of 0.
 * Looked up on globalThis, not named, so a page's bundle needs no Node
 * global (test/runtime-boundaries.ts).
 */
type Schedule = (work: () => void) => unknown;

const immediate = (globalThis as { setImmediate?: Schedule }).setImmediate;

/**
 * The page's channel, made at the first call (a MessagePort listening would keep a Node
 * process alive, so none is made where setImmediate serves). Works run in call order, one
 * per message, each in its own task.
 */
let channel: { post(work: () => void): void } | undefined;

function messageChannel(): typeof channel {
  if (typeof MessageChannel !== "function") return undefined;
  const { port1, port2 } = new MessageChannel();
  const queue: (() => void)[] = [];
  port1.onmessage = () => queue.shift()?.();
  return {
    post(work) {
      queue.push(work);
      port2.postMessage(null);
    },
  };
}

export function nextTask(work: () => void): void {
  if (typeof immediate === "function") {
    immediate(work);
    return;
  }
  channel ??= messageChannel();
  if (channel) channel.post(work);
  else setTimeout(work, 0);
}
