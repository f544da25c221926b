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

/**
 * A store whose dedupe-record insert for send `n` fails as `raise` says: ROLLBACK undoes the
 * whole transaction (as SQLITE_FULL would), ABORT that statement only (a constraint failing).
 */
function storeFailing(holdMs: number, n: number, raise: "ROLLBACK" | "ABORT") {
  const dir = mkdtempSync(join(tmpdir(), "grove-commit-rollback-"));
  const store = new SqliteRelayStore(dir, { holdMs });
  open.push({ store, dir });
  const db = (store as unknown as { db: Db }).db;
  const failing = Buffer.from(request(n, false).msgId).toString("hex");
  db.exec(
    `CREATE TEMP TRIGGER failing BEFORE INSERT ON main.sent WHEN NEW.msg_id = X'${failing}'
     BEGIN SELECT RAISE(${raise}, 'injected failure of this record'); END`,
  );
  return { store, db, heal: () => db.exec("DROP TRIGGER temp.failing") };
}

describe("relay store: a statement that rolls the whole transaction back", () => {
  it("commits nothing of its group, so a retransmit of a later send in it is stored again, not acked as a duplicate", async () => {
    // Live rows held long: the live target holds the sends only in staging until it acks.
    const { store, db, heal } = storeFailing(60_000, 1, "ROLLBACK");
    // Both in one turn: one group commit, the failing record first.
    const first = outcome(store.enqueue(request(1, true), quota, () => undefined));
    const second = outcome(store.enqueue(request(2, true), quota, () => undefined));
    expect(await first).toMatch(/^error:/);
    expect(await second).toMatch(/^error:/);
    // Both were answered as failed: neither record may be in the database.
    const records = db.prepare("SELECT count(*) AS n FROM sent").get() as { n: number };
    expect(records.n).toBe(0);

    // The sender of the second sends it again (same msgId), the disk being fine again.
    heal();
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
    // RAISE(ABORT): the statement is undone, the transaction stays open (a constraint failing).
    const { store, db, heal } = storeFailing(0, 2, "ABORT");
    const sends = [1, 2, 3].map((n) => outcome(store.enqueue(request(n, false), quota)));
    const [one, two, three] = await Promise.all(sends);
    expect([one, three]).toEqual(["queued", "queued"]);
    expect(two).toMatch(/^error:/);
    const records = db.prepare("SELECT count(*) AS n FROM sent").get() as { n: number };
    expect(records.n).toBe(2);
    heal();
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
    const { store, heal } = storeFailing(60_000, 1, "ROLLBACK");
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
    heal();
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
