/**
 * The local store seam: keyed records, the same interface over IndexedDB
 * in the browser and files in Node. Values are opaque bytes; encryption at
 * rest is a layer on top (EncryptedStore), so every backend gets it alike.
 *
 * Durability: writes (`put`, `putMany`) are on disk once they resolve.
 * Deletes are not: once one resolves the record is gone for every later
 * call, but after a crash (power loss, OS crash) a deleted record may be
 * back. Grove deletes only records that are harmless to see again: log
 * records behind a durable checkpoint (a duplicate the seq ledger drops)
 * and outbox entries the relay acked (a resend is stored once by msgId,
 * and receivers drop the duplicate). Skipping the flush keeps compaction
 * from costing a disk sync per record. A caller that needs a removal to
 * survive a crash must write a record that says so instead.
 */

export interface Store {
  get(key: string): Promise<Uint8Array | undefined>;
  /** Durable once resolved. */
  put(key: string, value: Uint8Array): Promise<void>;
  /**
   * Writes several records; durable once resolved. Every key is checked
   * first: a bad key (or a closed store) rejects the call and nothing is
   * written. A key given twice keeps its last value. All-or-nothing where
   * the backend allows (IndexedDB: one transaction). FileStore is not: a
   * failure or crash part-way may leave some of the batch, any subset, each
   * record whole (its old or new bytes). So batch only records that each
   * stand alone.
   */
  putMany(entries: [key: string, value: Uint8Array][]): Promise<void>;
  /** Not durable across a crash; see the top of this file. */
  delete(key: string): Promise<void>;
  /** `delete` for several keys; every key is checked first, as in `putMany`. */
  deleteMany(keys: string[]): Promise<void>;
  /** Keys starting with `prefix`, sorted. */
  list(prefix: string): Promise<string[]>;
  /**
   * Reads several records at once (IndexedDB: one transaction, where a
   * transaction per record cost most of loading a long log). A slot holds
   * the record, undefined if absent, or the StoreError that record alone
   * gave (CORRUPT_RECORD); a failure of the store itself rejects the call.
   * Optional: `getMany` below falls back to one `get` per key.
   */
  getMany?(keys: string[]): Promise<(Uint8Array | undefined | StoreError)[]>;
  /**
   * Every record whose key starts with `prefix`, sorted by key, in one read
   * (IndexedDB: one range request for the keys and one for the values,
   * where a request per record was most of loading a long log). A value is
   * the record or the StoreError it alone gave. Optional: `readPrefix`
   * below falls back to `list` and `getMany`.
   */
  readPrefix?(prefix: string): Promise<KeyedRecord[]>;
  /**
   * The value size this backend writes best at or under, for a caller free to
   * cut its data into records (the space log cuts a received batch). A hint,
   * not a limit: larger values are written all the same. Absent: the caller
   * keeps its own default, sized for IndexedDB (space-log.ts).
   */
  readonly recordBytes?: number | undefined;
  close(): Promise<void>;
}

export type StoreErrorCode = "BAD_KEY" | "CORRUPT_RECORD" | "STORE_IO" | "STORE_CLOSED";

export class StoreError extends Error {
  override readonly name = "StoreError";
  constructor(
    readonly code: StoreErrorCode,
    message: string,
    /** The record concerned, so a loader can skip it and go on. */
    readonly key?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Several records from `store`, by its `getMany` where it has one; see Store.getMany. */
export function getMany(
  store: Store,
  keys: string[],
): Promise<(Uint8Array | undefined | StoreError)[]> {
  if (store.getMany) return store.getMany(keys);
  return Promise.all(keys.map((key) => store.get(key).catch(recordError)));
}

/** One record read by prefix: its bytes, or the error that record alone gave. */
export interface KeyedRecord {
  key: string;
  value: Uint8Array | StoreError;
}

/** Every record under `prefix`, by the store's `readPrefix` where it has one; see Store.readPrefix. */
export async function readPrefix(store: Store, prefix: string): Promise<KeyedRecord[]> {
  if (store.readPrefix) return store.readPrefix(prefix);
  const keys = await store.list(prefix);
  const values = await getMany(store, keys);
  const out: KeyedRecord[] = [];
  values.forEach((value, i) => {
    const key = keys[i];
    // Gone between the listing and the read (a checkpoint's delete): not there.
    if (key !== undefined && value !== undefined) out.push({ key, value });
  });
  return out;
}

/** A record's own failure into its slot; anything else (the store failing) goes on up. */
export function recordError(err: unknown): StoreError {
  if (err instanceof StoreError && err.code === "CORRUPT_RECORD") return err;
  throw err;
}

/** Keys: 1-120 characters of [A-Za-z0-9._/-], so every backend can use them as names. */
export function checkKey(key: string): void {
  if (!/^[A-Za-z0-9._/-]{1,120}$/.test(key)) {
    throw new StoreError("BAD_KEY", `invalid store key ${JSON.stringify(key.slice(0, 40))}`);
  }
}
