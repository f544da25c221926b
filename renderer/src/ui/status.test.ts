import { describe, expect, it } from "vitest";
import { waitingByUser } from "./StatusPanel.js";

describe("what waits in the outbox, per person", () => {
  it("counts a change waiting for two of Bob's devices once", () => {
    // Three changes, each for both of Bob's devices; one for Cy; one for Ann's own other device.
    const waitingFor = new Map([
      ["bob-laptop", 3],
      ["bob-phone", 3],
      ["cy-laptop", 1],
      ["ann-phone", 2],
    ]);
    const userOf = new Map([
      ["bob-laptop", "bob"],
      ["bob-phone", "bob"],
      ["cy-laptop", "cy"],
      ["ann-phone", "ann"],
    ]);
    expect(waitingByUser(waitingFor, userOf, "ann")).toEqual(
      new Map([
        ["bob", 3],
        ["cy", 1],
      ]),
    );
  });
});
