/**
 * The page side of the open worker (core/sync/dom-worker-opener.ts) with
 * stand-in workers: one that serves requests with the real
 * `serveOpenRequest`, one that never answers, one that fails to load. The
 * last two cost the page the opening, never an envelope or a hang.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import type { OpenOptions } from "../core/crypto/envelope.js";
import { EnvelopeWriter } from "../core/crypto/envelope-writer.js";
import { CryptoError } from "../core/crypto/errors.js";
import { openDecodedBatch, type RunResult } from "../core/crypto/hash-chain.js";
import { OpenReplyError, serveOpenRequest } from "../core/space/off-thread-open.js";
import { type OpenWorker, workerOpener } from "../core/sync/dom-worker-opener.js";
import { decodeEnvelope, EnvelopeKind } from "../core/wire/envelope.js";
import { alice, EPOCH_KEY, SPACE_ID, seqBytes } from "./fixtures.js";

let backend: Ed25519Backend;
let batch: Uint8Array[];
beforeAll(async () => {
  backend = await ed25519();
  const writer = new EnvelopeWriter(SPACE_ID, alice.device.sign, backend);
  batch = [];
  for (let i = 0; i < 6; i++) {
    batch.push(await writer.seal(EnvelopeKind.update, seqBytes(10, i), 0, EPOCH_KEY));
  }
  const forged = batch[2]!.slice();
  forged[forged.length - 70]! ^= 1;
  batch[2] = forged;
});

/** A stand-in Worker: `answer` decides what (if anything) comes back for each message. */
function standIn(answer: (data: unknown, reply: (data: unknown) => void) => void) {
  const listeners: Record<string, ((event: never) => void)[]> = { message: [], error: [] };
  const worker: OpenWorker & { emit(type: "error"): void; terminated: boolean } = {
    terminated: false,
    postMessage(message) {
      // Structured as postMessage would, on a later turn.
      const data = structuredClone(message);
      answer(data, (out) =>
        setTimeout(() => {
          for (const l of listeners.message!) l({ data: out } as never);
        }, 0),
      );
    },
    addEventListener(type: "message" | "error", listener: (event: never) => void) {
      listeners[type]!.push(listener);
    },
    terminate() {
      worker.terminated = true;
    },
    emit(type) {
      for (const l of listeners[type]!) l({} as never);
    },
  };
  return worker;
}

const opts = (): OpenOptions => ({ backend, spaceId: SPACE_ID, keyForEpoch: () => EPOCH_KEY });
const context = { spaceId: SPACE_ID, epoch: 0, key: EPOCH_KEY };
const codes = (results: RunResult[]) =>
  results.map((r) => (r instanceof CryptoError ? r.code : [...r.payload].join(",")));

async function openThrough(opener: ReturnType<typeof workerOpener>) {
  const decoded = batch.map((b) => decodeEnvelope(b));
  const prefetched = opener.prefetch(batch, context);
  return codes(await opener.open(decoded, opts(), prefetched!));
}

describe("the open worker's page side", () => {
  it("matches replies to requests and gives the page's results", async () => {
    const worker = standIn((data, reply) => {
      void serveOpenRequest(data, backend).then(({ reply: out }) => reply(out));
    });
    const opener = workerOpener(worker);
    const expected = codes(
      await openDecodedBatch(
        batch.map((b) => decodeEnvelope(b)),
        opts(),
      ),
    );
    expect(await openThrough(opener)).toEqual(expected);
    expect(expected[2]).toBe("BAD_SIGNATURE");
    expect(opener).toMatchObject({ served: 1, failures: 0 });
    opener.close();
    expect(worker.terminated).toBe(true);
  });

  it("a worker that never answers: the page opens the batch once the wait runs out", async () => {
    const opener = workerOpener(
      standIn(() => {}),
      20,
    );
    const expected = codes(
      await openDecodedBatch(
        batch.map((b) => decodeEnvelope(b)),
        opts(),
      ),
    );
    expect(await openThrough(opener)).toEqual(expected);
    expect(opener.failures).toBe(1);
    expect(opener.lastFailure).toBeInstanceOf(OpenReplyError);
  });

  it("a worker that fails to load: what waits and what comes later is opened on the page", async () => {
    const worker = standIn(() => {});
    const opener = workerOpener(worker);
    const decoded = batch.map((b) => decodeEnvelope(b));
    const waiting = opener.prefetch(batch, context);
    worker.emit("error");
    const expected = codes(await openDecodedBatch(decoded, opts()));
    expect(codes(await opener.open(decoded, opts(), waiting!))).toEqual(expected);
    expect(await openThrough(opener)).toEqual(expected);
    expect(opener.failures).toBe(2);
  });

  it("a failure the worker reports is the page's to recover from", async () => {
    const opener = workerOpener(
      standIn((data, reply) => reply({ id: (data as { id: number }).id, failed: "Error: boom" })),
    );
    expect(await openThrough(opener)).toEqual(
      codes(
        await openDecodedBatch(
          batch.map((b) => decodeEnvelope(b)),
          opts(),
        ),
      ),
    );
    expect(String(opener.lastFailure)).toContain("boom");
  });
});
