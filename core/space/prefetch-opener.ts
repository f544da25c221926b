/**
 * Envelope opening that starts before a batch's turn: `prefetch` hands the
 * batch to another thread as soon as it is received (a Web Worker in the
 * renderer, over `send`), so its hashing, signature checks and decryption
 * run while this thread applies the batch before it. `open`, at the
 * batch's turn, takes the other side's answers and finishes on this
 * thread's current state:
 * - the space is checked here (WRONG_SPACE), and a refusal the other side
 *   made on authenticity (BAD_FORMAT, BAD_SIGNATURE) is the same typed error;
 * - an opened payload is used only if its author may write that kind at that
 *   epoch now (AUTHOR_NOT_ALLOWED) and the key it was opened under is still
 *   this space's key for the epoch;
 * - anything else (another epoch, a key that differs, the other side down)
 *   is opened here as without a prefetch, by the same `openDecodedBatch` or,
 *   for one the other side found authentic, `openAuthenticated`.
 * So a payload is used only after its signature held, and nothing the other
 * side says can make an envelope count as more than it would here.
 */
import { equalBytes } from "../crypto/bytes.js";
import { checkSpace, type OpenOptions, openAuthenticated } from "../crypto/envelope.js";
import { CryptoError } from "../crypto/errors.js";
import { hash32 } from "../crypto/hash.js";
import { openDecodedBatch, type RunResult } from "../crypto/hash-chain.js";
import type { DecodedEnvelope } from "../wire/envelope.js";
import {
  type OpenContext,
  type OpenRequest,
  type OpenSlot,
  packRequest,
  unpackReply,
} from "./off-thread-open.js";

/** What a Space asks of its opener (SpaceOptions.opener). */
export interface EnvelopeOpener {
  /** Starts opening envelopes a `receive` was just given, under the space's current key. */
  prefetch(envelopes: Uint8Array[], context: OpenContext): void;
  /** One result per envelope, in order, as `openDecodedBatch` gives them. */
  open(envelopes: DecodedEnvelope[], opts: OpenOptions): Promise<RunResult[]>;
}

/** Sends a request to the other side; resolves with its reply (unchecked). */
export type SendOpenRequest = (request: OpenRequest, transfer: ArrayBuffer[]) => Promise<unknown>;

interface Prefetched {
  slots: Promise<OpenSlot[] | undefined>;
  index: number;
  context: OpenContext;
}

export class PrefetchOpener implements EnvelopeOpener {
  /** By the very array `receive` was given, which the decoded envelope keeps as `bytes`. */
  private readonly pending = new WeakMap<Uint8Array, Prefetched>();
  private nextId = 1;
  /** Failures of the other side, counted; each batch it failed is opened here instead. */
  failures = 0;
  /** The latest of them, for diagnostics. */
  lastFailure: unknown;

  constructor(private readonly send: SendOpenRequest) {}

  prefetch(envelopes: Uint8Array[], context: OpenContext): void {
    if (envelopes.length === 0) return;
    const { request, transfer } = packRequest(this.nextId++, envelopes, context);
    const slots = this.send(request, transfer)
      .then((reply) => unpackReply(reply, envelopes.length))
      .catch((err: unknown) => {
        this.lastFailure = err;
        // Opened here at its turn instead: a lost worker or a bad reply costs time, never an
        // envelope.
        this.failures++;
        return undefined;
      });
    envelopes.forEach((bytes, index) => {
      this.pending.set(bytes, { slots, index, context });
    });
  }

  async open(envelopes: DecodedEnvelope[], opts: OpenOptions): Promise<RunResult[]> {
    const results: RunResult[] = new Array(envelopes.length);
    const leftover: number[] = [];
    const found = envelopes.map((decoded) => this.pending.get(decoded.bytes));
    // Each prefetched batch awaited once, however many of its envelopes are here.
    const answers = new Map<Promise<OpenSlot[] | undefined>, OpenSlot[] | undefined>();
    for (const entry of found) {
      if (entry && !answers.has(entry.slots)) answers.set(entry.slots, await entry.slots);
    }
    /** keyForEpoch's answers, asked once per epoch. */
    const keys = new Map<number, Uint8Array | undefined>();
    envelopes.forEach((decoded, i) => {
      const entry = found[i];
      const slot = entry && answers.get(entry.slots)?.[entry.index];
      if (!entry || !slot) {
        leftover.push(i);
        return;
      }
      this.pending.delete(decoded.bytes);
      try {
        if (decoded.bytes.length > (opts.limits?.maxEnvelopeBytes ?? Number.POSITIVE_INFINITY)) {
          throw new CryptoError("BAD_FORMAT", "envelope exceeds the size limit");
        }
        checkSpace(decoded, opts);
        results[i] = this.finish(decoded, slot, entry.context, opts, keys);
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
    slot: OpenSlot,
    context: OpenContext,
    opts: OpenOptions,
    keys: Map<number, Uint8Array | undefined>,
  ): RunResult {
    const { header } = decoded;
    if (!slot.opened) {
      if (slot.code === "BAD_FORMAT") {
        return new CryptoError("BAD_FORMAT", "envelope is malformed");
      }
      if (slot.code === "BAD_SIGNATURE") {
        return new CryptoError("BAD_SIGNATURE", "envelope signature is invalid");
      }
      // Authentic (every other refusal comes after the signature): open it here, on this
      // thread's keys and roles.
      return openAuthenticated(decoded, hash32(decoded.bytes), opts);
    }
    if (opts.isAllowed && !opts.isAllowed(header.author, header.epoch, header.kind)) {
      return new CryptoError("AUTHOR_NOT_ALLOWED", "author may not write this envelope");
    }
    if (!keys.has(header.epoch)) keys.set(header.epoch, opts.keyForEpoch(header.epoch));
    const key = keys.get(header.epoch);
    const holds =
      key !== undefined &&
      header.epoch === context.epoch &&
      equalBytes(key, context.key) &&
      equalBytes(header.spaceId, context.spaceId);
    // Opened under a key that is not (or no longer) this space's for the epoch: again, here.
    if (!holds) return openAuthenticated(decoded, slot.hash, opts);
    return { header, payload: slot.payload, hash: slot.hash, bytes: decoded.bytes };
  }
}
