/**
 * RelayTransport against relays that misbehave: one that accepts the socket
 * and never answers must not hold the device forever. And against an outbox
 * that fails: its failures are said on "error" with a code, never dropped.
 */
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import { MemoryOutbox } from "../core/sync/outbox.js";
import type { RelayError } from "../core/sync/relay-transport.js";
import { type RunningRelay, startRelay } from "../relay/server.js";
import { device, online, removeDir, tempDir, waitFor } from "./relay-harness.js";

/** An outbox on a disk that starts failing once `failing` is set (reads, or deletes). */
class FailingOutbox extends MemoryOutbox {
  failing: "list" | "delete" | undefined;

  override async list() {
    if (this.failing === "list") throw new Error("disk gone (list)");
    return super.list();
  }

  override async delete(msgId: Uint8Array) {
    if (this.failing === "delete") throw new Error("disk gone (delete)");
    return super.delete(msgId);
  }
}

const servers: WebSocketServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    for (const c of s.clients) c.terminate();
    await new Promise((r) => s.close(r));
  }
});

describe("RelayTransport", () => {
  it("leaves a relay that accepts but never logs it in, says why, and tries again", async () => {
    const silent = new WebSocketServer({ host: "127.0.0.1", port: 0 });
    servers.push(silent);
    await new Promise((r) => silent.once("listening", r));
    let connections = 0;
    silent.on("connection", () => connections++);
    const { port } = silent.address() as { port: number };

    const d = await device(`ws://127.0.0.1:${port}`, { handshakeTimeoutMs: 200 });
    const errors: RelayError[] = [];
    d.client.on("error", (e) => errors.push(e));
    d.client.start();
    await waitFor(() => connections >= 2, "a second connection attempt");
    expect(errors.map((e) => e.code)).toContain("HANDSHAKE_TIMEOUT");
    await d.client.stop();
  });
});

describe("RelayTransport over a failing outbox", () => {
  let relay: RunningRelay | undefined;
  const dataDir = tempDir("grove-relay-outbox-");
  afterEach(async () => {
    await relay?.close();
    relay = undefined;
  });
  afterAll(() => removeDir(dataDir));

  it("says OUTBOX_FAILED when the outbox cannot be read after login, and stays online", async () => {
    relay = await startRelay({ host: "127.0.0.1", port: 0, dataDir, logLevel: "silent" });
    const outbox = new FailingOutbox();
    outbox.failing = "list";
    const d = await device(relay.url, { outbox });
    const errors: RelayError[] = [];
    d.client.on("error", (e) => errors.push(e));
    d.client.start();
    await waitFor(() => errors.some((e) => e.code === "OUTBOX_FAILED"), "an OUTBOX_FAILED error");
    expect(errors.find((e) => e.code === "OUTBOX_FAILED")?.message).toMatch(/disk gone \(list\)/);
    expect(d.client.status).toBe("online");
    await d.client.stop();
  });

  it("says OUTBOX_FAILED when an acked send cannot leave the outbox", async () => {
    relay = await startRelay({ host: "127.0.0.1", port: 0, dataDir, logLevel: "silent" });
    const outbox = new FailingOutbox();
    const sender = await device(relay.url, { outbox });
    const receiver = await device(relay.url);
    const errors: RelayError[] = [];
    sender.client.on("error", (e) => errors.push(e));
    sender.client.start();
    receiver.client.start();
    await online(sender.client);
    outbox.failing = "delete";
    await sender.client.enqueue([receiver.keys.publicKey], Uint8Array.from([1, 2, 3]));
    await waitFor(() => errors.some((e) => e.code === "OUTBOX_FAILED"), "an OUTBOX_FAILED error");
    expect(errors.find((e) => e.code === "OUTBOX_FAILED")?.message).toMatch(/acked send/);
    // Still in the outbox: it goes again later, and the relay drops the duplicate.
    expect(outbox.size).toBe(1);
    await sender.client.stop();
    await receiver.client.stop();
  });
});
