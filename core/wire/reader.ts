/**
 * A bounds-checked reader over lib0/decoding. Every read checks its length
 * against the bytes that remain and against a caller-supplied maximum before
 * touching the buffer, so a hostile length prefix can neither over-read nor
 * make us allocate. Varints must be canonical (shortest form) so that one
 * value has exactly one encoding, which keeps known-answer vectors stable.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import { DecodeError } from "./errors.js";

export class Reader {
  private readonly decoder: decoding.Decoder;

  constructor(readonly bytes: Uint8Array) {
    this.decoder = decoding.createDecoder(bytes);
  }

  get remaining(): number {
    return this.bytes.length - this.decoder.pos;
  }

  u8(field: string): number {
    this.need(1, field);
    return decoding.readUint8(this.decoder);
  }

  /** An unsigned varint no larger than `max` (at most 2^53 - 1). */
  varUint(field: string, max: number = Number.MAX_SAFE_INTEGER): number {
    const start = this.decoder.pos;
    // A safe integer takes at most 8 varint bytes; refuse longer runs before lib0 reads them.
    let end = start;
    let byte = this.bytes[end];
    while (byte !== undefined && (byte & 0x80) !== 0) {
      end++;
      if (end - start >= 8) throw new DecodeError("TOO_LARGE", `${field}: varint too long`);
      byte = this.bytes[end];
    }
    if (end >= this.bytes.length) throw new DecodeError("TRUNCATED", `${field}: truncated varint`);
    const value = decoding.readVarUint(this.decoder);
    if (!Number.isSafeInteger(value)) throw new DecodeError("TOO_LARGE", `${field}: out of range`);
    if (this.decoder.pos - start !== varUintLength(value)) {
      throw new DecodeError("NON_CANONICAL", `${field}: varint not in shortest form`);
    }
    if (value > max) throw new DecodeError("TOO_LARGE", `${field}: ${value} exceeds ${max}`);
    return value;
  }

  /** Exactly `length` bytes; a view into the input, not a copy. */
  fixed(length: number, field: string): Uint8Array {
    this.need(length, field);
    return decoding.readUint8Array(this.decoder, length);
  }

  /** A varint length prefix (at most `max`) followed by that many bytes. */
  varBytes(field: string, max: number): Uint8Array {
    const length = this.varUint(`${field} length`, max);
    return this.fixed(length, field);
  }

  /** UTF-8 text with a byte-length prefix; invalid UTF-8 is rejected, not replaced. */
  string(field: string, maxBytes: number): string {
    const raw = this.varBytes(field, maxBytes);
    try {
      return utf8.decode(raw);
    } catch {
      throw new DecodeError("INVALID_VALUE", `${field}: invalid UTF-8`);
    }
  }

  /** Asserts the input is fully consumed: trailing bytes are an error, not padding. */
  end(): void {
    if (this.remaining !== 0) {
      throw new DecodeError("TRAILING_BYTES", `${this.remaining} unexpected trailing bytes`);
    }
  }

  private need(length: number, field: string): void {
    if (length > this.remaining) {
      throw new DecodeError(
        "TRUNCATED",
        `${field}: needs ${length} bytes, ${this.remaining} remain`,
      );
    }
  }
}

const utf8 = new TextDecoder("utf-8", { fatal: true });

export function varUintLength(value: number): number {
  let length = 1;
  let rest = value;
  while (rest >= 0x80) {
    rest = Math.floor(rest / 0x80);
    length++;
  }
  return length;
}

/**
 * Runs a decoder so that nothing but DecodeError escapes it: any other
 * throw (a bug, or a lib0 internal) becomes MALFORMED.
 */
export function decodeStrict<T>(bytes: Uint8Array, read: (reader: Reader) => T): T {
  if (!(bytes instanceof Uint8Array)) throw new DecodeError("MALFORMED", "input is not bytes");
  try {
    const reader = new Reader(bytes);
    const value = read(reader);
    reader.end();
    return value;
  } catch (err) {
    if (err instanceof DecodeError) throw err;
    throw new DecodeError("MALFORMED", `malformed input: ${(err as Error)?.message ?? err}`);
  }
}

/** The writer side: a thin helper so every encoder builds bytes the same way. */
export function encodeWith(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  write(encoder);
  return encoding.toUint8Array(encoder);
}

export function writeFixed(
  encoder: encoding.Encoder,
  bytes: Uint8Array,
  length: number,
  field: string,
): void {
  if (bytes.length !== length) throw new RangeError(`${field}: expected ${length} bytes`);
  encoding.writeUint8Array(encoder, bytes);
}

export function writeString(encoder: encoding.Encoder, value: string): void {
  encoding.writeVarUint8Array(encoder, new TextEncoder().encode(value));
}
