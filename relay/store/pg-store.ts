/**
 * RelayStore on PostgreSQL, for several relay nodes sharing one truth.
 *
 * Guarantees: a write resolves only after COMMIT with synchronous_commit=on
 * (flushed on the primary, and on a synchronous standby where one is
 * configured), so an ack survives kill -9 of any node and of the database.
 * A SEND is one transaction: stored once, queued for every target with room
 * or for none. Idempotent by (sender, msgId) across nodes: a second node
 * inserting the same send record waits for the first's commit and then
 * reports a duplicate. Sweeps take a transaction-scoped advisory lock, so
 * one node sweeps at a time and a crashed sweeper frees it.
 *
 * Writes commit in group-commit batches per node, acks in batches of their
 * own (pg-writer.ts); reads use the pool and never wait for writes.
 */
import pg from "pg";
import type { Logger } from "pino";
import {
  LOCK_SCHEMA,
  LOCK_SWEEP_BLOBS,
  LOCK_SWEEP_MAIL,
  PG_SCHEMA,
  PG_SCHEMA_VERSION,
} from "./pg-schema.js";
import { PgWriter, rollback, storeError, type Write } from "./pg-writer.js";
import type {
  BlobPutResult,
  BlobQuota,
  EnqueueRequest,
  EnqueueResult,
  FullReason,
  MailboxQuota,
  RelayStore,
  RelayStoreStats,
  StoredMessage,
} from "./relay-store.js";
import { RelayStoreError } from "./relay-store.js";

export interface PgStoreOptions {
  /** Connections in the pool (default 12: one commits sends, one acks, the rest read). */
  poolSize?: number;
  /** Called after every group commit, for metrics. */
  onCommit?: (ms: number, writes: number) => void;
  /** Names this node's row in the health table (checkWritable). */
  node?: string;
  /** Where failures nobody awaits go (an idle connection lost, a pool that would not end). */
  log?: Logger;
}

const MAX_INT = "9223372036854775807";

export class PgRelayStore implements RelayStore {
  private readonly writer: PgWriter;
  private closed = false;
  private statsRunning: Promise<RelayStoreStats> | undefined;
  /** Blobs fetched since the last sweep, by hex hash: when (written by this node's next sweep). */
  private readonly touched = new Map<string, number>();

  private constructor(
    private readonly pool: pg.Pool,
    private readonly options: PgStoreOptions,
  ) {
    this.writer = new PgWriter(pool, options.onCommit);
  }

  /** Connects, and creates or checks the schema (one node at a time). */
  static async open(url: string, options: PgStoreOptions = {}): Promise<PgRelayStore> {
    const pool = new pg.Pool({
      connectionString: url,
      max: options.poolSize ?? 12,
      connectionTimeoutMillis: 3000,
      idleTimeoutMillis: 30_000,
      // Whatever the server's default: a commit is flushed (and on a synchronous standby) before it returns.
      options: "-c synchronous_commit=on",
      application_name: "grove-relay",
    });
    // An idle client losing its server (restart, failover) must not crash the relay; the pool
    // replaces it, and the next query that needs the server says whether it is back.
    pool.on("error", (err) =>
      options.log?.warn({ err: err.message }, "idle PostgreSQL connection lost"),
    );
    try {
      const client = await pool.connect();
      try {
        await client.query("BEGIN");
        await client.query("SELECT pg_advisory_xact_lock($1)", [LOCK_SCHEMA.toString()]);
        const has = await client.query("SELECT to_regclass('grove_meta') AS t");
        let version: string | undefined;
        if (has.rows[0].t) {
          const v = await client.query("SELECT value FROM grove_meta WHERE key = 'schema'");
          version = v.rows[0]?.value;
          if (version !== undefined && Number(version) !== PG_SCHEMA_VERSION) {
            throw new RelayStoreError("STORE_CORRUPT", `unknown relay store schema ${version}`);
          }
        }
        // Only a new database gets DDL: on a live one, CREATE INDEX and CREATE OR REPLACE
        // FUNCTION would lock tables and functions the running nodes are writing with.
        if (version === undefined) {
          await client.query(PG_SCHEMA);
          await client.query(
            "INSERT INTO grove_meta (key, value) VALUES ('schema', $1) ON CONFLICT (key) DO NOTHING",
            [String(PG_SCHEMA_VERSION)],
          );
        }
        await client.query("COMMIT");
      } catch (err) {
        await rollback(client, err);
        throw err;
      } finally {
        client.release();
      }
    } catch (err) {
      // The open fails with its own error; a pool that also fails to end is only logged.
      await pool
        .end()
        .catch((endErr: unknown) =>
          options.log?.warn(
            { err: (endErr as Error).message },
            "cannot end the pool of a failed open",
          ),
        );
      if (err instanceof RelayStoreError) throw err;
      throw new RelayStoreError(
        "STORE_IO",
        `cannot open the PostgreSQL relay store: ${(err as Error).message}`,
        { cause: err },
      );
    }
    return new PgRelayStore(pool, options);
  }

