/**
 * Issue 16, finding 3 and the limits keys cannot dodge: a full mailbox
 * costs only its own target, one address cannot fill a mailbox alone, and
 * minting device keys buys no connections, logins or bandwidth. Against a
 * real relay process on loopback; each client IP is an address of 127/8.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { bytesKey } from "../core/crypto/bytes.js";
import { generateDeviceKeys, type SigningKeyPair } from "../core/crypto/identity.js";
import { MemoryOutbox } from "../core/sync/outbox.js";
import type { FullTarget } from "../core/sync/relay-transport.js";
import type { Frame } from "../core/wire/frame-types.js";
import { RelayCloseCode, RelayErrorCode } from "../core/wire/relay-errors.js";
import { seqBytes } from "./fixtures.js";
import { device, online, type RelayProcess, removeDir, tempDir, waitFor } from "./relay-harness.js";
import { relaysPerTest } from "./relay-per-file.js";
import { RawClient } from "./relay-raw.js";

const relay = relaysPerTest();

const KiB = 1024;

/** Sends one envelope and waits for its answer: ack, partialAck or error. */
async function sendOnce(
  c: RawClient,
  id: number,
  targets: Uint8Array[],
  bytes: number,
): Promise<Frame> {
  const msgId = seqBytes(16, id);
  const from = c.frames.length;
  c.send({
    type: "send",
    msgId,
    flags: 0,
    ttlSeconds: 0,
    targets,
    envelope: new Uint8Array(bytes),
  });
  const answer = () =>
    c.frames
      .slice(from)
      .find(
        (f) =>
          (f.type === "ack" || f.type === "partialAck" || f.type === "error") &&
          bytesKey(f.type === "error" ? f.ref : f.msgId) === bytesKey(msgId),
      );
  await waitFor(() => answer() !== undefined, `answer to send ${id}`);
  return answer()!;
}

async function loginFrom(r: RelayProcess, address: string, keys = generateDeviceKeys().sign) {
  const c = await RawClient.open(r.url, address);
  await c.login(keys, r.url);
  return c;
}

describe("finding 3: a full mailbox hurts only itself", () => {
  it("throwaway keys from one address fill no more than its share of a mailbox", async () => {
    const r = await relay([
      "--mailbox-max-bytes",
      String(1024 * KiB),
      "--mailbox-source-share-bytes",
      String(256 * KiB),
    ]);
    const victim = generateDeviceKeys().sign.publicKey;
    // 18 throwaway keys, as in the issue, all from one address.
    const keys: RawClient[] = [];
    for (let i = 0; i < 18; i++) keys.push(await loginFrom(r, "127.0.0.21"));
    const answers: Frame[] = [];
    for (const [i, c] of keys.entries()) answers.push(await sendOnce(c, i, [victim], 64 * KiB));
    expect(answers.filter((a) => a.type === "ack")).toHaveLength(4);
    const refused = answers.filter((a) => a.type === "partialAck");
    expect(refused).toHaveLength(14);
    expect(refused[0]).toMatchObject({ full: [{ target: victim, reason: "source_share" }] });
    for (const c of keys) c.close();
  });

  it("a send reaches every target with room; the client stops retrying the full one and shows it", async () => {
    const r = await relay([
      "--mailbox-max-bytes",
      String(512 * KiB),
      "--mailbox-source-share-bytes",
      String(256 * KiB),
    ]);
    const victimKeys = generateDeviceKeys().sign;
    // Two addresses fill the never-registered victim's mailbox to the brim.
    for (const [a, address] of ["127.0.0.22", "127.0.0.23"].entries()) {
      const c = await loginFrom(r, address);
      for (let i = 0; i < 4; i++) {
        expect((await sendOnce(c, a * 10 + i, [victimKeys.publicKey], 64 * KiB)).type).toBe("ack");
      }
      c.close();
    }

    const outbox = new MemoryOutbox();
    const alice = await device(r.url, { outbox });
    const bob = await device(r.url);
    const seen: FullTarget[][] = [];
    alice.client.on("fullTargets", (t) => seen.push(t));
    for (const d of [alice, bob]) d.client.start();
    await Promise.all([online(alice.client), online(bob.client)]);

    await alice.client.send([victimKeys.publicKey, bob.keys.publicKey], seqBytes(100, 1));
    await waitFor(() => bob.received.length === 1, "bob's delivery");
    expect(alice.client.fullTargets).toMatchObject([
      { device: victimKeys.publicKey, reason: "bytes" },
    ]);
    expect(seen).toHaveLength(1);
    // Nothing is left to retry: the full target is not sent to again.
    expect(await outbox.list()).toEqual([]);

    // Bob keeps receiving while the victim stays full.
    await alice.client.send([victimKeys.publicKey, bob.keys.publicKey], seqBytes(100, 2));
    await waitFor(() => bob.received.length === 2, "bob's second delivery");

    // The victim reads its mail; the next send reaches it and clears it from the list.
    const victim = await device(r.url, {}, victimKeys);
    victim.client.start();
    await waitFor(() => victim.received.length === 8, "the victim's backlog");
    await waitFor(async () => {
      await alice.client.send([victimKeys.publicKey], seqBytes(10, 3));
      return alice.client.fullTargets.length === 0;
    }, "victim reachable again");
    expect(seen.at(-1)).toEqual([]);
    for (const d of [alice, bob, victim]) await d.client.stop();
  });
});

