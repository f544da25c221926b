/**
 * Where a space keeps the envelopes behind its last checkpoint: one store
 * record per received batch (or per own envelope), holding the envelopes
 * exactly as they arrived. A batch of a thousand envelopes is one sealed
 * record and one durable write, not a thousand.
 *
 * A record is named by the hash of its first envelope, so a batch written
 * again after a failed write replaces the first try instead of doubling it.
 * (Nothing of a failed batch was taken into the ledger, so whatever the
 * replaced record held comes again.) Records are read in any order: applying
 * Yjs updates and taking seqs into the ledger commute.
 */
import { toHex } from "../crypto/bytes.js";
import { envelopeHash } from "../crypto/envelope.js";
import { CryptoError } from "../crypto/errors.js";
import { getMany, type Store, StoreError } from "../store/store.js";
import { DecodeError } from "../wire/errors.js";
import { DEFAULT_LIMITS } from "../wire/limits.js";
import { decodeLogRecord, encodeLogRecord } from "./space-codecs.js";

export interface LogRecord {
  key: string;
  envelopes: Uint8Array[];
}

export function logPrefix(spaceId: string): string {
  return `s/${spaceId}/l/`;
}

/** The record (key and bytes) that logs `envelopes` together. */
export function logRecord(spaceId: string, envelopes: Uint8Array[]): [string, Uint8Array] {
  const [first] = envelopes;
  if (first === undefined) throw new RangeError("a log record holds at least one envelope");
  const name = toHex(envelopeHash(first).subarray(0, 16));
  return [`${logPrefix(spaceId)}${name}`, encodeLogRecord(envelopes)];
}

/**
 * Every log record of a space. A record that does not open or parse is
 * returned as a CORRUPT_RECORD error and skipped; the others still load.
 * The seqs it held show as gaps, which the engine asks members to fill.
 */
export async function readLog(
  store: Store,
  spaceId: string,
): Promise<{ records: LogRecord[]; corrupt: StoreError[] }> {
  const records: LogRecord[] = [];
  const corrupt: StoreError[] = [];
  // All reads at once (one IndexedDB transaction): one round trip to the store after
  // another, then one transaction per record, were most of a long log's load time.
  const keys = await store.list(logPrefix(spaceId));
  const values = await getMany(store, keys);
  keys.forEach((key, i) => {
    const bytes = values[i];
    try {
      if (bytes instanceof StoreError) throw bytes;
      if (bytes)
        records.push({ key, envelopes: decodeLogRecord(bytes, DEFAULT_LIMITS.maxEnvelopeBytes) });
    } catch (err) {
      const damaged = asCorrupt(err, key);
      if (!damaged) throw err;
      corrupt.push(damaged);
    }
  });
  return { records, corrupt };
}

/** Every envelope the log holds, in no particular order (for checks from outside a Space). */
export async function loggedEnvelopes(store: Store, spaceId: string): Promise<Uint8Array[]> {
  const { records } = await readLog(store, spaceId);
  return records.flatMap((r) => r.envelopes);
}

/** A record that cannot be used, as the error to report; undefined for other failures. */
export function asCorrupt(err: unknown, key: string): StoreError | undefined {
  if (err instanceof StoreError && err.code === "CORRUPT_RECORD") return err;
  if (err instanceof DecodeError || err instanceof CryptoError) {
    return new StoreError("CORRUPT_RECORD", `record ${key} does not open: ${err.message}`, key);
  }
  return undefined;
}
