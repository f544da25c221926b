import { afterEach, expect, it, vi } from "vitest";
import { nextTask } from "./next-task.js";

afterEach(() => {
  vi.useRealTimers();
});

it("runs the work in Node without waiting on a timer (setImmediate, not a timer of 0)", async () => {
  // Timers that never fire unless advanced: had nextTask used setTimeout, this would hang
  // until the test's own timeout.
  vi.useFakeTimers({ toFake: ["setTimeout"] });
  const order: string[] = [];
  setTimeout(() => order.push("timer"), 0);
  await new Promise<void>((resolve) =>
    nextTask(() => {
      order.push("task");
      resolve();
    }),
  );
  expect(order).toEqual(["task"]);
});

it("runs each piece of work once, in the order given", async () => {
  const order: number[] = [];
  await new Promise<void>((resolve) => {
    for (let i = 0; i < 5; i++) nextTask(() => order.push(i));
    nextTask(resolve);
  });
  expect(order).toEqual([0, 1, 2, 3, 4]);
});

it("in a page (no setImmediate) runs a chain of works through a MessageChannel, never a timer, which a page clamps to 4 ms when nested", async () => {
  vi.resetModules();
  vi.stubGlobal("setImmediate", undefined);
  vi.useFakeTimers({ toFake: ["setTimeout"] });
  try {
    const { nextTask: pageNextTask } = await import("./next-task.js");
    const order: number[] = [];
    // A chain, as the SyncEngine's: each work schedules the next from its own task.
    await new Promise<void>((resolve) => {
      const step = (i: number) => {
        order.push(i);
        if (i === 9) resolve();
        else pageNextTask(() => step(i + 1));
      };
      pageNextTask(() => step(0));
    });
    expect(order).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(vi.getTimerCount()).toBe(0);
  } finally {
    vi.unstubAllGlobals();
    vi.resetModules();
  }
}, 10_000);
