/**
 * A space on disk: a damaged record is reported by name and skipped while
 * the rest of the space loads; a checkpoint replaces the log behind it and
 * the space reopens from it with its writer chain intact.
 */
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { ed25519 } from "../core/crypto/ed25519.js";
import type { Outgoing } from "../core/space/space.js";
import { Space } from "../core/space/space.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import { decodeEnvelope } from "../core/wire/envelope.js";
import { removeDir, tempDir } from "./relay-harness.js";
import { spaceFor } from "./sync-harness.js";

const dirs: string[] = [];
afterEach(() => {
  for (const d of dirs.splice(0)) removeDir(d);
});
const STORAGE_KEY = new Uint8Array(32).fill(3);

async function openSpace(dir: string, fixture: ReturnType<typeof spaceFor>, sent: Outgoing[] = []) {
  return Space.open({
    access: fixture.access(),
    device: fixture.members[0]!,
    backend: await ed25519(),
    store: new EncryptedStore(await FileStore.open(dir), STORAGE_KEY),
    dispatch: async (out) => {
      sent.push(out);
    },
    compactEvery: 1_000_000,
  });
}

const recordName = (key: string) => Buffer.from(key, "utf8").toString("hex");

it("a damaged log record is reported by key and skipped; the rest loads", async () => {
  const dir = tempDir("grove-space-");
  dirs.push(dir);
  const fixture = spaceFor(2);
  const space = await openSpace(dir, fixture);
  for (const text of ["one", "two", "three"]) {
    await space.edit((doc) => doc.getArray("chat").push([text]));
  }
  // No close: as after a crash, the log is all there is.
  const damagedKey = `s/${space.id}/l/b${toHex(fixture.members[0]!.publicKey)}/000000000002`;
  const file = readdirSync(dir).find((n) => n.startsWith(recordName(damagedKey)))!;
  const bytes = readFileSync(join(dir, file));
  bytes[bytes.length - 5]! ^= 0xff;
  writeFileSync(join(dir, file), bytes);

  const again = await openSpace(dir, fixture);
  expect(again.corruptRecords.map((e) => [e.code, e.key])).toEqual([
    ["CORRUPT_RECORD", damagedKey],
  ]);
  // "three" follows "two" in its author's Yjs history, so Yjs holds it pending; the lost
  // seq shows as a gap, which the engine asks the other members to fill.
  expect(again.doc.getArray("chat").toJSON()).toEqual(["one"]);
  expect(again.gaps()).toEqual([{ author: toHex(fixture.members[0]!.publicKey), from: 2, to: 2 }]);
});

it("a checkpoint replaces the log; reopened, the space keeps its content and seqs", async () => {
  const dir = tempDir("grove-space-");
  dirs.push(dir);
  const fixture = spaceFor(2);
  const sent: Outgoing[] = [];
  const space = await openSpace(dir, fixture, sent);
  for (let i = 0; i < 5; i++) await space.edit((doc) => doc.getArray("chat").push([i]));
  await space.close();
  const store = new EncryptedStore(await FileStore.open(dir), STORAGE_KEY);
  expect(await store.list(`s/${space.id}/l/`)).toEqual([]);

  const again = await openSpace(dir, fixture, sent);
  expect(again.doc.getArray("chat").toJSON()).toEqual([0, 1, 2, 3, 4]);
  await again.edit((doc) => doc.getArray("chat").push([5]));
  // The sixth envelope continues the chain: seq 6, not a reused seq.
  expect(sent.map((o) => decodeEnvelope(o.envelope).header.seq)).toEqual([1, 2, 3, 4, 5, 6]);
});
