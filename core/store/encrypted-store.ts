/**
 * Encryption at rest over any Store: each record is sealed with the
 * device's storage key (XSalsa20-Poly1305, random nonce) and binds its own
 * key name, so a record copied under another name is refused as corrupt
 * rather than read as something else.
 *
 * Record layout: version (1) | nonce (24) | secretbox(keyLength u16 BE | key utf8 | value)
 */
import nacl from "tweetnacl";
import { utf8 } from "../crypto/bytes.js";
import { randomBytes } from "../crypto/random.js";
import { checkKey, type Store, StoreError } from "./store.js";

const VERSION = 1;
const NONCE = nacl.secretbox.nonceLength;
const HEADER = 1 + NONCE;
/** Nonces drawn from the CSPRNG at once: one call per this many records instead of one each. */
const POOLED_NONCES = 256;

/**
 * Random nonces, handed out from one larger draw of the CSPRNG. Each slice
 * is given out once and the pool is replaced (never refilled in place) when
 * it runs out, so no nonce is reused and none changes after it is handed out.
 * A random nonce need not be secret, only unique.
 */
let noncePool: Uint8Array = new Uint8Array(0);
let noncesUsed = 0;

function nextNonce(): Uint8Array {
  if ((noncesUsed + 1) * NONCE > noncePool.length) {
    noncePool = randomBytes(POOLED_NONCES * NONCE);
    noncesUsed = 0;
  }
  const start = noncesUsed * NONCE;
  noncesUsed++;
  return noncePool.subarray(start, start + NONCE);
}

export function sealRecord(storageKey: Uint8Array, key: string, value: Uint8Array): Uint8Array {
  const name = utf8(key);
  const plain = new Uint8Array(2 + name.length + value.length);
  new DataView(plain.buffer).setUint16(0, name.length);
  plain.set(name, 2);
  plain.set(value, 2 + name.length);
  const nonce = nextNonce();
  const box = nacl.secretbox(plain, nonce, storageKey);
  const record = new Uint8Array(HEADER + box.length);
  record[0] = VERSION;
  record.set(nonce, 1);
  record.set(box, HEADER);
  return record;
}

/** Opens a record stored under `key`; throws CORRUPT_RECORD for anything else. */
export function openRecord(storageKey: Uint8Array, key: string, record: Uint8Array): Uint8Array {
  const corrupt = (why: string) =>
    new StoreError("CORRUPT_RECORD", `record ${key} is unreadable: ${why}`, key);
  if (record.length < HEADER + nacl.secretbox.overheadLength + 2) throw corrupt("too short");
  if (record[0] !== VERSION) throw corrupt(`unknown record version ${record[0]}`);
  const plain = nacl.secretbox.open(
    record.subarray(HEADER),
    record.subarray(1, HEADER),
    storageKey,
  );
  if (!plain) throw corrupt("authentication failed (damaged, or another storage key)");
  const nameLength = new DataView(plain.buffer, plain.byteOffset).getUint16(0);
  const name = new TextDecoder().decode(plain.subarray(2, 2 + nameLength));
  if (2 + nameLength > plain.length || name !== key) throw corrupt("stored under another name");
  return plain.slice(2 + nameLength);
}

export class EncryptedStore implements Store {
  constructor(
    private readonly inner: Store,
    private readonly storageKey: Uint8Array,
  ) {
    if (storageKey.length !== nacl.secretbox.keyLength) {
      throw new StoreError("BAD_KEY", "storage key must be 32 bytes");
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    checkKey(key);
    const record = await this.inner.get(key);
    return record === undefined ? undefined : openRecord(this.storageKey, key, record);
  }

  async put(key: string, value: Uint8Array): Promise<void> {
    checkKey(key);
    await this.inner.put(key, sealRecord(this.storageKey, key, value));
  }

  async putMany(entries: [key: string, value: Uint8Array][]): Promise<void> {
    // Every key checked before anything is sealed or written.
    for (const [key] of entries) checkKey(key);
    await this.inner.putMany(
      entries.map(([key, value]) => [key, sealRecord(this.storageKey, key, value)]),
    );
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
