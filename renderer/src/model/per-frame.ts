/** A call this soon after the last run (ms) is part of a stream of them. */
const STREAM_GAP_MS = 50;
/** A stream runs this often (ms). */
const STREAM_EVERY_MS = 100;

/**
 * Runs `run` once per animation frame however often it is asked in between
 * (a catch-up applies thousands of changes; the UI renders once per frame),
 * or after `fallbackMs` where frames stop (a hidden window, Node): whichever
 * comes first. A call within STREAM_GAP_MS of the last run is part of a
 * stream (a catch-up) and runs STREAM_EVERY_MS after that one instead:
 * rendering the whole view every frame cost a catch-up about as much
 * main-thread time as verifying and applying what it rendered.
 */
export function perFrame(run: () => void, fallbackMs = 100): () => void {
  let scheduled = false;
  let lastRun = 0;
  return () => {
    if (scheduled) return;
    scheduled = true;
    let ran = false;
    const once = () => {
      if (ran) return;
      ran = true;
      scheduled = false;
      lastRun = Date.now();
      run();
    };
    const since = Date.now() - lastRun;
    if (since < STREAM_GAP_MS) {
      setTimeout(once, STREAM_EVERY_MS - since);
      return;
    }
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(once);
    setTimeout(once, fallbackMs);
  };
}
