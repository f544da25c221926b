/**
 * Encryption at rest over any Store: each record is sealed with the
 * device's storage key (AES-256-GCM through WebCrypto, random 96-bit IV)
 * and binds its own key name as associated data, so a record copied under
 * another name is refused as corrupt rather than read as something else.
 *
 * The storage key never leaves the device, so the cipher is free to be the
 * platform's native one: sealing a caught-up batch with tweetnacl's
 * secretbox cost a quarter of the catch-up; AES-GCM in WebCrypto is about
 * ten times faster in Node and Chromium alike.
 *
 * Two engines of the one cipher, byte for byte the same records: in Node
 * (and Electron's main side), given the raw key, node:crypto called
 * synchronously; elsewhere, or given a CryptoKey, WebCrypto. Node's
 * WebCrypto runs each call as a job on libuv's thread pool, where a
 * catch-up's records queued behind the FileStore's fsyncs and each came
 * back a thread hop later (with batches applied back to back, the last
 * record was sealed 12 ms after the last apply); sealing a catch-up's 3 MB
 * synchronously takes about 1 ms of this thread.
 *
 * Record layout: version (2) | iv (12) | AES-GCM(value) with AAD = key utf8 (tag: 16)
 */

import type * as NodeCrypto from "node:crypto";
import { utf8 } from "../crypto/bytes.js";
import { nodeBuiltin } from "../crypto/host-builtin.js";
import { randomBytes } from "../crypto/random.js";
import { whenSettled } from "../diagnostics/recent-errors.js";
import {
  checkKey,
  getMany,
  type KeyedRecord,
  readPrefix,
  recordError,
  type Store,
  StoreError,
} from "./store.js";

const VERSION = 2;
const IV = 12;
const TAG = 16;
const HEADER = 1 + IV;
const KEY_BYTES = 32;
/** IVs drawn from the CSPRNG at once: one call per this many records instead of one each. */
const POOLED_IVS = 256;

/**
 * Random IVs, handed out from one larger draw of the CSPRNG. Each slice is
 * given out once and the pool is replaced (never refilled in place) when it
 * runs out, so no IV is reused and none changes after it is handed out. A
 * random IV need not be secret, only unique (2^32 records per key keeps a
 * collision out of reach).
 */
let ivPool: Uint8Array = new Uint8Array(0);
let ivsUsed = 0;

function nextIv(): Uint8Array {
  if ((ivsUsed + 1) * IV > ivPool.length) {
    ivPool = randomBytes(POOLED_IVS * IV);
    ivsUsed = 0;
  }
  const start = ivsUsed * IV;
  ivsUsed++;
  return ivPool.subarray(start, start + IV);
}

/**
 * One implementation of the record cipher: `ciphertext || tag` for a value, and back.
 * node:crypto answers in the same turn, WebCrypto through a promise.
 */
type Engine =
  | {
      readonly name: "node";
      /** The whole record, header included, in one allocation. */
      seal(key: string, iv: Uint8Array, value: Uint8Array): Uint8Array;
      /** The value, or a throw when the tag does not hold. */
      open(key: string, iv: Uint8Array, box: Uint8Array): Uint8Array;
    }
  | {
      readonly name: "webcrypto";
      seal(key: string, iv: Uint8Array, value: Uint8Array): Promise<Uint8Array>;
      open(key: string, iv: Uint8Array, box: Uint8Array): Promise<Uint8Array>;
    };

export type RecordCipherEngine = "node" | "webcrypto";

function header(record: Uint8Array, iv: Uint8Array): void {
  record[0] = VERSION;
  record.set(iv, 1);
}

function webCryptoEngine(cryptoKey: CryptoKey): Engine {
  return {
    name: "webcrypto",
    async seal(key, iv, value) {
      const box = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: "AES-GCM", iv: iv as BufferSource, additionalData: utf8(key) as BufferSource },
          cryptoKey,
          value as BufferSource,
        ),
      );
      const record = new Uint8Array(HEADER + box.length);
      header(record, iv);
      record.set(box, HEADER);
      return record;
    },
    async open(key, iv, box) {
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv: iv as BufferSource, additionalData: utf8(key) as BufferSource },
        cryptoKey,
        box as BufferSource,
      );
      return new Uint8Array(plain);
    },
  };
}

