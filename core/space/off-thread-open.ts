/**
 * Verifying and decrypting a batch of envelopes on another thread (a Web
 * Worker in the renderer): the messages both sides exchange, and the work
 * the other side does. A batch travels as one buffer of concatenated
 * envelopes and comes back as one buffer of payloads, both transferred, not
 * cloned: one structured clone of a thousand small arrays costs more than
 * the copy into one buffer.
 *
 * The other side runs the very same `openDecodedBatch` (hash chain, one
 * signature per author run, verify before decrypt) with the one epoch key it
 * was given and no role check; the taking side checks the space, the role
 * and that the key is still the space's key for that epoch before it uses a
 * payload (prefetch-opener.ts). Pure: no I/O, runs in Node tests as well.
 */
import type { Ed25519Backend } from "../crypto/ed25519.js";
import { decodeForOpen } from "../crypto/envelope.js";
import { CryptoError, type CryptoErrorCode } from "../crypto/errors.js";
import { HASH_LENGTH, hashBackend } from "../crypto/hash.js";
import { openDecodedBatch } from "../crypto/hash-chain.js";
import { secretboxBackend } from "../crypto/secretbox.js";
import type { DecodedEnvelope } from "../wire/envelope.js";

/** The key the other side may decrypt under: the space's current epoch, as prefetch saw it. */
export interface OpenContext {
  spaceId: Uint8Array;
  epoch: number;
  key: Uint8Array;
}

export interface OpenRequest {
  id: number;
  /** The envelopes, end to end. */
  bytes: ArrayBuffer;
  /** Where each envelope ends in `bytes`. */
  ends: Uint32Array;
  epoch: number;
  key: Uint8Array;
}

export interface OpenReply {
  id: number;
  /** Per envelope: 0 opened, else 1 + its CryptoError code's index in CODES. */
  codes: Uint8Array;
  /** Each opened envelope's hash32, 32 bytes per slot (zeros for a refused one). */
  hashes: ArrayBuffer;
  /** The opened envelopes' payloads, end to end; a refused one is empty. */
  payloads: ArrayBuffer;
  payloadEnds: Uint32Array;
  /** What opened them there ("webcrypto/libsodium/wasm"): for benches and diagnostics. */
  backends: string;
}

const CODES: readonly CryptoErrorCode[] = [
  "BAD_FORMAT",
  "WRONG_SPACE",
  "BAD_SIGNATURE",
  "AUTHOR_NOT_ALLOWED",
  "UNKNOWN_EPOCH",
  "DECRYPT_FAILED",
  "CHAIN_BROKEN",
  "BAD_CERTIFICATE",
];

