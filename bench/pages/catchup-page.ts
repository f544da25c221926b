/**
 * Catch-up as the app does it in the renderer: a Space over EncryptedStore
 * over IndexedDB takes 10,000 envelopes in batches, next to raw Yjs applying
 * the same plaintext updates in the same page.
 */
import * as Y from "yjs";
import { fromHex } from "../../core/crypto/bytes.js";
import { ed25519 } from "../../core/crypto/ed25519.js";
import { secretboxBackend } from "../../core/crypto/secretbox.js";
import { StaticAccess } from "../../core/space/access.js";
import { Space } from "../../core/space/space.js";
import { IdbStore } from "../../core/store/dom-idb-store.js";
import { EncryptedStore } from "../../core/store/encrypted-store.js";
import { workerOpener } from "../../core/sync/dom-worker-opener.js";
import { contentOf } from "../doc-content.js";

export interface CatchUpInput {
  envelopes: string[];
  updates: string[];
  spaceId: string;
  epochKey: string;
  members: string[];
  receiverSecretKey: string;
  content: string;
  batch: number;
  /** "engine": each batch once the one before is taken, as the SyncEngine; else all at once. */
  handover?: "engine" | "all";
  /** The open worker's script (dom-open-worker.ts bundled), as the app loads it; none: no worker. */
  workerUrl?: string;
}

let runs = 0;
let opener: ReturnType<typeof workerOpener> | undefined;

const api = {
  async run(input: CatchUpInput) {
    const envelopes = input.envelopes.map(fromHex);
    const updates = input.updates.map(fromHex);
    // Unbatched: one applyUpdate each, as a Yjs app would; batched: one transaction per batch,
    // as Space applies a batch.
    const rawBest = (batched: boolean) => {
      let best = Number.POSITIVE_INFINITY;
      for (let r = 0; r < 5; r++) {
        const start = performance.now();
        const doc = new Y.Doc();
        if (batched) {
          for (let i = 0; i < updates.length; i += input.batch) {
            const batch = updates.slice(i, i + input.batch);
            doc.transact(() => {
              for (const u of batch) Y.applyUpdate(doc, u);
            });
          }
        } else for (const u of updates) Y.applyUpdate(doc, u);
        best = Math.min(best, performance.now() - start);
        if (contentOf(doc) !== input.content) throw new Error("raw Yjs doc differs");
      }
      return best;
    };
    const rawMs = rawBest(false);
    const rawBatchedMs = rawBest(true);
    const backend = await ed25519();
    const secretKey = fromHex(input.receiverSecretKey);
    const store = new EncryptedStore(
      await IdbStore.open(`catchup-${runs++}`),
      new Uint8Array(32).fill(3),
    );
    // The app's setup (renderer/src/model/engine.ts): one worker, for the session, opens what
    // every space receives; so here one for the page's life, warmed up with the rest.
    if (input.workerUrl && !opener) {
      opener = workerOpener(new Worker(input.workerUrl, { type: "module" }));
    }
    const space = await Space.open({
      ...(opener && { opener }),
      access: new StaticAccess(
        fromHex(input.spaceId),
        fromHex(input.epochKey),
        input.members.map((m) => [fromHex(m), "member"]),
      ),
      device: { publicKey: secretKey.slice(32), secretKey },
      backend,
      store,
      dispatch: async () => {
        throw new Error("the receiver had nothing to send");
      },
    });
    // The longest stretch the page could not respond in: what a user would feel.
    let longestTaskMs = 0;
    const observer = new PerformanceObserver((list) => {
      for (const entry of list.getEntries())
        longestTaskMs = Math.max(longestTaskMs, entry.duration);
    });
    observer.observe({ type: "longtask" });
    // Bounds of the timed part for a trace's CPU figures (sync-paths.ts: threadCpu).
    performance.mark("catchup:start");
    const start = performance.now();
    const batches: Promise<void>[] = [];
    if (input.handover === "engine") {
      // As the SyncEngine hands deliveries over (takeInbox, decision 129): the next batch once
      // the space has taken the one before, at the next timer tick; never waiting for a disk.
      await new Promise<void>((resolve) => {
        let at = 0;
        const next = () => {
          const batch = envelopes.slice(at, at + input.batch);
          at += input.batch;
          const last = at >= envelopes.length;
          const written = space.receive(batch, last ? resolve : () => setTimeout(next, 0));
          written.catch(() => {}); // awaited below with the others
          batches.push(written);
        };
        next();
      });
    } else {
      // Every batch at once, none waiting for the one before to be taken or on disk.
      for (let i = 0; i < envelopes.length; i += input.batch) {
        batches.push(space.receive(envelopes.slice(i, i + input.batch)));
      }
    }
    await Promise.all(batches);
    const groveMs = performance.now() - start;
    performance.mark("catchup:end");
    observer.disconnect();
    if (contentOf(space.doc) !== input.content) throw new Error("receiving Space differs");
    const stats = JSON.parse(JSON.stringify(space.stats));
    await space.close();
    await store.close();
    return {
      groveMs,
      rawMs,
      rawBatchedMs,
      longestTaskMs,
      stats,
      workerFailures: opener?.failures,
      workerBackends: opener?.backends,
      workerFailure: opener?.lastFailure === undefined ? undefined : String(opener.lastFailure),
      backend: backend.name,
      secretbox: secretboxBackend().name,
    };
  },
};

export type CatchUpApi = typeof api;

(globalThis as unknown as { grove: CatchUpApi }).grove = api;