type NodeCryptoModule = typeof NodeCrypto;

function nodeEngine(node: NodeCryptoModule, storageKey: Uint8Array): Engine {
  // A KeyObject, made once: no copy of the raw key kept in this heap, no key setup per record.
  const secret = node.createSecretKey(storageKey);
  return {
    name: "node",
    seal(key, iv, value) {
      const cipher = node.createCipheriv("aes-256-gcm", secret, iv);
      cipher.setAAD(utf8(key));
      const body = cipher.update(value);
      cipher.final();
      const record = new Uint8Array(HEADER + body.length + TAG);
      header(record, iv);
      record.set(body, HEADER);
      record.set(cipher.getAuthTag(), HEADER + body.length);
      return record;
    },
    open(key, iv, box) {
      const decipher = node.createDecipheriv("aes-256-gcm", secret, iv);
      decipher.setAAD(utf8(key));
      decipher.setAuthTag(box.subarray(box.length - TAG));
      const plain = decipher.update(box.subarray(0, box.length - TAG));
      // Throws unless the tag holds: the plaintext above is dropped unread then.
      decipher.final();
      // A plain Uint8Array over the Buffer's own bytes (values stay Uint8Arrays, as from WebCrypto).
      return new Uint8Array(plain.buffer, plain.byteOffset, plain.length);
    },
  };
}

function nodeCrypto(): NodeCryptoModule | undefined {
  const module = nodeBuiltin("node:crypto") as Partial<NodeCryptoModule> | undefined;
  return typeof module?.createCipheriv === "function" &&
    typeof module.createSecretKey === "function"
    ? (module as NodeCryptoModule)
    : undefined;
}

/** Seals and opens records under one storage key. */
export class RecordCipher {
  private constructor(private readonly engine: Engine) {}

  /**
   * From the raw key, or from a (non-extractable) AES-GCM CryptoKey, as the
   * web app keeps it. A raw key in Node takes node:crypto unless `engine`
   * says otherwise (tests hold the two side by side).
   */
  static async create(
    storageKey: Uint8Array | CryptoKey,
    options: { engine?: RecordCipherEngine } = {},
  ): Promise<RecordCipher> {
    if (!(storageKey instanceof Uint8Array)) {
      return new RecordCipher(webCryptoEngine(storageKey));
    }
    if (storageKey.length !== KEY_BYTES) {
      throw new StoreError("BAD_KEY", "storage key must be 32 bytes");
    }
    const node = options.engine === "webcrypto" ? undefined : nodeCrypto();
    if (node) return new RecordCipher(nodeEngine(node, storageKey));
    if (options.engine === "node") throw new Error("node:crypto is not available here");
    const key = await crypto.subtle.importKey("raw", storageKey as BufferSource, "AES-GCM", false, [
      "encrypt",
      "decrypt",
    ]);
    return new RecordCipher(webCryptoEngine(key));
  }

  /** Which implementation seals and opens here. */
  get engineName(): RecordCipherEngine {
    return this.engine.name;
  }

  async seal(key: string, value: Uint8Array): Promise<Uint8Array> {
    return this.engine.seal(key, nextIv(), value);
  }

  /**
   * Seals `entries` in this turn where the engine can (node:crypto), so the caller can hand
   * them on before it does anything else; a promise of them otherwise (WebCrypto).
   */
  sealAll(
    entries: [key: string, value: Uint8Array][],
  ): [string, Uint8Array][] | Promise<[string, Uint8Array][]> {
    const { engine } = this;
    if (engine.name === "node") {
      return entries.map(([key, value]) => [key, engine.seal(key, nextIv(), value)]);
    }
    return Promise.all(
      entries.map(
        async ([key, value]): Promise<[string, Uint8Array]> => [
          key,
          await engine.seal(key, nextIv(), value),
        ],
      ),
    );
  }

