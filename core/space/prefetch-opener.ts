/**
 * Envelope opening that starts before a batch's turn: `prefetch` hands the
 * batch to another thread as soon as it is received (a Web Worker in the
 * renderer, over `send`), so its hashing, signature checks and decryption
 * run while this thread applies the batch before it. `open`, at the
 * batch's turn, takes the other side's answers and finishes on this
 * thread's current state:
 * - the size and the space are checked here (BAD_FORMAT, WRONG_SPACE), and a
 *   refusal the other side made on authenticity (BAD_FORMAT, BAD_SIGNATURE)
 *   is the same typed error;
 * - an opened payload is used only if its author may write that kind at that
 *   epoch now (AUTHOR_NOT_ALLOWED) and the key it was opened under is still
 *   this space's key for the epoch;
 * - anything else (another epoch, a key that differs, an envelope the
 *   prefetch did not have, the other side down) is opened here as without a
 *   prefetch: by `openDecodedBatch`, or, for one the other side found
 *   authentic, by `openAuthenticated`.
 * So a payload is used only after its signature held, and nothing the other
 * side says can make an envelope count as more than it would here.
 */
import { bytesKey, equalBytes } from "../crypto/bytes.js";
import {
  checkSizeAndSpace,
  type OpenedEnvelope,
  type OpenOptions,
  openAuthenticated,
} from "../crypto/envelope.js";
import { CryptoError } from "../crypto/errors.js";
import { hash32 } from "../crypto/hash.js";
import { memoAllowed, openDecodedBatch, type RunResult } from "../crypto/hash-chain.js";
import { type DecodedEnvelope, EnvelopeKind } from "../wire/envelope.js";
import { type OpenContext, type OpenRequest, packRequest, ReplyReader } from "./off-thread-open.js";

/** A batch handed to `prefetch`, as `open` finds it again. */
export interface Prefetched {
  readonly envelopes: Uint8Array[];
  readonly context: OpenContext;
  /** The other side's reply; undefined when it failed (the batch is opened here then). */
  readonly reply: Promise<ReplyReader | undefined>;
}

/** What a Space asks of its opener (SpaceOptions.opener). */
export interface EnvelopeOpener {
  /** Starts opening envelopes a `receive` was just given, under the space's current key. */
  prefetch(envelopes: Uint8Array[], context: OpenContext): Prefetched | undefined;
  /**
   * One result per envelope, in order, as `openDecodedBatch` gives them;
   * `envelopes` are some of the prefetched batch's, in its order.
   */
  open(
    envelopes: DecodedEnvelope[],
    opts: OpenOptions,
    prefetched: Prefetched,
  ): Promise<RunResult[]>;
}

/**
 * The answers of one `open`, asked once each: nothing awaits in between, so
 * they cannot change (as openDecodedBatch's memo).
 */
interface Asked {
  /** By epoch: whether keyForEpoch still gives the prefetch's key (same space and epoch). */
  holds: Map<number, boolean>;
  /** By author: its `isAllowed`, remembered by epoch and kind. */
  allowed: Map<string, NonNullable<OpenOptions["isAllowed"]>>;
}

function allowed(
  asked: Asked,
  isAllowed: NonNullable<OpenOptions["isAllowed"]>,
  header: DecodedEnvelope["header"],
): boolean {
  const author = bytesKey(header.author);
  let known = asked.allowed.get(author);
  if (!known) {
    known = memoAllowed(isAllowed);
    asked.allowed.set(author, known);
  }
  return known(header.author, header.epoch, header.kind);
}

/** An opened envelope whose hash (rarely read: a Space reads the payload) is sliced on demand. */
class OpenedSlot implements OpenedEnvelope {
  constructor(
    readonly header: DecodedEnvelope["header"],
    readonly payload: Uint8Array,
    readonly bytes: Uint8Array,
    private readonly reader: ReplyReader,
    private readonly slot: number,
  ) {}

  get hash(): Uint8Array {
    return this.reader.hash(this.slot);
  }
}

/** Sends a request to the other side; resolves with its reply (unchecked). */
export type SendOpenRequest = (request: OpenRequest, transfer: ArrayBuffer[]) => Promise<unknown>;

export class PrefetchOpener implements EnvelopeOpener {
  private nextId = 1;
  /** Batches the other side answered. */
  served = 0;
  /** What opened them there, from its latest reply ("webcrypto/libsodium/wasm"). */
  backends: string | undefined;
  /** Failures of the other side, counted; each batch it failed is opened here instead. */
  failures = 0;
  /** The latest of them, for diagnostics. */
  lastFailure: unknown;

