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
import { SyncEngine } from "../../core/sync/sync-engine.js";
import type { RelayPath, RelayPathHooks } from "../../core/sync/transport.js";
import { contentOf } from "../doc-content.js";
import {
  endTimeline,
  startTimeline,
  type Timeline,
  watchApplies,
  watchOpener,
  watchWrites,
} from "./catchup-timeline.js";

export interface CatchUpInput {
  envelopes: string[];
  updates: string[];
  spaceId: string;
  epochKey: string;
  members: string[];
  receiverSecretKey: string;
  content: string;
  batch: number;
  /** "engine": through the app's SyncEngine (its batches, its prefetch ahead); else all at once. */
  handover?: "engine" | "all";
  /** The open worker's script (dom-open-worker.ts bundled), as the app loads it; none: no worker. */
  workerUrl?: string;
  /** Records a per-batch timeline (catchup-timeline.ts) and returns it. */
  timeline?: boolean;
  /** Profiles the timed part alone (console.profile: a CDP session's Profiler gets it). */
  profile?: boolean;
}

let runs = 0;
let opener: ReturnType<typeof workerOpener> | undefined;
/** Whether `opener` is watched for timelines (once: its methods are wrapped on the instance). */
let openerWatched = false;

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
    const idb = await IdbStore.open(`catchup-${runs++}`);
    const store = new EncryptedStore(idb, new Uint8Array(32).fill(3));
    if (input.timeline) watchWrites(store, idb);
    // The app's setup (renderer/src/model/engine.ts): one worker, for the session, opens what
    // every space receives; so here one for the page's life, warmed up with the rest.
    if (input.workerUrl && !opener) {
      opener = workerOpener(new Worker(input.workerUrl, { type: "module" }));
    }
    if (input.timeline && opener && !openerWatched) {
      watchOpener(opener);
      openerWatched = true;
    }
    const access = new StaticAccess(
      fromHex(input.spaceId),
      fromHex(input.epochKey),
      input.members.map((m) => [fromHex(m), "member"]),
    );
    const device = { publicKey: secretKey.slice(32), secretKey };
    // "engine": the app's own SyncEngine takes the deliveries (its inbox, its batches, its
    // prefetching ahead), fed by a relay path that hands them all over at once, as a relay
    // with a full mailbox would; its batch is this figure's (decision 140).
    const replay = input.handover === "engine" ? replayPath() : undefined;
    const engine = replay
      ? new SyncEngine({
          device,
          backend,
          store,
          maxBatch: input.batch,
          ...(opener && { space: { opener } }),
          relay: replay.factory,
        })
      : undefined;
    const space = engine
      ? await engine.openSpace(access)
      : await Space.open({
          ...(opener && { opener }),
          access,
          device,
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
    if (input.timeline) watchApplies(space.doc);
    // Started before the clock: its start-up reads (leftovers in the outbox) are not the catch-up.
    engine?.start();
    // Bounds of the timed part for a trace's CPU figures (sync-paths.ts: threadCpu).
    performance.mark("catchup:start");
    if (input.profile) console.profile("catchup");
    startTimeline();
    const start = performance.now();
    const batches: Promise<void>[] = [];
    if (replay && engine) {
      // Each delivery resolves once its envelope is on disk (what the relay's ack waits for).
      batches.push(replay.deliver(envelopes));
    } else {
      // Every batch at once, none waiting for the one before to be taken or on disk.
      for (let i = 0; i < envelopes.length; i += input.batch) {
        batches.push(space.receive(envelopes.slice(i, i + input.batch)));
      }
    }
    await Promise.all(batches);
    const groveMs = performance.now() - start;
    if (input.profile) console.profileEnd("catchup");
    const timeline: Timeline | undefined = input.timeline ? endTimeline() : undefined;
    performance.mark("catchup:end");
    observer.disconnect();
    if (contentOf(space.doc) !== input.content) throw new Error("receiving Space differs");
    const stats = JSON.parse(JSON.stringify(space.stats));
    if (engine) await engine.stop();
    else await space.close();
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
      timeline,
      backend: backend.name,
      secretbox: secretboxBackend().name,
    };
  },
};

export type CatchUpApi = typeof api;

/**
 * A relay path that only delivers: `deliver` hands every envelope to the
 * engine's `take` at once and resolves once each is durable. Nothing is sent.
 */
function replayPath() {
  let take: ((envelope: Uint8Array) => Promise<void>) | undefined;
  const path: RelayPath = {
    status: "online",
    bytesSent: 0,
    start() {},
    async stop() {},
    async enqueue() {
      throw new Error("the receiver had nothing to send");
    },
    sendEphemeral: () => false,
  };
  return {
    factory: (hooks: RelayPathHooks) => {
      take = hooks.take;
      return path;
    },
    async deliver(envelopes: Uint8Array[]) {
      const deliver = take;
      if (!deliver) throw new Error("the engine made no relay path");
      await Promise.all(envelopes.map((e) => deliver(e)));
    },
  };
}

(globalThis as unknown as { grove: CatchUpApi }).grove = api;
