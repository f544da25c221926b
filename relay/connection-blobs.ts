/**
 * Blob chunks by SHA-256: BLOB_PUT is checked against its hash and the
 * sender's byte budget before the store sees it, and answered once stored
 * (or refused for the quota that is used up: the device's, its source's,
 * or the relay's); BLOB_GET answers with the data or NOT_FOUND. Every
 * answer names the hash. A connection has at most a few gets in flight,
 * since each answer may be a whole chunk.
 */
import { createHash } from "node:crypto";
import type { BlobGetFrame, BlobPutFrame } from "../core/wire/frame-types.js";
import type { ConnectionLink, Session } from "./connection-link.js";
import { spendSendBytes } from "./connection-session.js";

/** Blob gets awaiting the store per connection. */
export const MAX_BLOB_GETS_IN_FLIGHT = 4;

export class BlobHandlers {
  private gets = 0;

  constructor(
    private readonly link: ConnectionLink,
    private readonly session: Session,
  ) {}

  onPut(frame: BlobPutFrame): void {
    const { link } = this;
    const { ctx } = link;
    const c = ctx.config;
    const hash = frame.hash.slice();
    if (frame.data.length > c.maxBlobBytes) {
      return link.refuse("FRAME_TOO_LARGE", `blob chunk exceeds ${c.maxBlobBytes} bytes`, hash);
    }
    const actual = createHash("sha256").update(frame.data).digest();
    if (!actual.equals(hash))
      return link.refuse("HASH_MISMATCH", "blob data does not match its SHA-256", hash);
    if (!spendSendBytes(ctx, this.session, frame.data.length))
      return link.refuse("RATE_LIMITED", "putting blobs too fast; retry later", hash);
    const release = link.hold();
    const data = frame.data.slice();
    const quota = {
      ownerBytes: c.blobQuotaBytes,
      sourceBytes: c.blobQuotaPerSourceBytes,
      totalBytes: c.blobTotalBytes,
    };
    const { device, source } = this.session;
    ctx.writes
      .run(source, data.length, () => ctx.store.putBlob(hash, data, device, quota, source))
      .then((result) => {
        if (result === "stored" || result === "exists")
          return link.send({ type: "blobPutOk", hash });
        ctx.metrics.refusals.inc({ reason: `blob_${result}` });
        const whose = {
          quota: "this device's",
          source_quota: `this ${ctx.tokens ? "access token's" : "address's"}`,
          total_quota: "the relay's",
        }[result];
        link.refuse("QUOTA_EXCEEDED", `${whose} blob storage is used up`, hash);
      })
      .catch((err) => link.storeFailed(err, hash))
      .finally(release);
  }

  onGet(frame: BlobGetFrame): void {
    const { link } = this;
    const hash = frame.hash.slice();
    if (this.gets >= MAX_BLOB_GETS_IN_FLIGHT) {
      return link.refuse(
        "RATE_LIMITED",
        `at most ${MAX_BLOB_GETS_IN_FLIGHT} blob gets in flight per connection`,
        hash,
      );
    }
    this.gets++;
    link.ctx.store
      .getBlob(hash)
      .then((data) => {
        if (!data) return link.refuse("NOT_FOUND", "no blob with this hash", hash);
        link.send({ type: "blobData", hash, data });
      })
      .catch((err) => link.storeFailed(err, hash))
      .finally(() => {
        this.gets--;
      });
  }
}
