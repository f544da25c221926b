/**
 * How PgRelayStore commits: one node's writes in group-commit batches, and
 * its acks in batches of their own.
 *
 * Writes that arrive while a batch commits wait and go together in the next
 * transaction, in call order (so one connection's sends keep their order in
 * every mailbox); the batch first locks all its mailboxes in key order, so
 * two nodes' batches queue instead of deadlocking. A write alone in its
 * batch is one statement (no BEGIN/COMMIT round trips). A batch that fails on
 * a conflict between nodes (deadlock, serialization) is run again; one that
 * fails otherwise is replayed one write per transaction, so one bad write
 * cannot fail the others. Acks go as one statement per batch: an ack never
 * waits behind sends, nor a send behind acks.
 */
import type pg from "pg";
import { RelayStoreError } from "./relay-store.js";

/** A write of a batch: what it runs on the batch's client, and which mailboxes it locks. */
export interface Write {
  run: (client: pg.PoolClient) => Promise<unknown>;
  /** Runs as one statement, so it may go without BEGIN/COMMIT when alone in its batch. */
  single?: boolean;
  boxes: Uint8Array[];
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

/** SQLSTATEs of conflicts between concurrent transactions: the batch is simply run again. */
const RETRYABLE = new Set(["40001", "40P01"]);
const MAX_ATTEMPTS = 5;
/** Clients that already have a listener for connection errors (pool clients are reused). */
const guarded = new WeakSet<pg.PoolClient>();

export class PgWriter {
  private queue: Write[] = [];
  private committing = false;
  private acks: {
    device: Uint8Array;
    seqs: number[];
    resolve: () => void;
    reject: (e: unknown) => void;
  }[] = [];
  private acking: Promise<void> | undefined;

  constructor(
    private readonly pool: pg.Pool,
    /** Called after every commit, for metrics. */
    private readonly onCommit?: (ms: number, writes: number) => void,
  ) {}

  /** Resolves once the acks in flight are committed. */
  async drained(): Promise<void> {
    await this.acking;
  }

  /** Queues a write for the next batch; resolves with its value once that batch committed. */
  write(boxes: Uint8Array[], run: Write["run"], single = false): Promise<unknown> {
    return new Promise((resolve, reject) => {
      this.queue.push({ run, boxes, resolve, reject, single });
      if (!this.committing) void this.commitLoop();
    });
  }

  /** One batch at a time; what arrives meanwhile forms the next batch. */
  private async commitLoop(): Promise<void> {
    this.committing = true;
    try {
      while (this.queue.length > 0) {
        const batch = this.queue;
        this.queue = [];
        await this.commitBatch(batch);
      }
    } finally {
      this.committing = false;
    }
  }

  private async commitBatch(batch: Write[]): Promise<void> {
    const started = performance.now();
    let client: pg.PoolClient;
    try {
      client = await this.pool.connect();
      // A connection lost between two statements of a batch is reported on the client; the next
      // statement fails and says so. Unheard, the event would be an uncaught exception.
      if (!guarded.has(client)) {
        guarded.add(client);
        client.on("error", () => undefined);
      }
    } catch (err) {
      const failure = storeError(err);
      for (const w of batch) w.reject(failure);
      return;
    }
    let broken = false;
    try {
      for (let attempt = 1; ; attempt++) {
        try {
          const values = await this.runInTransaction(client, batch);
          this.onCommit?.(performance.now() - started, batch.length);
          batch.forEach((w, i) => {
            w.resolve(values[i]);
          });
          return;
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
          if (batch.length > 1 && !isConnectionError(err)) break; // replay one by one
          broken = isConnectionError(err);
          const failure = storeError(err);
          for (const w of batch) w.reject(failure);
          return;
        }
      }
      // A write failed for reasons of its own: each in its own transaction, so it fails alone.
      for (const w of batch) {
        try {
          const [value] = await this.runInTransaction(client, [w]);
          w.resolve(value);
        } catch (err) {
          broken ||= isConnectionError(err);
          w.reject(storeError(err));
        }
      }
    } finally {
      // A client whose connection broke is destroyed, not returned to the pool.
      client.release(broken ? true : undefined);
    }
  }

