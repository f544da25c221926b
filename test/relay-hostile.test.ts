/**
 * Issue 16, findings 1, 8 and 9: inputs that used to take the whole relay
 * down, and sockets that used to pile up. Each runs against a real relay
 * process on loopback.
 */
import { afterEach, describe, expect, it } from "vitest";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { RelayCloseCode } from "../core/wire/relay-errors.js";
import { deepJson, httpBase, metric, openFrom, signalPeer } from "./relay-attack.js";
import { type RelayProcess, removeDir, startRelayProcess, waitFor } from "./relay-harness.js";
import { RawClient } from "./relay-raw.js";

const running: RelayProcess[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    await r.kill();
    removeDir(r.dataDir);
  }
});
async function relay(args: string[] = [], env: NodeJS.ProcessEnv = {}) {
  const r = await startRelayProcess({ args, env });
  running.push(r);
  return r;
}

async function healthy(r: RelayProcess): Promise<boolean> {
  const res = await fetch(`${httpBase(r.url)}/healthz`).catch(() => undefined);
  return res?.status === 200;
}

describe("finding 1: /signal JSON", () => {
  it("closes a peer that sends deeply nested JSON and keeps serving everyone", async () => {
    const r = await relay();
    const [victim, attacker] = [await signalPeer(r.url), await signalPeer(r.url)];
    for (const p of [victim, attacker])
      p.ws.send(JSON.stringify({ type: "subscribe", topics: ["t"] }));
    attacker.ws.send(`{"type":"publish","topic":"t","data":${deepJson(60_000)}}`);
    await waitFor(() => attacker.closed !== undefined, "attacker closed");
    expect(attacker.closed!.code).toBe(1008);
    expect(attacker.closed!.reason).toContain("TOO_DEEP");
    expect(r.proc.exitCode).toBeNull();
    expect(await healthy(r)).toBe(true);
    victim.ws.send(JSON.stringify({ type: "ping" }));
    await waitFor(() => victim.texts.some((t) => t.includes("pong")), "victim still served");
    expect(victim.texts.some((t) => t.includes("data"))).toBe(false);
    victim.ws.close();
  });

  it("forwards the text it received, not a re-serialisation of it", async () => {
    const r = await relay();
    const [a, b] = [await signalPeer(r.url), await signalPeer(r.url)];
    for (const p of [a, b]) p.ws.send(JSON.stringify({ type: "subscribe", topics: ["room"] }));
    a.ws.send(JSON.stringify({ type: "ping" }));
    await waitFor(() => a.texts.length > 0, "subscribed");
    // 1.50 and the spacing would not survive JSON.parse + JSON.stringify.
    const sent = '{"type":"publish", "topic":"room", "data":{"n":1.50}}';
    a.ws.send(sent);
    await waitFor(() => b.texts.some((t) => t.includes("1.50")), "forwarded");
    const got = b.texts.find((t) => t.includes("1.50"))!;
    expect(got.startsWith('{"type":"publish", "topic":"room", "data":{"n":1.50}')).toBe(true);
    expect(JSON.parse(got)).toEqual({
      type: "publish",
      topic: "room",
      data: { n: 1.5 },
      clients: 2,
    });
    for (const p of [a, b]) p.ws.close();
  });
});

