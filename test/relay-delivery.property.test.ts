/**
 * A mailbox's delivery, served from memory while it keeps up and from the
 * store otherwise, driven through random schedules over a real SQLite
 * store: sends committed and offered, acks, a socket that fills and
 * drains, resends, pumps from outside, a tiny shared backlog budget. After
 * every schedule the device has been delivered every message queued for
 * it, never more unacked than the window nor anything while its socket
 * was full, and between two resends never a seq twice or out of order.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { BacklogBudget, MailboxDelivery } from "../relay/delivery.js";
import type { StoredMessage } from "../relay/store/relay-store.js";
import { SqliteRelayStore } from "../relay/store/sqlite-store.js";
import { waitFor } from "./relay-harness.js";

type Op =
  | { kind: "send"; count: number; size: number }
  | { kind: "ack"; share: number }
  | { kind: "full" }
  | { kind: "drain" }
  | { kind: "resend"; back: number }
  | { kind: "pump" };

const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant("send" as const),
      count: fc.integer({ min: 1, max: 6 }),
      size: fc.integer({ min: 1, max: 600 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant("ack" as const),
      share: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "full" as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: "drain" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant("resend" as const),
      back: fc.integer({ min: 0, max: 5 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ kind: "pump" as const }) },
);

const device = new Uint8Array(32).fill(1);
const sender = new Uint8Array(32).fill(2);
const quota = { maxMessages: 100_000, maxBytes: 1 << 30 };

async function run(ops: Op[], budgetBytes: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "grove-delivery-"));
  const store = new SqliteRelayStore(dir);
  try {
    let writable = true;
    let nextId = 0;
    const queued: number[] = [];
    const unacked = new Set<number>();
    const seen = new Set<number>();
    /** Seqs delivered since the last resend, in order. */
    let epoch: number[] = [];
    const failures: unknown[] = [];
    const delivery = new MailboxDelivery(
      store,
      device,
      // A small window and read size, so both run out within a schedule.
      { window: 4, fetchBytes: 1500, backlog: new BacklogBudget(budgetBytes) },
      {
        deliver: (m: StoredMessage) => {
          const last = epoch[epoch.length - 1];
          if (last !== undefined) expect(m.seq).toBeGreaterThan(last);
          epoch.push(m.seq);
          seen.add(m.seq);
          unacked.add(m.seq);
          expect(unacked.size).toBeLessThanOrEqual(4);
          expect(writable).toBe(true);
        },
        writable: () => writable,
        blocked: () => undefined,
        failed: (err) => failures.push(err),
      },
    );
    const send = async (count: number, size: number) => {
      // Sent together, committed together, offered as the relay offers them: once committed.
      const results = await Promise.all(
        Array.from({ length: count }, () => {
          const msgId = new Uint8Array(16);
          new DataView(msgId.buffer).setUint32(0, ++nextId);
          return store
            .enqueue(
              {
                sender,
                msgId,
                targets: [device],
                flags: 0,
                envelope: new Uint8Array(size),
                expiresAt: Date.now() + 60_000,
              },
              quota,
            )
            .then((r) => ({ r, msgId, size }));
        }),
      );
      for (const { r, msgId, size: n } of results) {
        if (r.status !== "queued") throw new Error(`not queued: ${r.status}`);
        const seq = r.seqs[0] ?? 0;
        queued.push(seq);
        delivery.offer({ seq, msgId, sender, flags: 0, envelope: new Uint8Array(n) });
      }
    };
    const ack = async (share: number) => {
      const seqs = [...unacked].filter((_, i, all) => i < Math.ceil(all.length * share));
      for (const s of seqs) unacked.delete(s);
      await delivery.ack(seqs);
    };
    for (const o of ops) {
      if (o.kind === "send") await send(o.count, o.size);
      else if (o.kind === "ack") await ack(o.share);
      else if (o.kind === "full") writable = false;
      else if (o.kind === "drain") {
        writable = true;
        delivery.drained();
      } else if (o.kind === "resend") {
        const from = Math.max(1, Math.min(...unacked, Number.MAX_SAFE_INTEGER) - o.back);
        epoch = [];
        for (const s of unacked) if (s >= from) unacked.delete(s);
        delivery.resend(from);
      } else delivery.pump();
    }
    // Then a device that reads and acks everything: every queued message must arrive.
    writable = true;
    delivery.drained();
    await waitFor(
      async () => {
        if (unacked.size > 0) await ack(1);
        return queued.every((s) => seen.has(s));
      },
      "every queued message delivered",
      10_000,
    );
    expect(failures).toEqual([]);
    delivery.stop();
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

describe("mailbox delivery, from memory or from the store", () => {
  it("delivers every queued message, in order between resends, whatever the schedule", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(op, { minLength: 1, maxLength: 25 }),
        fc.constantFrom(0, 700, 1 << 20),
        run,
      ),
      { numRuns: 40 },
    );
  }, 60_000);
});
