/**
 * A group commit whose statement makes SQLite roll the whole transaction back
 * (SQLITE_FULL, SQLITE_IOERR, SQLITE_NOMEM and SQLITE_BUSY may: checked for
 * SQLITE_FULL with max_page_count, which leaves `inTransaction` false) must
 * commit nothing of that group: every write after it would otherwise run in
 * autocommit, be committed, and still be answered as failed. A send's dedupe
 * record committed that way answers its sender's retransmit as a duplicate
 * (acked) while its staged rows were dropped with the failure: acked data lost.
 *
 * The rollback is made deterministic with a trigger doing RAISE(ROLLBACK) on
 * one send's dedupe record, as a full disk would on its insert.
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

interface Db {
  exec(sql: string): void;
  prepare(sql: string): { get(): unknown };
}

const open: { store: SqliteRelayStore; dir: string }[] = [];
afterEach(async () => {
  for (const { store, dir } of open.splice(0)) {
    await store.close().catch(() => undefined);
    rmSync(dir, { recursive: true, force: true });
  }
});

function request(n: number, live: boolean): EnqueueRequest {
  const msgId = new Uint8Array(16).fill(n);
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

function outcome(p: Promise<EnqueueResult>): Promise<string> {
  return p.then(
    (r) => r.status,
    (e: { code?: string }) => `error:${e.code}`,
  );
}

describe("relay store: a statement that rolls the whole transaction back", () => {
  it("commits nothing of its group, so a retransmit of a later send in it is stored again, not acked as a duplicate", async () => {
    const dir = mkdtempSync(join(tmpdir(), "grove-commit-rollback-"));
    // Live rows held long: the live target holds the sends only in staging until it acks.
    const store = new SqliteRelayStore(dir, { holdMs: 60_000 });
    open.push({ store, dir });
    const db = (store as unknown as { db: Db }).db;
    const failing = Buffer.from(request(1, true).msgId).toString("hex");
    db.exec(
      `CREATE TEMP TRIGGER full_disk BEFORE INSERT ON main.sent WHEN NEW.msg_id = X'${failing}'
       BEGIN SELECT RAISE(ROLLBACK, 'injected: the transaction is rolled back, as by SQLITE_FULL'); END`,
    );
    // Both in one turn: one group commit, the failing record first.
    const first = outcome(store.enqueue(request(1, true), quota, () => undefined));
    const second = outcome(store.enqueue(request(2, true), quota, () => undefined));
    expect(await first).toMatch(/^error:/);
    expect(await second).toMatch(/^error:/);
    // Both were answered as failed: neither record may be in the database.
    const records = db.prepare("SELECT count(*) AS n FROM sent").get() as { n: number };
    expect(records.n).toBe(0);

    // The sender of the second sends it again (same msgId), the disk being fine again.
    db.exec("DROP TRIGGER temp.full_disk");
    let staged: EnqueueResult | undefined;
    const again = store.enqueue(request(2, true), quota, (r) => {
      staged = r;
    });
    again.catch(() => undefined);
    const settledAs: string[] = [];
    void outcome(again).then((s) => settledAs.push(s));
    await waitFor(() => staged !== undefined || settledAs.length > 0, "the retransmit answered");
    // Whatever it was answered, its target must be able to get it.
    const held = await store.fetch(target, 0, 10);
    expect(held.map((m) => m.envelope[0])).toContain(2);
    expect(staged?.status).toBe("queued");
    await store.ack(
      target,
      held.map((m) => m.seq),
    );
    expect(await outcome(again)).toBe("queued");
  });

  it("a send's dedupe record failing alone (no savepoint) costs that send only: the others commit, its rows are not written, its retransmit is stored once", async () => {
    const dir = mkdtempSync(join(tmpdir(), "grove-commit-rollback-"));
    const store = new SqliteRelayStore(dir, { holdMs: 0 });
    open.push({ store, dir });
    const db = (store as unknown as { db: Db }).db;
    const failing = Buffer.from(request(2, false).msgId).toString("hex");
    // RAISE(ABORT): the statement is undone, the transaction stays open (a constraint failing).
    db.exec(
      `CREATE TEMP TRIGGER refuse BEFORE INSERT ON main.sent WHEN NEW.msg_id = X'${failing}'
       BEGIN SELECT RAISE(ABORT, 'injected: this record only'); END`,
    );
    const sends = [1, 2, 3].map((n) => outcome(store.enqueue(request(n, false), quota)));
    const [one, two, three] = await Promise.all(sends);
    expect([one, three]).toEqual(["queued", "queued"]);
    expect(two).toMatch(/^error:/);
    const records = db.prepare("SELECT count(*) AS n FROM sent").get() as { n: number };
    expect(records.n).toBe(2);
    db.exec("DROP TRIGGER temp.refuse");
    // Refused, so not stored: its row (due at once, for a device not connected) was not written.
    expect((await store.fetch(target, 0, 10)).map((m) => m.envelope[0])).toEqual([1, 3]);
    expect(await outcome(store.enqueue(request(2, false), quota))).toBe("queued");
    const held = await store.fetch(target, 0, 10);
    expect(held.map((m) => m.envelope[0]).sort()).toEqual([1, 2, 3]);
    // Seqs stay distinct and increasing: the failed send's seq is never handed out again.
    const seqs = held.map((m) => m.seq);
    expect(new Set(seqs).size).toBe(3);
  });

  it("a seq handed out before a failed commit is never handed out again, even after a later good commit for other devices", async () => {
    const dir = mkdtempSync(join(tmpdir(), "grove-commit-rollback-"));
    const store = new SqliteRelayStore(dir, { holdMs: 60_000 });
    open.push({ store, dir });
    const db = (store as unknown as { db: Db }).db;
    const failing = Buffer.from(request(1, true).msgId).toString("hex");
    db.exec(
      `CREATE TEMP TRIGGER full_disk BEFORE INSERT ON main.sent WHEN NEW.msg_id = X'${failing}'
       BEGIN SELECT RAISE(ROLLBACK, 'injected: the transaction is rolled back, as by SQLITE_FULL'); END`,
    );
    // A, to the live target: ordered (seq handed out, may be delivered from memory), then its commit fails.
    let stagedA: EnqueueResult | undefined;
    const a = outcome(
      store.enqueue(request(1, true), quota, (r) => {
        stagedA = r;
      }),
    );
    expect(await a).toMatch(/^error:/);
    const seqA = stagedA?.status === "queued" ? stagedA.seqs[0] : undefined;
    expect(seqA).toBeGreaterThan(0);
    db.exec("DROP TRIGGER temp.full_disk");
    // A good commit that does not touch the target's mailbox.
    const other = { ...request(3, false), targets: [new Uint8Array(32).fill(9)], live: [false] };
    expect(await outcome(store.enqueue(other, quota))).toBe("queued");
    // B, to the same target: a seq of its own, not A's (which the device may hold and ack).
    let stagedB: EnqueueResult | undefined;
    const b = store.enqueue(request(2, true), quota, (r) => {
      stagedB = r;
    });
    b.catch(() => undefined);
    await waitFor(() => stagedB !== undefined, "B ordered");
    const seqB = stagedB?.status === "queued" ? stagedB.seqs[0] : undefined;
    expect(seqB).toBeGreaterThan(seqA ?? 0);
  });
});