describe("finding 8: a failing handler costs one connection", () => {
  const faults = { GROVE_RELAY_INJECT_FAULTS: "1" };

  it("closes the connection whose frame made a handler throw, counts it, and serves the rest", async () => {
    const r = await relay([], faults);
    const bystander = await RawClient.open(r.url);
    await bystander.login(generateDeviceKeys().sign, r.url);

    const victim = await RawClient.open(r.url);
    victim.send({ type: "hello", client: "grove-test:throw", minVersion: 1, maxVersion: 1 });
    expect((await victim.closed).code).toBe(RelayCloseCode.INTERNAL_ERROR);

    const asyncVictim = await RawClient.open(r.url);
    asyncVictim.send({ type: "hello", client: "grove-test:reject", minVersion: 1, maxVersion: 1 });
    expect((await asyncVictim.closed).code).toBe(RelayCloseCode.INTERNAL_ERROR);

    const sig = await signalPeer(r.url);
    sig.ws.send(JSON.stringify({ type: "subscribe", topics: ["grove-test:throw"] }));
    await waitFor(() => sig.closed !== undefined, "signal peer closed");
    expect(sig.closed!.code).toBe(1011);

    const base = httpBase(r.url);
    expect(await metric(base, 'grove_relay_handler_failures_total{where="v1"}')).toBe(2);
    expect(await metric(base, 'grove_relay_handler_failures_total{where="signal"}')).toBe(1);
    expect(r.logs.some((l) => l.includes('"handler failed"'))).toBe(true);
    expect(bystander.isOpen).toBe(true);
    bystander.send({ type: "resend", fromSeq: 1 });
    expect(await healthy(r)).toBe(true);
    bystander.close();
  });

  it("logs and counts an exception that escapes every handler, and keeps running", async () => {
    const r = await relay([], faults);
    const c = await RawClient.open(r.url);
    c.send({ type: "hello", client: "grove-test:escape", minVersion: 1, maxVersion: 1 });
    const base = httpBase(r.url);
    await waitFor(
      async () => (await metric(base, 'grove_relay_handler_failures_total{where="process"}')) === 1,
      "escaped exception counted",
    );
    expect(r.proc.exitCode).toBeNull();
    expect(await healthy(r)).toBe(true);
    expect(r.logs.some((l) => l.includes('"uncaught exception"'))).toBe(true);
    c.close();
  });
});

describe("finding 9: unauthenticated sockets are capped", () => {
  it("caps /signal sockets per IP, and not those of other IPs", async () => {
    const r = await relay(["--signal-per-ip", "8"]);
    const tries = await Promise.all(
      Array.from({ length: 12 }, () => openFrom(`${r.url}/signal`, "127.0.0.2")),
    );
    expect(tries.filter((t) => t.refused === undefined)).toHaveLength(8);
    expect(tries.filter((t) => t.refused === 429)).toHaveLength(4);
    const other = await openFrom(`${r.url}/signal`, "127.0.0.3");
    expect(other.refused).toBeUndefined();
    // A closed socket frees its place.
    const first = tries.find((t) => t.refused === undefined)!.ws;
    first.close();
    await waitFor(
      async () => (await openFrom(`${r.url}/signal`, "127.0.0.2")).refused === undefined,
      "place freed",
    );
    for (const t of [...tries, other]) t.ws.terminate();
  });

  it("caps unauthenticated /v1 sockets per IP and in total; logging in frees the place", async () => {
    const r = await relay(["--unauth-per-ip", "4", "--unauth-total", "6"]);
    const a = await Promise.all(
      Array.from({ length: 5 }, () => openFrom(`${r.url}/v1`, "127.0.0.4")),
    );
    expect(a.filter((t) => t.refused === undefined)).toHaveLength(4);
    expect(a.filter((t) => t.refused === 429)).toHaveLength(1);
    const b = await Promise.all(
      Array.from({ length: 3 }, () => openFrom(`${r.url}/v1`, "127.0.0.5")),
    );
    expect(b.filter((t) => t.refused === undefined)).toHaveLength(2);
    expect(b.filter((t) => t.refused === 503)).toHaveLength(1);
    for (const t of [...a, ...b]) t.ws.terminate();
    await waitFor(
      async () => (await metric(httpBase(r.url), "grove_relay_unauthenticated_connections")) === 0,
      "places freed",
    );

    // Logged-in connections no longer count as unauthenticated.
    const logged: RawClient[] = [];
    for (let i = 0; i < 6; i++) {
      const c = await RawClient.open(r.url);
      await c.login(generateDeviceKeys().sign, r.url);
      logged.push(c);
    }
    const after = await openFrom(`${r.url}/v1`, "127.0.0.1");
    expect(after.refused).toBeUndefined();
    after.ws.terminate();
    for (const c of logged) c.close();
  });
});
