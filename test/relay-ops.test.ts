/**
 * What an operator and the app rely on besides mail: health, metrics, the
 * join page, the CLI, graceful shutdown, blobs, ephemeral sends, and that
 * the data directory never holds plaintext.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ed25519 } from "../core/crypto/ed25519.js";
import { GENESIS_HASH, sealEnvelope } from "../core/crypto/envelope.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { EnvelopeKind } from "../core/wire/envelope.js";
import { RelayCloseCode, RelayErrorCode } from "../core/wire/relay-errors.js";
import { EPOCH_KEY, SPACE_ID, seqBytes } from "./fixtures.js";
import { device, online, waitFor } from "./relay-harness.js";
import { relaysPerTest } from "./relay-per-file.js";
import { RawClient } from "./relay-raw.js";

const ROOT = new URL("..", import.meta.url).pathname;
const relay = relaysPerTest();

describe("relay operations", () => {
  it("serves /healthz, Prometheus /metrics and a join page that keeps the fragment local", async () => {
    const r = await relay();
    const a = await device(r.url);
    a.client.start();
    await online(a.client);
    await a.client.send([generateDeviceKeys().sign.publicKey], seqBytes(100));

    const health = await fetch(`http://127.0.0.1:${r.port}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toMatchObject({ status: "ok", connections: 1 });

    const metrics = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
    for (const name of [
      "grove_relay_connections 1",
      "grove_relay_mailboxes 1",
      "grove_relay_queued_messages 1",
      "grove_relay_queued_bytes 100",
      'grove_relay_sends_total{kind="stored"} 1',
      "grove_relay_store_commit_seconds_bucket",
      "grove_relay_deliveries_total",
      "grove_relay_acks_total",
    ]) {
      expect(metrics).toContain(name);
    }

    const join = await fetch(`http://127.0.0.1:${r.port}/join`);
    const html = await join.text();
    expect(join.status).toBe(200);
    expect(join.headers.get("content-security-policy")).toMatch(
      /default-src 'none'; script-src 'sha256-/,
    );
    expect(html).toContain("grove://join");
    expect(html).toContain("location.hash");
    expect(html).not.toMatch(/fetch\(|XMLHttpRequest|sendBeacon/);
    expect((await fetch(`http://127.0.0.1:${r.port}/nope`)).status).toBe(404);
    await a.client.stop();
  });

  it("counts refusals by code in /metrics", async () => {
    const r = await relay();
    const raw = await RawClient.open(r.url);
    raw.send(new Uint8Array([1, 0x7f]));
    expect((await raw.next("error")).code).toBe(RelayErrorCode.BAD_FRAME);
    raw.send({ type: "resend", fromSeq: 1 });
    expect((await raw.next("error", 1)).code).toBe(RelayErrorCode.AUTH_REQUIRED);
    const metrics = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
    expect(metrics).toContain('grove_relay_errors_total{code="BAD_FRAME"} 1');
    expect(metrics).toContain('grove_relay_errors_total{code="AUTH_REQUIRED"} 1');
    raw.close();
  });

  it("stores blobs by SHA-256 and refuses a blob whose data does not match", async () => {
    const r = await relay();
    const raw = await RawClient.open(r.url);
    await raw.login(generateDeviceKeys().sign, r.url);
    const data = seqBytes(5000);
    const hash = new Uint8Array(createHash("sha256").update(data).digest());
    raw.send({ type: "blobPut", hash, data });
    expect((await raw.next("blobPutOk")).hash).toEqual(hash);
    raw.send({ type: "blobGet", hash });
    expect((await raw.next("blobData")).data).toEqual(data);
    const from = raw.frames.length;
    raw.send({ type: "blobPut", hash, data: seqBytes(5000, 1) });
    expect((await raw.next("error", from)).code).toBe(RelayErrorCode.HASH_MISMATCH);
    raw.send({ type: "blobGet", hash: new Uint8Array(32) });
    expect((await raw.next("error", from + 1)).code).toBe(RelayErrorCode.NOT_FOUND);
    raw.close();
  });

  it("forwards ephemeral sends to online devices only and never stores them", async () => {
    const r = await relay();
    const a = await device(r.url);
    const b = await device(r.url);
    a.client.start();
    b.client.start();
    await Promise.all([online(a.client), online(b.client)]);
    const offline = generateDeviceKeys().sign.publicKey;
    expect(a.client.sendEphemeral([b.keys.publicKey, offline], seqBytes(30))).toBe(true);
    await waitFor(() => b.received.length === 1, "ephemeral delivery");
    expect(b.received[0]!.ephemeral).toBe(true);
    const metrics = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
    expect(metrics).toContain("grove_relay_queued_messages 0");
    await a.client.stop();
    await b.client.stop();
  });

  it("never writes plaintext to its data directory", async () => {
    const r = await relay();
    const backend = await ed25519();
    const author = generateDeviceKeys().sign;
    const a = await device(r.url, {}, author);
    a.client.start();
    await online(a.client);
    const marker = "GROVE-PLAINTEXT-MARKER-7f3a9c";
    const offline = generateDeviceKeys().sign.publicKey;
    const envelopes: Uint8Array[] = [];
    for (let seq = 1; seq <= 20; seq++) {
      const envelope = await sealEnvelope(
        {
          kind: EnvelopeKind.update,
          spaceId: SPACE_ID,
          epoch: 0,
          seq,
          prevHash: GENESIS_HASH,
          payload: new TextEncoder().encode(`${marker} #${seq}`),
        },
        EPOCH_KEY,
        author,
        backend,
      );
      envelopes.push(envelope);
      await a.client.send([offline], envelope);
    }
    await a.client.stop();
    expect(await (async () => (await fetch(`http://127.0.0.1:${r.port}/healthz`)).status)()).toBe(
      200,
    );
    await r.stop(); // graceful: checkpoints nothing away, files stay
    const files = readdirSync(r.dataDir).map((f) => readFileSync(join(r.dataDir, f)));
    const all = Buffer.concat(files);
    expect(all.includes(Buffer.from(marker))).toBe(false);
    // The scan reads what the relay stored: the ciphertext itself is there.
    expect(all.includes(Buffer.from(envelopes[0]!.subarray(-64)))).toBe(true);
  });

  it("shuts down gracefully on SIGTERM, tells connected devices why (SHUTTING_DOWN, close 1001) and keeps acked mail", async () => {
    const r = await relay();
    const a = await device(r.url);
    a.client.start();
    await online(a.client);
    const target = generateDeviceKeys().sign;
    await Promise.all(
      Array.from({ length: 30 }, (_, i) => a.client.send([target.publicKey], seqBytes(50, i))),
    );
    await a.client.stop();
    const watcher = await RawClient.open(r.url);
    await watcher.login(generateDeviceKeys().sign, r.url);
    expect(await r.stop()).toBe(0);
    const last = watcher.frames.at(-1);
    expect(last).toMatchObject({ type: "error", code: RelayErrorCode.SHUTTING_DOWN });
    expect((await watcher.closed).code).toBe(RelayCloseCode.GOING_AWAY);
    expect(r.logs.join("\n")).toContain("relay stopped");
    const again = await relay([], { dataDir: r.dataDir });
    const b = await device(again.url, {}, target);
    b.client.start();
    await waitFor(() => b.received.length === 30, "30 deliveries after restart");
    await b.client.stop();
  });

  it("--help lists every flag with its environment variable; bad flags exit 2", () => {
    const help = execFileSync(process.execPath, ["--import", "tsx", "relay/main.ts", "--help"], {
      cwd: ROOT,
    }).toString();
    for (const flag of [
      "--port",
      "--data",
      "--public-url",
      "--access-token-file",
      "--max-envelope-bytes",
      "--mailbox-max-messages",
      "--rate-send-bytes",
    ]) {
      expect(help).toContain(flag);
    }
    expect(help).toContain("GROVE_RELAY_PORT");
    expect(help).toContain("GROVE_RELAY_PUBLIC_URL");
    const bad = spawnSync(
      process.execPath,
      ["--import", "tsx", "relay/main.ts", "--port", "nope"],
      { cwd: ROOT },
    );
    expect(bad.status).toBe(2);
    const badConfig = spawnSync(
      process.execPath,
      ["--import", "tsx", "relay/main.ts", "--public-url", "ftp://x"],
      { cwd: ROOT },
    );
    expect(badConfig.status).toBe(2);
    expect(badConfig.stderr.toString()).toMatch(/relay URL must be ws, wss, http or https/);
  });

  it("takes its settings from GROVE_RELAY_* environment variables", async () => {
    const r = await relay([], {
      env: { GROVE_RELAY_MAX_TARGETS: "2", GROVE_RELAY_PUBLIC_URL: "https://relay.example" },
    });
    expect(r.logs.join("\n")).toContain('"origin":"wss://relay.example"');
    const raw = await RawClient.open(r.url);
    const challenge = await raw.hello();
    expect(challenge.maxTargets).toBe(2);
    expect(challenge.relayUrl).toBe("wss://relay.example");
    raw.close();
  });
});
