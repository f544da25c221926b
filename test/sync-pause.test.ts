/**
 * The engine paused (the OS said offline) and resumed: the relay link stops,
 * spaces stay open, local edits wait in the outbox, and both sides converge
 * once it resumes. Real relay process, real encrypted file stores.
 */
import { afterEach, describe, expect, it } from "vitest";
import { waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";
import { contentOf, spaceFor, TestDevice, waitConverged } from "./sync-harness.js";

const relay = relayPerFile();
const devices: TestDevice[] = [];
afterEach(async () => {
  for (const d of devices.splice(0)) {
    await d.stop().catch(() => {});
    d.remove();
  }
});

describe("pause and resume", () => {
  it("queues edits while paused, takes none in, and converges after resuming", async () => {
    const fixture = spaceFor(2);
    for (let i = 0; i < 2; i++) devices.push(await TestDevice.open(fixture, i, () => relay.url));
    const [a, b] = devices as [TestDevice, TestDevice];
    await waitFor(() => a.engine.relay?.status === "online", "a online");

    await a.engine.pause();
    expect(a.engine.relay?.status).toBe("stopped");
    await a.space.edit((doc) => doc.getArray("chat").push(["written while paused"]));
    await b.space.edit((doc) => doc.getArray("chat").push(["written while a was away"]));
    // a's edit waits in its outbox; b's does not reach a while it is paused.
    expect((await a.engine.outbox.list()).length).toBeGreaterThan(0);
    await waitFor(async () => (await b.engine.outbox.list()).length === 0, "b's edit at the relay");
    expect(a.space.doc.getArray("chat").toJSON()).toEqual(["written while paused"]);

    a.engine.resume();
    await waitConverged([a, b], "a and b after resuming");
    expect(contentOf(a.space.doc)).toEqual(contentOf(b.space.doc));
    expect(a.space.doc.getArray("chat").length).toBe(2);
    await waitFor(async () => (await a.engine.outbox.list()).length === 0, "a's outbox empty");
  });
});
