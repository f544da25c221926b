/**
 * Opening envelopes on another thread (core/space/off-thread-open.ts,
 * prefetch-opener.ts), with the other side's work run in-process through
 * the same `serveOpenRequest` the Web Worker runs: every result equals what
 * `openDecodedBatch` gives on this thread, forged envelopes keep their
 * BAD_SIGNATURE, the role and the key are checked on the taking side, and a
 * failing other side costs nothing but time. A Space with the opener takes a
 * batch with a forgery in it exactly as one without.
 */
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import type { OpenOptions } from "../core/crypto/envelope.js";
import { EnvelopeWriter } from "../core/crypto/envelope-writer.js";
import { CryptoError } from "../core/crypto/errors.js";
import { openDecodedBatch, type RunResult } from "../core/crypto/hash-chain.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { loadSecretbox } from "../core/crypto/secretbox.js";
import {
  OpenReplyError,
  packRequest,
  ReplyReader,
  readRequest,
  serveOpenRequest,
} from "../core/space/off-thread-open.js";
import { PrefetchOpener } from "../core/space/prefetch-opener.js";
import { Space } from "../core/space/space.js";
import { MemoryStore } from "../core/store/memory-store.js";
import { decodeEnvelope, EnvelopeKind } from "../core/wire/envelope.js";
import { alice, bob, EPOCH_KEY, filled, SPACE_ID, seqBytes } from "./fixtures.js";
import { chatEnvelopes, spaceFor } from "./sync-harness.js";

let backend: Ed25519Backend;
beforeAll(async () => {
  backend = await ed25519();
  await loadSecretbox();
});

const OTHER_KEY = filled(32, 0x43);
const stranger = generateDeviceKeys().sign;

async function sealed(
  author: typeof alice.device.sign,
  count: number,
  epochs: (i: number) => number = () => 0,
): Promise<Uint8Array[]> {
  const writer = new EnvelopeWriter(SPACE_ID, author, backend);
  const out: Uint8Array[] = [];
  for (let i = 0; i < count; i++) {
    const epoch = epochs(i);
    out.push(
      await writer.seal(EnvelopeKind.update, seqBytes(20, i), epoch, epoch ? OTHER_KEY : EPOCH_KEY),
    );
  }
  return out;
}

/** A space where alice and bob write at epochs 0 and 1; the stranger may not. */
const opts = (): OpenOptions => ({
  backend,
  spaceId: SPACE_ID,
  keyForEpoch: (epoch) => (epoch === 0 ? EPOCH_KEY : epoch === 1 ? OTHER_KEY : undefined),
  isAllowed: (author) => !author.every((b, i) => b === stranger.publicKey[i]),
});

/** The worker's side, in-process, through a structured clone as postMessage makes. */
function inProcess(onRequest?: () => void) {
  return new PrefetchOpener(async (request, transfer) => {
    onRequest?.();
    const sent = structuredClone(request, { transfer });
    const { reply, transfer: back } = await serveOpenRequest(sent, backend);
    return structuredClone(reply, { transfer: back });
  });
}

function summary(results: RunResult[]) {
  return results.map((r) =>
    r instanceof CryptoError ? r.code : { payload: [...r.payload], hash: [...r.hash] },
  );
}

async function bothWays(batch: Uint8Array[], opener = inProcess(), o = opts()) {
  const decoded = batch.map((b) => decodeEnvelope(b));
  const prefetched = opener.prefetch(batch, { spaceId: SPACE_ID, epoch: 0, key: EPOCH_KEY });
  const viaOpener = await opener.open(decoded, o, prefetched!);
  const here = await openDecodedBatch(decoded, o);
  return { viaOpener, here };
}

