/**
 * Runs `run` once however often it is asked in between, at the page's next
 * idle moment (requestIdleCallback: after the current frame is painted) and
 * no sooner than `everyMs` after its last run. For work a keystroke owes but
 * need not show at once, such as rendering the rest of the view after typing
 * an editor has already drawn: it stays out of the keystroke's task and
 * frame, and a burst of typing pays for it once per `everyMs`. Where there is
 * no idle callback (Node), a timer; a page that never idles runs it after
 * `maxWaitMs` of waiting for one.
 */
export function whenIdle(run: () => void, everyMs: number, maxWaitMs = 1000): () => void {
  let scheduled = false;
  let lastRun = Number.NEGATIVE_INFINITY;
  const go = () => {
    scheduled = false;
    lastRun = Date.now();
    run();
  };
  const idle = () => {
    if (typeof requestIdleCallback === "function") requestIdleCallback(go, { timeout: maxWaitMs });
    else go();
  };
  return () => {
    if (scheduled) return;
    scheduled = true;
    setTimeout(idle, Math.max(0, lastRun + everyMs - Date.now()));
  };
}

/**
 * Runs `run` in a task of its own right after the next frame is painted
 * (requestAnimationFrame, then a zero timer), or after `fallbackMs` where
 * frames stop (a hidden window, Node). For work a keystroke starts but need
 * not finish before its character is shown: sealing, signing, sending.
 */
export function afterPaint(run: () => void, fallbackMs = 100): void {
  let ran = false;
  const once = () => {
    if (ran) return;
    ran = true;
    run();
  };
  if (typeof requestAnimationFrame === "function") {
    requestAnimationFrame(() => setTimeout(once, 0));
  }
  setTimeout(once, fallbackMs);
}
