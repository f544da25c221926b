/**
 * Byte formats of the sync engine's own payloads and records. Sync requests
 * and answers travel inside envelopes (so they are signed and encrypted);
 * the checkpoint is a space's compacted state in the local store. Decoders
 * are strict and throw only DecodeError: a payload comes from the network
 * and a record from disk, and neither is trusted.
 *
 *   SyncRequest: u8 version, varbytes stateVector, floors
 *   SyncAnswer:  u8 version, varbytes update, floors
 *   floors:      varuint count, count x (bytes32 author, varuint floor)
 *   Checkpoint:  u8 version, varbytes doc, 2 x writer (varuint seq, bytes32 hash),
 *                varuint count, count x (bytes32 author, u8 stream, varuint floor,
 *                varuint n, n x varuint seq)
 *   LogRecord:   u8 version, varuint count, count x varbytes envelope
 */
import * as encoding from "lib0/encoding";
import { fromHex, toHex } from "../crypto/bytes.js";
import type { WriterState } from "../crypto/envelope-writer.js";
import { HASH_BYTES, KEY_BYTES } from "../wire/envelope.js";
import { DecodeError } from "../wire/errors.js";
import {
  decodeStrict,
  encodeWith,
  type Reader,
  varUintLength,
  writeFixed,
} from "../wire/reader.js";
import type { LedgerEntry } from "./seq-ledger.js";

const VERSION = 1;
/** Far above any real group; bounds what a hostile count can make us allocate. */
const MAX_AUTHORS = 100_000;
const MAX_ABOVE = 1_000_000;
const MAX_DOC_BYTES = 512 * 1024 * 1024;

/** Contiguous broadcast floors by author (hex). */
export type Floors = Map<string, number>;

export interface SyncRequest {
  stateVector: Uint8Array;
  floors: Floors;
}

export interface SyncAnswer {
  update: Uint8Array;
  floors: Floors;
}

export interface Checkpoint {
  doc: Uint8Array;
  writers: { broadcast: WriterState; addressed: WriterState };
  ledger: LedgerEntry[];
}

export function encodeSyncRequest(req: SyncRequest): Uint8Array {
  return encodeBytesAndFloors(req.stateVector, req.floors);
}

export function decodeSyncRequest(bytes: Uint8Array): SyncRequest {
  const { data, floors } = decodeBytesAndFloors(bytes, "stateVector");
  return { stateVector: data, floors };
}

export function encodeSyncAnswer(answer: SyncAnswer): Uint8Array {
  return encodeBytesAndFloors(answer.update, answer.floors);
}

export function decodeSyncAnswer(bytes: Uint8Array): SyncAnswer {
  const { data, floors } = decodeBytesAndFloors(bytes, "update");
  return { update: data, floors };
}

/** Request and answer share a layout: version, one byte string, floors. */
function encodeBytesAndFloors(data: Uint8Array, floors: Floors): Uint8Array {
  return encodeWith((e) => {
    encoding.writeUint8(e, VERSION);
    encoding.writeVarUint8Array(e, data);
    writeFloors(e, floors);
  });
}

function decodeBytesAndFloors(
  bytes: Uint8Array,
  field: string,
): { data: Uint8Array; floors: Floors } {
  return decodeStrict(bytes, (r) => {
    readVersion(r);
    return { data: r.varBytes(field, bytes.length), floors: readFloors(r) };
  });
}

export function encodeCheckpoint(cp: Checkpoint): Uint8Array {
  return encodeWith((e) => {
    encoding.writeUint8(e, VERSION);
    encoding.writeVarUint8Array(e, cp.doc);
    for (const w of [cp.writers.broadcast, cp.writers.addressed]) {
      encoding.writeVarUint(e, w.seq);
      writeFixed(e, w.lastHash, HASH_BYTES, "writer hash");
    }
    encoding.writeVarUint(e, cp.ledger.length);
    for (const entry of cp.ledger) {
      writeFixed(e, fromHex(entry.author), KEY_BYTES, "author");
      encoding.writeUint8(e, entry.stream === "broadcast" ? 0 : 1);
      encoding.writeVarUint(e, entry.floor);
      encoding.writeVarUint(e, entry.above.length);
      for (const seq of entry.above) encoding.writeVarUint(e, seq);
    }
  });
}

