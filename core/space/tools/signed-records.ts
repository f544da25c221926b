/**
 * Who really wrote a tool record. Envelopes are signed by the device that
 * sent them, but a Yjs record inside does not say which envelope brought it
 * (a snapshot answer from any member carries everyone's records), so a
 * hostile member could write a record naming someone else, or rewrite
 * someone's record. Every record therefore carries its own signature: the
 * author device signs the record's fields under a context of the record's
 * kind, the space id and the record's place (which item and field it sits
 * in), so a signed record passes for nothing else, anywhere else. A reader
 * checks the signature and that the device was certified for the user the
 * record names (record-verifier.ts).
 */
import * as encoding from "lib0/encoding";
import { utf8 } from "../../crypto/bytes.js";
import type { ChatMessage } from "./chat.js";
import { messageSigningBytes } from "./chat-signature.js";

/** One context per record type: a signature made for one kind never holds for another. */
export type RecordKind =
  | "chat-message"
  | "chat-receipt"
  | "discussion-topic"
  | "discussion-reply"
  | "note"
  | "note-field"
  | "task"
  | "task-field"
  | "event"
  | "event-field"
  | "event-answer"
  | "stroke"
  | "file"
  | "file-removal";

export type Authenticity = "verified" | "forged" | "unsigned";

/** What every signed record carries besides its own fields. */
export interface Signed {
  /** Device key (hex) that signed it. */
  device: string;
  sig?: Uint8Array;
}

/** A record holds something that has no canonical encoding (too deep, or not plain data). */
export class RecordEncodingError extends Error {
  override readonly name = "RecordEncodingError";
}

/** An act refused because the record it rests on is not signed by the member it names. */
export class UnsignedRecordError extends Error {
  override readonly name = "UnsignedRecordError";
}

/** Nesting a record may have; anything deeper is refused (records are a field or two deep). */
const MAX_DEPTH = 6;

/**
 * The bytes a device signs for `record` of `kind` at `place`: every field but
 * the signature, keys sorted, each value tagged with its type, so two
 * different records never encode alike. Chat messages keep the layout they
 * were first signed with (chat-signature.ts), so messages signed before this
 * module existed still verify.
 */
export function recordSigningBytes(
  kind: RecordKind,
  spaceId: Uint8Array,
  place: string,
  record: object,
): Uint8Array {
  if (kind === "chat-message") return messageSigningBytes(spaceId, record as ChatMessage);
  const e = encoding.createEncoder();
  encoding.writeUint8Array(e, utf8(`grove/${kind}/v1\0`));
  encoding.writeVarUint8Array(e, spaceId);
  encoding.writeVarString(e, place);
  const { sig: _, ...fields } = record as Record<string, unknown>;
  writeValue(e, fields, 0);
  return encoding.toUint8Array(e);
}

function writeValue(e: encoding.Encoder, v: unknown, depth: number): void {
  if (depth > MAX_DEPTH) throw new RecordEncodingError("record nested too deeply");
  if (v === null) encoding.writeUint8(e, 0);
  else if (typeof v === "string") {
    encoding.writeUint8(e, 1);
    encoding.writeVarString(e, v);
  } else if (typeof v === "number") {
    encoding.writeUint8(e, 2);
    encoding.writeFloat64(e, v);
  } else if (typeof v === "boolean") {
    encoding.writeUint8(e, v ? 4 : 3);
  } else if (v instanceof Uint8Array) {
    encoding.writeUint8(e, 5);
    encoding.writeVarUint8Array(e, v);
  } else if (Array.isArray(v)) {
    encoding.writeUint8(e, 6);
    encoding.writeVarUint(e, v.length);
    for (const item of v) writeValue(e, item, depth + 1);
  } else if (typeof v === "object") {
    // Absent and undefined are one: Yjs does not keep an undefined field anyway.
    const keys = Object.keys(v)
      .filter((k) => (v as Record<string, unknown>)[k] !== undefined)
      .sort();
    encoding.writeUint8(e, 7);
    encoding.writeVarUint(e, keys.length);
    for (const k of keys) {
      encoding.writeVarString(e, k);
      writeValue(e, (v as Record<string, unknown>)[k], depth + 1);
    }
  } else throw new RecordEncodingError(`a record cannot hold a ${typeof v}`);
}

/** `fields` with `device` and its signature (`sign` is that device's, bound to its key). */
export async function signRecord<T extends object>(
  kind: RecordKind,
  spaceId: Uint8Array,
  place: string,
  fields: T & Signed,
  sign: (bytes: Uint8Array) => Promise<Uint8Array>,
): Promise<T & Signed> {
  const { sig: _, ...unsigned } = fields;
  const bytes = recordSigningBytes(kind, spaceId, place, unsigned);
  return { ...unsigned, sig: await sign(bytes) } as T & Signed;
}

/**
 * What a tool's reader needs to know about the people behind records: whether
 * a record is signed by a device of the user it names (false while unchecked,
 * and the check starts), each user's name as the membership knows it, and who
 * may remove what others wrote.
 */
export interface RecordTrust {
  holds(kind: RecordKind, place: string, record: Signed, author: string): boolean;
  nameOf(user: string): string;
  /** Owners and managers: their removal of someone else's item stands. */
  moderates(user: string): boolean;
}
