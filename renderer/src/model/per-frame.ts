/**
 * Runs `run` once per animation frame however often it is asked in between
 * (a catch-up applies thousands of changes; the UI renders once per frame),
 * or after `fallbackMs` where frames stop (a hidden window, Node): whichever
 * comes first.
 */
export function perFrame(run: () => void, fallbackMs = 100): () => void {
  let scheduled = false;
  return () => {
    if (scheduled) return;
    scheduled = true;
    let ran = false;
    const once = () => {
      if (ran) return;
      ran = true;
      scheduled = false;
      run();
    };
    if (typeof requestAnimationFrame === "function") requestAnimationFrame(once);
    setTimeout(once, fallbackMs);
  };
}
