/**
 * RelayTransport against relays that misbehave: one that accepts the socket
 * and never answers must not hold the device forever.
 */
import { afterEach, describe, expect, it } from "vitest";
import { WebSocketServer } from "ws";
import type { RelayError } from "../core/sync/relay-transport.js";
import { device, waitFor } from "./relay-harness.js";

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
