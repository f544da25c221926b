import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { hash32 } from "../crypto/hash.js";
import { randomBytes } from "../crypto/random.js";
import type { Frame } from "../wire/frame-types.js";
import { BlobRequests } from "./blob-requests.js";
import { type BlobLink, downloadFile, uploadFile } from "./file-transfer.js";
import { RelayError } from "./relay-error.js";

function requests() {
  const sent: Frame[] = [];
  let connected = true;
  const blobs = new BlobRequests((f) => {
    if (!connected) return 0;
    sent.push(f);
    return 1;
  }, 1000);
  return { blobs, sent, disconnect: () => (connected = false) };
}

describe("blob requests on one relay connection", () => {
  it("take only data that hashes to what was asked", async () => {
    const { blobs } = requests();
    const data = randomBytes(64);
    const hash = hash32(data);
    const got = blobs.get(hash);
    expect(blobs.onFrame({ type: "blobData", hash, data: randomBytes(64) })).toBe(true);
    await expect(got).rejects.toMatchObject({ code: "HASH_MISMATCH" });
    const again = blobs.get(hash);
    blobs.onFrame({ type: "blobData", hash, data });
    expect(await again).toEqual(data);
  });

  it("send one frame for requests of one hash, and answer them all", async () => {
    const { blobs, sent } = requests();
    const data = randomBytes(10);
    const hash = hash32(data);
    const both = Promise.all([blobs.get(hash), blobs.get(hash)]);
    expect(sent).toHaveLength(1);
    blobs.onFrame({ type: "blobData", hash, data });
    expect(await both).toEqual([data, data]);
    expect(blobs.pending).toBe(0);
  });

  it("refuse to put data under a hash it does not have, and say OFFLINE with no connection", async () => {
    const { blobs, sent, disconnect } = requests();
    await expect(blobs.put(hash32(randomBytes(4)), randomBytes(4))).rejects.toMatchObject({
      code: "HASH_MISMATCH",
    });
    expect(sent).toHaveLength(0);
    await expect(blobs.get(randomBytes(31))).rejects.toMatchObject({ code: "BAD_HASH" });
    expect(blobs.pending).toBe(0);
    disconnect();
    await expect(blobs.get(hash32(randomBytes(4)))).rejects.toMatchObject({ code: "OFFLINE" });
  });

  it("fail everything in flight when the connection goes, and pass refusals to their request", async () => {
    const { blobs } = requests();
    const a = blobs.get(hash32(randomBytes(4)));
    const data = randomBytes(8);
    const b = blobs.put(hash32(data), data);
    const missing = hash32(randomBytes(5));
    const refused = blobs.get(missing);
    expect(blobs.onRefusal(hash32(randomBytes(9)), "NOT_FOUND", "no")).toBe(false);
    expect(blobs.onRefusal(missing, "NOT_FOUND", "no blob with this hash")).toBe(true);
    await expect(refused).rejects.toMatchObject({ code: "NOT_FOUND" });
    blobs.failAll("CONNECTION_LOST", "gone");
    await expect(a).rejects.toMatchObject({ code: "CONNECTION_LOST" });
    await expect(b).rejects.toMatchObject({ code: "CONNECTION_LOST" });
    expect(blobs.pending).toBe(0);
  });

  it("ignore any frame nobody asked for", () => {
    const { blobs } = requests();
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.uint8Array(),
        (hash, data) => {
          expect(blobs.onFrame({ type: "blobData", hash, data })).toBe(false);
          expect(blobs.onFrame({ type: "blobPutOk", hash })).toBe(false);
        },
      ),
    );
  });
});

describe("file transfers", () => {
  it("try a chunk again after a cut-off link, and give up on a refusal retrying cannot fix", async () => {
    const stored = new Map<string, Uint8Array>();
    let cuts = 2;
    const link: BlobLink = {
      async putBlob(hash, data) {
        if (cuts-- > 0) throw new RelayError("CONNECTION_LOST", "cut");
        stored.set(hash.join(), data);
      },
      async getBlob(hash) {
        const data = stored.get(hash.join());
        if (!data) throw new RelayError("NOT_FOUND", "none");
        return data;
      },
    };
    const bytes = randomBytes(5000);
    const manifest = await uploadFile(link, bytes, { retryDelayMs: () => 1 });
    expect(await downloadFile(link, manifest, { retryDelayMs: () => 1 })).toEqual(bytes);
    await expect(
      downloadFile(link, { ...manifest, chunks: ["ab".repeat(32)] }, { retryDelayMs: () => 1 }),
    ).rejects.toMatchObject({ code: "NOT_FOUND" });
    cuts = 10;
    await expect(uploadFile(link, bytes, { retryDelayMs: () => 1 })).rejects.toMatchObject({
      code: "CONNECTION_LOST",
    });
  });
});
