/**
 * Shared files through a real relay process: one device seals and stores a
 * file's chunks, another fetches, checks and opens them; the relay refuses
 * what it must (a chunk over its quota, an unknown hash) with typed errors.
 */
import { afterEach, describe, expect, it } from "vitest";
import { CHUNK_BYTES } from "../core/crypto/file-chunks.js";
import { hash32 } from "../core/crypto/hash.js";
import { randomBytes } from "../core/crypto/random.js";
import { downloadFile, uploadFile } from "../core/sync/file-transfer.js";
import type { RelayError } from "../core/sync/relay-transport.js";
import {
  device,
  online,
  type RelayProcess,
  removeDir,
  startRelayProcess,
} from "./relay-harness.js";

const relays: RelayProcess[] = [];
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
  for (const r of relays.splice(0)) {
    await r.stop();
    removeDir(r.dataDir);
  }
});

async function twoDevices(args: string[] = []) {
  const relay = await startRelayProcess({ args });
  relays.push(relay);
  const ann = await device(relay.url);
  const bob = await device(relay.url);
  for (const d of [ann, bob]) {
    d.client.start();
    stops.push(() => d.client.stop());
    await online(d.client);
  }
  return { relay, ann, bob };
}

describe("files through the relay's blob store", () => {
  it("one device shares a file of several chunks, another gets the same bytes, with progress", async () => {
    const { ann, bob } = await twoDevices();
    const bytes = randomBytes(2 * CHUNK_BYTES + 12_345);
    const upload: number[] = [];
    const manifest = await uploadFile(ann.client, bytes, {
      onProgress: (done) => upload.push(done),
    });
    expect(manifest.chunks).toHaveLength(3);
    expect(upload).toEqual([0, CHUNK_BYTES, 2 * CHUNK_BYTES, bytes.length]);
    const download: number[] = [];
    const back = await downloadFile(bob.client, manifest, {
      onProgress: (done) => download.push(done),
    });
    expect(back).toEqual(bytes);
    expect(download.at(-1)).toBe(bytes.length);
    // An empty file is one empty chunk, and comes back empty.
    const empty = await uploadFile(ann.client, new Uint8Array(0));
    expect(await downloadFile(bob.client, empty)).toEqual(new Uint8Array(0));
  });

  it("says NOT_FOUND for a chunk the relay never had, and a wrong key opens nothing", async () => {
    const { ann, bob } = await twoDevices();
    const missing = hash32(randomBytes(10));
    await expect(bob.client.getBlob(missing)).rejects.toMatchObject({ code: "NOT_FOUND" });
    const manifest = await uploadFile(ann.client, randomBytes(1000));
    await expect(
      downloadFile(bob.client, { ...manifest, key: "00".repeat(32) }),
    ).rejects.toMatchObject({ code: "DECRYPT_FAILED" });
    await expect(downloadFile(bob.client, { ...manifest, size: 999 })).rejects.toMatchObject({
      code: "BAD_FORMAT",
    });
    // The relay link is fine after all that: a real transfer still works.
    expect((await downloadFile(bob.client, manifest)).length).toBe(1000);
  });

  it("refuses chunks past the device's blob quota with QUOTA_EXCEEDED, at once", async () => {
    const { ann } = await twoDevices(["--blob-quota-bytes", String(CHUNK_BYTES + 1000)]);
    const errors: RelayError[] = [];
    ann.client.on("error", (e) => errors.push(e));
    await expect(uploadFile(ann.client, randomBytes(2 * CHUNK_BYTES))).rejects.toMatchObject({
      code: "QUOTA_EXCEEDED",
    });
    // The refusal went to the caller, not to the link's error stream.
    expect(errors).toEqual([]);
  });

  it("hears at once when a chunk is too large for the relay's frames, not after a timeout", async () => {
    const { ann } = await twoDevices([
      "--max-frame-bytes",
      "200000",
      "--max-envelope-bytes",
      "100000",
      "--max-blob-bytes",
      "100000",
    ]);
    const started = Date.now();
    await expect(uploadFile(ann.client, randomBytes(300_000))).rejects.toMatchObject({
      code: "FRAME_TOO_LARGE",
    });
    // The refusal names the chunk's hash, so it reaches its request (the timeout is a minute).
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});
