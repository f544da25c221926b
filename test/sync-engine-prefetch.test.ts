/**
 * The SyncEngine's batches with an opener on another thread: the batches
 * waiting behind the one being taken are cut and handed to the opener
 * before that one is applied, so the opener's thread works on them while
 * this one applies (in a catch-up the page waited on the worker every batch
 * when only the next batch was prefetched, and only once taken). The other
 * side runs the real `serveOpenRequest` in-process through a structured
 * clone, as the Web Worker does; deliveries come in through a relay path
 * that only hands them to the engine's `take`, all at once, as a relay with
 * a full mailbox does.
 */
import nacl from "tweetnacl";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { type Ed25519Backend, ed25519 } from "../core/crypto/ed25519.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { loadSecretbox } from "../core/crypto/secretbox.js";
import { serveOpenRequest } from "../core/space/off-thread-open.js";
import { PrefetchOpener } from "../core/space/prefetch-opener.js";
import type { Space } from "../core/space/space.js";
import { MemoryStore } from "../core/store/memory-store.js";
import { SyncEngine } from "../core/sync/sync-engine.js";
import type { RelayPath, TakeEnvelope } from "../core/sync/transport.js";
import { chatEnvelopes, spaceFor } from "./sync-harness.js";

let backend: Ed25519Backend;
beforeAll(async () => {
  backend = await ed25519();
  await loadSecretbox();
});

const closing: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const close of closing.splice(0)) await close();
});

/** A relay path that sends nothing; `take` is the engine's, for the test to deliver through. */
function deliveringPath() {
  const path: RelayPath & { take?: TakeEnvelope } = {
    status: "online",
    bytesSent: 0,
    start() {},
    async stop() {},
    async enqueue() {
      throw new Error("nothing is sent in this test");
    },
    sendEphemeral: () => false,
  };
  return path;
}

/**
 * An opener whose other side is the real `serveOpenRequest` through a structured clone, as
 * the Web Worker's; `first` runs at each request before it is served.
 */
function workerLike(first?: () => void | Promise<void>): PrefetchOpener {
  return new PrefetchOpener(async (request, transfer) => {
    await first?.();
    const { reply, transfer: back } = await serveOpenRequest(
      structuredClone(request, { transfer }),
      backend,
    );
    return structuredClone(reply, { transfer: back });
  });
}

/** An engine over `opener`, in batches of ten; `take` delivers as the relay would. */
function engineWith(device: Parameters<typeof Space.open>[0]["device"], opener: PrefetchOpener) {
  const path = deliveringPath();
  const engine = new SyncEngine({
    device,
    backend,
    store: new MemoryStore(),
    maxBatch: 10,
    space: { opener },
    relay: (hooks) => Object.assign(path, { take: hooks.take }),
  });
  closing.push(() => engine.stop());
  const take = (envelope: Uint8Array) => {
    if (!path.take) throw new Error("the engine made no relay path");
    return path.take(envelope);
  };
  return { engine, take };
}

async function authored(count: number) {
  const fixture = spaceFor(2);
  const sent = await chatEnvelopes(fixture.access(), fixture.members[0]!, count, backend);
  return { fixture, sent };
}

describe("a SyncEngine with an opener", () => {
  it("hands the batches behind the one being taken to the opener before that one is applied", async () => {
    const { fixture, sent } = await authored(40);
    const forged = sent[25]?.slice();
    if (!forged) throw new Error("too few envelopes");
    forged[forged.length - 70]! ^= 1;
    const delivered = [...sent.slice(0, 25), forged, ...sent.slice(26)];

    let space: Space | undefined;
    /** Per request to the other side: how many messages the receiver showed then. */
    const shownAtRequest: number[] = [];
    const opener = workerLike(() => {
      shownAtRequest.push(space?.doc.getArray("chat").length ?? -1);
    });
    const { engine, take } = engineWith(fixture.members[1]!, opener);
    space = await engine.openSpace(fixture.access());
    engine.start();
    await Promise.all(delivered.map((e) => take(e)));

    // Four batches of ten: the first and the two behind it went out before anything was
    // applied; each later one before the batch two ahead of it was applied.
    expect(shownAtRequest).toEqual([0, 0, 0, 10]);
    expect(opener.served).toBe(4);
    expect(opener.failures).toBe(0);
    // Every envelope taken as without an opener: the forgery refused by its signature.
    expect(space.stats.rejected).toEqual({ BAD_SIGNATURE: 1 });
    expect(space.stats.accepted).toBe(39);
    // The messages after the forged one build on it: Yjs holds them until it comes.
    expect(space.doc.getArray("chat").length).toBe(25);
  });

  it("a batch cut ahead for a space opened before its turn is taken by it, not dropped as stray", async () => {
    const first = await authored(10);
    const me = first.fixture.members[1]!;
    const other = spaceFor(2, {
      spaceId: nacl.randomBytes(16),
      epochKey: nacl.randomBytes(32),
      members: [generateDeviceKeys().sign, me],
    });
    const secondEnvelopes = await chatEnvelopes(
      other.access(),
      other.members[0]!,
      20,
      backend,
      "n",
    );
    // The opener holds its answers until the test lets them go: the first batch's turn waits.
    let release: (() => void) | undefined;
    const held = new Promise<void>((resolve) => {
      release = resolve;
    });
    let asked: (() => void) | undefined;
    const firstAsked = new Promise<void>((resolve) => {
      asked = resolve;
    });
    const opener = workerLike(async () => {
      asked?.();
      await held;
    });
    const { engine, take } = engineWith(me, opener);
    const space = await engine.openSpace(first.fixture.access());
    engine.start();
    const firstTaken = Promise.all(first.sent.map((e) => take(e)));
    await firstAsked;
    // The first batch is being taken; the next two, of a space not open yet, are cut behind it.
    const secondTaken = Promise.all(secondEnvelopes.map((e) => take(e)));
    const later = await engine.openSpace(other.access());
    release?.();
    await Promise.all([firstTaken, secondTaken]);
    expect(engine.strayDeliveries).toBe(0);
    expect(space.stats.accepted).toBe(10);
    expect(later.stats.accepted).toBe(20);
  });

  it("a batch cut ahead for a space closed before its turn is acked as stray, not taken", async () => {
    const { fixture, sent } = await authored(30);
    const { engine, take } = engineWith(fixture.members[1]!, workerLike());
    const space = await engine.openSpace(fixture.access());
    engine.start();
    // The first batch's delivery settles once it is on disk; the space closes then, while the
    // two batches behind it wait, cut and prefetched.
    const first = take(sent[0]!);
    const rest = sent.slice(1).map((e) => take(e));
    await first;
    await engine.closeSpace(fixture.spaceId);
    await Promise.all(rest);
    expect(space.stats.accepted).toBeLessThan(30);
    expect(engine.strayDeliveries).toBe(30 - space.stats.accepted);
  });
});
