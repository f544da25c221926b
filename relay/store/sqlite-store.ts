/**
 * The embedded RelayStore: SQLite in WAL mode with synchronous=FULL, so a
 * committed transaction survives a crash of the process or the machine.
 * The file is locked exclusively while open: one relay process per data
 * directory.
 *
 * Group commit: writes queue up during one turn of the event loop and
 * commit together in one transaction (one fsync), each in its own savepoint
 * so one failing write cannot undo another. A write's promise resolves only
 * after that commit, which is what lets the relay ack. Counter rows
 * (mailboxes, shares, envelope references) are written once per commit,
 * inside it (see write-behind.ts).
 *
 * Mail rows are written behind (staged-mail.ts): a send is ordered at once
 * and can be delivered before any commit; a target's row is written only if
 * its device has not acked the message within `holdMs`, and the send
 * settles once its dedupe record is committed and every target holds it
 * durably (a committed row, or the device's ack).
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { base64Key, DeviceKeys } from "./device-keys.js";
import {
  type BlobPutResult,
  type BlobQuota,
  type EnqueueRequest,
  type EnqueueResult,
  type FullReason,
  type FullTarget,
  type MailboxQuota,
  type RelayStore,
  RelayStoreError,
  type RelayStoreStats,
  type StoredMessage,
} from "./relay-store.js";
import { addRow, StagedMail, type StagedRow, type StagedSend, stagedSend } from "./staged-mail.js";
import { WriteBehind } from "./write-behind.js";

const SCHEMA_VERSION = 2;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS envelopes (
  id INTEGER PRIMARY KEY,
  body BLOB NOT NULL,
  refs INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS sent (
  sender BLOB NOT NULL, msg_id BLOB NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (sender, msg_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS sent_expiry ON sent(expires_at);
CREATE TABLE IF NOT EXISTS mail (
  device BLOB NOT NULL, seq INTEGER NOT NULL,
  envelope_id INTEGER NOT NULL, msg_id BLOB NOT NULL, sender BLOB NOT NULL,
  flags INTEGER NOT NULL, size INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (device, seq)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS mail_expiry ON mail(expires_at);
CREATE TABLE IF NOT EXISTS mailboxes (
  device BLOB PRIMARY KEY, next_seq INTEGER NOT NULL,
  count INTEGER NOT NULL, bytes INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS blobs (
  hash BLOB PRIMARY KEY, owner BLOB NOT NULL, data BLOB NOT NULL,
  size INTEGER NOT NULL, created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blobs_owner ON blobs(owner);
CREATE TABLE IF NOT EXISTS health (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
`;

/**
 * Version 2: who queued what (a source's share of each mailbox), who stored
 * which blob and when it was last used (per-source quotas, expiry). Blob
 * bytes and envelope reference counts move out of the rows that hold large
 * data: SQLite reads a column after a large blob by walking its overflow
 * pages and rewrites the whole row on any update, so a quota sum or a
 * reference count next to megabytes of data cost megabytes of I/O per call.
 * Rows from version 1 get an empty source: counted against no one's share.
 */
const SCHEMA_V2 = `
ALTER TABLE mail ADD COLUMN source TEXT NOT NULL DEFAULT '';
CREATE TABLE IF NOT EXISTS shares (
  device BLOB NOT NULL, source TEXT NOT NULL, bytes INTEGER NOT NULL,
  PRIMARY KEY (device, source)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS envelope_refs (id INTEGER PRIMARY KEY, refs INTEGER NOT NULL);
INSERT INTO envelope_refs (id, refs) SELECT id, refs FROM envelopes;
CREATE TABLE IF NOT EXISTS blob_meta (
  hash BLOB PRIMARY KEY, owner BLOB NOT NULL, source TEXT NOT NULL, size INTEGER NOT NULL,
  created_at INTEGER NOT NULL, used_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS blob_meta_owner ON blob_meta(owner);
CREATE INDEX IF NOT EXISTS blob_meta_source ON blob_meta(source);
CREATE INDEX IF NOT EXISTS blob_meta_used ON blob_meta(used_at);
CREATE TABLE IF NOT EXISTS blob_data (hash BLOB NOT NULL UNIQUE, data BLOB NOT NULL);
INSERT INTO blob_meta (hash, owner, source, size, created_at, used_at)
  SELECT hash, owner, '', size, created_at, created_at FROM blobs;
INSERT INTO blob_data (hash, data) SELECT hash, data FROM blobs;
DROP TABLE blobs;
`;

