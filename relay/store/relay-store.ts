/**
 * RelayStore: where a relay keeps mailboxes, envelopes and blobs. Every
 * write resolves only once durable, so "acked" means "survives kill -9".
 * Implementations: SQLite (embedded default); PostgreSQL (several nodes).
 * Each must pass the shared suite in test/relay-store-suite.ts.
 */

export interface StoredMessage {
  seq: number;
  msgId: Uint8Array;
  sender: Uint8Array;
  flags: number;
  envelope: Uint8Array;
  /** Epoch ms after which it must not be delivered; set on messages offered from memory. */
  expiresAt?: number;
}

/** A store may hold a request's arrays until the send settles: callers pass arrays nobody reuses. */
export interface EnqueueRequest {
  sender: Uint8Array;
  msgId: Uint8Array;
  /** Distinct device keys. */
  targets: Uint8Array[];
  flags: number;
  envelope: Uint8Array;
  /** Epoch milliseconds. */
  expiresAt: number;
  /** Where the send came from (client IP or access token id): its share of each mailbox is capped. */
  source?: string;
  /**
   * Follows `targets`: whose device is connected now. A hint for a store
   * that writes rows behind: a live device's row waits for its ack, an
   * offline one's is written with the next commit.
   */
  live?: boolean[];
}

export interface MailboxQuota {
  maxMessages: number;
  maxBytes: number;
  /** Bytes one source may have queued in any one mailbox. */
  sourceShareBytes?: number;
}

/** Why a target got nothing: its mailbox is full, or this source has used its share of it. */
export type FullReason = "messages" | "bytes" | "source_share";

export interface FullTarget {
  device: Uint8Array;
  reason: FullReason;
}

/**
 * A send is queued for every target with room; the full ones are listed.
 * `seqs` follows `targets`, with 0 for a full target. "full" means no
 * target had room and nothing was stored (the msgId may be sent again).
 */
export type EnqueueResult =
  | { status: "queued"; seqs: number[]; full: FullTarget[] }
  | { status: "duplicate" }
  | { status: "full"; full: FullTarget[] };

export interface BlobQuota {
  /** Bytes each device key may store. */
  ownerBytes: number;
  /** Bytes each source (IP or access token) may store, and the relay in all. */
  sourceBytes?: number;
  totalBytes?: number;
}

export type BlobPutResult = "stored" | "exists" | "quota" | "source_quota" | "total_quota";

export interface RelayStoreStats {
  mailboxes: number;
  messages: number;
  bytes: number;
  blobs: number;
  blobBytes: number;
}

export interface RelayStore {
  /**
   * Stores the envelope once and queues it for every target; idempotent on
   * (sender, msgId). Resolves once every target holds it durably: its mail
   * row committed, or its device acked it. A store that orders sends before
   * they are durable calls `staged` with the seqs first, so live devices can
   * be sent it at once (a store read returns it from then on); the rows of
   * devices that ack it in time are never written.
   */
  enqueue(
    request: EnqueueRequest,
    quota: MailboxQuota,
    staged?: (result: EnqueueResult) => void,
  ): Promise<EnqueueResult>;
  /**
   * Messages with seq > afterSeq, ascending, at most `limit`, and no more
   * envelope bytes than `maxBytes` (but always the first); expired ones excluded.
   */
  fetch(
    device: Uint8Array,
    afterSeq: number,
    limit: number,
    maxBytes?: number,
  ): Promise<StoredMessage[]>;
  /** Deletes delivered messages; resolves once durable. Unknown seqs are ignored. */
  ack(device: Uint8Array, seqs: number[]): Promise<void>;
  /**
   * Optional: the newest seq queued for each device (0 for none), in one
   * read. A node of a cluster re-reads its devices' heads after a bus
   * (re)subscribe and on its safety poll; without it, it fetches per device.
   */
  heads?(devices: Uint8Array[]): Promise<number[]>;
  /** How many messages wait for a device. */
  queued(device: Uint8Array): Promise<number>;
  /** Stores a chunk once per hash; putting one that exists refreshes it (see sweepBlobs). */
  putBlob(
    hash: Uint8Array,
    data: Uint8Array,
    owner: Uint8Array,
    quota: BlobQuota,
    source?: string,
  ): Promise<BlobPutResult>;
  /** A chunk, if stored; fetching it refreshes it. */
  getBlob(hash: Uint8Array): Promise<Uint8Array | undefined>;
  /** Drops expired messages and send records; returns how many messages went. */
  sweepExpired(now: number): Promise<number>;
  /** Deletes blobs neither put nor fetched since `unusedSince` (epoch ms); returns how many. */
  sweepBlobs(unusedSince: number): Promise<number>;
  stats(): Promise<RelayStoreStats>;
  /** Throws unless the store can write right now (for /healthz). */
  checkWritable(): Promise<void>;
  close(): Promise<void>;
}

export class RelayStoreError extends Error {
  override readonly name = "RelayStoreError";
  constructor(
    /** STORE_UNAVAILABLE: the database cannot be reached right now (retry later). */
    readonly code: "STORE_CLOSED" | "STORE_CORRUPT" | "STORE_IO" | "STORE_UNAVAILABLE",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
