import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { afterPaint, whenIdle } from "./when-idle.js";

beforeEach(() => {
  vi.useFakeTimers({ now: 1_000_000 });
});
afterEach(() => {
  vi.useRealTimers();
  vi.unstubAllGlobals();
});

describe("work a keystroke owes but need not show", () => {
  it("runs once for a burst of asks, never inside the asking task, then at most once per interval", () => {
    let runs = 0;
    const ask = whenIdle(() => runs++, 1000);
    for (let i = 0; i < 25; i++) ask();
    expect(runs).toBe(0);
    vi.advanceTimersByTime(0);
    expect(runs).toBe(1);
    // A second burst right after: waits out the interval from the last run.
    for (let i = 0; i < 25; i++) ask();
    vi.advanceTimersByTime(999);
    expect(runs).toBe(1);
    vi.advanceTimersByTime(1);
    expect(runs).toBe(2);
    vi.advanceTimersByTime(5000);
    expect(runs).toBe(2);
  });

  it("waits for an idle moment where the page has idle callbacks", () => {
    const idle: (() => void)[] = [];
    vi.stubGlobal("requestIdleCallback", (cb: () => void) => idle.push(cb));
    let runs = 0;
    const ask = whenIdle(() => runs++, 250);
    ask();
    ask();
    vi.advanceTimersByTime(1000);
    expect(runs).toBe(0);
    expect(idle).toHaveLength(1);
    idle[0]?.();
    expect(runs).toBe(1);
  });

  it("runs after the next frame where there are frames, once, and after a fallback where there are none", () => {
    const frames: (() => void)[] = [];
    vi.stubGlobal("requestAnimationFrame", (cb: () => void) => frames.push(cb));
    let runs = 0;
    afterPaint(() => runs++);
    vi.advanceTimersByTime(50);
    expect(runs).toBe(0);
    frames.shift()?.();
    expect(runs).toBe(0);
    vi.advanceTimersByTime(0);
    expect(runs).toBe(1);
    vi.advanceTimersByTime(1000);
    expect(runs).toBe(1);
    // A hidden window: no frame comes.
    afterPaint(() => runs++);
    vi.advanceTimersByTime(100);
    expect(runs).toBe(2);
  });
});
