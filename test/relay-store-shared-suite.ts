/**
 * What a RelayStore shared by several relay nodes must add to the plain
 * suite (relay-store-suite.ts): two store instances on the same storage,
 * as two nodes would hold, writing and sweeping at the same time.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { EnqueueRequest, RelayStore } from "../relay/store/relay-store.js";
import { filled, seqBytes } from "./fixtures.js";

export interface SharedStoreHarness {
  /** Another store instance on the same storage (another node). */
  open(): Promise<RelayStore>;
  cleanup(): Promise<void>;
}

const quota = { maxMessages: 10_000, maxBytes: 100_000_000 };
const dev = (n: number) => filled(32, n);
const msg = (n: number) => seqBytes(16, n);
const send = (r: Pick<EnqueueRequest, "msgId" | "targets"> & Partial<EnqueueRequest>) => ({
  sender: dev(1),
  flags: 0,
  envelope: seqBytes(10),
  expiresAt: Date.now() + 3_600_000,
  ...r,
});

export function runSharedStoreTests(name: string, setup: () => Promise<SharedStoreHarness>): void {
  describe(`RelayStore shared by nodes: ${name}`, () => {
    let h: SharedStoreHarness | undefined;
    const open: RelayStore[] = [];
    afterEach(async () => {
      for (const s of open.splice(0)) await s.close();
      await h?.cleanup();
      h = undefined;
    });
    async function nodes(n: number): Promise<RelayStore[]> {
      h = await setup();
      for (let i = 0; i < n; i++) open.push(await h.open());
      return [...open];
    }

    it("the same msgId sent through two nodes at once is queued once", async () => {
      const [a, b] = await nodes(2);
      for (let round = 0; round < 20; round++) {
        const req = send({
          msgId: msg(round),
          targets: [dev(2), dev(3)],
          envelope: seqBytes(20, round),
        });
        const results = await Promise.all([a!.enqueue(req, quota), b!.enqueue(req, quota)]);
        expect(results.map((r) => r.status).sort()).toEqual(["duplicate", "queued"]);
      }
      for (const d of [dev(2), dev(3)]) {
        const got = await a!.fetch(d, 0, 100);
        expect(got.map((m) => m.seq)).toEqual(Array.from({ length: 20 }, (_, i) => i + 1));
        expect(got.map((m) => m.msgId[0])).toEqual(Array.from({ length: 20 }, (_, i) => i));
      }
    });

    it("two nodes writing one mailbox at once give it gap-free seqs, each node's in its own order", async () => {
      const [a, b] = await nodes(2);
      const from = (store: RelayStore, sender: number) =>
        Promise.all(
          Array.from({ length: 50 }, (_, i) =>
            store.enqueue(
              send({ sender: dev(sender), msgId: msg(i), targets: [dev(9), dev(10 + sender)] }),
              quota,
            ),
          ),
        );
      await Promise.all([from(a!, 1), from(b!, 2)]);
      const box = await b!.fetch(dev(9), 0, 1000);
      expect(box.map((m) => m.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
      for (const sender of [1, 2]) {
        const order = box.filter((m) => m.sender[0] === sender).map((m) => m.msgId[0]);
        expect(order).toEqual(Array.from({ length: 50 }, (_, i) => i));
      }
      expect(await a!.queued(dev(9))).toBe(100);
    });

    it("a message acked through one node is gone for the other", async () => {
      const [a, b] = await nodes(2);
      await a!.enqueue(send({ msgId: msg(1), targets: [dev(2)] }), quota);
      const [m] = await b!.fetch(dev(2), 0, 10);
      await b!.ack(dev(2), [m!.seq]);
      expect(await a!.fetch(dev(2), 0, 10)).toEqual([]);
      expect(await a!.queued(dev(2))).toBe(0);
    });

    it("room freed by an ack on one node is room for a send on another", async () => {
      const [a, b] = await nodes(2);
      const small = { maxMessages: 2, maxBytes: 1000, sourceShareBytes: 20 };
      const from = (i: number) =>
        send({ msgId: msg(i), targets: [dev(2)], envelope: seqBytes(10), source: "ip-a" });
      expect((await a!.enqueue(from(1), small)).status).toBe("queued");
      expect((await a!.enqueue(from(2), small)).status).toBe("queued");
      expect((await a!.enqueue(from(3), small)).status).toBe("full");
      await b!.ack(dev(2), [1]);
      expect(await a!.queued(dev(2))).toBe(1);
      expect((await a!.enqueue(from(3), small)).status).toBe("queued");
      expect(await b!.enqueue(from(4), small)).toMatchObject({ status: "full" });
      expect((await b!.stats()).messages).toBe(2);
    });

    it("nodes sweeping at once drop each expired message exactly once", async () => {
      const [a, b, c] = await nodes(3);
      const past = Date.now() - 1;
      for (let i = 0; i < 30; i++) {
        await a!.enqueue(
          send({ msgId: msg(i), targets: [dev(2), dev(3 + (i % 4))], expiresAt: past }),
          quota,
        );
      }
      await a!.enqueue(send({ msgId: msg(99), targets: [dev(2)] }), quota);
      const swept = await Promise.all([a!, b!, c!].map((s) => s.sweepExpired(Date.now())));
      // Whoever held the sweep dropped them; the others waited for no one and found it taken or done.
      const again = await a!.sweepExpired(Date.now());
      expect(swept.reduce((x, y) => x + y, 0) + again).toBe(60);
      expect(await b!.queued(dev(2))).toBe(1);
      expect((await c!.stats()).messages).toBe(1);
    });
  });
}