  private async runInTransaction(client: pg.PoolClient, writes: Write[]): Promise<unknown[]> {
    // One write alone is one statement: its own transaction, locking what it locks in key order.
    const [only] = writes;
    if (writes.length === 1 && only?.single) return [await only.run(client)];
    await client.query("BEGIN");
    try {
      const boxes = writes.flatMap((w) => w.boxes);
      if (boxes.length > 0)
        await client.query("SELECT grove_lock_boxes($1)", [boxes.map(Buffer.from)]);
      const values: unknown[] = [];
      for (const w of writes) values.push(await w.run(client));
      await client.query("COMMIT");
      return values;
    } catch (err) {
      await rollback(client, err);
      throw err;
    }
  }

  /** Deletes delivered messages in the next ack batch; resolves once committed. */
  ack(device: Uint8Array, seqs: number[]): Promise<void> {
    if (seqs.length === 0) return Promise.resolve();
    return new Promise((resolve, reject) => {
      this.acks.push({ device, seqs, resolve, reject });
      this.startAcks();
    });
  }

  private startAcks(): void {
    this.acking ??= this.ackLoop().finally(() => {
      this.acking = undefined;
      // An ack that came while the loop was ending: start again rather than strand it.
      if (this.acks.length > 0) this.startAcks();
    });
  }

  /** All acks waiting go as one statement (its own transaction): one round trip, one commit. */
  private async ackLoop(): Promise<void> {
    while (this.acks.length > 0) {
      const batch = this.acks;
      this.acks = [];
      const devices: Buffer[] = [];
      const seqs: number[] = [];
      for (const a of batch) {
        for (const seq of a.seqs) {
          devices.push(Buffer.from(a.device));
          seqs.push(seq);
        }
      }
      const started = performance.now();
      for (let attempt = 1; ; attempt++) {
        try {
          await this.pool.query("SELECT grove_ack($1::bytea[], $2::bigint[])", [devices, seqs]);
          this.onCommit?.(performance.now() - started, batch.length);
          for (const a of batch) a.resolve();
          break;
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code && RETRYABLE.has(code) && attempt < MAX_ATTEMPTS) continue;
          const failure = storeError(err);
          for (const a of batch) a.reject(failure);
          break;
        }
      }
    }
  }
}

/**
 * Rolls back after `cause` failed a transaction. If even ROLLBACK fails, the
 * connection is gone or still inside the transaction: that is thrown as
 * STORE_UNAVAILABLE (with `cause`), so the client is destroyed, not pooled.
 */
export async function rollback(client: pg.PoolClient, cause: unknown): Promise<void> {
  try {
    await client.query("ROLLBACK");
  } catch (err) {
    throw new RelayStoreError(
      "STORE_UNAVAILABLE",
      `PostgreSQL: rollback failed (${(err as Error)?.message ?? String(err)}) after: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}

/** Errors that mean the server is gone or going, not that the statement was wrong. */
export function isConnectionError(err: unknown): boolean {
  if (err instanceof RelayStoreError) return err.code === "STORE_UNAVAILABLE";
  const e = err as { code?: string; message?: string };
  if (!e) return false;
  if (e.code && /^(08|57P)/.test(e.code)) return true;
  if (e.code && /^E[A-Z]+$/.test(e.code)) return true; // ECONNREFUSED, ECONNRESET, ...
  return /terminated|Connection terminated|timeout|not queryable|ended/i.test(e.message ?? "");
}

export function storeError(err: unknown): RelayStoreError {
  if (err instanceof RelayStoreError) return err;
  const message = (err as Error)?.message ?? String(err);
  return new RelayStoreError(
    isConnectionError(err) ? "STORE_UNAVAILABLE" : "STORE_IO",
    `PostgreSQL: ${message}`,
    { cause: err },
  );
}