interface Box {
  device: Uint8Array;
  next_seq: number;
  count: number;
  bytes: number;
}

interface Share {
  device: Uint8Array;
  source: string;
  bytes: number;
}

interface EnvelopeRefs {
  id: number;
  refs: number;
}

/** Counter rows held between commits, per table (a row is tens of bytes). */
const CACHED_ROWS = 50_000;

interface Pending {
  run: () => unknown;
  /**
   * One statement touching no cached row: SQLite undoes a failed statement
   * by itself and leaves the transaction open, as a savepoint would, so it
   * runs without one (a SAVEPOINT and a RELEASE per send saved).
   */
  single?: true;
  /** The send whose dedupe record this is: if the record fails, its rows are not written. */
  send?: StagedSend;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
}

export interface SqliteStoreOptions {
  /** Called after every group commit, for metrics. */
  onCommit?: (ms: number, writes: number) => void;
  /**
   * How long a live device's staged mail row waits for its ack before it is
   * written (default 1 s). 0 writes it with the send's own commit.
   */
  holdMs?: number;
}

/**
 * Long enough for a live device's ack to come back even from a busy relay,
 * whose deliveries queue behind a fan-out's (hundreds of ms at saturation);
 * it delays the sender's ACK only for a device that is connected yet does
 * not ack, and only by this much.
 */
const DEFAULT_HOLD_MS = 1000;
/**
 * Pauses before due rows are tried again after a failed commit (a full or
 * failing disk), doubling up to the last: retried at once, they would fail
 * hundreds of times a second, each time with every write queued beside them.
 */
const RETRY_MIN_MS = 50;
const RETRY_MAX_MS = 5000;

export class SqliteRelayStore implements RelayStore {
  private readonly db: Database.Database;
  private queue: Pending[] = [];
  private flushScheduled = false;
  private closed = false;
  private readonly stmt;
  /**
   * Runs a function in a transaction, or in a savepoint when one is open
   * already (each write of a group commit). Made once: better-sqlite3's
   * transaction() builds four wrapped functions and their properties per
   * call, and a commit runs one write per send.
   */
  private readonly transact: (run: () => unknown) => unknown;
  /** All blob bytes stored, kept here so the relay-wide quota costs no scan per put. */
  private blobBytes: number;
  /** Blobs fetched since the last sweep, by hex hash: when. */
  private readonly touched = new Map<string, number>();
  private readonly boxes = new WriteBehind<Box>(CACHED_ROWS);
  private readonly shares = new WriteBehind<Share>(CACHED_ROWS);
  private readonly envelopeRefs = new WriteBehind<EnvelopeRefs>(CACHED_ROWS);
  private readonly staged: StagedMail;
  /** Each device's map keys, made once (not per target per send). */
  private readonly keys = new DeviceKeys();
  /**
   * The next seq of each mailbox a staging has handed out since the last
   * good commit: a commit that fails forgets the cached mailbox rows, and
   * seqs that live devices may hold already must not be handed out again.
   */
  private readonly handedOut = new Map<string, number>();
  /**
   * A commit failed since seqs were handed out: its mailbox rows, dirty with
   * those seqs, were forgotten, and a good commit for other devices would
   * clear `handedOut` without writing them (the seqs then handed out again,
   * and a device's ack of the first one taken for the second).
   */
  private seqsForgotten = false;
  private dueTimer: NodeJS.Timeout | undefined;
  /** The pause before due rows are tried again; 0 after a good commit. */
  private retryMs = 0;

