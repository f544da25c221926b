/**
 * Store in IndexedDB, for the browser and Electron's renderer: one object
 * store of key -> bytes. Writes run in strict-durability transactions and
 * resolve only once complete, so an acknowledged record has reached disk,
 * as FileStore's fsync promises in Node; a batch is one transaction, so it
 * commits whole or not at all. Deletes run relaxed (no flush), as store.ts
 * allows.
 */
import { type DBSchema, type IDBPDatabase, openDB, unwrap } from "idb";
import { whenSettled } from "../diagnostics/recent-errors.js";
import { checkKey, type KeyedRecord, type Store, StoreError } from "./store.js";

const RECORDS = "records";
/** The value size IdbStore names as its best (Store.recordBytes). */
export const IDB_RECORD_BYTES = 56 * 1024;

interface Schema extends DBSchema {
  [RECORDS]: { key: string; value: Uint8Array };
}

export class IdbStore implements Store {
  private closed = false;
  /**
   * IndexedDB runs readwrite transactions over the same store one after
   * another, so a second write in flight only queues there, and takes the
   * records that would have joined the next group into a commit of its own:
   * one lane, fewer strict commits (decision 151).
   */
  readonly writeLanes = 1;
  /**
   * Chromium moves a value whose clone passes 64 KiB out into a blob, at several times the
   * page's cost per byte; and its in-memory backend (a private window's) costs half as much
   * again per byte for values past about 60 KiB. 56 KiB keeps a sealed log record, framing
   * included, under both, with fewer puts than the space log's own 48 KiB (decision 175).
   */
  readonly recordBytes = IDB_RECORD_BYTES;

  private constructor(private readonly db: IDBPDatabase<Schema>) {}

  static async open(name: string): Promise<IdbStore> {
    try {
      const db = await openDB<Schema>(name, 1, {
        upgrade: (db) => void db.createObjectStore(RECORDS),
      });
      return new IdbStore(db);
    } catch (err) {
      throw io(`cannot open store ${name}`, err);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    this.check(key);
    let value: unknown;
    try {
      // Each read is a fresh structured clone: the caller may keep or change it.
      value = await this.db.get(RECORDS, key);
    } catch (err) {
      throw io(`cannot read ${key}`, err, key);
    }
    if (value === undefined || value instanceof Uint8Array) return value;
    // Only this class writes here, but the origin's database is open to anything on it.
    throw new StoreError("CORRUPT_RECORD", `record ${key} is not bytes`, key);
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.putMany([[key, value]]);
  }

  async putMany(entries: [key: string, value: Uint8Array][]): Promise<void> {
    this.checkAll(entries.map(([key]) => key));
    if (entries.length === 0) return;
    // Structured clone keeps a view's whole buffer: a view into a larger one is copied, so only
    // its bytes are written. A value that is its whole buffer (a sealed record always is) is
    // cloned as it is: the clone is IndexedDB's own copy, taken during `put`, so the caller's
    // later changes cannot reach the record.
    const copies = entries.map(([key, value]) => [key, ownBuffer(value)] as const);
    try {
      // One transaction: the whole batch commits, or none of it.
      const tx = this.db.transaction(RECORDS, "readwrite", { durability: "strict" });
      // IndexedDB's own requests, not idb's promise per put: a put that fails later aborts the
      // transaction, which `done` reports, so one promise per batch says it all.
      const records = unwrap(tx).objectStore(RECORDS);
      try {
        for (const [key, bytes] of copies) records.put(bytes, key);
      } catch (err) {
        // A put refused as it is made (a value that cannot be cloned) leaves the ones made before
        // it in a transaction that would commit on its own: abort it, so none of the batch lands.
        tx.abort();
        // The abort's own rejection only echoes `err`, thrown below once the abort is done.
        await whenSettled(tx.done);
        throw err;
      }
      await tx.done;
    } catch (err) {
      const keys = entries.map(([key]) => key);
      throw io(`cannot write ${what(keys)}`, err, keys.length === 1 ? keys[0] : undefined);
    }
  }

  delete(key: string): Promise<void> {
    return this.deleteMany([key]);
  }

  async deleteMany(keys: string[]): Promise<void> {
    this.checkAll(keys);
    if (keys.length === 0) return;
    try {
      // Relaxed: a delete need not survive a crash (store.ts), so it waits for no disk flush.
      const tx = this.db.transaction(RECORDS, "readwrite", { durability: "relaxed" });
      await Promise.all([...keys.map((key) => tx.store.delete(key)), tx.done]);
    } catch (err) {
      throw io(`cannot delete ${what(keys)}`, err, keys.length === 1 ? keys[0] : undefined);
    }
  }

  async getMany(keys: string[]): Promise<(Uint8Array | undefined | StoreError)[]> {
    for (const key of keys) this.check(key);
    let values: unknown[];
    try {
      const tx = this.db.transaction(RECORDS, "readonly");
      values = await Promise.all([...keys.map((key) => tx.store.get(key)), tx.done]);
    } catch (err) {
      throw io(`cannot read ${keys.length} records`, err);
    }
    return keys.map((key, i) => {
      const value = values[i];
      if (value === undefined || value instanceof Uint8Array) return value;
      return new StoreError("CORRUPT_RECORD", `record ${key} is not bytes`, key);
    });
  }

  async readPrefix(prefix: string): Promise<KeyedRecord[]> {
    if (this.closed) throw new StoreError("STORE_CLOSED", "store is closed");
    let keys: string[];
    let values: unknown[];
    try {
      // One transaction: the keys and the values are of the same records, in the same order.
      const range = IDBKeyRange.bound(prefix, `${prefix}\uffff`);
      const tx = this.db.transaction(RECORDS, "readonly");
      [keys, values] = await Promise.all([
        tx.store.getAllKeys(range),
        tx.store.getAll(range),
        tx.done,
      ]);
    } catch (err) {
      throw io(`cannot read the records under ${prefix}`, err);
    }
    return keys.map((key, i) => {
      const value = values[i];
      return {
        key,
        value:
          value instanceof Uint8Array
            ? value
            : new StoreError("CORRUPT_RECORD", `record ${key} is not bytes`, key),
      };
    });
  }

  async list(prefix: string): Promise<string[]> {
    if (this.closed) throw new StoreError("STORE_CLOSED", "store is closed");
    try {
      // Keys are [A-Za-z0-9._/-], all below \uffff; IndexedDB returns them in
      // code-unit order, which is the order of Array.prototype.sort.
      return await this.db.getAllKeys(RECORDS, IDBKeyRange.bound(prefix, `${prefix}\uffff`));
    } catch (err) {
      throw io("cannot list the store", err);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    // Lets transactions already started finish, then releases the database.
    this.db.close();
  }

  private check(key: string): void {
    this.checkAll([key]);
  }

  private checkAll(keys: string[]): void {
    if (this.closed) throw new StoreError("STORE_CLOSED", "store is closed");
    for (const key of keys) checkKey(key);
  }
}

function io(message: string, cause: unknown, key?: string): StoreError {
  return new StoreError("STORE_IO", `${message}: ${(cause as Error).message}`, key, { cause });
}

/** `value` itself when it spans its whole buffer, else a copy of its bytes that does. */
function ownBuffer(value: Uint8Array): Uint8Array {
  return value.byteOffset === 0 && value.byteLength === value.buffer.byteLength
    ? value
    : value.slice();
}

/** A batch's keys for an error message: the key itself when there is one. */
function what(keys: string[]): string {
  const [only] = keys;
  return keys.length === 1 && only !== undefined ? only : `a batch of ${keys.length} records`;
}
