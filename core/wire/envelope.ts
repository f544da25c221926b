/**
 * Envelope byte format: the one container for every change, on every path
 * (WebRTC, relay, disk). This module only lays out bytes; signing and
 * encryption live in core/crypto/envelope.ts.
 *
 *   u8        format version (1)
 *   u8        kind
 *   16 bytes  space id
 *   varuint   epoch
 *   32 bytes  author device signing key (Ed25519 public)
 *   varuint   author seq (>= 1)
 *   32 bytes  hash of the author's previous envelope in this space (zeros at seq 1)
 *   varuint   body length, then body = 24-byte nonce || secretbox ciphertext
 *   64 bytes  Ed25519 signature over every byte before it
 */
import * as encoding from "lib0/encoding";
import { DecodeError } from "./errors.js";
import { DEFAULT_LIMITS, type WireLimits } from "./limits.js";
import { decodeStrict, encodeWith, type Reader, writeFixed } from "./reader.js";

export const ENVELOPE_VERSION = 1;
export const SPACE_ID_BYTES = 16;
export const KEY_BYTES = 32;
export const HASH_BYTES = 32;
export const NONCE_BYTES = 24;
export const MAC_BYTES = 16;
export const SIGNATURE_BYTES = 64;

export const EnvelopeKind = {
  /** A Yjs update to the space's content doc. */
  update: 1,
  /** An op of the space's membership log. */
  membership: 2,
  /** A request for missing deltas (state vector and seq floors). */
  syncRequest: 4,
  /** The answer to a sync request: the Yjs diff the asker lacks and the floors it covers. */
  snapshot: 5,
  /** Presence and whereabouts: forwarded live, never stored. */
  ephemeral: 6,
  /**
   * What an invite link's holder needs to join: sealed under the invite's
   * channel key, sent by the inviter to the invite's own mailbox.
   */
  welcome: 8,
} as const;
export type EnvelopeKind = (typeof EnvelopeKind)[keyof typeof EnvelopeKind];
/**
 * Kinds set aside and never sent: 3 (file manifests) and 7 (receipts) were
 * planned as envelopes, but both became records in the space's doc, signed
 * per record (decision 87). Decoders refuse them as unknown; they are not
 * to be given another meaning.
 */
export const RESERVED_ENVELOPE_KINDS: readonly number[] = [3, 7];
const KINDS = new Set<number>(Object.values(EnvelopeKind));

/**
 * An author's envelopes in a space form two seq chains. "broadcast" goes to
 * every member, so a hole in its seqs is a real loss worth asking about;
 * "addressed" (sync requests and answers, welcomes, presence) goes to some
 * members only, so its seqs have holes by design and only guard replay.
 */
export type EnvelopeStream = "broadcast" | "addressed";

export function streamOf(kind: EnvelopeKind): EnvelopeStream {
  return kind === EnvelopeKind.update || kind === EnvelopeKind.membership
    ? "broadcast"
    : "addressed";
}

export interface EnvelopeHeader {
  kind: EnvelopeKind;
  spaceId: Uint8Array;
  epoch: number;
  author: Uint8Array;
  seq: number;
  prevHash: Uint8Array;
}

export interface DecodedEnvelope {
  header: EnvelopeHeader;
  /** nonce || ciphertext */
  body: Uint8Array;
  signature: Uint8Array;
  /** The bytes the signature covers: header || body (with its length prefix). */
  signed: Uint8Array;
  /** The whole envelope as received. */
  bytes: Uint8Array;
}

export function encodeEnvelopeHeader(header: EnvelopeHeader): Uint8Array {
  return encodeWith((e) => writeHeader(e, header));
}

/** Header and body, ready to sign. */
export function encodeSignedPart(header: EnvelopeHeader, body: Uint8Array): Uint8Array {
  return encodeWith((e) => {
    writeHeader(e, header);
    encoding.writeVarUint8Array(e, body);
  });
}

export function appendSignature(signed: Uint8Array, signature: Uint8Array): Uint8Array {
  if (signature.length !== SIGNATURE_BYTES) throw new RangeError("signature must be 64 bytes");
  const out = new Uint8Array(signed.length + SIGNATURE_BYTES);
  out.set(signed, 0);
  out.set(signature, signed.length);
  return out;
}