/** A message between the two sides that is not what this side sent or expects. */
export class OpenReplyError extends Error {
  override readonly name = "OpenReplyError";
  constructor(
    readonly code: "BAD_REPLY" | "WORKER_FAILED",
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** A request for `envelopes`, and the buffers to transfer with it. */
export function packRequest(
  id: number,
  envelopes: Uint8Array[],
  context: Pick<OpenContext, "epoch" | "key">,
): { request: OpenRequest; transfer: ArrayBuffer[] } {
  const { buffer, ends } = concat(envelopes);
  const request: OpenRequest = {
    id,
    bytes: buffer,
    ends,
    epoch: context.epoch,
    key: context.key.slice(),
  };
  return { request, transfer: [buffer, ends.buffer as ArrayBuffer] };
}

/**
 * The other side's work: every envelope of the request through
 * `openDecodedBatch`, which checks each run's signature and chain before it
 * decrypts anything. A malformed request is an OpenReplyError.
 */
export async function serveOpenRequest(
  request: unknown,
  backend: Ed25519Backend,
): Promise<{ reply: OpenReply; transfer: ArrayBuffer[] }> {
  const { id, envelopes, epoch, key } = readRequest(request);
  const decoded: (DecodedEnvelope | CryptoError)[] = envelopes.map((bytes) => {
    try {
      return decodeForOpen(bytes);
    } catch (err) {
      if (err instanceof CryptoError) return err;
      throw err;
    }
  });
  const results = await openDecodedBatch(decoded, {
    backend,
    // The space and the role are the taking side's to check, on its own state.
    keyForEpoch: (e) => (e === epoch ? key : undefined),
  });
  const codes = new Uint8Array(envelopes.length);
  const hashes = new Uint8Array(envelopes.length * HASH_LENGTH);
  const payloads: Uint8Array[] = [];
  results.forEach((result, i) => {
    if (result instanceof CryptoError || result === undefined) {
      codes[i] = 1 + CODES.indexOf(result?.code ?? "BAD_FORMAT");
      payloads.push(EMPTY);
      return;
    }
    hashes.set(result.hash, i * HASH_LENGTH);
    payloads.push(result.payload);
  });
  const packed = concat(payloads);
  const reply: OpenReply = {
    id,
    codes,
    hashes: hashes.buffer,
    payloads: packed.buffer,
    payloadEnds: packed.ends,
    backends: `${backend.name}/${secretboxBackend().name}/${hashBackend().name}`,
  };
  return {
    reply,
    transfer: [codes.buffer, hashes.buffer, packed.buffer, packed.ends.buffer as ArrayBuffer],
  };
}

/**
 * A reply, checked against the request's envelope count once (sizes and
 * ends, no allocation per slot), then read slot by slot as the batch is
 * taken.
 */
export class ReplyReader {
  private readonly codes: Uint8Array;
  private readonly hashes: Uint8Array;
  private readonly payloads: ArrayBuffer;
  private readonly ends: Uint32Array;
  /** The other side's backends, as it named them (at most 40 characters). */
  readonly backends: string | undefined;

  constructor(reply: unknown, count: number) {
    const bad = (why: string) => new OpenReplyError("BAD_REPLY", `open reply: ${why}`);
    if (typeof reply !== "object" || reply === null) throw bad("not an object");
    const { codes, hashes, payloads, payloadEnds, backends } = reply as Partial<OpenReply>;
    if (!(codes instanceof Uint8Array) || codes.length !== count) throw bad("codes");
    if (!(hashes instanceof ArrayBuffer) || hashes.byteLength !== count * HASH_LENGTH) {
      throw bad("hashes");
    }
    if (!(payloads instanceof ArrayBuffer)) throw bad("payloads");
    if (!fits(payloads, payloadEnds, count)) throw bad("payload ends");
    for (const code of codes) if (code > CODES.length) throw bad(`unknown code ${code}`);
    this.codes = codes;
    this.hashes = new Uint8Array(hashes);
    this.payloads = payloads;
    this.ends = payloadEnds as Uint32Array;
    this.backends = typeof backends === "string" ? backends.slice(0, 40) : undefined;
  }

  /** The slot's refusal, or undefined when it was opened. */
  refusal(slot: number): CryptoErrorCode | undefined {
    const code = this.codes[slot] ?? 0;
    return code === 0 ? undefined : CODES[code - 1];
  }

  hash(slot: number): Uint8Array {
    return this.hashes.subarray(slot * HASH_LENGTH, (slot + 1) * HASH_LENGTH);
  }

  payload(slot: number): Uint8Array {
    const start = slot === 0 ? 0 : (this.ends[slot - 1] ?? 0);
    return new Uint8Array(this.payloads, start, (this.ends[slot] ?? start) - start);
  }
}

/** The request's fields, checked: the worker trusts nothing of its message's shape. */
export function readRequest(request: unknown): {
  id: number;
  envelopes: Uint8Array[];
  epoch: number;
  key: Uint8Array;
} {
  const bad = (why: string) => new OpenReplyError("BAD_REPLY", `open request: ${why}`);
  if (typeof request !== "object" || request === null) throw bad("not an object");
  const { id, bytes, ends, epoch, key } = request as Partial<OpenRequest>;
  if (typeof id !== "number" || !Number.isSafeInteger(id)) throw bad("id");
  if (!(bytes instanceof ArrayBuffer)) throw bad("bytes");
  if (!(ends instanceof Uint32Array)) throw bad("ends");
  if (typeof epoch !== "number" || !Number.isSafeInteger(epoch) || epoch < 0) throw bad("epoch");
  if (!(key instanceof Uint8Array) || key.length !== 32) throw bad("key");
  if (!fits(bytes, ends, ends.length)) throw bad("ends");
  const envelopes: Uint8Array[] = new Array(ends.length);
  let start = 0;
  ends.forEach((end, i) => {
    envelopes[i] = new Uint8Array(bytes, start, end - start);
    start = end;
  });
  return { id, envelopes, epoch, key };
}

const EMPTY = new Uint8Array(0);

/** Whether `ends` are `count` ends, in order, of parts that fill `buffer` exactly. */
function fits(buffer: ArrayBuffer, ends: unknown, count: number): ends is Uint32Array {
  if (!(ends instanceof Uint32Array) || ends.length !== count) return false;
  let start = 0;
  for (const end of ends) {
    if (end < start) return false;
    start = end;
  }
  return start === buffer.byteLength;
}

/** The arrays end to end in one buffer of their own, and where each ends. */
function concat(parts: Uint8Array[]): { buffer: ArrayBuffer; ends: Uint32Array } {
  let total = 0;
  for (const part of parts) total += part.length;
  const out = new Uint8Array(total);
  const ends = new Uint32Array(parts.length);
  let at = 0;
  parts.forEach((part, i) => {
    out.set(part, at);
    at += part.length;
    ends[i] = at;
  });
  return { buffer: out.buffer, ends };
}