  /** Opens a record stored under `key`; throws CORRUPT_RECORD for anything else. */
  async open(key: string, record: Uint8Array): Promise<Uint8Array> {
    const corrupt = (why: string) =>
      new StoreError("CORRUPT_RECORD", `record ${key} is unreadable: ${why}`, key);
    if (record.length < HEADER + TAG) throw corrupt("too short");
    if (record[0] !== VERSION) throw corrupt(`unknown record version ${record[0]}`);
    try {
      return await this.engine.open(key, record.subarray(1, HEADER), record.subarray(HEADER));
    } catch {
      // The tag covers the name too: a record moved under another name fails here as well.
      throw corrupt("authentication failed (damaged, moved, or another storage key)");
    }
  }
}

export class EncryptedStore implements Store {
  private readonly cipher: Promise<RecordCipher>;
  /** The cipher once made: writes then reach the inner store in the caller's turn (`putMany`). */
  private ready: RecordCipher | undefined;

  constructor(
    private readonly inner: Store,
    storageKey: Uint8Array | CryptoKey,
  ) {
    // A wrong-length key is refused here, not at the first read.
    if (storageKey instanceof Uint8Array && storageKey.length !== KEY_BYTES) {
      throw new StoreError("BAD_KEY", "storage key must be 32 bytes");
    }
    this.cipher = RecordCipher.create(storageKey);
    // Reported to whoever reads or writes first; not an unhandled rejection meanwhile.
    void whenSettled(this.cipher);
    this.cipher.then(
      (cipher) => {
        this.ready = cipher;
      },
      // A key that fails is reported by whenSettled above, to the first caller.
      () => undefined,
    );
  }

  /** The inner store's hint, less what sealing adds, so a sealed record stays under it. */
  get recordBytes(): number | undefined {
    const inner = this.inner.recordBytes;
    return inner === undefined ? undefined : inner - HEADER - TAG;
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    const record = await this.inner.get(key);
    return record === undefined ? undefined : (await this.cipher).open(key, record);
  }

  async getMany(keys: string[]): Promise<(Uint8Array | undefined | StoreError)[]> {
    for (const key of keys) checkKey(key);
    const records = await getMany(this.inner, keys);
    const cipher = await this.cipher;
    return Promise.all(
      keys.map((key, i) => {
        const record = records[i];
        return record === undefined || record instanceof StoreError
          ? record
          : cipher.open(key, record).catch(recordError);
      }),
    );
  }

  async readPrefix(prefix: string): Promise<KeyedRecord[]> {
    const records = await readPrefix(this.inner, prefix);
    const cipher = await this.cipher;
    return Promise.all(
      records.map(async ({ key, value }) => ({
        key,
        value:
          value instanceof StoreError ? value : await cipher.open(key, value).catch(recordError),
      })),
    );
  }

  put(key: string, value: Uint8Array): Promise<void> {
    return this.write([[key, value]], true);
  }

  putMany(entries: [key: string, value: Uint8Array][]): Promise<void> {
    return this.write(entries, false);
  }

  /**
   * With node:crypto and the cipher made, sealed and handed to the inner store before this
   * returns: a caller that writes and then works on (a Space applying the batch it logs)
   * has the disk syncing meanwhile. `one`: a single record, through the inner store's `put`.
   */
  private async write(entries: [key: string, value: Uint8Array][], one: boolean): Promise<void> {
    // Every key checked before anything is sealed or written.
    for (const [key] of entries) checkKey(key);
    const cipher = this.ready ?? (await this.cipher);
    const now = cipher.sealAll(entries);
    const sealed = Array.isArray(now) ? now : await now;
    const [only] = sealed;
    await (one && only ? this.inner.put(...only) : this.inner.putMany(sealed));
  }

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.inner.delete(key);
  }

  async deleteMany(keys: string[]): Promise<void> {
    for (const key of keys) checkKey(key);
    await this.inner.deleteMany(keys);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