/** The envelope's kind byte, unchecked (for bytes this device sealed, e.g. its outbox's). */
export function peekKind(bytes: Uint8Array): number | undefined {
  // version u8, kind u8.
  return bytes.length < 2 ? undefined : bytes[1];
}

/**
 * The space id of an envelope, read from its fixed position without
 * decoding or trusting anything else: enough to route it to its space,
 * which then decodes and verifies it. Undefined if too short to hold one.
 */
export function peekSpaceId(bytes: Uint8Array): Uint8Array | undefined {
  // version u8, kind u8, then the space id.
  if (bytes.length < 2 + SPACE_ID_BYTES) return undefined;
  return bytes.subarray(2, 2 + SPACE_ID_BYTES);
}

/**
 * Whether the envelope names `spaceId` (SPACE_ID_BYTES) where peekSpaceId
 * reads it, compared in place: no view made per envelope.
 */
export function namesSpace(bytes: Uint8Array, spaceId: Uint8Array): boolean {
  if (bytes.length < 2 + SPACE_ID_BYTES || spaceId.length !== SPACE_ID_BYTES) return false;
  for (let i = 0; i < SPACE_ID_BYTES; i++) if (bytes[2 + i] !== spaceId[i]) return false;
  return true;
}

export function decodeEnvelope(
  bytes: Uint8Array,
  limits: Pick<WireLimits, "maxEnvelopeBytes"> = DEFAULT_LIMITS,
): DecodedEnvelope {
  if (bytes.length > limits.maxEnvelopeBytes) {
    throw new DecodeError("TOO_LARGE", `envelope of ${bytes.length} bytes exceeds limit`);
  }
  return decodeStrict(bytes, (r) => readEnvelope(r, bytes));
}

function readEnvelope(r: Reader, bytes: Uint8Array): DecodedEnvelope {
  const version = r.u8("version");
  if (version !== ENVELOPE_VERSION) {
    throw new DecodeError("UNSUPPORTED_VERSION", `envelope version ${version} is not supported`);
  }
  const kind = r.u8("kind");
  if (!KINDS.has(kind)) throw new DecodeError("UNKNOWN_TYPE", `unknown envelope kind ${kind}`);
  const spaceId = r.fixed(SPACE_ID_BYTES, "spaceId");
  const epoch = r.varUint("epoch", 0xffffffff);
  const author = r.fixed(KEY_BYTES, "author");
  const seq = r.varUint("seq");
  if (seq < 1) throw new DecodeError("INVALID_VALUE", "seq must be >= 1");
  const prevHash = r.fixed(HASH_BYTES, "prevHash");
  const body = r.varBytes("body", bytes.length);
  if (body.length < NONCE_BYTES + MAC_BYTES) {
    throw new DecodeError("INVALID_VALUE", "body shorter than nonce and MAC");
  }
  const signedLength = bytes.length - r.remaining;
  const signature = r.fixed(SIGNATURE_BYTES, "signature");
  return {
    header: { kind: kind as EnvelopeKind, spaceId, epoch, author, seq, prevHash },
    body,
    signature,
    signed: bytes.subarray(0, signedLength),
    bytes,
  };
}

function writeHeader(e: encoding.Encoder, h: EnvelopeHeader): void {
  if (!KINDS.has(h.kind)) throw new RangeError(`unknown envelope kind ${h.kind}`);
  if (!Number.isSafeInteger(h.seq) || h.seq < 1) throw new RangeError("seq must be >= 1");
  if (!Number.isInteger(h.epoch) || h.epoch < 0 || h.epoch > 0xffffffff) {
    throw new RangeError("epoch out of range");
  }
  encoding.writeUint8(e, ENVELOPE_VERSION);
  encoding.writeUint8(e, h.kind);
  writeFixed(e, h.spaceId, SPACE_ID_BYTES, "spaceId");
  encoding.writeVarUint(e, h.epoch);
  writeFixed(e, h.author, KEY_BYTES, "author");
  encoding.writeVarUint(e, h.seq);
  writeFixed(e, h.prevHash, HASH_BYTES, "prevHash");
}
