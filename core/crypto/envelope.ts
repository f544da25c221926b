/**
 * Sealing and opening envelopes (format in core/wire/envelope.ts).
 *
 * Seal: secretbox the payload under the epoch key with a random nonce, then
 * sign header || body with the author device key.
 * Open: decode, check the space, verify the signature, check the author's
 * right to write, and only then decrypt. Nothing about the plaintext is
 * touched before the signature holds. Replays are the caller's to refuse,
 * against what it has durably taken in (a Space's SeqLedger), not here.
 */
import {
  appendSignature,
  type DecodedEnvelope,
  decodeEnvelope,
  type EnvelopeHeader,
  type EnvelopeKind,
  encodeSignedPart,
  HASH_BYTES,
  NONCE_BYTES,
} from "../wire/envelope.js";
import { DecodeError } from "../wire/errors.js";
import type { WireLimits } from "../wire/limits.js";
import { equalBytes } from "./bytes.js";
import type { Ed25519Backend } from "./ed25519.js";
import { CryptoError } from "./errors.js";
import { hash32 } from "./hash.js";
import type { SigningKeyPair } from "./identity.js";
import { randomBytes } from "./random.js";
import { openSecretbox, sealSecretbox } from "./secretbox.js";

export const GENESIS_HASH = new Uint8Array(HASH_BYTES);

export interface SealParams {
  kind: EnvelopeKind;
  spaceId: Uint8Array;
  epoch: number;
  seq: number;
  /** hash32 of the author's previous envelope in this space; GENESIS_HASH at seq 1. */
  prevHash: Uint8Array;
  payload: Uint8Array;
}

export function sealEnvelope(
  params: SealParams,
  epochKey: Uint8Array,
  author: SigningKeyPair,
  backend: Ed25519Backend,
): Promise<Uint8Array> {
  return sealEnvelopeWithNonce(params, epochKey, author, backend, randomBytes(NONCE_BYTES));
}

/** The deterministic core of sealEnvelope, exposed for known-answer vectors. */
export async function sealEnvelopeWithNonce(
  params: SealParams,
  epochKey: Uint8Array,
  author: SigningKeyPair,
  backend: Ed25519Backend,
  nonce: Uint8Array,
): Promise<Uint8Array> {
  const header: EnvelopeHeader = {
    kind: params.kind,
    spaceId: params.spaceId,
    epoch: params.epoch,
    author: author.publicKey,
    seq: params.seq,
    prevHash: params.prevHash,
  };
  const body = sealSecretbox(params.payload, nonce, epochKey);
  const signed = encodeSignedPart(header, body);
  return appendSignature(signed, await backend.sign(author.secretKey, signed));
}

/** An envelope's id, and the prevHash its author's next envelope carries. */
export function envelopeHash(bytes: Uint8Array): Uint8Array {
  return hash32(bytes);
}

export interface OpenOptions {
  backend: Ed25519Backend;
  /** The epoch key for an epoch, if this device holds it. */
  keyForEpoch(epoch: number): Uint8Array | undefined;
  /** The space the envelope must belong to. */
  spaceId?: Uint8Array;
  /** Whether the author may write this kind at this epoch (membership and role). */
  isAllowed?(author: Uint8Array, epoch: number, kind: EnvelopeKind): boolean;
  limits?: Pick<WireLimits, "maxEnvelopeBytes">;
}

export interface OpenedEnvelope {
  readonly header: EnvelopeHeader;
  readonly payload: Uint8Array;
  /** envelopeHash of the bytes. */
  readonly hash: Uint8Array;
  readonly bytes: Uint8Array;
}

/** An opened envelope whose hash, if the caller did not have it as bytes, is made when read. */
class Opened implements OpenedEnvelope {
  constructor(
    readonly header: EnvelopeHeader,
    readonly payload: Uint8Array,
    readonly bytes: Uint8Array,
    private digest: Uint8Array | undefined,
  ) {}

  get hash(): Uint8Array {
    this.digest ??= envelopeHash(this.bytes);
    return this.digest;
  }
}

export function decodeForOpen(
  bytes: Uint8Array,
  limits?: Pick<WireLimits, "maxEnvelopeBytes">,
): DecodedEnvelope {
  try {
    return decodeEnvelope(bytes, limits);
  } catch (err) {
    if (err instanceof DecodeError) {
      throw new CryptoError("BAD_FORMAT", `envelope: ${err.message}`, { cause: err });
    }
    throw err;
  }
}

export async function openEnvelope(bytes: Uint8Array, opts: OpenOptions): Promise<OpenedEnvelope> {
  const decoded = decodeForOpen(bytes, opts.limits);
  checkSpace(decoded, opts);
  const valid = await opts.backend.verify(decoded.header.author, decoded.signed, decoded.signature);
  if (!valid) throw new CryptoError("BAD_SIGNATURE", "envelope signature is invalid");
  return openAuthenticated(decoded, hash32(bytes), opts);
}

export function checkSpace(decoded: DecodedEnvelope, opts: Pick<OpenOptions, "spaceId">): void {
  if (opts.spaceId && !equalBytes(decoded.header.spaceId, opts.spaceId)) {
    throw new CryptoError("WRONG_SPACE", "envelope belongs to another space");
  }
}

/**
 * What an envelope decoded earlier (in a batch, or on another thread) is checked for before
 * its signature: the size limit its decoding did not apply here, then the space.
 */
export function checkSizeAndSpace(
  decoded: DecodedEnvelope,
  opts: Pick<OpenOptions, "spaceId" | "limits">,
): void {
  if (decoded.bytes.length > (opts.limits?.maxEnvelopeBytes ?? Number.POSITIVE_INFINITY)) {
    throw new CryptoError("BAD_FORMAT", "envelope exceeds the size limit");
  }
  checkSpace(decoded, opts);
}

/**
 * Everything after authenticity: role, then decryption. Callers must have
 * established the signature, directly or through a verified hash chain.
 * `hash` is the envelope's, if the caller has it as bytes (else made if read).
 */
export function openAuthenticated(
  decoded: DecodedEnvelope,
  hash: Uint8Array | undefined,
  opts: OpenOptions,
): OpenedEnvelope {
  const { header } = decoded;
  if (opts.isAllowed && !opts.isAllowed(header.author, header.epoch, header.kind)) {
    throw new CryptoError("AUTHOR_NOT_ALLOWED", "author may not write this envelope");
  }
  const key = opts.keyForEpoch(header.epoch);
  if (!key) throw new CryptoError("UNKNOWN_EPOCH", `no key for epoch ${header.epoch}`);
  const payload = openSecretbox(decoded.body, key);
  if (!payload)
    throw new CryptoError("DECRYPT_FAILED", "envelope does not decrypt with the epoch key");
  return new Opened(header, payload, decoded.bytes, hash);
}
