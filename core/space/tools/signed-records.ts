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
 * record names.
 *
 * Checks are asynchronous (WebCrypto) and remembered per record object (Yjs
 * hands back the same object until the entry is rewritten), so a view asks
 * `verdict` on every build and hears `onSettled` when answers arrive.
 */
import * as encoding from "lib0/encoding";
import { fromHex, utf8 } from "../../crypto/bytes.js";
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

export interface VerifierOptions {
  spaceId: Uint8Array;
  /** The user (hex) a device (hex) was certified for in this space, or undefined. */
  userOfDevice(device: string): string | undefined;
  verify(device: Uint8Array, bytes: Uint8Array, signature: Uint8Array): Promise<boolean>;
  /** Some verdicts came in: views may want to build again. */
  onSettled(): void;
}

interface Job {
  kind: RecordKind;
  place: string;
  record: Signed;
  author: string;
}

export class RecordVerifier {
  private readonly verdicts = new WeakMap<object, Authenticity>();
  private readonly pending = new WeakMap<object, Promise<Authenticity>>();
  private queue: { job: Job; done: (a: Authenticity) => void }[] = [];
  /** Forged for now only because their device is not (yet) known here. */
  private readonly unknownDevice = new Set<object>();
  private drained: Promise<void> = Promise.resolve();
  private settledBatches = 0;

  constructor(private readonly options: VerifierOptions) {}

  /** Counts settled batches: a view built from verdicts is stale once this moves. */
  get generation(): number {
    return this.settledBatches;
  }

  /**
   * The record's authenticity as the record named by `author`, or undefined
   * while it is being checked (the check starts now). One record object sits
   * in one place of the doc, so its verdict is kept per object.
   */
  verdict(kind: RecordKind, place: string, record: Signed, author: string) {
    const known = this.verdicts.get(record);
    if (known) return known;
    void this.check(kind, place, record, author);
    // An unsigned record is judged at once: no settled batch will come to say so.
    return this.verdicts.get(record);
  }

  /** The record's authenticity once checked (for acts that must wait, like a download). */
  check(kind: RecordKind, place: string, record: Signed, author: string) {
    const known = this.verdicts.get(record);
    if (known) return Promise.resolve(known);
    if (!(record.sig instanceof Uint8Array)) {
      this.verdicts.set(record, "unsigned");
      return Promise.resolve<Authenticity>("unsigned");
    }
    let running = this.pending.get(record);
    if (!running) {
      running = new Promise<Authenticity>((done) => {
        if (this.queue.push({ job: { kind, place, record, author }, done }) === 1) {
          // Settled or not (a throwing listener), `idle` must not wait forever.
          const run = new Promise<void>((r) => queueMicrotask(() => void this.drain().then(r, r)));
          this.drained = Promise.all([this.drained, run]).then(() => {});
        }
      });
      this.pending.set(record, running);
    }
    return running;
  }

  /** Resolves once every check asked for so far has its verdict. */
  idle(): Promise<void> {
    return this.drained;
  }

  private async drain(): Promise<void> {
    const batch = this.queue;
    this.queue = [];
    const verdicts = await Promise.all(batch.map(({ job }) => this.run(job)));
    batch.forEach(({ job, done }, i) => {
      this.verdicts.set(job.record, verdicts[i]!);
      this.pending.delete(job.record);
      done(verdicts[i]!);
    });
    this.settledBatches++;
    this.options.onSettled();
  }

  /**
   * The space's membership changed: records whose device it did not know yet
   * (a device certified in an op still on its way) are checked again.
   */
  recheckUnknownDevices(): void {
    for (const record of this.unknownDevice) this.verdicts.delete(record);
    this.unknownDevice.clear();
  }

  private async run({ kind, place, record, author }: Job): Promise<Authenticity> {
    try {
      const user = this.options.userOfDevice(record.device);
      if (user === undefined) this.unknownDevice.add(record);
      // The device must be one of the named author's, and its signature must hold.
      if (user !== author) return "forged";
      const bytes = recordSigningBytes(kind, this.options.spaceId, place, record);
      const ok = await this.options.verify(fromHex(record.device), bytes, record.sig!);
      return ok ? "verified" : "forged";
    } catch {
      return "forged";
    }
  }
}
