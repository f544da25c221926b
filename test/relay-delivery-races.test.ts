/**
 * Two findings of a review of mailbox delivery (relay/delivery.ts), each
 * over a real SQLite store: a message kept in the in-memory backlog must
 * not go out once its TTL has passed (a store read would not return it),
 * and a RESEND that lands while a store read is on its way must not be
 * undone by that read's result.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { BacklogBudget, MailboxDelivery } from "../relay/delivery.js";
import type { StoredMessage } from "../relay/store/relay-store.js";
import { SqliteRelayStore } from "../relay/store/sqlite-store.js";
import { waitFor } from "./relay-harness.js";

const device = new Uint8Array(32).fill(1);
const sender = new Uint8Array(32).fill(2);
const quota = { maxMessages: 1000, maxBytes: 1 << 20 };

const open: { store: SqliteRelayStore; dir: string }[] = [];
afterEach(async () => {
  for (const { store, dir } of open.splice(0)) {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

function setup(window: number) {
  const dir = mkdtempSync(join(tmpdir(), "grove-delivery-races-"));
  const store = new SqliteRelayStore(dir);
  open.push({ store, dir });
  const delivered: number[] = [];
  const failures: unknown[] = [];
  const delivery = new MailboxDelivery(
    store,
    device,
    { window, fetchBytes: 1 << 20, backlog: new BacklogBudget(1 << 20) },
    {
      deliver: (m: StoredMessage) => delivered.push(m.seq),
      writable: () => true,
      blocked: () => undefined,
      failed: (err) => failures.push(err),
    },
  );
  let next = 0;
  const send = async (expiresAt: number): Promise<StoredMessage> => {
    const msgId = new Uint8Array(16);
    new DataView(msgId.buffer).setUint32(0, ++next);
    const envelope = new Uint8Array(10).fill(next);
    const r = await store.enqueue(
      { sender, msgId, targets: [device], flags: 0, envelope, expiresAt },
      quota,
    );
    if (r.status !== "queued") throw new Error(`not queued: ${r.status}`);
    return { seq: r.seqs[0] ?? 0, msgId, sender, flags: 0, envelope, expiresAt };
  };
  return { store, delivery, delivered, failures, send };
}

describe("mailbox delivery: review findings", () => {
  it("does not deliver from its backlog a message whose TTL has passed", async () => {
    const { delivery, delivered, failures, send } = setup(1);
    delivery.pump();
    // Caught up once the first read comes back empty.
    await waitFor(async () => {
      await Promise.resolve();
      return (delivery as unknown as { caughtUp: boolean }).caughtUp;
    }, "caught up");
    const first = await send(Date.now() + 60_000);
    delivery.offer(first);
    expect(delivered).toEqual([first.seq]);
    // The window (1) is full: the next message waits in the backlog, and expires there.
    const expiring = await send(Date.now() + 60_000);
    delivery.offer({ ...expiring, expiresAt: Date.now() - 1 });
    const after = await send(Date.now() + 60_000);
    delivery.offer(after);
    await delivery.ack([first.seq]);
    await waitFor(() => delivered.length >= 2, "the next live message");
    expect(delivered).toEqual([first.seq, after.seq]);
    expect(failures).toEqual([]);
  });

  it("does not deliver a message offered after its TTL passed", async () => {
    const { delivery, delivered, send } = setup(4);
    delivery.pump();
    await waitFor(async () => {
      await Promise.resolve();
      return (delivery as unknown as { caughtUp: boolean }).caughtUp;
    }, "caught up");
    const expired = await send(Date.now() + 60_000);
    delivery.offer({ ...expired, expiresAt: Date.now() - 1 });
    const live = await send(Date.now() + 60_000);
    delivery.offer(live);
    await waitFor(() => delivered.length >= 1, "the live message");
    expect(delivered).toEqual([live.seq]);
  });

  it("a RESEND during a store read redelivers from its seq, whatever the read returns", async () => {
    const { delivery, delivered, failures, send } = setup(16);
    for (let i = 0; i < 3; i++) await send(Date.now() + 60_000);
    delivery.pump();
    await waitFor(() => delivered.length === 3, "the first three");
    for (let i = 0; i < 2; i++) await send(Date.now() + 60_000);
    // A read of 4 and 5 is on its way when the device asks for everything from 1 again.
    delivery.pump();
    delivery.resend(1);
    await waitFor(() => delivered.length >= 8, "1 to 5 after the resend", 5_000).catch(() => {
      throw new Error(`delivered ${delivered.join(",")}`);
    });
    expect(delivered.slice(3)).toEqual([1, 2, 3, 4, 5]);
    expect(failures).toEqual([]);
  });
});
