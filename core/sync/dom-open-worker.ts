/**
 * The Web Worker that opens received envelopes for the renderer's spaces
 * (prefetch-opener.ts, off-thread-open.ts): each request is a batch, each
 * reply its results, buffers transferred both ways. Loaded as a module
 * worker from the app's own origin (CSP: worker-src falls back to
 * script-src 'self'; libsodium needs 'wasm-unsafe-eval', as on the page).
 */
import { ed25519 } from "../crypto/ed25519.js";
import { loadWebAssemblyBackends } from "../crypto/webassembly-backends.js";
import { serveOpenRequest } from "../space/off-thread-open.js";

interface WorkerScope {
  onmessage: ((event: MessageEvent) => void) | null;
  postMessage(message: unknown, transfer: Transferable[]): void;
}

const scope = globalThis as unknown as WorkerScope;
// All ready before the first batch: libsodium opens a box in half tweetnacl's time, and
// hash-wasm hashes an envelope in half noble's (hashing was half of this worker's time).
const ready = Promise.all([ed25519(), loadWebAssemblyBackends()]);

/**
 * Requests are served one after another: the first batch's reply is not held up by the
 * hashing of the batches behind it, whose messages would otherwise run during its signature
 * checks. Every request gets an answer, its reply or its failure, so the page never waits
 * on a lost one.
 */
let queue: Promise<void> = Promise.resolve();

scope.onmessage = (event) => {
  const id = (event.data as { id?: unknown } | null)?.id;
  queue = queue.then(async () => {
    try {
      const [backend] = await ready;
      const { reply, transfer } = await serveOpenRequest(event.data, backend);
      scope.postMessage(reply, transfer);
    } catch (err) {
      // The page opens the batch itself then; only the failure's text crosses, no bytes.
      scope.postMessage({ id, failed: String(err) }, []);
    }
  });
};
