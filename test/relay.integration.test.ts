import { describe, expect, it } from "vitest";
import { bytesKey } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { signRelayChallenge } from "../core/crypto/relay-auth.js";
import type { NotQueued, RelayError } from "../core/sync/relay-transport.js";
import { RelayErrorCode } from "../core/wire/relay-errors.js";
import { seqBytes } from "./fixtures.js";
import { freePort } from "./free-port.js";
import { online, type RelayProcess, removeDir, type TestDevice, waitFor } from "./relay-harness.js";
import { devicesPerTest, relaysPerTest } from "./relay-per-file.js";
import { RawClient } from "./relay-raw.js";

const startRelay = relaysPerTest();
const dev = devicesPerTest();

async function relay(args: string[] = [], dataDir?: string): Promise<RelayProcess> {
  return startRelay(args, dataDir ? { dataDir } : {});
}

/** Distinct envelopes by msgId, in first-seen order. */
function unique(d: TestDevice): Uint8Array[] {
  const seen = new Set<string>();
  const out: Uint8Array[] = [];
  for (const r of d.received) {
    const id = bytesKey(r.msgId);
    if (!seen.has(id)) {
      seen.add(id);
      out.push(r.envelope);
    }
  }
  return out;
}

const payload = (i: number, size = 64) => {
  const bytes = seqBytes(size, i);
  new DataView(bytes.buffer).setUint32(0, i);
  return bytes;
};
const indexOf = (envelope: Uint8Array) =>
  new DataView(envelope.buffer, envelope.byteOffset).getUint32(0);

describe("relay: store and forward", () => {
  it("a device offline during 500 sends receives all 500, in order, exactly once after dedupe", async () => {
    const r = await relay();
    const a = await dev(r.url);
    const b = await dev(r.url);
    a.client.start();
    await online(a.client);
    await Promise.all(
      Array.from({ length: 500 }, (_, i) => a.client.send([b.keys.publicKey], payload(i))),
    );
    b.client.start();
    await waitFor(() => unique(b).length >= 500, "500 deliveries");
    const got = unique(b).map(indexOf);
    expect(got).toEqual(Array.from({ length: 500 }, (_, i) => i));
    expect(b.received.every((d) => bytesKey(d.sender) === bytesKey(a.keys.publicKey))).toBe(true);
  });

  it("one send to 20 targets reaches all 20, and the sender uploads the envelope once", async () => {
    const r = await relay();
    const a = await dev(r.url);
    const receivers = await Promise.all(Array.from({ length: 20 }, () => dev(r.url)));
    for (const d of [a, ...receivers]) d.client.start();
    await Promise.all([a, ...receivers].map((d) => online(d.client)));
    const envelope = payload(7, 4096);
    const before = a.client.bytesSent;
    await a.client.send(
      receivers.map((d) => d.keys.publicKey),
      envelope,
    );
    const uploaded = a.client.bytesSent - before;
    await waitFor(() => receivers.every((d) => d.received.length === 1), "20 deliveries");
    for (const d of receivers) expect(d.received[0]!.envelope).toEqual(envelope);
    // One copy of the envelope plus the target list and a few bytes of framing.
    expect(uploaded).toBeLessThanOrEqual(envelope.length + 20 * 32 + 32);
  });

  it("acked messages survive kill -9 of the relay; the outbox retransmits the rest", async () => {
    const port = await freePort();
    const first = await relay(["--port", String(port)]);
    const url = `ws://127.0.0.1:${port}`;
    const a = await dev(url);
    const b = await dev(url);
    a.client.start();
    await online(a.client);
    const acked = new Set<number>();
    const sends: Promise<unknown>[] = [];
    let ackedBeforeCrash = new Set<number>();
    for (let i = 0; i < 400; i++) {
      sends.push(a.client.send([b.keys.publicKey], payload(i)).then(() => acked.add(i)));
      if (i === 199) {
        // Crash mid-stream: half the sends are out, some acked, the rest still to come.
        await waitFor(() => acked.size >= 100, "100 acks before the crash");
        await first.kill();
        ackedBeforeCrash = new Set(acked);
      }
    }
    expect(ackedBeforeCrash.size).toBeGreaterThanOrEqual(100);
    expect(ackedBeforeCrash.size).toBeLessThan(400);
    const restarted = await relay(["--port", String(port)], first.dataDir);
    await waitFor(() => acked.size === 400, "every send acked after the restart", 30_000).catch(
      (err) => {
        const missing = [...Array(400).keys()].filter((i) => !acked.has(i));
        throw new Error(
          `${err.message}: ${missing.length} unacked (first ${missing.slice(0, 5)}), client ${a.client.status}\n${restarted.logs.slice(-20).join("\n")}`,
        );
      },
    );
    await Promise.all(sends);
    b.client.start();
    await waitFor(() => unique(b).length >= 400, "all 400 deliveries after restart");
    const got = new Set(unique(b).map(indexOf));
    expect(got.size).toBe(400);
    for (const i of ackedBeforeCrash) expect(got.has(i)).toBe(true);
  });

  it("keeps serving a device that reconnects: unacked deliveries come again, acked ones do not", async () => {
    const r = await relay();
    const a = await dev(r.url);
    const keys = generateDeviceKeys().sign;
    const b1 = await dev(r.url, {}, keys);
    a.client.start();
    await online(a.client);
    await Promise.all(
      Array.from({ length: 50 }, (_, i) => a.client.send([keys.publicKey], payload(i))),
    );
    b1.client.start();
    await waitFor(() => b1.received.length >= 50, "first 50");
    // Acked means deleted once the relay commits the ack; wait for that, not for a guess.
    await waitFor(async () => (await queuedMessages(r.url)) === 0, "acks committed");
    await b1.client.stop();
    await Promise.all(
      Array.from({ length: 10 }, (_, i) => a.client.send([keys.publicKey], payload(50 + i))),
    );
    const b2 = await dev(r.url, {}, keys);
    b2.client.start();
    await waitFor(() => b2.received.length >= 10, "the next 10");
    expect(b2.received.map((d) => indexOf(d.envelope))).toEqual(
      Array.from({ length: 10 }, (_, i) => 50 + i),
    );
  });
});

