/**
 * The browser Store as the app uses it (EncryptedStore over IdbStore), for
 * Playwright, plus raw access to what IndexedDB itself holds. Store errors
 * come back as `{ code, key }` values: thrown errors lose their class when
 * they cross page.evaluate.
 */
import { openDB } from "idb";
import { fromHex, toHex, utf8 } from "../../../core/crypto/bytes.js";
import { loggedEnvelopes, logRecords } from "../../../core/space/space-log.js";
import { IdbStore } from "../../../core/store/dom-idb-store.js";
import { EncryptedStore } from "../../../core/store/encrypted-store.js";
import { type Store, StoreError, type StoreErrorCode } from "../../../core/store/store.js";
import { type StoreHarness, storeContract } from "../../store-contract.js";

export type Outcome<T> = { ok: T } | { code: StoreErrorCode; key?: string | undefined };

let store: Store | undefined;
let dbName = "";

function current(): Store {
  if (!store) throw new Error("open a store first");
  return store;
}

async function attempt<T>(op: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: await op() };
  } catch (err) {
    if (!(err instanceof StoreError)) throw err;
    return { code: err.code, key: err.key };
  }
}

/** Opens the database by name alone, so it sees whatever is there, not what IdbStore expects. */
async function raw<T>(
  use: (db: Awaited<ReturnType<typeof openDB>>, objects: string) => Promise<T>,
) {
  const db = await openDB(dbName);
  try {
    const names = [...db.objectStoreNames];
    if (names.length !== 1) throw new Error(`expected one object store, found ${names}`);
    const [objects] = names;
    if (objects === undefined) throw new Error("no object store");
    return await use(db, objects);
  } finally {
    db.close();
  }
}

const api = {
  /** Encrypted at rest, as the app opens it. */
  async open(name: string, keyByte = 7) {
    dbName = name;
    store = new EncryptedStore(await IdbStore.open(name), new Uint8Array(32).fill(keyByte));
  },
  /** The bare IndexedDB backend, without encryption. */
  async openPlain(name: string) {
    dbName = name;
    store = await IdbStore.open(name);
  },
  put: (key: string, text: string) => attempt(() => current().put(key, utf8(text))),
  /** Stores bytes `start..end` of `text` as a view into its larger buffer. */
  putView: (key: string, text: string, start: number, end: number) =>
    attempt(() => current().put(key, utf8(text).subarray(start, end))),
  get: (key: string) =>
    attempt(async () => {
      const value = await current().get(key);
      return value && new TextDecoder().decode(value);
    }),
  /** One getMany: each slot's text, null when absent, or its error code. */
  getMany: (keys: string[]) =>
    attempt(async () =>
      ((await current().getMany?.(keys)) ?? []).map((v) =>
        v instanceof StoreError
          ? { code: v.code, key: v.key }
          : v === undefined
            ? null
            : new TextDecoder().decode(v),
      ),
    ),
  /** One readPrefix: each record's key and text, or its error code. */
  readPrefix: (prefix: string) =>
    attempt(async () =>
      (await (current().readPrefix?.(prefix) ?? Promise.resolve([]))).map(({ key, value }) =>
        value instanceof StoreError
          ? { key, code: value.code }
          : { key, text: new TextDecoder().decode(value) },
      ),
    ),
  delete: (key: string) => attempt(() => current().delete(key)),
  /** One putMany of `[key, text]` pairs. */
  putMany: (entries: [string, string][]) =>
    attempt(() => current().putMany(entries.map(([key, text]) => [key, utf8(text)]))),
  /**
   * One putMany of `[key, text]` pairs, the value at `detached` over a buffer transferred
   * away beforehand: IndexedDB cannot clone it, and refuses its put as it is made.
   */
  putManyDetached: (entries: [string, string][], detached: number) =>
    attempt(() =>
      current().putMany(
        entries.map(([key, text], i) => {
          const bytes = utf8(text);
          if (i === detached) structuredClone(bytes.buffer, { transfer: [bytes.buffer] });
          return [key, bytes];
        }),
      ),
    ),
  /**
   * Logs `count` random envelopes of `bytes` each as a Space logs a received batch (cut at the
   * store's record size), in one putMany: the size the store names and each record's length
   * as IndexedDB holds it.
   */
  async logBatch(count: number, bytes: number) {
    const envelopes = Array.from({ length: count }, () =>
      crypto.getRandomValues(new Uint8Array(bytes)),
    );
    const named = current().recordBytes;
    await current().putMany(logRecords("ab".repeat(32), envelopes, named));
    const lengths = await raw(async (db, objects) =>
      (await db.getAll(objects)).map((value) => (value as Uint8Array).length),
    );
    return { named, lengths, envelopes: envelopes.map(toHex).sort() };
  },
  /** Every envelope the log of logBatch's space holds, as hex, sorted. */
  logged: async () => (await loggedEnvelopes(current(), "ab".repeat(32))).map(toHex).sort(),
  deleteMany: (keys: string[]) => attempt(() => current().deleteMany(keys)),
  list: (prefix: string) => attempt(() => current().list(prefix)),
  close: () => attempt(() => current().close()),

  /**
   * Runs one case of the shared Store contract (test/store-contract.ts) on
   * IdbStore, bare or encrypted, in a database of its own: its failure
   * comes back as the message, since errors lose their class on the way.
   */
  async contract(name: string, encrypted: boolean, db: string): Promise<string> {
    const c = storeContract.find((x) => x.name === name);
    if (!c) return `no contract case named ${name}`;
    const open = async () => {
      const idb = await IdbStore.open(db);
      return encrypted ? new EncryptedStore(idb, new Uint8Array(32).fill(7)) : idb;
    };
    const harness: StoreHarness = { open, reopen: open };
    try {
      await c.run(harness);
      return "ok";
    } catch (err) {
      return err instanceof Error ? `${err.name}: ${err.message}` : String(err);
    }
  },

  /** Every record as IndexedDB holds it: its key and the whole buffer behind its value. */
  rawRecords: () =>
    raw(async (db, objects) => {
      const keys = await db.getAllKeys(objects);
      const values = await db.getAll(objects);
      return keys.map((key, i) => {
        const value = values[i];
        if (!(value instanceof Uint8Array)) throw new Error(`${key} holds no Uint8Array`);
        return { key: String(key), hex: toHex(new Uint8Array(value.buffer)) };
      });
    }),
  /** Overwrites a record behind the store's back. */
  rawPut: (key: string, hex: string) =>
    raw(async (db, objects) => void (await db.put(objects, fromHex(hex), key))),
};

export type StoreApi = typeof api;

(globalThis as unknown as { grove: StoreApi }).grove = api;
