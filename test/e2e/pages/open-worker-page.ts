/**
 * The open worker in a page (open-worker.spec.ts): a PrefetchOpener over the
 * real Web Worker (dom-open-worker.ts), and openDecodedBatch on the page,
 * given the same envelopes, so the spec can hold their results side by side.
 */
import { fromHex } from "../../../core/crypto/bytes.js";
import { ed25519 } from "../../../core/crypto/ed25519.js";
import type { OpenOptions } from "../../../core/crypto/envelope.js";
import { CryptoError } from "../../../core/crypto/errors.js";
import { openDecodedBatch, type RunResult } from "../../../core/crypto/hash-chain.js";
import { loadSecretbox } from "../../../core/crypto/secretbox.js";
import { workerOpener } from "../../../core/sync/dom-worker-opener.js";
import { decodeEnvelope } from "../../../core/wire/envelope.js";

const summary = (results: RunResult[]) =>
  results.map((r) => (r instanceof CryptoError ? r.code : Array.from(r.payload).join(",")));

let opener: ReturnType<typeof workerOpener> | undefined;

const api = {
  async open(input: { envelopes: string[]; spaceId: string; epochKey: string }) {
    const [backend] = await Promise.all([ed25519(), loadSecretbox()]);
    opener ??= workerOpener(new Worker("/open-worker.js", { type: "module" }));
    const envelopes = input.envelopes.map(fromHex);
    const spaceId = fromHex(input.spaceId);
    const key = fromHex(input.epochKey);
    const opts: OpenOptions = { backend, spaceId, keyForEpoch: (e) => (e === 0 ? key : undefined) };
    const prefetched = opener.prefetch(envelopes, { spaceId, epoch: 0, key });
    const decoded = envelopes.map((e) => decodeEnvelope(e));
    const inWorker = await opener.open(decoded, opts, prefetched!);
    return {
      inWorker: summary(inWorker),
      onPage: summary(await openDecodedBatch(decoded, opts)),
      errorClass: inWorker.find((r) => r instanceof CryptoError)?.constructor.name,
      served: opener.served,
      failures: opener.failures,
      backends: opener.backends,
    };
  },
};

export type OpenWorkerApi = typeof api;
(globalThis as unknown as { grove: OpenWorkerApi }).grove = api;
