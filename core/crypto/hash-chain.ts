/**
 * Catch-up by hash chain. Each envelope carries the hash of its author's
 * previous envelope, and the signature covers that hash, so one valid
 * signature at the end of an unbroken run vouches for every envelope behind
 * it. A batch costs one signature check per author run plus a hash per
 * envelope, instead of a signature per envelope.
 *
 * A run whose closing signature fails is not trusted as a run: each of its
 * envelopes is then checked on its own, so one forgery cannot hide good
 * envelopes nor smuggle bad ones.
 */
import { type DecodedEnvelope, streamOf } from "../wire/envelope.js";
import { bytesKey } from "./bytes.js";
import {
  checkSizeAndSpace,
  decodeForOpen,
  type OpenedEnvelope,
  type OpenOptions,
  openAuthenticated,
} from "./envelope.js";
import { CryptoError } from "./errors.js";
import { hash32, hash32Latin1 } from "./hash.js";

export type RunResult = OpenedEnvelope | CryptoError;

interface Item {
  index: number;
  decoded: DecodedEnvelope;
  /**
   * hash32 of the bytes once hashed (NOT_HASHED before): as latin1 text where the native
   * hash gives it (no ArrayBuffer per envelope; it is only compared), else as bytes.
   */
  hash: Uint8Array | string;
}

const NOT_HASHED = new Uint8Array(0);

const chainHash: (bytes: Uint8Array) => Uint8Array | string = hash32Latin1 ?? hash32;

/**
 * Opens a batch of envelopes (any authors and streams, in any order) and returns one result per input, in input order.
 * Never throws for a bad envelope; its slot holds the CryptoError.
 */
export function openBatch(envelopes: Uint8Array[], opts: OpenOptions): Promise<RunResult[]> {
  const decoded: (DecodedEnvelope | CryptoError)[] = envelopes.map((bytes) => {
    try {
      return decodeForOpen(bytes, opts.limits);
    } catch (err) {
      return asCryptoError(err);
    }
  });
  return openDecodedBatch(decoded, opts);
}

/**
 * openBatch for envelopes the caller already decoded (a slot may hold the
 * CryptoError its decoding gave, passed through): a Space decodes each
 * envelope once, to drop duplicates, and the chain check reuses that.
 */
export async function openDecodedBatch(
  envelopes: (DecodedEnvelope | CryptoError)[],
  opts: OpenOptions,
): Promise<RunResult[]> {
  const results: RunResult[] = new Array(envelopes.length);
  const byAuthor = new Map<string, Item[]>();
  envelopes.forEach((decoded, index) => {
    if (decoded instanceof CryptoError) {
      results[index] = decoded;
      return;
    }
    try {
      checkSizeAndSpace(decoded, opts);
      const { author, spaceId, kind } = decoded.header;
      // checkSizeAndSpace has pinned the space where the caller names one (a Space always does): the
      // key of its 16 bytes, which bytesKey does not remember, was made per envelope for nothing.
      const space = opts.spaceId ? "" : bytesKey(spaceId);
      const id = `${bytesKey(author)}${space}${streamOf(kind)}`;
      const list = byAuthor.get(id) ?? [];
      byAuthor.set(id, list);
      list.push({ index, decoded, hash: NOT_HASHED });
    } catch (err) {
      results[index] = asCryptoError(err);
    }
  });

  // Each chain's latest envelope closes its last run whatever the hashes say: its signature
  // check starts now, before the hashing, so an asynchronous backend (WebCrypto) works on it
  // while this thread hashes instead of after.
  const groups = [...byAuthor.values()].map((items) => {
    items.sort((a, b) => a.decoded.header.seq - b.decoded.header.seq);
    const latest = items[items.length - 1];
    return { items, latest, latestValid: latest && verifySignature(latest, opts) };
  });
  for (const { items } of groups)
    for (const item of items) item.hash = chainHash(item.decoded.bytes);

  // Every other run's closing signature, all authors at once: one wait for the backend.
  // One flag per input (1: vouched for by a valid signature), not a Set of thousands of indexes.
  const authentic = new Uint8Array(envelopes.length);
  await Promise.all(
    groups.flatMap(({ items, latest, latestValid }) =>
      splitRuns(items).map(async (run) => {
        const closing = run.at(-1);
        const valid = closing === latest ? latestValid : closing && verifySignature(closing, opts);
        if (closing && (await valid)) {
          for (const item of run) authentic[item.index] = 1;
          return;
        }
        // The run's closing signature failed: trust nothing by link, check each.
        for (const item of run) if (await verifySignature(item, opts)) authentic[item.index] = 1;
      }),
    ),
  );

  for (const { items } of groups) {
    // Role checks within one author's group, with no await in between: the answer cannot
    // change, so it is asked once per (epoch, kind) instead of once per envelope.
    const itemOpts: OpenOptions = opts.isAllowed
      ? { ...opts, isAllowed: memoAllowed(opts.isAllowed) }
      : opts;
    for (const item of items) {
      if (authentic[item.index] !== 1) {
        results[item.index] = new CryptoError("BAD_SIGNATURE", "envelope signature is invalid");
        continue;
      }
      try {
        const { hash } = item;
        results[item.index] = openAuthenticated(
          item.decoded,
          typeof hash === "string" ? undefined : hash,
          itemOpts,
        );
      } catch (err) {
        results[item.index] = asCryptoError(err);
      }
    }
  }
  return results;
}

/** `isAllowed` for one author, remembered by epoch and kind. */
export function memoAllowed(
  isAllowed: NonNullable<OpenOptions["isAllowed"]>,
): NonNullable<OpenOptions["isAllowed"]> {
  const known = new Map<number, boolean>();
  return (author, epoch, kind) => {
    const id = epoch * 256 + kind;
    let allowed = known.get(id);
    if (allowed === undefined) {
      allowed = isAllowed(author, epoch, kind);
      known.set(id, allowed);
    }
    return allowed;
  };
}

/** Maximal runs in which each envelope names the one before it by hash. */
function splitRuns(items: Item[]): Item[][] {
  const runs: Item[][] = [];
  let run: Item[] = [];
  for (const item of items) {
    const prev = run[run.length - 1];
    if (
      prev &&
      !(item.decoded.header.seq === prev.decoded.header.seq + 1 && sameHash(item, prev))
    ) {
      runs.push(run);
      run = [];
    }
    run.push(item);
  }
  if (run.length > 0) runs.push(run);
  return runs;
}

function sameHash(item: Item, prev: Item): boolean {
  const a = item.decoded.header.prevHash;
  const b = prev.hash;
  if (a.length !== b.length) return false;
  // Hashes are public; an early-exit compare is fine here.
  if (typeof b === "string") {
    for (let i = 0; i < a.length; i++) if (a[i] !== b.charCodeAt(i)) return false;
    return true;
  }
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function verifySignature(item: Item, opts: OpenOptions): Promise<boolean> {
  const { decoded } = item;
  return opts.backend.verify(decoded.header.author, decoded.signed, decoded.signature);
}

function asCryptoError(err: unknown): CryptoError {
  if (err instanceof CryptoError) return err;
  throw err;
}