  constructor(
    dataDir: string,
    private readonly options: SqliteStoreOptions = {},
  ) {
    this.staged = new StagedMail(options.holdMs ?? DEFAULT_HOLD_MS);
    mkdirSync(dataDir, { recursive: true });
    try {
      this.db = new Database(join(dataDir, "relay.sqlite"), { timeout: 0 });
      // One process per data directory: a second relay on the same file would keep its own
      // devices and never wake the first's (the lock dies with the process, kill -9 included).
      this.db.pragma("locking_mode = EXCLUSIVE");
      try {
        this.db.pragma("journal_mode = WAL");
        this.db.exec("BEGIN EXCLUSIVE; COMMIT");
      } catch (err) {
        if ((err as { code?: string }).code !== "SQLITE_BUSY") throw err;
        throw new RelayStoreError(
          "STORE_IO",
          `another relay process is using ${dataDir}: one SQLite data directory serves one relay; several relay nodes need --store postgres://… and --bus redis://…`,
          { cause: err },
        );
      }
      this.db.pragma("synchronous = FULL");
      this.db.exec("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
      const version = this.db.prepare("SELECT value FROM meta WHERE key = 'schema'").get() as
        | { value: string }
        | undefined;
      const from = version ? Number(version.value) : 1;
      if (from !== 1 && from !== SCHEMA_VERSION) {
        throw new RelayStoreError("STORE_CORRUPT", `unknown relay store schema ${version?.value}`);
      }
      // A new store is built as version 1 was, then migrated: one path for old and new.
      if (from === 1) {
        this.db.transaction(() => {
          this.db.exec(SCHEMA);
          this.db.exec(SCHEMA_V2);
          this.db
            .prepare(
              "INSERT INTO meta (key, value) VALUES ('schema', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
            )
            .run(String(SCHEMA_VERSION));
        })();
      }
    } catch (err) {
      if (err instanceof RelayStoreError) throw err;
      throw new RelayStoreError(
        "STORE_IO",
        `cannot open relay store in ${dataDir}: ${(err as Error).message}`,
        {
          cause: err,
        },
      );
    }
    const db = this.db;
    this.transact = db.transaction((run: () => unknown) => run());
    this.stmt = {
      sentGet: db.prepare("SELECT 1 FROM sent WHERE sender = ? AND msg_id = ?"),
      sentPut: db.prepare("INSERT INTO sent (sender, msg_id, expires_at) VALUES (?, ?, ?)"),
      boxGet: db.prepare("SELECT next_seq, count, bytes FROM mailboxes WHERE device = ?"),
      boxPut: db.prepare(
        "INSERT INTO mailboxes (device, next_seq, count, bytes) VALUES (?, ?, ?, ?) ON CONFLICT(device) DO UPDATE SET next_seq = excluded.next_seq, count = excluded.count, bytes = excluded.bytes",
      ),
      envPut: db.prepare("INSERT INTO envelopes (body, refs) VALUES (?, 0)"),
      envRefsGet: db.prepare("SELECT refs FROM envelope_refs WHERE id = ?"),
      envRefsSet: db.prepare(
        "INSERT INTO envelope_refs (id, refs) VALUES (?, ?) ON CONFLICT(id) DO UPDATE SET refs = excluded.refs",
      ),
      envDelete: db.prepare("DELETE FROM envelopes WHERE id = ?"),
      envRefsDelete: db.prepare("DELETE FROM envelope_refs WHERE id = ?"),
      mailPut: db.prepare(
        "INSERT INTO mail (device, seq, envelope_id, msg_id, sender, flags, size, expires_at, source) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
      ),
      mailTakeRun: db.prepare(
        "DELETE FROM mail WHERE device = ? AND seq BETWEEN ? AND ? RETURNING envelope_id, size, source",
      ),
      shareGet: db.prepare("SELECT bytes FROM shares WHERE device = ? AND source = ?"),
      shareSet: db.prepare(
        "INSERT INTO shares (device, source, bytes) VALUES (?, ?, ?) ON CONFLICT(device, source) DO UPDATE SET bytes = excluded.bytes",
      ),
      shareDelete: db.prepare("DELETE FROM shares WHERE device = ? AND source = ?"),
      mailFetch: db.prepare(
        "SELECT m.seq, m.msg_id, m.sender, m.flags, e.body FROM mail m JOIN envelopes e ON e.id = m.envelope_id WHERE m.device = ? AND m.seq > ? AND m.expires_at > ? ORDER BY m.seq LIMIT ?",
      ),
      mailExpired: db.prepare("SELECT device, seq FROM mail WHERE expires_at <= ? LIMIT 1000"),
      sentExpire: db.prepare("DELETE FROM sent WHERE expires_at <= ?"),
      queued: db.prepare("SELECT count FROM mailboxes WHERE device = ?"),
      blobHas: db.prepare("SELECT 1 FROM blob_meta WHERE hash = ?"),
      blobUsage: db.prepare("SELECT COALESCE(SUM(size), 0) AS used FROM blob_meta WHERE owner = ?"),
      blobSourceUsage: db.prepare(
        "SELECT COALESCE(SUM(size), 0) AS used FROM blob_meta WHERE source = ?",
      ),
      blobTotal: db.prepare("SELECT COALESCE(SUM(size), 0) AS used FROM blob_meta"),
      blobPut: db.prepare(
        "INSERT INTO blob_meta (hash, owner, size, created_at, source, used_at) VALUES (?, ?, ?, ?, ?, ?)",
      ),
      blobDataPut: db.prepare("INSERT INTO blob_data (hash, data) VALUES (?, ?)"),
      blobTouch: db.prepare("UPDATE blob_meta SET used_at = MAX(used_at, ?) WHERE hash = ?"),
      blobGet: db.prepare("SELECT data FROM blob_data WHERE hash = ?"),
      blobExpire: db.prepare("DELETE FROM blob_meta WHERE used_at < ? RETURNING hash, size"),
      blobDataDelete: db.prepare("DELETE FROM blob_data WHERE hash = ?"),
      health: db.prepare(
        "INSERT INTO health (id, at) VALUES (1, ?) ON CONFLICT(id) DO UPDATE SET at = excluded.at",
      ),
    };
    this.blobBytes = (this.stmt.blobTotal.get() as { used: number }).used;
  }

  enqueue(
    req: EnqueueRequest,
    quota: MailboxQuota,
    onStaged?: (result: EnqueueResult) => void,
  ): Promise<EnqueueResult> {
    if (this.closed)
      return Promise.reject(new RelayStoreError("STORE_CLOSED", "relay store is closed"));
    const dedupe = `${this.keys.key(req.sender)}|${base64Key(req.msgId)}`;
    const earlier = this.staged.pending(dedupe);
    if (earlier) {
      // Ordered already (its first copy was): the caller's turn ends; the answer waits for the first.
      if (onStaged) queueMicrotask(() => onStaged({ status: "duplicate" }));
      return earlier.then(() => ({ status: "duplicate" }));
    }
    try {
      if (this.stmt.sentGet.get(req.sender, req.msgId))
        return Promise.resolve({ status: "duplicate" });
      return this.stage(req, quota, dedupe, onStaged);
    } catch (err) {
      return Promise.reject(
        new RelayStoreError("STORE_IO", `enqueue failed: ${(err as Error).message}`, {
          cause: err,
        }),
      );
    }
  }

  /** Orders a send now: seqs handed out, quota reserved, rows staged; settles as the class comment says. */
  private stage(
    req: EnqueueRequest,
    quota: MailboxQuota,
    dedupe: string,
    onStaged?: (result: EnqueueResult) => void,
  ): Promise<EnqueueResult> {
    const size = req.envelope.length;
    const source = req.source ?? "";
    const share = quota.sourceShareBytes ?? Number.MAX_SAFE_INTEGER;
    const { targets } = req;
    const full: FullTarget[] = [];
    const seqs = new Array<number>(targets.length).fill(0);
    const now = Date.now();
    const heldUntil = now + this.staged.holdMs;
    let resolveSend: (result: EnqueueResult) => void = () => undefined;
    let rejectSend: (error: unknown) => void = () => undefined;
    const settled = new Promise<EnqueueResult>((resolve, reject) => {
      resolveSend = resolve;
      rejectSend = reject;
    });
    const result: EnqueueResult & { status: "queued" } = { status: "queued", seqs, full };
    const send = stagedSend(req, source, now, result, resolveSend, rejectSend);
    // Each target on its own: a full mailbox (or a source's used-up share of it) costs that
    // target this message, not every other target of the send. Targets are distinct, so one
    // target's seq does not change another's quota check: one pass, no list of the open ones.
    for (let i = 0; i < targets.length; i++) {
      const device = targets[i] as Uint8Array;
      const key = this.keys.key(device);
      const shared = source ? this.keys.shareKey(device, source) : key;
      const box = this.box(key, device);
      const staged = this.staged.reservedFor(key);
      const held = source
        ? this.share(shared, device, source).bytes + this.staged.shareFor(shared)
        : 0;
      const reason: FullReason | undefined =
        box.count + staged.count + 1 > quota.maxMessages
          ? "messages"
          : box.bytes + staged.bytes + size > quota.maxBytes
            ? "bytes"
            : held + size > share
              ? "source_share"
              : undefined;
      if (reason) {
        full.push({ device, reason });
        continue;
      }
      const handed = this.handedOut.get(key);
      const seq = handed !== undefined && handed > box.next_seq ? handed : box.next_seq;
      // Written with the next commit, rows or not: a seq is never handed out twice.
      this.boxes.setKept(key, { ...box, next_seq: seq + 1 });
      this.handedOut.set(key, seq + 1);
      seqs[i] = seq;
      const live = req.live?.[i] === true && this.staged.waitsFor(key);
      // The request's own copy of the key, held no longer than the send: no copy per target.
      addRow(send, key, shared, device, seq, live ? heldUntil : now);
    }
    if (send.rows.length === 0) return Promise.resolve({ status: "full", full });
    const staged = send;
    this.staged.add(staged, dedupe, settled);
    // Settled within the commit's own turn (not a promise later), so close() sees it recorded.
    this.queue.push({
      run: () => this.stmt.sentPut.run(req.sender, req.msgId, req.expiresAt),
      single: true,
      send: staged,
      resolve: () => this.staged.recorded(staged),
      reject: (err) => this.staged.failed(staged, err),
    });
    this.flushSoon();
    this.scheduleDue();
    if (onStaged) queueMicrotask(() => onStaged(result));
    return settled;
  }

  /** Writes due rows of one send; runs inside the commit's transaction. */
  private writeRows(send: StagedSend, rows: StagedRow[]): StagedRow[] {
    const req = send.request;
    const size = req.envelope.length;
    let id = send.envelopeId;
    if (id === undefined) {
      id = Number(this.stmt.envPut.run(req.envelope).lastInsertRowid);
      this.envelopeRefs.set(String(id), { id, refs: 0 });
    }
    const envelopeId = id;
    const env = this.envelopeRefs.get(String(envelopeId), () => ({
      id: envelopeId,
      refs: (this.stmt.envRefsGet.get(envelopeId) as { refs: number } | undefined)?.refs ?? 0,
    }));
    this.envelopeRefs.set(String(envelopeId), { id: envelopeId, refs: env.refs + rows.length });
    for (const row of rows) {
      this.stmt.mailPut.run(
        row.device,
        row.seq,
        envelopeId,
        req.msgId,
        req.sender,
        req.flags,
        size,
        req.expiresAt,
        send.source,
      );
      const box = this.box(row.key, row.device);
      this.boxes.set(row.key, {
        ...box,
        next_seq: Math.max(box.next_seq, row.seq + 1),
        count: box.count + 1,
        bytes: box.bytes + size,
      });
      if (send.source) {
        const held = this.share(row.shareKey, row.device, send.source);
        this.shares.set(row.shareKey, { ...held, bytes: held.bytes + size });
      }
    }
    send.envelopeId = envelopeId;
    return rows;
  }

  private box(key: string, device: Uint8Array): Box {
    const held = this.boxes.peek(key);
    if (held) return held;
    const row = this.stmt.boxGet.get(device) as Omit<Box, "device"> | undefined;
    // A copy: the caller's key may be a view into a frame buffer that is reused later.
    return this.boxes.loaded(key, {
      device: Uint8Array.from(device),
      next_seq: row?.next_seq ?? 1,
      count: row?.count ?? 0,
      bytes: row?.bytes ?? 0,
    });
  }

  /** A source's share of a device's mailbox; `shared` is shareKey(the device's key, source). */
  private share(shared: string, device: Uint8Array, source: string): Share {
    const held = this.shares.peek(shared);
    if (held) return held;
    const row = this.stmt.shareGet.get(device, source) as { bytes: number } | undefined;
    return this.shares.loaded(shared, {
      device: Uint8Array.from(device),
      source,
      bytes: row?.bytes ?? 0,
    });
  }

  async fetch(
    device: Uint8Array,
    afterSeq: number,
    limit: number,
    maxBytes = Number.MAX_SAFE_INTEGER,
  ): Promise<StoredMessage[]> {
    this.assertOpen();
    const out: StoredMessage[] = [];
    let bytes = 0;
    // Iterated, not .all(): rows past the byte budget are never read into memory.
    const now = Date.now();
    let last = afterSeq;
    let cut = false;
    for (const row of this.stmt.mailFetch.iterate(device, afterSeq, now, limit)) {
      const r = row as { seq: number; msg_id: Buffer; sender: Buffer; flags: number; body: Buffer };
      if (out.length > 0 && bytes + r.body.length > maxBytes) {
        cut = true;
        break;
      }
      bytes += r.body.length;
      last = r.seq;
      out.push({
        seq: r.seq,
        msgId: new Uint8Array(r.msg_id),
        sender: new Uint8Array(r.sender),
        flags: r.flags,
        envelope: new Uint8Array(r.body),
      });
    }
    // Then what is staged: every staged seq of a device is above its written ones.
    if (cut) return out;
    for (const m of this.staged.read(this.keys.key(device), last, now)) {
      if (out.length >= limit || (out.length > 0 && bytes + m.envelope.length > maxBytes)) break;
      bytes += m.envelope.length;
      out.push(m);
    }
    return out;
  }

  /** Staged rows acked are dropped before they are ever written; written ones are deleted. */
  ack(device: Uint8Array, seqs: number[]): Promise<void> {
    if (this.closed)
      return Promise.reject(new RelayStoreError("STORE_CLOSED", "relay store is closed"));
    const written = this.staged.acked(this.keys.key(device), seqs);
    if (written.length === 0) return Promise.resolve();
    return this.write(() => {
      this.dropMail(device, written);
    }) as Promise<void>;
  }

  async queued(device: Uint8Array): Promise<number> {
    this.assertOpen();
    const written = (this.stmt.queued.get(device) as { count: number } | undefined)?.count ?? 0;
    return written + this.staged.reservedFor(this.keys.key(device)).count;
  }

  putBlob(
    hash: Uint8Array,
    data: Uint8Array,
    owner: Uint8Array,
    quota: BlobQuota,
    source = "",
  ): Promise<BlobPutResult> {
    return this.write(() => {
      const now = Date.now();
      if (this.stmt.blobHas.get(hash)) {
        this.stmt.blobTouch.run(now, hash);
        return "exists";
      }
      const used = (stmt: Database.Statement, ...args: unknown[]) =>
        (stmt.get(...args) as { used: number }).used;
      if (used(this.stmt.blobUsage, owner) + data.length > quota.ownerBytes) return "quota";
      if (
        quota.sourceBytes !== undefined &&
        used(this.stmt.blobSourceUsage, source) + data.length > quota.sourceBytes
      ) {
        return "source_quota";
      }
      if (quota.totalBytes !== undefined && this.blobBytes + data.length > quota.totalBytes) {
        return "total_quota";
      }
      this.stmt.blobPut.run(hash, owner, data.length, now, source, now);
      this.stmt.blobDataPut.run(hash, data);
      this.blobBytes += data.length;
      return "stored";
    }) as Promise<BlobPutResult>;
  }

  async getBlob(hash: Uint8Array): Promise<Uint8Array | undefined> {
    this.assertOpen();
    const row = this.stmt.blobGet.get(hash) as { data: Buffer } | undefined;
    // Remembered, and written with the next sweep: a read costs no commit of its own.
    if (row) this.touched.set(Buffer.from(hash).toString("hex"), Date.now());
    return row ? new Uint8Array(row.data) : undefined;
  }

  sweepBlobs(unusedSince: number): Promise<number> {
    return this.write(() => {
      for (const [hex, at] of this.touched) this.stmt.blobTouch.run(at, Buffer.from(hex, "hex"));
      this.touched.clear();
      const gone = this.stmt.blobExpire.all(unusedSince) as { hash: Buffer; size: number }[];
      for (const { hash, size } of gone) {
        this.stmt.blobDataDelete.run(hash);
        this.blobBytes -= size;
      }
      return gone.length;
    }) as Promise<number>;
  }

  sweepExpired(now: number): Promise<number> {
    return this.write(() => {
      let dropped = 0;
      for (;;) {
        const rows = this.stmt.mailExpired.all(now) as { device: Buffer; seq: number }[];
        if (rows.length === 0) break;
        for (const r of rows) dropped += this.dropMail(r.device, [r.seq]);
      }
      this.stmt.sentExpire.run(now);
      return dropped;
    }) as Promise<number>;
  }

  async stats(): Promise<RelayStoreStats> {
    this.assertOpen();
    const mail = this.db
      .prepare(
        "SELECT COUNT(*) AS mailboxes, COALESCE(SUM(count), 0) AS messages, COALESCE(SUM(bytes), 0) AS bytes FROM mailboxes WHERE count > 0",
      )
      .get() as { mailboxes: number; messages: number; bytes: number };
    const blobs = this.db
      .prepare("SELECT COUNT(*) AS blobs, COALESCE(SUM(size), 0) AS blobBytes FROM blob_meta")
      .get() as { blobs: number; blobBytes: number };
    return { ...mail, ...blobs };
  }

  checkWritable(): Promise<void> {
    return this.write(() => {
      this.stmt.health.run(Date.now());
    }) as Promise<void>;
  }

  /** Commits what is queued, then closes the database. */
  async close(): Promise<void> {
    if (this.closed) return;
    clearTimeout(this.dueTimer);
    // Twice: the first records the sends, the second writes the rows of any whose record it failed to.
    this.flush(true);
    this.flush(true);
    this.closed = true;
    this.staged.failAll(new RelayStoreError("STORE_CLOSED", "relay store is closed"));
    this.db.close();
  }

  /** Deletes a device's messages, releasing envelopes no mailbox references; returns how many existed. */
  private dropMail(device: Uint8Array, seqs: number[]): number {
    const key = this.keys.key(device);
    let count = 0;
    let bytes = 0;
    const bySource = new Map<string, number>();
    // Acks come in runs of consecutive seqs: one statement per run, not per seq.
    const taken: { envelope_id: number; size: number; source: string }[] = [];
    for (const [from, to] of runsOf(seqs)) {
      taken.push(...(this.stmt.mailTakeRun.all(device, from, to) as typeof taken));
    }
    for (const row of taken) {
      count++;
      bytes += row.size;
      if (row.source) bySource.set(row.source, (bySource.get(row.source) ?? 0) + row.size);
      const id = row.envelope_id;
      const env = this.envelopeRefs.get(String(id), () => ({
        id,
        refs: (this.stmt.envRefsGet.get(id) as { refs: number } | undefined)?.refs ?? 0,
      }));
      this.envelopeRefs.set(String(id), { id, refs: env.refs - 1 });
    }
    for (const [source, size] of bySource) {
      const shared = this.keys.shareKey(device, source);
      const held = this.share(shared, device, source);
      this.shares.set(shared, { ...held, bytes: held.bytes - size });
    }
    if (count > 0) {
      const box = this.box(key, device);
      this.boxes.set(key, { ...box, count: box.count - count, bytes: box.bytes - bytes });
    }
    return count;
  }

  /** Writes the counter rows this commit changed; runs inside its transaction. */
  private writeBack(): void {
    for (const [, box] of this.boxes.takeChanged())
      this.stmt.boxPut.run(box.device, box.next_seq, box.count, box.bytes);
    for (const [, share] of this.shares.takeChanged()) {
      if (share.bytes > 0) this.stmt.shareSet.run(share.device, share.source, share.bytes);
      else this.stmt.shareDelete.run(share.device, share.source);
    }
    for (const [, env] of this.envelopeRefs.takeChanged()) {
      if (env.refs > 0) this.stmt.envRefsSet.run(env.id, env.refs);
      else {
        this.stmt.envDelete.run(env.id);
        this.stmt.envRefsDelete.run(env.id);
      }
    }
  }

  /** Every mailbox a staging handed seqs out of since the last good commit, written as far as those. */
  private rememberHandedOut(): void {
    for (const [key, next] of this.handedOut) {
      const box = this.box(key, Buffer.from(key, "base64"));
      if (box.next_seq < next) this.boxes.set(key, { ...box, next_seq: next });
    }
  }

  private readonly caches = [this.boxes, this.shares, this.envelopeRefs];

  private assertOpen(): void {
    if (this.closed) throw new RelayStoreError("STORE_CLOSED", "relay store is closed");
  }

  private write(run: () => unknown): Promise<unknown> {
    if (this.closed)
      return Promise.reject(new RelayStoreError("STORE_CLOSED", "relay store is closed"));
    return new Promise((resolve, reject) => {
      this.queue.push({ run, resolve, reject });
      this.flushSoon();
    });
  }

  private flushSoon(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    setImmediate(() => this.flush());
  }

  /** A commit when the oldest staged row falls due, unless one comes sooner. */
  private scheduleDue(): void {
    if (this.dueTimer || this.closed) return;
    const at = this.staged.nextDue();
    if (at === undefined) return;
    this.dueTimer = setTimeout(
      () => {
        this.dueTimer = undefined;
        this.flush();
      },
      Math.max(this.retryMs, at - Date.now()),
    );
  }

  private flush(all = false): void {
    this.flushScheduled = false;
    const batch = this.queue;
    this.queue = [];
    if (this.closed) return;
    const due = this.staged.due(Date.now(), all);
    if (batch.length === 0 && due.size === 0) return this.scheduleDue();
    const outcomes: { op: Pending; ok: boolean; value: unknown }[] = [];
    const written: StagedRow[] = [];
    const envelopes = [...due.keys()].map((send) => [send, send.envelopeId] as const);
    const started = performance.now();
    try {
      this.transact(() => {
        for (const op of batch) {
          try {
            // A nested transaction is a savepoint: a failing write rolls back alone.
            outcomes.push({ op, ok: true, value: op.single ? op.run() : this.transact(op.run) });
            for (const cache of this.caches) cache.keep();
          } catch (err) {
            // SQLite rolled the whole transaction back (SQLITE_FULL, IOERR, NOMEM, BUSY may):
            // every later write would run in autocommit, be kept, and still be answered failed.
            if (!this.db.inTransaction) throw err;
            for (const cache of this.caches) cache.drop();
            // Refused to its sender: its rows due now must not be stored all the same.
            if (op.send) due.delete(op.send);
            outcomes.push({ op, ok: false, value: err });
          }
        }
        // Rows not acked in time: a failure here fails the commit, and they stay staged.
        for (const [send, rows] of due) written.push(...this.writeRows(send, rows));
        if (this.seqsForgotten) this.rememberHandedOut();
        for (const cache of this.caches) cache.keep();
        this.writeBack();
      });
    } catch (err) {
      for (const cache of this.caches) cache.reset();
      // The mailbox rows that carried handed-out seqs are forgotten: the next good commit writes them.
      if (this.handedOut.size > 0) this.seqsForgotten = true;
      for (const [send, id] of envelopes) send.envelopeId = id;
      this.staged.requeue([...due.values()].flat());
      const failure = new RelayStoreError("STORE_IO", `commit failed: ${(err as Error).message}`, {
        cause: err,
      });
      for (const op of batch) op.reject(failure);
      this.retryMs = Math.min(Math.max(2 * this.retryMs, RETRY_MIN_MS), RETRY_MAX_MS);
      this.scheduleDue();
      return;
    }
    if (this.retryMs > 0) {
      // The disk is back: a retry timer set for a long pause would hold rows due sooner.
      clearTimeout(this.dueTimer);
      this.dueTimer = undefined;
      this.retryMs = 0;
    }
    this.handedOut.clear();
    this.seqsForgotten = false;
    this.options.onCommit?.(performance.now() - started, batch.length + due.size);
    for (const { op, ok, value } of outcomes) {
      if (ok) op.resolve(value);
      else op.reject(value);
    }
    this.staged.written(written);
    this.scheduleDue();
  }
}

/** Sorted runs of consecutive numbers, duplicates dropped: [from, to] inclusive. */
export function runsOf(numbers: number[]): [number, number][] {
  const sorted = [...new Set(numbers)].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const n of sorted) {
    const last = runs[runs.length - 1];
    if (last && n === last[1] + 1) last[1] = n;
    else runs.push([n, n]);
  }
  return runs;
}
