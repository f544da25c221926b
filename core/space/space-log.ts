/**
 * Where a space keeps the envelopes behind its last checkpoint: a store
 * record per received batch (or per own envelope; a large batch is split
 * into records under the size its store names: 56 KiB on IndexedDB, 1 MiB on
 * files; else 48 KiB), holding the
 * envelopes exactly as they arrived. A batch of a thousand envelopes is a
 * few sealed records (one on files) and one durable write, not a thousand.
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
import { readPrefix, type Store, StoreError } from "../store/store.js";
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
  if (!first) throw new RangeError("a log record holds at least one envelope");
  const name = toHex(envelopeHash(first).subarray(0, 16));
  return [`${logPrefix(spaceId)}${name}`, encodeLogRecord(envelopes)];
}

/**
 * Envelope bytes one log record holds at most (a larger envelope gets a record of its own),
 * unless the store names its own size (Store.recordBytes). Chromium's IndexedDB moves a value
 * of 64 KiB or more out into a blob, which costs the page's main thread about five times as
 * much per write; a received batch of a few hundred chat messages is past that, so it is
 * logged as several records, still written together. IdbStore names its own size (56 KiB,
 * decision 175), files prefer one record per batch: this one is for stores that name none.
 */
export const LOG_RECORD_BYTES = 48 * 1024;

/** The records that log `envelopes`: in order, each under `maxBytes` unless one alone is. */
export function logRecords(
  spaceId: string,
  envelopes: Uint8Array[],
  maxBytes = LOG_RECORD_BYTES,
): [string, Uint8Array][] {
  const records: [string, Uint8Array][] = [];
  let run: Uint8Array[] = [];
  let bytes = 0;
  for (const envelope of envelopes) {
    if (run.length > 0 && bytes + envelope.length > maxBytes) {
      records.push(logRecord(spaceId, run));
      run = [];
      bytes = 0;
    }
    run.push(envelope);
    bytes += envelope.length;
  }
  if (run.length > 0) records.push(logRecord(spaceId, run));
  return records;
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
  // All reads at once (one IndexedDB range read): a round trip to the store per record, then
  // a request per record, were most of a long log's load time.
  for (const { key, value } of await readPrefix(store, logPrefix(spaceId))) {
    try {
      if (value instanceof StoreError) throw value;
      records.push({ key, envelopes: decodeLogRecord(value, DEFAULT_LIMITS.maxEnvelopeBytes) });
    } catch (err) {
      const damaged = asCorrupt(err, key);
      if (!damaged) throw err;
      corrupt.push(damaged);
    }
  }
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
