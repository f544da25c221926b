/**
 * The behaviour every RelayStore must have. Each implementation runs this
 * suite against a real instance (see relay-store.sqlite.test.ts).
 */
import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import type { EnqueueRequest, EnqueueResult, RelayStore } from "../relay/store/relay-store.js";
import { filled, seqBytes } from "./fixtures.js";

export interface StoreHarness {
  store: RelayStore;
  /** Closes and opens the same underlying storage again. */
  reopen(): Promise<RelayStore>;
  cleanup(): Promise<void>;
}

const quota = { maxMessages: 1000, maxBytes: 10_000_000 };
const hour = () => Date.now() + 3_600_000;
const dev = (n: number) => filled(32, n);
const msg = (n: number) => seqBytes(16, n);
/** A request from device 1 with a 10-byte envelope for an hour, unless told otherwise. */
const send = (r: Pick<EnqueueRequest, "msgId" | "targets"> & Partial<EnqueueRequest>) => ({
  sender: dev(1),
  flags: 0,
  envelope: seqBytes(10),
  expiresAt: hour(),
  ...r,
});

export function runRelayStoreTests(name: string, setup: () => Promise<StoreHarness>): void {
  describe(`RelayStore: ${name}`, () => {
    let h: StoreHarness;
    afterEach(async () => {
      await h?.cleanup();
    });

    async function fresh(): Promise<RelayStore> {
      h = await setup();
      return h.store;
    }

    it("queues one envelope for several targets, each with its own increasing seqs", async () => {
      const store = await fresh();
      const r1 = await store.enqueue(
        send({ msgId: msg(1), targets: [dev(2), dev(3)], envelope: seqBytes(50) }),
        quota,
      );
      const r2 = await store.enqueue(
        send({ msgId: msg(2), targets: [dev(2)], envelope: seqBytes(60) }),
        quota,
      );
      expect(r1).toEqual({ status: "queued", seqs: [1, 1], full: [] });
      expect(r2).toEqual({ status: "queued", seqs: [2], full: [] });
      const forTwo = await store.fetch(dev(2), 0, 10);
      expect(forTwo.map((m) => m.seq)).toEqual([1, 2]);
      expect(forTwo[0]!.envelope).toEqual(seqBytes(50));
      expect(forTwo[0]!.sender).toEqual(dev(1));
      expect(forTwo[0]!.msgId).toEqual(msg(1));
      expect((await store.fetch(dev(3), 0, 10)).map((m) => m.seq)).toEqual([1]);
      expect(await store.fetch(dev(2), 1, 10)).toHaveLength(1);
      expect(await store.queued(dev(2))).toBe(2);
    });

    it("a retransmit with the same msgId from the same sender is stored once", async () => {
      const store = await fresh();
      const req = send({ msgId: msg(1), targets: [dev(2)], envelope: seqBytes(5) });
      await store.enqueue(req, quota);
      expect(await store.enqueue(req, quota)).toEqual({ status: "duplicate" });
      expect(await store.fetch(dev(2), 0, 10)).toHaveLength(1);
      // The same msgId from another sender is another message.
      expect((await store.enqueue({ ...req, sender: dev(9) }, quota)).status).toBe("queued");
    });

    it("a full mailbox costs its own target the message, not the send's other targets", async () => {
      const store = await fresh();
      const small = { maxMessages: 2, maxBytes: 100 };
      await store.enqueue(send({ msgId: msg(1), targets: [dev(2)] }), small);
      await store.enqueue(send({ msgId: msg(2), targets: [dev(2)] }), small);
      const partial = await store.enqueue(
        send({ msgId: msg(3), targets: [dev(3), dev(2)] }),
        small,
      );
      expect(partial).toEqual({
        status: "queued",
        seqs: [1, 0],
        full: [{ device: dev(2), reason: "messages" }],
      });
      expect(await store.fetch(dev(3), 0, 10)).toHaveLength(1);
      expect(await store.fetch(dev(2), 0, 10)).toHaveLength(2);
      const tooBig = await store.enqueue(
        send({ msgId: msg(4), targets: [dev(4)], envelope: seqBytes(101) }),
        small,
      );
      expect(tooBig).toEqual({ status: "full", full: [{ device: dev(4), reason: "bytes" }] });
      // A msgId refused for every target can be sent again once there is room.
      await store.ack(dev(4), [1]);
      expect((await store.enqueue(send({ msgId: msg(4), targets: [dev(4)] }), small)).status).toBe(
        "queued",
      );
    });

    it("caps each source's share of a mailbox, and gives it back as messages are acked", async () => {
      const store = await fresh();
      const shared = { maxMessages: 100, maxBytes: 1000, sourceShareBytes: 25 };
      const from = (source: string, i: number) =>
        send({ msgId: msg(i), targets: [dev(2)], envelope: seqBytes(10), source });
      expect((await store.enqueue(from("ip-a", 1), shared)).status).toBe("queued");
      expect((await store.enqueue(from("ip-a", 2), shared)).status).toBe("queued");
      expect(await store.enqueue(from("ip-a", 3), shared)).toEqual({
        status: "full",
        full: [{ device: dev(2), reason: "source_share" }],
      });
      expect((await store.enqueue(from("ip-b", 4), shared)).status).toBe("queued");
      await store.ack(dev(2), [1]);
      expect((await store.enqueue(from("ip-a", 5), shared)).status).toBe("queued");
    });

    it("acked messages are gone; seqs keep increasing after a mailbox empties", async () => {
      const store = await fresh();
      for (let i = 1; i <= 3; i++) {
        await store.enqueue(
          send({ msgId: msg(i), targets: [dev(2)], envelope: seqBytes(8) }),
          quota,
        );
      }
      await store.ack(dev(2), [1, 2, 3, 99]);
      expect(await store.fetch(dev(2), 0, 10)).toHaveLength(0);
      expect(await store.queued(dev(2))).toBe(0);
      const next = await store.enqueue(
        send({ msgId: msg(4), targets: [dev(2)], envelope: seqBytes(8) }),
        quota,
      );
      expect(next).toEqual({ status: "queued", seqs: [4], full: [] });
      expect((await store.stats()).messages).toBe(1);
    });

    it("expired messages are not delivered and are swept", async () => {
      const store = await fresh();
      await store.enqueue(
        send({
          msgId: msg(1),
          targets: [dev(2)],
          envelope: seqBytes(8),
          expiresAt: Date.now() - 1,
        }),
        quota,
      );
      await store.enqueue(send({ msgId: msg(2), targets: [dev(2)], envelope: seqBytes(8) }), quota);
      expect((await store.fetch(dev(2), 0, 10)).map((m) => m.seq)).toEqual([2]);
      expect(await store.sweepExpired(Date.now())).toBe(1);
      expect(await store.queued(dev(2))).toBe(1);
    });

    /** Enqueues; resolves with the result once ordered (staged, where the store stages) and once settled. */
    function ordered(store: RelayStore, req: EnqueueRequest, q = quota) {
      let settled!: Promise<EnqueueResult>;
      const order = new Promise<EnqueueResult>((resolve) => {
        settled = store.enqueue(req, q, resolve);
        settled.then(resolve, () => undefined);
      });
      return { order, settled };
    }

    it("a send can be read and acked once ordered; acked by every target, it settles and nothing stays", async () => {
      const store = await fresh();
      const req = send({ msgId: msg(1), targets: [dev(2), dev(3)] });
      const { order, settled } = ordered(store, req);
      const r = await order;
      expect(r).toEqual({ status: "queued", seqs: [1, 1], full: [] });
      expect((await store.fetch(dev(2), 0, 10)).map((m) => m.msgId)).toEqual([msg(1)]);
      await store.ack(dev(2), [1]);
      await store.ack(dev(3), [1]);
      expect(await settled).toEqual(r);
      expect(await store.fetch(dev(2), 0, 10)).toEqual([]);
      expect(await store.queued(dev(3))).toBe(0);
      const again = await h.reopen();
      expect(await again.fetch(dev(2), 0, 10)).toEqual([]);
      expect(await again.fetch(dev(3), 0, 10)).toEqual([]);
      // Its dedupe record is durable, rows or not, and no seq is handed out twice.
      expect(await again.enqueue(req, quota)).toEqual({ status: "duplicate" });
      const next = await again.enqueue(send({ msgId: msg(2), targets: [dev(2)] }), quota);
      expect(next).toEqual({ status: "queued", seqs: [2], full: [] });
    });

    it("a target that has not acked when the send settles holds it durably", async () => {
      const store = await fresh();
      const { order, settled } = ordered(store, send({ msgId: msg(1), targets: [dev(2), dev(3)] }));
      await order;
      await store.ack(dev(2), [1]);
      await settled;
      const again = await h.reopen();
      expect((await again.fetch(dev(3), 0, 10)).map((m) => m.seq)).toEqual([1]);
      expect(await again.fetch(dev(2), 0, 10)).toEqual([]);
      expect(await again.queued(dev(3))).toBe(1);
    });

    it("a mailbox's quota counts what is ordered but not yet written", async () => {
      const store = await fresh();
      const one = { maxMessages: 1, maxBytes: 1000 };
      const first = ordered(store, send({ msgId: msg(1), targets: [dev(2)] }), one);
      const second = ordered(store, send({ msgId: msg(2), targets: [dev(2)] }), one);
      expect((await first.order).status).toBe("queued");
      expect(await second.settled).toEqual({
        status: "full",
        full: [{ device: dev(2), reason: "messages" }],
      });
      await first.settled;
    });

    it("200 concurrent writes all commit, in call order", async () => {
      const store = await fresh();
      const results = await Promise.all(
        Array.from({ length: 200 }, (_, i) =>
          store.enqueue(
            send({ msgId: msg(i), targets: [dev(2)], envelope: seqBytes(8, i) }),
            quota,
          ),
        ),
      );
      expect(results.map((r) => (r.status === "queued" ? r.seqs[0] : -1))).toEqual(
        Array.from({ length: 200 }, (_, i) => i + 1),
      );
      const fetched = await store.fetch(dev(2), 0, 500);
      expect(fetched.map((m) => m.envelope[0])).toEqual(
        Array.from({ length: 200 }, (_, i) => i & 0xff),
      );
    });

    it("keeps what it acknowledged across close and reopen", async () => {
      const store = await fresh();
      await store.enqueue(
        send({ msgId: msg(1), targets: [dev(2)], envelope: seqBytes(30) }),
        quota,
      );
      await store.putBlob(hash(seqBytes(40)), seqBytes(40), dev(1), { ownerBytes: 1000 });
      const reopened = await h.reopen();
      expect((await reopened.fetch(dev(2), 0, 10))[0]!.envelope).toEqual(seqBytes(30));
      expect(await reopened.getBlob(hash(seqBytes(40)))).toEqual(seqBytes(40));
      const again = await reopened.enqueue(
        send({ msgId: msg(1), targets: [dev(2)], envelope: seqBytes(30) }),
        quota,
      );
      expect(again.status).toBe("duplicate");
    });

    it("stores blobs by hash within a per-owner quota", async () => {
      const store = await fresh();
      const data = seqBytes(600);
      const q = { ownerBytes: 1000 };
      expect(await store.putBlob(hash(data), data, dev(1), q)).toBe("stored");
      expect(await store.putBlob(hash(data), data, dev(1), q)).toBe("exists");
      expect(await store.getBlob(hash(data))).toEqual(data);
      expect(await store.getBlob(filled(32, 0))).toBeUndefined();
      const more = seqBytes(600, 1);
      expect(await store.putBlob(hash(more), more, dev(1), q)).toBe("quota");
      expect(await store.putBlob(hash(more), more, dev(2), q)).toBe("stored");
    });

    it("caps blob bytes per source and in total, whatever the device keys", async () => {
      const store = await fresh();
      const q = { ownerBytes: 1000, sourceBytes: 250, totalBytes: 400 };
      const chunk = (i: number) => seqBytes(100, i);
      for (let i = 0; i < 2; i++) {
        expect(await store.putBlob(hash(chunk(i)), chunk(i), dev(10 + i), q, "ip-a")).toBe(
          "stored",
        );
      }
      expect(await store.putBlob(hash(chunk(2)), chunk(2), dev(12), q, "ip-a")).toBe(
        "source_quota",
      );
      expect(await store.putBlob(hash(chunk(3)), chunk(3), dev(13), q, "ip-b")).toBe("stored");
      expect(await store.putBlob(hash(chunk(4)), chunk(4), dev(14), q, "ip-c")).toBe("stored");
      expect(await store.putBlob(hash(chunk(5)), chunk(5), dev(15), q, "ip-d")).toBe("total_quota");
    });

    it("expires blobs nobody put or fetched since the cut-off; a get refreshes", async () => {
      const store = await fresh();
      const [kept, gone] = [seqBytes(50, 1), seqBytes(50, 2)];
      await store.putBlob(hash(kept), kept, dev(1), { ownerBytes: 1000 });
      await store.putBlob(hash(gone), gone, dev(1), { ownerBytes: 1000 });
      const cutoff = Date.now() + 1;
      await waitUntil(() => Date.now() > cutoff);
      expect(await store.getBlob(hash(kept))).toEqual(kept);
      expect(await store.sweepBlobs(cutoff)).toBe(1);
      expect(await store.getBlob(hash(gone))).toBeUndefined();
      expect(await store.getBlob(hash(kept))).toEqual(kept);
      // Gone chunks no longer count against the quota.
      expect((await store.stats()).blobBytes).toBe(50);
    });

    it("reports whether it can write, and refuses work once closed", async () => {
      const store = await fresh();
      await store.checkWritable();
      await store.close();
      await expect(store.checkWritable()).rejects.toMatchObject({ code: "STORE_CLOSED" });
      await expect(store.fetch(dev(1), 0, 1)).rejects.toMatchObject({ code: "STORE_CLOSED" });
    });
  });
}

/** Spins on a condition with a deadline (for a clock tick), never a fixed sleep. */
async function waitUntil(condition: () => boolean, timeoutMs = 1000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error("condition not met in time");
    await new Promise((r) => setImmediate(r));
  }
}

function hash(data: Uint8Array): Uint8Array {
  return new Uint8Array(createHash("sha256").update(data).digest());
}