  enqueue(req: EnqueueRequest, quota: MailboxQuota): Promise<EnqueueResult> {
    return this.write(
      req.targets,
      async (client) => {
        const { rows } = await client.query(
          "SELECT * FROM grove_enqueue($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
          [
            req.sender,
            req.msgId,
            req.targets.map(Buffer.from),
            req.flags,
            req.envelope,
            req.expiresAt,
            req.source ?? "",
            quota.maxMessages,
            quota.maxBytes,
            quota.sourceShareBytes ?? MAX_INT,
          ],
        );
        const row = rows[0] as {
          status: "queued" | "duplicate" | "full";
          seqs: string[];
          full_idx: number[];
          full_reason: FullReason[];
        };
        if (row.status === "duplicate") return { status: "duplicate" };
        const full = row.full_idx.map((i, k) => {
          const device = req.targets[i - 1];
          const reason = row.full_reason[k];
          if (device === undefined || reason === undefined) {
            throw new RelayStoreError("STORE_CORRUPT", "grove_enqueue named a target not sent to");
          }
          return { device, reason };
        });
        if (row.status === "full") return { status: "full", full };
        return { status: "queued", seqs: row.seqs.map(Number), full };
      },
      true,
    ) as Promise<EnqueueResult>;
  }

  async fetch(
    device: Uint8Array,
    afterSeq: number,
    limit: number,
    maxBytes = Number.MAX_SAFE_INTEGER,
  ): Promise<StoredMessage[]> {
    // The byte budget is applied in the query: rows past it are never sent over.
    const { rows } = await this.read(
      `SELECT seq, msg_id, sender, flags, body FROM (
         SELECT m.seq, m.msg_id, m.sender, m.flags, e.body,
                sum(m.size) OVER (ORDER BY m.seq) AS running,
                row_number() OVER (ORDER BY m.seq) AS n
           FROM grove_mail m JOIN grove_envelopes e ON e.id = m.envelope_id
          WHERE m.device = $1 AND m.seq > $2 AND m.expires_at > $3
          ORDER BY m.seq LIMIT $4
       ) x WHERE n = 1 OR running <= $5 ORDER BY seq`,
      [device, afterSeq, Date.now(), limit, maxBytes],
    );
    return rows.map((r) => ({
      seq: Number(r.seq),
      msgId: new Uint8Array(r.msg_id),
      sender: new Uint8Array(r.sender),
      flags: r.flags,
      envelope: new Uint8Array(r.body),
    }));
  }

  ack(device: Uint8Array, seqs: number[]): Promise<void> {
    if (this.closed)
      return Promise.reject(new RelayStoreError("STORE_CLOSED", "relay store is closed"));
    return this.writer.ack(device, seqs);
  }

  async queued(device: Uint8Array): Promise<number> {
    const { rows } = await this.read("SELECT count FROM grove_mailbox_sizes WHERE device = $1", [
      device,
    ]);
    return Number(rows[0]?.count ?? 0);
  }

  /**
   * The newest seq queued for each device (0 for none): what a node re-reads
   * after (re)subscribing to the bus, to find mail whose hint it missed.
   */
  async heads(devices: Uint8Array[]): Promise<number[]> {
    if (devices.length === 0) return [];
    const { rows } = await this.read(
      "SELECT device, next_seq - 1 AS head FROM grove_mailbox_sizes WHERE device = ANY ($1) AND count > 0",
      [devices.map(Buffer.from)],
    );
    const byKey = new Map(rows.map((r) => [(r.device as Buffer).toString("hex"), Number(r.head)]));
    return devices.map((d) => byKey.get(Buffer.from(d).toString("hex")) ?? 0);
  }

  putBlob(
    hash: Uint8Array,
    data: Uint8Array,
    owner: Uint8Array,
    quota: BlobQuota,
    source = "",
  ): Promise<BlobPutResult> {
    return this.write([], async (client) => {
      const { rows } = await client.query(
        "SELECT grove_put_blob($1, $2, $3, $4, $5, $6, $7, $8) AS result",
        [
          hash,
          data,
          owner,
          source,
          Date.now(),
          quota.ownerBytes,
          quota.sourceBytes ?? null,
          quota.totalBytes ?? null,
        ],
      );
      return rows[0].result as BlobPutResult;
    }) as Promise<BlobPutResult>;
  }