describe("limits that keys cannot dodge", () => {
  it("caps new device keys per address per hour; a known key and another address still log in", async () => {
    const r = await relay(["--new-devices-per-hour", "5"]);
    const first = generateDeviceKeys().sign;
    const ok = [await loginFrom(r, "127.0.0.31", first)];
    for (let i = 0; i < 4; i++) ok.push(await loginFrom(r, "127.0.0.31"));
    const sixth = await RawClient.open(r.url, "127.0.0.31");
    await expect(sixth.login(generateDeviceKeys().sign, r.url)).rejects.toThrow();
    expect((await sixth.closed).code).toBe(RelayCloseCode.TRY_AGAIN_LATER);
    expect(sixth.frames.at(-1)).toMatchObject({ type: "error", code: RelayErrorCode.RATE_LIMITED });
    ok[0]!.close();
    await ok[0]!.closed;
    ok.push(await loginFrom(r, "127.0.0.31", first));
    ok.push(await loginFrom(r, "127.0.0.32"));
    for (const c of ok) c.close();
  });

  it("caps logged-in connections per address", async () => {
    const r = await relay(["--connections-per-source", "3"]);
    const ok = await Promise.all(Array.from({ length: 3 }, () => loginFrom(r, "127.0.0.33")));
    const fourth = await RawClient.open(r.url, "127.0.0.33");
    await expect(fourth.login(generateDeviceKeys().sign, r.url)).rejects.toThrow();
    expect((await fourth.closed).code).toBe(RelayCloseCode.TRY_AGAIN_LATER);
    ok.push(await loginFrom(r, "127.0.0.34"));
    for (const c of ok) c.close();
  });

  it("charges send bytes to the address, however many keys share it", async () => {
    const r = await relay(["--rate-send-bytes-per-source", String(100 * KiB)]);
    const target = generateDeviceKeys().sign.publicKey;
    const keys = await Promise.all(Array.from({ length: 8 }, () => loginFrom(r, "127.0.0.35")));
    const started = performance.now();
    const answers = await Promise.all(keys.map((c, i) => sendOnce(c, i, [target], 50 * KiB)));
    const seconds = (performance.now() - started) / 1000;
    const accepted = answers.filter((a) => a.type === "ack").length;
    // A burst of 200 KiB plus 100 KiB/s: about 4 of the 8.
    expect(accepted * 50).toBeLessThanOrEqual(200 + 100 * seconds + 50);
    expect(
      answers.filter((a) => a.type === "error" && a.code === RelayErrorCode.RATE_LIMITED).length,
    ).toBeGreaterThan(0);
    // Another address has its own budget.
    const other = await loginFrom(r, "127.0.0.36");
    expect((await sendOnce(other, 99, [target], 50 * KiB)).type).toBe("ack");
    for (const c of [...keys, other]) c.close();
  });

  it("on a closed relay counts by access token, across addresses", async () => {
    const dir = tempDir("grove-tokens-");
    const file = join(dir, "tokens");
    writeFileSync(file, "token-one\ntoken-two\n");
    const r = await relay(["--access-token-file", file, "--connections-per-source", "2"]);
    const login = async (address: string, token: string, keys?: SigningKeyPair) => {
      const c = await RawClient.open(r.url, address);
      await c.login(keys ?? generateDeviceKeys().sign, r.url, token);
      return c;
    };
    const ok = [await login("127.0.0.41", "token-one"), await login("127.0.0.42", "token-one")];
    const third = await RawClient.open(r.url, "127.0.0.43");
    await expect(third.login(generateDeviceKeys().sign, r.url, "token-one")).rejects.toThrow();
    ok.push(await login("127.0.0.43", "token-two"));
    for (const c of ok) c.close();
    removeDir(dir);
  });
});
