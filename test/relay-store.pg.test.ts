import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCK_SWEEP_MAIL } from "../relay/store/pg-schema.js";
import { PgRelayStore } from "../relay/store/pg-store.js";
import { filled, seqBytes } from "./fixtures.js";
import { type PgServer, startPgServer } from "./pg-server.js";
import { runSharedStoreTests } from "./relay-store-shared-suite.js";
import { runRelayStoreTests } from "./relay-store-suite.js";

let server: PgServer;
beforeAll(async () => {
  server = await startPgServer();
});
afterAll(async () => {
  await server?.destroy();
});

runRelayStoreTests("PostgreSQL", async () => {
  const url = await server.createDatabase("suite");
  let store = await PgRelayStore.open(url);
  return {
    store,
    async reopen() {
      await store.close();
      store = await PgRelayStore.open(url);
      return store;
    },
    async cleanup() {
      await store.close();
    },
  };
});

runSharedStoreTests("PostgreSQL", async () => {
  const url = await server.createDatabase("shared");
  return { open: () => PgRelayStore.open(url), async cleanup() {} };
});

describe("PgRelayStore in a cluster", () => {
  it("sweeps nothing while another node holds the sweep lock, and everything once it is free", async () => {
    const url = await server.createDatabase("lock");
    const store = await PgRelayStore.open(url);
    const holder = new pg.Client({ connectionString: url });
    await holder.connect();
    try {
      await store.enqueue(
        {
          sender: filled(32, 1),
          msgId: seqBytes(16),
          targets: [filled(32, 2)],
          flags: 0,
          envelope: seqBytes(8),
          expiresAt: Date.now() - 1,
        },
        { maxMessages: 10, maxBytes: 1000 },
      );
      await holder.query("BEGIN");
      await holder.query("SELECT pg_advisory_xact_lock($1)", [LOCK_SWEEP_MAIL.toString()]);
      expect(await store.sweepExpired(Date.now())).toBe(0);
      expect(await store.queued(filled(32, 2))).toBe(1);
      await holder.query("COMMIT");
      expect(await store.sweepExpired(Date.now())).toBe(1);
    } finally {
      await holder.end();
      await store.close();
    }
  });

  it("acks of one envelope's last copies on two nodes at once leave no envelope once swept", async () => {
    const url = await server.createDatabase("envelopes");
    const [a, b] = [await PgRelayStore.open(url), await PgRelayStore.open(url)];
    const peek = new pg.Client({ connectionString: url });
    await peek.connect();
    try {
      const q = { maxMessages: 1000, maxBytes: 1_000_000 };
      for (let i = 0; i < 30; i++) {
        await a.enqueue(
          {
            sender: filled(32, 1),
            msgId: seqBytes(16, i),
            targets: [filled(32, 2), filled(32, 3)],
            flags: 0,
            envelope: seqBytes(100, i),
            expiresAt: Date.now() + 60_000,
          },
          q,
        );
      }
      const seqs = Array.from({ length: 30 }, (_, i) => i + 1);
      await Promise.all(
        seqs.flatMap((seq) => [a.ack(filled(32, 2), [seq]), b.ack(filled(32, 3), [seq])]),
      );
      await a.sweepExpired(Date.now());
      expect((await peek.query("SELECT count(*)::int AS n FROM grove_envelopes")).rows[0].n).toBe(
        0,
      );
      expect(await a.stats()).toMatchObject({ messages: 0, bytes: 0, mailboxes: 0 });
    } finally {
      await peek.end();
      await a.close();
      await b.close();
    }
  });

  it("refuses writes with STORE_UNAVAILABLE while the database is down, and serves again once it is back", async () => {
    const url = await server.createDatabase("down");
    const store = await PgRelayStore.open(url);
    const req = (n: number) => ({
      sender: filled(32, 1),
      msgId: seqBytes(16, n),
      targets: [filled(32, 2)],
      flags: 0,
      envelope: seqBytes(8),
      expiresAt: Date.now() + 60_000,
    });
    const q = { maxMessages: 10, maxBytes: 1000 };
    try {
      expect((await store.enqueue(req(1), q)).status).toBe("queued");
      await server.stop();
      await expect(store.enqueue(req(2), q)).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      await expect(store.checkWritable()).rejects.toMatchObject({ code: "STORE_UNAVAILABLE" });
      await server.start();
      // The pool drops broken connections; the next write after the restart goes through.
      let status = "";
      const deadline = Date.now() + 15_000;
      while (status !== "queued" && Date.now() < deadline) {
        status = await store.enqueue(req(2), q).then(
          (r) => r.status,
          () => "",
        );
      }
      expect(status).toBe("queued");
      expect((await store.fetch(filled(32, 2), 0, 10)).length).toBe(2);
    } finally {
      await store.close();
    }
  });
});
