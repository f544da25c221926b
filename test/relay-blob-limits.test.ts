/**
 * Issue 16, finding 5: blob storage bounded whatever the device keys (per
 * address and in total), BLOB_PUT charged to the byte rate, and chunks
 * nobody puts or fetches expire. Against a real relay process on loopback.
 */
import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { bytesKey } from "../core/crypto/bytes.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import type { Frame } from "../core/wire/frame-types.js";
import { RelayErrorCode } from "../core/wire/relay-errors.js";
import { httpBase, metric } from "./relay-attack.js";
import { type RelayProcess, waitFor } from "./relay-harness.js";
import { relaysPerTest } from "./relay-per-file.js";
import { RawClient } from "./relay-raw.js";

const relay = relaysPerTest();

const KiB = 1024;
const sha256 = (data: Uint8Array) => new Uint8Array(createHash("sha256").update(data).digest());
const chunk = (n: number, size = 100 * KiB) => new Uint8Array(size).fill(n);

async function loginFrom(r: RelayProcess, address: string) {
  const c = await RawClient.open(r.url, address);
  await c.login(generateDeviceKeys().sign, r.url);
  return c;
}

/** Sends one blob frame and waits for the answer that names its hash. */
async function blobRequest(c: RawClient, frame: Frame & { hash: Uint8Array }): Promise<Frame> {
  const from = c.frames.length;
  c.send(frame);
  const answer = () =>
    c.frames
      .slice(from)
      .find(
        (f) =>
          (f.type === "blobPutOk" || f.type === "blobData" || f.type === "error") &&
          bytesKey(f.type === "error" ? f.ref : f.hash) === bytesKey(frame.hash),
      );
  await waitFor(() => answer() !== undefined, "blob answer");
  return answer()!;
}
const put = (c: RawClient, data: Uint8Array) =>
  blobRequest(c, { type: "blobPut", hash: sha256(data), data });
const get = (c: RawClient, data: Uint8Array) =>
  blobRequest(c, { type: "blobGet", hash: sha256(data) });

describe("finding 5: blob storage", () => {
  it("caps blob bytes per address whatever the keys, and in total", async () => {
    const r = await relay([
      "--blob-quota-per-source-bytes",
      String(300 * KiB),
      "--blob-total-bytes",
      String(500 * KiB),
    ]);
    // The attack: a fresh key per chunk, all from one address.
    const answers: Frame[] = [];
    for (let i = 0; i < 8; i++) {
      const c = await loginFrom(r, "127.0.0.61");
      answers.push(await put(c, chunk(i)));
      c.close();
    }
    expect(answers.filter((a) => a.type === "blobPutOk")).toHaveLength(3);
    const refused = answers.filter((a) => a.type === "error");
    expect(refused).toHaveLength(5);
    expect(refused[0]).toMatchObject({ code: RelayErrorCode.QUOTA_EXCEEDED });
    expect((refused[0] as { message: string }).message).toContain("address's");

    const other = await loginFrom(r, "127.0.0.62");
    expect((await put(other, chunk(20))).type).toBe("blobPutOk");
    expect((await put(other, chunk(21))).type).toBe("blobPutOk");
    const full = await put(other, chunk(22));
    expect(full).toMatchObject({ type: "error", code: RelayErrorCode.QUOTA_EXCEEDED });
    expect((full as { message: string }).message).toContain("relay's");
    other.close();
  });

  it("charges BLOB_PUT to the address's byte rate", async () => {
    const r = await relay(["--rate-send-bytes-per-source", String(200 * KiB)]);
    const c = await loginFrom(r, "127.0.0.63");
    const started = performance.now();
    const answers = await Promise.all(Array.from({ length: 8 }, (_, i) => put(c, chunk(40 + i))));
    const seconds = (performance.now() - started) / 1000;
    const stored = answers.filter((a) => a.type === "blobPutOk").length;
    // A burst of 400 KiB plus 200 KiB/s, in chunks of 100 KiB.
    expect(stored * 100).toBeLessThanOrEqual(400 + 200 * seconds + 100);
    expect(answers.some((a) => a.type === "error" && a.code === RelayErrorCode.RATE_LIMITED)).toBe(
      true,
    );
    c.close();
  });

  it("expires chunks nobody put or fetched within the TTL; a fetch keeps one alive", async () => {
    const r = await relay(["--blob-ttl", "1", "--sweep-interval-ms", "100"]);
    const c = await loginFrom(r, "127.0.0.64");
    const [kept, dropped] = [chunk(1, 10 * KiB), chunk(2, 10 * KiB)];
    expect((await put(c, kept)).type).toBe("blobPutOk");
    expect((await put(c, dropped)).type).toBe("blobPutOk");
    await waitFor(async () => {
      // Fetched on every poll: used, so kept. (Fetching the other would keep it too.)
      expect((await get(c, kept)).type).toBe("blobData");
      return (await metric(httpBase(r.url), "grove_relay_blobs")) === 1;
    }, "the unused chunk to expire");
    expect((await get(c, kept)).type).toBe("blobData");
    expect(await get(c, dropped)).toMatchObject({ type: "error", code: RelayErrorCode.NOT_FOUND });
    c.close();
  });
});
