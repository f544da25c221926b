/**
 * Attacks on the relay's write-behind of mail rows (decision 120) over a
 * real SQLite store: a send may be ACKed only once every target holds it
 * durably (a committed row, or its device's ack). Each case is an attacker
 * or a fault that could make the relay answer a sender before that.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { EnqueueRequest, EnqueueResult } from "../relay/store/relay-store.js";
import { SqliteRelayStore } from "../relay/store/sqlite-store.js";
import { waitFor } from "./relay-harness.js";

const target = new Uint8Array(32).fill(1);
const sender = new Uint8Array(32).fill(2);
const quota = { maxMessages: 1000, maxBytes: 1 << 20 };

const open: { store: SqliteRelayStore; dir: string }[] = [];
afterEach(async () => {
  for (const { store, dir } of open.splice(0)) {
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

function setup(holdMs: number) {
  const dir = mkdtempSync(join(tmpdir(), "grove-write-behind-attacks-"));
  let commits = 0;
  const store = new SqliteRelayStore(dir, { holdMs, onCommit: () => commits++ });
  open.push({ store, dir });
  return { store, dir, commits: () => commits };
}

function request(n: number, live: boolean): EnqueueRequest {
  const msgId = new Uint8Array(16);
  new DataView(msgId.buffer).setUint32(0, n);
  return {
    sender,
    msgId,
    targets: [target],
    flags: 0,
    envelope: new Uint8Array(20).fill(n),
    expiresAt: Date.now() + 60_000,
    live: [live],
  };
}

/** Whether `p` has settled by the time the turns queued now have run. */
async function settledYet(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  p.then(
    () => {
      done = true;
    },
    () => {
      done = true;
    },
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe("relay write-behind: a sender is acked only once every target holds the send durably", () => {
  it("does not ack a retransmit of a send whose dedupe record is committed while its live target's row is neither written nor acked", async () => {
    // The sender lost its ACK (its link dropped) and sends the same msgId again, as its outbox
    // does after a reconnect. The first send's record is committed at once, its row held for
    // the live target's ack (an hour here). An ACK now would let the sender drop its outbox
    // entry while the relay holds the message only in memory: a crash would lose it.
    const { store, commits } = setup(3_600_000);
    const first = store.enqueue(request(1, true), quota, () => undefined);
    await waitFor(() => commits() >= 1, "the send's dedupe record committed");
    expect(await settledYet(first)).toBe(false);
    const again = store.enqueue(request(1, true), quota, () => undefined);
    expect(await settledYet(again)).toBe(false);
    // The target's device acks (it stored the message): now both may be answered.
    const [message] = await store.fetch(target, 0, 10);
    if (!message) throw new Error("the staged message is readable");
    await store.ack(target, [message.seq]);
    const results: EnqueueResult[] = await Promise.all([first, again]);
    expect(results.map((r) => r.status)).toEqual(["queued", "duplicate"]);
  });

  it("a connected device that let a held row fall due unacked is not waited for again until it acks: its next rows are written with their send", async () => {
    // A member's device stays connected and never acks: without this, every send to it
    // waits the whole hold for its ACK, and so does every sender of its room.
    const { store, commits } = setup(50);
    const first = store.enqueue(request(1, true), quota, () => undefined);
    await first;
    // The next send to it: recorded and its row written in one commit, not after the hold.
    const before = commits();
    let settledAt = -1;
    const second = store
      .enqueue(request(2, true), quota, () => undefined)
      .then((r) => {
        settledAt = commits();
        return r;
      });
    expect((await second).status).toBe("queued");
    expect(settledAt).toBe(before + 1);
    // Once it acks again it is waited for again: the third send's row is held.
    const messages = await store.fetch(target, 0, 10);
    await store.ack(
      target,
      messages.map((m) => m.seq),
    );
    const acked = commits();
    const third = await store.enqueue(request(3, true), quota, () => undefined);
    expect(third.status).toBe("queued");
    // Recorded in one commit, its row written in a later one (when the hold ran out).
    expect(commits()).toBeGreaterThanOrEqual(acked + 2);
  });

  it("retries rows whose commit failed (a full disk) with a growing pause, not in a hot loop, and writes them once it can", async () => {
    const { store, commits } = setup(20);
    const db = (store as unknown as { db: { pragma(sql: string, o?: object): unknown } }).db;
    let attempts = 0;
    const s = store as unknown as { flush: (all?: boolean) => void };
    const flush = s.flush.bind(store);
    s.flush = (all?: boolean) => {
      attempts++;
      flush(all);
    };
    const big = { ...request(9, true), envelope: new Uint8Array(200_000).fill(9) };
    const sent = store.enqueue(big, quota, () => undefined);
    sent.catch(() => undefined);
    await waitFor(() => commits() >= 1, "the send recorded");
    // The disk is full from now on: the row, due after the hold, cannot be written.
    const pages = Number(db.pragma("page_count", { simple: true }));
    db.pragma(`max_page_count = ${pages + 1}`);
    attempts = 0;
    const started = Date.now();
    await waitFor(() => Date.now() - started >= 400, "a while with a full disk");
    // A retry at once after each failure makes hundreds of attempts in that time.
    expect(attempts).toBeLessThanOrEqual(12);
    expect(await settledYet(sent)).toBe(false);
    db.pragma("max_page_count = 1073741823");
    expect((await sent).status).toBe("queued");
    expect((await store.fetch(target, 0, 10)).length).toBe(1);
  });
});