export function decodeCheckpoint(bytes: Uint8Array): Checkpoint {
  return decodeStrict(bytes, (r) => {
    readVersion(r);
    const doc = r.varBytes("doc", MAX_DOC_BYTES);
    const readWriter = (): WriterState => ({
      seq: r.varUint("writer seq"),
      lastHash: r.fixed(HASH_BYTES, "writer hash").slice(),
    });
    const writers = { broadcast: readWriter(), addressed: readWriter() };
    const count = r.varUint("ledger count", MAX_AUTHORS);
    const ledger: LedgerEntry[] = [];
    for (let i = 0; i < count; i++) {
      const author = toHex(r.fixed(KEY_BYTES, "author"));
      const streamByte = r.u8("stream");
      if (streamByte > 1) throw new DecodeError("INVALID_VALUE", `unknown stream ${streamByte}`);
      const floor = r.varUint("floor");
      const n = r.varUint("above count", Math.min(MAX_ABOVE, r.remaining));
      const above: number[] = [];
      for (let j = 0; j < n; j++) above.push(r.varUint("above seq"));
      ledger.push({ author, stream: streamByte === 0 ? "broadcast" : "addressed", floor, above });
    }
    return { doc: doc.slice(), writers, ledger };
  });
}

/** The envelopes of one received batch, exactly as they arrived, stored as one record. */
export function encodeLogRecord(envelopes: Uint8Array[]): Uint8Array {
  // Sized first and written in place: a batch record is a few hundred KB, and lib0's
  // growing encoder copied it twice (its chunks, then the join).
  let length = 1 + varUintLength(envelopes.length);
  for (const envelope of envelopes) length += varUintLength(envelope.length) + envelope.length;
  const out = new Uint8Array(length);
  out[0] = VERSION;
  let at = writeVarUintAt(out, 1, envelopes.length);
  for (const envelope of envelopes) {
    at = writeVarUintAt(out, at, envelope.length);
    out.set(envelope, at);
    at += envelope.length;
  }
  return out;
}

/** The envelopes of a log record; views into `bytes`, not copies. */
export function decodeLogRecord(bytes: Uint8Array, maxEnvelopeBytes: number): Uint8Array[] {
  return decodeStrict(bytes, (r) => {
    readVersion(r);
    // Each envelope takes at least its length byte, so the count cannot outrun the input.
    const count = r.varUint("envelope count", r.remaining);
    const envelopes: Uint8Array[] = [];
    for (let i = 0; i < count; i++) envelopes.push(r.varBytes("envelope", maxEnvelopeBytes));
    return envelopes;
  });
}

function readVersion(r: Reader): void {
  const version = r.u8("version");
  if (version !== VERSION) {
    throw new DecodeError("UNSUPPORTED_VERSION", `payload version ${version} is not supported`);
  }
}

function writeFloors(e: encoding.Encoder, floors: Floors): void {
  encoding.writeVarUint(e, floors.size);
  for (const [author, floor] of floors) {
    writeFixed(e, fromHex(author), KEY_BYTES, "author");
    encoding.writeVarUint(e, floor);
  }
}

function readFloors(r: Reader): Floors {
  // Each entry takes at least 33 bytes, so the count cannot outrun the input.
  const count = r.varUint("floors count", Math.min(MAX_AUTHORS, Math.floor(r.remaining / 33)));
  const floors: Floors = new Map();
  for (let i = 0; i < count; i++) {
    const author = toHex(r.fixed(KEY_BYTES, "author"));
    const floor = r.varUint("floor");
    if (floors.has(author)) throw new DecodeError("INVALID_VALUE", "author listed twice");
    floors.set(author, floor);
  }
  return floors;
}

/** Writes `value` as a varuint (lib0's layout) at `at` in `out`; returns the end. */
function writeVarUintAt(out: Uint8Array, at: number, value: number): number {
  let rest = value;
  let i = at;
  while (rest >= 0x80) {
    out[i++] = 0x80 | (rest % 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out[i++] = rest;
  return i;
}