  async getBlob(hash: Uint8Array): Promise<Uint8Array | undefined> {
    const { rows } = await this.read("SELECT data FROM grove_blob_data WHERE hash = $1", [hash]);
    // Remembered, and written with this node's next sweep: a read costs no commit of its own.
    if (rows[0]) this.touched.set(Buffer.from(hash).toString("hex"), Date.now());
    return rows[0] ? new Uint8Array(rows[0].data) : undefined;
  }

  sweepExpired(now: number): Promise<number> {
    return this.write([], async (client) => {
      const { rows } = await client.query("SELECT grove_sweep($1, $2) AS n", [
        now,
        LOCK_SWEEP_MAIL.toString(),
      ]);
      return Math.max(0, rows[0].n);
    }) as Promise<number>;
  }

  sweepBlobs(unusedSince: number): Promise<number> {
    const touched = [...this.touched];
    this.touched.clear();
    return this.write([], async (client) => {
      if (touched.length > 0) {
        await client.query(
          `UPDATE grove_blob_meta m SET used_at = greatest(m.used_at, t.at)
             FROM unnest($1::bytea[], $2::bigint[]) AS t(hash, at) WHERE m.hash = t.hash`,
          [touched.map(([hex]) => Buffer.from(hex, "hex")), touched.map(([, at]) => at)],
        );
      }
      const { rows } = await client.query("SELECT grove_sweep_blobs($1, $2) AS n", [
        unusedSince,
        LOCK_SWEEP_BLOBS.toString(),
      ]);
      return Math.max(0, rows[0].n);
    }) as Promise<number>;
  }

  /**
   * Whole-database counts. Calls made while one is running share it: a
   * Prometheus scrape asks for five gauges at once, and each would scan.
   */
  stats(): Promise<RelayStoreStats> {
    this.statsRunning ??= this.readStats().finally(() => {
      this.statsRunning = undefined;
    });
    return this.statsRunning;
  }

  private async readStats(): Promise<RelayStoreStats> {
    const { rows } = await this.read(
      `SELECT m.mailboxes, m.messages, m.bytes,
              (SELECT count(*) FROM grove_blob_meta) AS blobs,
              (SELECT bytes FROM grove_blob_total WHERE id = 1) AS blob_bytes
         FROM (SELECT count(*) FILTER (WHERE count > 0) AS mailboxes,
                      coalesce(sum(count), 0) AS messages, coalesce(sum(bytes), 0) AS bytes
                 FROM grove_mailbox_sizes) m`,
      [],
    );
    const r = rows[0];
    return {
      mailboxes: Number(r.mailboxes),
      messages: Number(r.messages),
      bytes: Number(r.bytes),
      blobs: Number(r.blobs),
      blobBytes: Number(r.blob_bytes),
    };
  }

  checkWritable(): Promise<void> {
    return this.write([], async (client) => {
      await client.query(
        "INSERT INTO grove_health (node, at) VALUES ($1, $2) ON CONFLICT (node) DO UPDATE SET at = excluded.at",
        [this.options.node ?? "relay", Date.now()],
      );
    }) as Promise<void>;
  }

  /** Commits what is queued, then closes the pool. */
  async close(): Promise<void> {
    if (this.closed) return;
    // A last write through the group-commit queue: once it settles, so has everything queued
    // before it (each write's own failure went to its caller). It failing too is only logged.
    const last = this.checkWritable().catch((err: unknown) =>
      this.options.log?.warn({ err: (err as Error).message }, "last write before close failed"),
    );
    await Promise.all([last, this.writer.drained()]);
    this.closed = true;
    await this.pool
      .end()
      .catch((err: unknown) =>
        this.options.log?.warn({ err: (err as Error).message }, "cannot end the PostgreSQL pool"),
      );
  }

  private async read(sql: string, params: unknown[]): Promise<pg.QueryResult> {
    this.assertOpen();
    try {
      return await this.pool.query(sql, params);
    } catch (err) {
      throw storeError(err);
    }
  }

  private assertOpen(): void {
    if (this.closed) throw new RelayStoreError("STORE_CLOSED", "relay store is closed");
  }

  private write(boxes: Uint8Array[], run: Write["run"], single = false): Promise<unknown> {
    if (this.closed)
      return Promise.reject(new RelayStoreError("STORE_CLOSED", "relay store is closed"));
    return this.writer.write(boxes, run, single);
  }
}
