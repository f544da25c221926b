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

export function sealRecord(storageKey: Uint8Array, key: string, value: Uint8Array): Uint8Array {
  const name = utf8(key);
  const plain = new Uint8Array(2 + name.length + value.length);
  new DataView(plain.buffer).setUint16(0, name.length);
  plain.set(name, 2);
  plain.set(value, 2 + name.length);
  const nonce = randomBytes(NONCE);
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

  async delete(key: string): Promise<void> {
    checkKey(key);
    await this.inner.delete(key);
  }

  list(prefix: string): Promise<string[]> {
    return this.inner.list(prefix);
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