async function queuedMessages(relayUrl: string): Promise<number> {
  const text = await (await fetch(`${relayUrl.replace("ws://", "http://")}/metrics`)).text();
  return Number(/^grove_relay_queued_messages (\d+)/m.exec(text)?.[1] ?? Number.NaN);
}

describe("relay: authentication", () => {
  it("accepts a correct login and rejects a bad signature", async () => {
    const r = await relay();
    const keys = generateDeviceKeys().sign;
    const good = await RawClient.open(r.url);
    await good.login(keys, r.url);
    good.close();

    const bad = await RawClient.open(r.url);
    await bad.hello();
    bad.send({
      type: "auth",
      device: keys.publicKey,
      signature: new Uint8Array(64).fill(3),
      accessToken: "",
    });
    const error = await bad.next("error");
    expect(error.code).toBe(RelayErrorCode.AUTH_FAILED);
    expect((await bad.closed).code).toBe(4002);
  });

  it("rejects a replayed challenge answer on a new connection", async () => {
    const r = await relay();
    const keys = generateDeviceKeys().sign;
    const victim = await RawClient.open(r.url);
    const challenge = await victim.hello();
    const signature = await signRelayChallenge(
      await ed25519(),
      keys.secretKey,
      challenge.nonce,
      r.url,
    );
    const answer = { type: "auth" as const, device: keys.publicKey, signature, accessToken: "" };
    victim.send(answer);
    await victim.next("authOk");
    victim.close();

    const attacker = await RawClient.open(r.url);
    await attacker.hello();
    attacker.send(answer);
    expect((await attacker.next("error")).code).toBe(RelayErrorCode.AUTH_FAILED);
  });

  it("rejects a login signed for another relay URL", async () => {
    const r = await relay();
    const raw = await RawClient.open(r.url);
    const challenge = await raw.hello();
    const keys = generateDeviceKeys().sign;
    const signature = await signRelayChallenge(
      await ed25519(),
      keys.secretKey,
      challenge.nonce,
      "wss://other-relay.example",
    );
    raw.send({ type: "auth", device: keys.publicKey, signature, accessToken: "" });
    expect((await raw.next("error")).code).toBe(RelayErrorCode.AUTH_FAILED);
  });

  it("a closed relay refuses a device without a valid token and admits one with it", async () => {
    const { writeFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const { tempDir } = await import("./relay-harness.js");
    const dir = tempDir("grove-tokens-");
    const file = join(dir, "tokens");
    writeFileSync(file, "# operators' tokens\ns3cret-token-1\n");
    const r = await relay(["--access-token-file", file]);
    const keys = generateDeviceKeys().sign;
    for (const token of ["", "wrong"]) {
      const raw = await RawClient.open(r.url);
      const challenge = await raw.hello();
      const signature = await signRelayChallenge(
        await ed25519(),
        keys.secretKey,
        challenge.nonce,
        r.url,
      );
      raw.send({ type: "auth", device: keys.publicKey, signature, accessToken: token });
      expect((await raw.next("error")).code).toBe(RelayErrorCode.ACCESS_DENIED);
    }
    const ok = await RawClient.open(r.url);
    await ok.login(keys, r.url, "s3cret-token-1");
    ok.close();
    expect(r.logs.join("\n")).not.toContain("s3cret-token-1");
    removeDir(dir);
  });

  it("answers an app speaking another protocol version with a clear error", async () => {
    const r = await relay();
    const raw = await RawClient.open(r.url);
    raw.send({ type: "hello", client: "grove/9", minVersion: 2, maxVersion: 3 });
    const error = await raw.next("error");
    expect(error.code).toBe(RelayErrorCode.UNSUPPORTED_VERSION);
    expect(error.message).toMatch(/update/);
    expect((await raw.closed).code).toBe(4004);
  });

  it("refuses mail before login", async () => {
    const r = await relay();
    const raw = await RawClient.open(r.url);
    raw.send({ type: "resend", fromSeq: 1 });
    expect((await raw.next("error")).code).toBe(RelayErrorCode.AUTH_REQUIRED);
  });
});

describe("relay: limits", () => {
  it("refuses an oversized envelope and a too-long target list with their codes", async () => {
    const r = await relay([
      "--max-envelope-bytes",
      "1000",
      "--max-frame-bytes",
      "20000",
      "--max-targets",
      "3",
    ]);
    const a = await dev(r.url);
    a.client.start();
    await online(a.client);
    const target = generateDeviceKeys().sign.publicKey;
    await expect(a.client.send([target], new Uint8Array(1001))).rejects.toMatchObject({
      code: "ENVELOPE_TOO_LARGE",
    });
    const four = Array.from({ length: 4 }, () => generateDeviceKeys().sign.publicKey);
    await expect(a.client.send(four, new Uint8Array(10))).rejects.toMatchObject({
      code: "TOO_MANY_TARGETS",
    });
    await a.client.send([target], new Uint8Array(1000));
  });

  it("a full mailbox is reported as such (PARTIAL_ACK), not retried, and loses nothing queued", async () => {
    const r = await relay(["--mailbox-max-messages", "5"]);
    const a = await dev(r.url);
    const b = await dev(r.url);
    a.client.start();
    await online(a.client);
    await Promise.all(
      Array.from({ length: 5 }, (_, i) => a.client.send([b.keys.publicKey], payload(i))),
    );
    // The sixth is answered at once: b's mailbox is full, so b is listed and the send is done,
    // and the app is told which envelope was not queued for whom (a chat says so under it).
    const notQueued: NotQueued[] = [];
    a.client.on("notQueued", (sent) => notQueued.push(sent));
    await a.client.send([b.keys.publicKey], payload(5));
    expect(a.client.fullTargets).toMatchObject([{ device: b.keys.publicKey, reason: "messages" }]);
    expect(notQueued).toHaveLength(1);
    expect(notQueued[0]?.envelope).toEqual(payload(5));
    expect(notQueued[0]?.full).toMatchObject([{ device: b.keys.publicKey, reason: "messages" }]);
    b.client.start();
    await waitFor(() => unique(b).length >= 5, "the five queued");
    expect(
      unique(b)
        .map(indexOf)
        .sort((x, y) => x - y),
    ).toEqual([0, 1, 2, 3, 4]);
    // Once b has drained its mailbox, the next send reaches it and clears the listing.
    await waitFor(async () => {
      await a.client.send([b.keys.publicKey], payload(6));
      return a.client.fullTargets.length === 0;
    }, "b reachable again");
    await waitFor(() => unique(b).map(indexOf).includes(6), "the send after the drain");
  });

  it("a sender over its rate gets RATE_LIMITED and every send still arrives", async () => {
    const r = await relay(["--rate-send-bytes", "3000"]);
    const errors: RelayError[] = [];
    const a = await dev(r.url);
    a.client.on("error", (e) => errors.push(e));
    const b = await dev(r.url);
    for (const d of [a, b]) d.client.start();
    await Promise.all([online(a.client), online(b.client)]);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) => a.client.send([b.keys.publicKey], payload(i, 900))),
    );
    expect(errors.some((e) => e.code === "RATE_LIMITED")).toBe(true);
    await waitFor(() => unique(b).length >= 12, "all 12");
  });
});
