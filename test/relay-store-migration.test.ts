/**
 * A relay store written by the relay before issue 16 (schema 1) opens in
 * this one: it is migrated once, keeps every message and blob, and opens
 * again as schema 2.
 */
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterAll, expect, it } from "vitest";
import { SqliteRelayStore } from "../relay/store/sqlite-store.js";
import { filled, seqBytes } from "./fixtures.js";
import { removeDir, tempDir } from "./relay-harness.js";

const dir = tempDir("grove-migrate-");
afterAll(() => removeDir(dir));

/** Schema 1 as the relay of commit 25a2db6 created it. */
const SCHEMA_1 = `
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE envelopes (id INTEGER PRIMARY KEY, body BLOB NOT NULL, refs INTEGER NOT NULL);
CREATE TABLE sent (
  sender BLOB NOT NULL, msg_id BLOB NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (sender, msg_id)
) WITHOUT ROWID;
CREATE INDEX sent_expiry ON sent(expires_at);
CREATE TABLE mail (
  device BLOB NOT NULL, seq INTEGER NOT NULL,
  envelope_id INTEGER NOT NULL, msg_id BLOB NOT NULL, sender BLOB NOT NULL,
  flags INTEGER NOT NULL, size INTEGER NOT NULL, expires_at INTEGER NOT NULL,
  PRIMARY KEY (device, seq)
) WITHOUT ROWID;
CREATE INDEX mail_expiry ON mail(expires_at);
CREATE TABLE mailboxes (
  device BLOB PRIMARY KEY, next_seq INTEGER NOT NULL,
  count INTEGER NOT NULL, bytes INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TABLE blobs (
  hash BLOB PRIMARY KEY, owner BLOB NOT NULL, data BLOB NOT NULL,
  size INTEGER NOT NULL, created_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX blobs_owner ON blobs(owner);
CREATE TABLE health (id INTEGER PRIMARY KEY CHECK (id = 1), at INTEGER NOT NULL);
INSERT INTO meta (key, value) VALUES ('schema', '1');
`;

it("migrates a schema 1 store, keeping its messages and blobs", async () => {
  const [a, b, sender] = [filled(32, 1), filled(32, 2), filled(32, 9)];
  const old = new Database(join(dir, "relay.sqlite"));
  old.exec(SCHEMA_1);
  const future = Date.now() + 3600_000;
  old.prepare("INSERT INTO envelopes (id, body, refs) VALUES (1, ?, 2)").run(seqBytes(40));
  for (const device of [a, b]) {
    old
      .prepare(
        "INSERT INTO mail (device, seq, envelope_id, msg_id, sender, flags, size, expires_at) VALUES (?, 1, 1, ?, ?, 0, 40, ?)",
      )
      .run(device, filled(16, 7), sender, future);
    old.prepare("INSERT INTO mailboxes VALUES (?, 2, 1, 40)").run(device);
  }
  old.prepare("INSERT INTO sent VALUES (?, ?, ?)").run(sender, filled(16, 7), future);
  old.prepare("INSERT INTO blobs VALUES (?, ?, ?, 30, ?)").run(filled(32, 5), a, seqBytes(30), 1);
  old.close();

  const store = new SqliteRelayStore(dir);
  expect((await store.fetch(a, 0, 10)).map((m) => m.envelope)).toEqual([seqBytes(40)]);
  expect(await store.getBlob(filled(32, 5))).toEqual(seqBytes(30));
  expect(await store.stats()).toMatchObject({ messages: 2, blobs: 1, blobBytes: 30 });
  // Reference counts came along: the envelope goes only when both mailboxes acked it.
  await store.ack(a, [1]);
  expect((await store.fetch(b, 0, 10)).map((m) => m.envelope)).toEqual([seqBytes(40)]);
  await store.ack(b, [1]);
  const next = await store.enqueue(
    {
      sender,
      msgId: filled(16, 8),
      targets: [a],
      flags: 0,
      envelope: seqBytes(5),
      expiresAt: future,
    },
    { maxMessages: 10, maxBytes: 1000 },
  );
  expect(next).toEqual({ status: "queued", seqs: [2], full: [] });
  await store.close();

  const reopened = new SqliteRelayStore(dir);
  expect((await reopened.fetch(a, 0, 10)).map((m) => m.seq)).toEqual([2]);
  await reopened.close();
  const check = new Database(join(dir, "relay.sqlite"), { readonly: true });
  expect(check.prepare("SELECT value FROM meta WHERE key = 'schema'").get()).toEqual({
    value: "2",
  });
  expect(check.prepare("SELECT COUNT(*) AS n FROM envelopes").get()).toEqual({ n: 1 });
  check.close();
});
