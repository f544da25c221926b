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