  constructor(private readonly send: SendOpenRequest) {}

  prefetch(envelopes: Uint8Array[], context: OpenContext): Prefetched | undefined {
    if (envelopes.length === 0) return undefined;
    const { request, transfer } = packRequest(this.nextId++, envelopes, context);
    const reply = this.send(request, transfer)
      .then((message) => {
        const reader = new ReplyReader(message, envelopes.length);
        this.served++;
        this.backends = reader.backends;
        return reader;
      })
      .catch((err: unknown) => {
        this.failures++;
        this.lastFailure = err;
        // Opened here at its turn instead: a lost worker or a bad reply costs time, never an
        // envelope.
        return undefined;
      });
    return { envelopes, context, reply };
  }

  async open(
    envelopes: DecodedEnvelope[],
    opts: OpenOptions,
    prefetched: Prefetched,
  ): Promise<RunResult[]> {
    const reader = await prefetched.reply;
    if (!reader) return openDecodedBatch(envelopes, opts);
    const results: RunResult[] = new Array(envelopes.length);
    const leftover: number[] = [];
    const asked: Asked = { holds: new Map(), allowed: new Map() };
    const batch = prefetched.envelopes;
    let next = 0;
    envelopes.forEach((decoded, i) => {
      // The envelopes come in the batch's order, so each is found by walking on from the last.
      let slot = -1;
      if (decoded.header.kind !== EnvelopeKind.ephemeral) {
        for (let j = next; j < batch.length; j++) {
          if (batch[j] === decoded.bytes) {
            slot = j;
            next = j + 1;
            break;
          }
        }
      }
      if (slot < 0) {
        leftover.push(i);
        return;
      }
      try {
        checkSizeAndSpace(decoded, opts);
        results[i] = this.finish(decoded, reader, slot, prefetched.context, opts, asked);
      } catch (err) {
        if (!(err instanceof CryptoError)) throw err;
        results[i] = err;
      }
    });
    if (leftover.length > 0) {
      const opened = await openDecodedBatch(
        leftover.map((i) => envelopes[i] as DecodedEnvelope),
        opts,
      );
      leftover.forEach((i, k) => {
        results[i] = opened[k] ?? new CryptoError("BAD_FORMAT", "envelope was not opened");
      });
    }
    return results;
  }

  private finish(
    decoded: DecodedEnvelope,
    reader: ReplyReader,
    slot: number,
    context: OpenContext,
    opts: OpenOptions,
    asked: Asked,
  ): RunResult {
    const { header } = decoded;
    const refusal = reader.refusal(slot);
    if (refusal === "BAD_FORMAT") return new CryptoError("BAD_FORMAT", "envelope is malformed");
    if (refusal === "BAD_SIGNATURE") {
      return new CryptoError("BAD_SIGNATURE", "envelope signature is invalid");
    }
    // Every other refusal comes after the signature held: authentic, opened here on this
    // thread's keys and roles.
    if (refusal !== undefined) return openAuthenticated(decoded, hash32(decoded.bytes), opts);
    if (opts.isAllowed && !allowed(asked, opts.isAllowed, header)) {
      return new CryptoError("AUTHOR_NOT_ALLOWED", "author may not write this envelope");
    }
    // The space was checked (checkSizeAndSpace) against opts.spaceId; whether the prefetch's key is
    // still this space's key for the epoch is asked once per epoch.
    let holds = asked.holds.get(header.epoch);
    if (holds === undefined) {
      const key = opts.keyForEpoch(header.epoch);
      holds =
        key !== undefined &&
        header.epoch === context.epoch &&
        equalBytes(key, context.key) &&
        equalBytes(opts.spaceId ?? header.spaceId, context.spaceId);
      // Without opts.spaceId, envelopes of one epoch may be of different spaces: not memoized.
      if (opts.spaceId) asked.holds.set(header.epoch, holds);
    }
    // Opened under a key that is not (or no longer) this space's for the epoch: again, here.
    if (!holds) return openAuthenticated(decoded, reader.hash(slot), opts);
    const payload = reader.payload(slot);
    // A view into the batch's reply: a membership op or welcome, which the membership may keep,
    // gets bytes of its own so it does not hold the whole batch's payloads in memory.
    const kept = header.kind === EnvelopeKind.membership || header.kind === EnvelopeKind.welcome;
    return new OpenedSlot(header, kept ? payload.slice() : payload, decoded.bytes, reader, slot);
  }
}