describe("opening on another thread", () => {
  it("gives what openDecodedBatch gives: forgeries, strangers, other epochs and spaces", async () => {
    const a = await sealed(alice.device.sign, 30, (i) => (i >= 25 ? 1 : 0));
    const b = await sealed(bob.device.sign, 20);
    const s = await sealed(stranger, 3);
    const forged = a[7]!.slice();
    forged[forged.length - 70]! ^= 1; // a ciphertext byte, under the signature
    a[7] = forged;
    const elsewhere = await new EnvelopeWriter(filled(16, 9), bob.device.sign, backend).seal(
      EnvelopeKind.update,
      seqBytes(5),
      0,
      EPOCH_KEY,
    );
    const unknownEpoch = await new EnvelopeWriter(SPACE_ID, bob.device.sign, backend).seal(
      EnvelopeKind.update,
      seqBytes(5),
      7,
      EPOCH_KEY,
    );
    const batch = [...a, ...b, ...s, elsewhere, unknownEpoch];
    const { viaOpener, here } = await bothWays(batch);
    expect(summary(viaOpener)).toEqual(summary(here));
    const codes = viaOpener.map((r) => (r instanceof CryptoError ? r.code : "ok"));
    expect(codes[7]).toBe("BAD_SIGNATURE");
    expect(codes.slice(50, 53)).toEqual(Array(3).fill("AUTHOR_NOT_ALLOWED"));
    expect(codes.slice(53)).toEqual(["WRONG_SPACE", "UNKNOWN_EPOCH"]);
    expect(codes.filter((c) => c === "ok")).toHaveLength(49);
    expect(viaOpener[7]).toBeInstanceOf(CryptoError);
  });

  it("opens only some of the batch, in its order, as a Space asks (ops apart from the rest)", async () => {
    const batch = await sealed(alice.device.sign, 12);
    const opener = inProcess();
    const prefetched = opener.prefetch(batch, { spaceId: SPACE_ID, epoch: 0, key: EPOCH_KEY });
    const some = batch.filter((_, i) => i % 3 !== 1).map((b) => decodeEnvelope(b));
    const results = await opener.open(some, opts(), prefetched!);
    expect(summary(results)).toEqual(summary(await openDecodedBatch(some, opts())));
  });

  it("a key that is no longer the epoch's, or a prefetch under another key, is opened here", async () => {
    const batch = await sealed(alice.device.sign, 5);
    const opener = inProcess();
    // Prefetched under a wrong key: the worker fails to decrypt, the taking side opens them.
    const prefetched = opener.prefetch(batch, { spaceId: SPACE_ID, epoch: 0, key: OTHER_KEY });
    const decoded = batch.map((b) => decodeEnvelope(b));
    const results = await opener.open(decoded, opts(), prefetched!);
    expect(summary(results)).toEqual(summary(await openDecodedBatch(decoded, opts())));
    expect(results.every((r) => !(r instanceof CryptoError))).toBe(true);
  });

  it("the role is asked at the batch's turn: an author removed after the prefetch is refused", async () => {
    const batch = await sealed(bob.device.sign, 4);
    const opener = inProcess();
    let bobAllowed = true;
    const o: OpenOptions = { ...opts(), isAllowed: () => bobAllowed };
    const prefetched = opener.prefetch(batch, { spaceId: SPACE_ID, epoch: 0, key: EPOCH_KEY });
    await prefetched!.reply; // the worker has opened them all
    bobAllowed = false; // a removal taken in before this batch's turn
    const results = await opener.open(
      batch.map((b) => decodeEnvelope(b)),
      o,
      prefetched!,
    );
    expect(summary(results)).toEqual(Array(4).fill("AUTHOR_NOT_ALLOWED"));
  });

  it("a worker that fails or answers nonsense costs time, never an envelope", async () => {
    const batch = await sealed(bob.device.sign, 8);
    const failing = new PrefetchOpener(async () => {
      throw new Error("worker gone");
    });
    const lying = new PrefetchOpener(async () => ({ id: 1, codes: new Uint8Array(2) }));
    for (const opener of [failing, lying]) {
      const { viaOpener, here } = await bothWays(batch, opener);
      expect(summary(viaOpener)).toEqual(summary(here));
      expect(opener.failures).toBe(1);
    }
    expect(lying.lastFailure).toBeInstanceOf(OpenReplyError);
  });

  it("property: any batch, any bit flipped, the same results as on this thread", async () => {
    const a = await sealed(alice.device.sign, 12);
    const b = await sealed(bob.device.sign, 12);
    await fc.assert(
      fc.asyncProperty(
        fc.shuffledSubarray([...a, ...b], { minLength: 1 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(), fc.integer({ min: 0, max: 7 })), { maxLength: 3 }),
        async (picked, flips) => {
          const batch = picked.map((e) => e.slice());
          for (const [which, at, bit] of flips) {
            const env = batch[which % batch.length]!;
            env[at % env.length]! ^= 1 << bit;
          }
          // A Space decodes first; what does not decode never reaches an opener.
          const decodable = batch.filter((e) => {
            try {
              decodeEnvelope(e);
              return true;
            } catch {
              return false;
            }
          });
          if (decodable.length === 0) return;
          const { viaOpener, here } = await bothWays(decodable);
          expect(summary(viaOpener)).toEqual(summary(here));
        },
      ),
      { numRuns: 60 },
    );
  });

  it("property: a request or a reply of any other shape is an OpenReplyError, nothing else", () => {
    const anything = fc.oneof(
      fc.anything(),
      fc.record({
        id: fc.oneof(fc.integer(), fc.double()),
        bytes: fc.uint8Array().map((u) => u.buffer),
        ends: fc.array(fc.nat(300)).map((e) => Uint32Array.from(e)),
        epoch: fc.integer(),
        key: fc.uint8Array({ minLength: 31, maxLength: 33 }),
        codes: fc.uint8Array({ maxLength: 4 }),
        hashes: fc.uint8Array({ maxLength: 130 }).map((u) => u.buffer),
        payloads: fc.uint8Array({ maxLength: 40 }).map((u) => u.buffer),
        payloadEnds: fc.array(fc.nat(40), { maxLength: 4 }).map((e) => Uint32Array.from(e)),
      }),
    );
    fc.assert(
      fc.property(anything, fc.nat(4), (message, count) => {
        for (const read of [() => readRequest(message), () => new ReplyReader(message, count)]) {
          try {
            read();
          } catch (err) {
            expect(err).toBeInstanceOf(OpenReplyError);
          }
        }
      }),
      { numRuns: 500 },
    );
  });

  it("a well-formed request reads back as the envelopes it packed", () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 50 }), { maxLength: 20 }), (envelopes) => {
        const { request } = packRequest(3, envelopes, { epoch: 2, key: EPOCH_KEY });
        const read = readRequest(request);
        expect(read.envelopes.map((e) => [...e])).toEqual(envelopes.map((e) => [...e]));
        expect(read).toMatchObject({ id: 3, epoch: 2 });
      }),
    );
  });
});

