/**
 * PgRelayStore against SqliteRelayStore, op by op: random sends (several
 * targets, sources, tight quotas, expired and live), acks, fetches with byte
 * budgets, sweeps and blob puts go to both, and every answer must match.
 * The SQLite store is the reference: it defines what a RelayStore answers.
 */
import fc from "fast-check";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PgRelayStore } from "../relay/store/pg-store.js";
import type { RelayStore } from "../relay/store/relay-store.js";
import { SqliteRelayStore } from "../relay/store/sqlite-store.js";
import { filled, seqBytes } from "./fixtures.js";
import { type PgServer, startPgServer } from "./pg-server.js";
import { removeDir, tempDir } from "./relay-harness.js";

let server: PgServer;
beforeAll(async () => {
  server = await startPgServer();
});
afterAll(async () => {
  await server?.destroy();
});

type Op =
  | {
      op: "send";
      sender: number;
      msg: number;
      targets: number[];
      size: number;
      source: number;
      expired: boolean;
    }
  | { op: "ack"; device: number; count: number }
  | { op: "fetch"; device: number; after: number; limit: number; maxBytes: number }
  | { op: "sweep" }
  | { op: "blob"; owner: number; size: number; seed: number; source: number };

const device = fc.integer({ min: 1, max: 5 });
const op: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc.record({
      op: fc.constant("send" as const),
      sender: device,
      msg: fc.integer({ min: 0, max: 12 }),
      targets: fc.uniqueArray(device, { minLength: 1, maxLength: 4 }),
      // Sizes that add up to the quotas exactly: the boundaries are where stores differ.
      size: fc.constantFrom(10, 25, 50, 75),
      source: fc.integer({ min: 0, max: 2 }),
      expired: fc.boolean(),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      op: fc.constant("ack" as const),
      device,
      count: fc.integer({ min: 1, max: 3 }),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      op: fc.constant("fetch" as const),
      device,
      after: fc.integer({ min: 0, max: 5 }),
      limit: fc.integer({ min: 1, max: 6 }),
      maxBytes: fc.integer({ min: 1, max: 150 }),
    }),
  },
  { weight: 1, arbitrary: fc.constant({ op: "sweep" as const }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("blob" as const),
      owner: device,
      size: fc.constantFrom(50, 100),
      seed: fc.integer({ min: 0, max: 4 }),
      source: fc.integer({ min: 0, max: 2 }),
    }),
  },
);

const quota = { maxMessages: 4, maxBytes: 100, sourceShareBytes: 75 };
const blobQuota = { ownerBytes: 200, sourceBytes: 300, totalBytes: 400 };

/** Applies one op; returns what a caller would see (the same for every correct store). */
async function apply(store: RelayStore, o: Op, now: number): Promise<unknown> {
  switch (o.op) {
    case "send":
      return store.enqueue(
        {
          sender: filled(32, o.sender),
          msgId: seqBytes(16, o.msg),
          targets: o.targets.map((t) => filled(32, t)),
          flags: 0,
          envelope: seqBytes(o.size, o.msg),
          expiresAt: o.expired ? now - 1000 : now + 3_600_000,
          source: o.source === 0 ? "" : `ip-${o.source}`,
        },
        quota,
      );
    case "ack": {
      // Acks what the device would have been delivered first.
      const waiting = await store.fetch(filled(32, o.device), 0, o.count);
      await store.ack(
        filled(32, o.device),
        waiting.map((m) => m.seq),
      );
      return waiting.map((m) => m.seq);
    }
    case "fetch":
      return (await store.fetch(filled(32, o.device), o.after, o.limit, o.maxBytes)).map((m) => ({
        ...m,
        msgId: [...m.msgId],
        sender: [...m.sender],
        envelope: [...m.envelope],
      }));
    case "sweep":
      return store.sweepExpired(now);
    case "blob": {
      const data = seqBytes(o.size, o.seed);
      return store.putBlob(
        filled(32, 100 + o.seed + o.size),
        data,
        filled(32, o.owner),
        blobQuota,
        o.source === 0 ? "" : `ip-${o.source}`,
      );
    }
  }
}

describe("PgRelayStore answers as SqliteRelayStore does", () => {
  it("for random sequences of sends, acks, fetches, sweeps and blob puts", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(op, { minLength: 5, maxLength: 30 }), async (ops) => {
        const dir = tempDir("grove-diff-");
        const sqlite = new SqliteRelayStore(dir);
        const postgres = await PgRelayStore.open(await server.createDatabase("diff"));
        try {
          const now = Date.now();
          for (const [i, o] of ops.entries()) {
            const expected = await apply(sqlite, o, now);
            const actual = await apply(postgres, o, now);
            expect(actual, `op ${i}: ${JSON.stringify(o)}`).toEqual(expected);
          }
          for (let d = 1; d <= 5; d++) {
            expect(await postgres.queued(filled(32, d))).toBe(await sqlite.queued(filled(32, d)));
          }
          expect(await postgres.stats()).toEqual(await sqlite.stats());
        } finally {
          await sqlite.close();
          await postgres.close();
          removeDir(dir);
        }
      }),
      { numRuns: 15 },
    );
  }, 120_000);
});