describe("a Space with the opener", () => {
  it("an opener whose prefetch throws leaves the batch to its turn: taken, and the next batch let in", async () => {
    const fixture = spaceFor(2);
    const [ann, bea] = fixture.members as [typeof alice.device.sign, typeof alice.device.sign];
    const sent = await chatEnvelopes(fixture.access(), ann, 5, backend);
    const broken = new PrefetchOpener(async () => {
      throw new Error("unused");
    });
    broken.prefetch = () => {
      throw new Error("the other side is gone");
    };
    const space = await Space.open({
      opener: broken,
      access: fixture.access(),
      device: bea,
      backend,
      store: new MemoryStore(),
      dispatch: async () => {},
    });
    let taken = 0;
    await space.receive(sent, () => taken++);
    expect(taken).toBe(1);
    expect(space.stats.accepted).toBe(5);
    await space.close();
  });

  it("takes a batch with a forgery in it as a Space without one: same content, same refusals", async () => {
    const fixture = spaceFor(3);
    const [ann, bea, cal] = fixture.members as [
      typeof alice.device.sign,
      typeof alice.device.sign,
      typeof alice.device.sign,
    ];
    const sent = await chatEnvelopes(fixture.access(), ann, 40, backend);
    const forged = sent[20]!.slice();
    forged[forged.length - 70]! ^= 1;
    const batch = [...sent.slice(0, 20), forged, ...sent.slice(21)];
    let requests = 0;
    const receivers = [];
    for (const opener of [undefined, inProcess(() => requests++)]) {
      const space = await Space.open({
        access: fixture.access(),
        device: opener ? bea : cal,
        backend,
        store: new MemoryStore(),
        dispatch: async () => {},
        ...(opener && { opener }),
      });
      const taken: number[] = [];
      await Promise.all([
        space.receive(batch.slice(0, 25), () => taken.push(1)),
        space.receive(batch.slice(25), () => taken.push(2)),
      ]);
      // Once each: with the opener as soon as the batch is verified, without at its apply.
      expect(taken).toEqual([1, 2]);
      receivers.push(space);
    }
    const [plain, withOpener] = receivers as [Space, Space];
    expect(requests).toBe(2);
    expect(withOpener.stats.rejected).toEqual(plain.stats.rejected);
    expect(withOpener.stats.rejected.BAD_SIGNATURE).toBe(1);
    expect(withOpener.stats.accepted).toBe(plain.stats.accepted);
    expect(withOpener.doc.getArray("chat").toJSON()).toEqual(plain.doc.getArray("chat").toJSON());
    expect(Y.encodeStateVector(withOpener.doc)).toEqual(Y.encodeStateVector(plain.doc));
    for (const space of [plain, withOpener]) await space.close();
  });
});

describe("a batch handed over once the one before is taken", () => {
  it("with the opener, the next batch is sent to the other side before the one before is applied", async () => {
    const fixture = spaceFor(2);
    const [ann, bea] = fixture.members as [typeof alice.device.sign, typeof alice.device.sign];
    const sent = await chatEnvelopes(fixture.access(), ann, 30, backend);
    const events: string[] = [];
    let space: Space | undefined;
    const opener = inProcess(() =>
      events.push(`request (chat ${space?.doc.getArray("chat").length})`),
    );
    space = await Space.open({
      access: fixture.access(),
      device: bea,
      backend,
      store: new MemoryStore(),
      dispatch: async () => {},
      opener,
    });
    const second = new Promise<void>((resolve) => {
      void space!.receive(sent.slice(0, 15), () => {
        events.push("taken");
        void space!.receive(sent.slice(15)).then(resolve);
      });
    });
    await second;
    // The second request went out while the first batch was verified but not yet applied.
    expect(events).toEqual(["request (chat 0)", "taken", "request (chat 0)"]);
    expect(space.doc.getArray("chat").length).toBe(30);
    await space.close();
  });
});
