/**
 * A space opened with `deferDoc` reads, decrypts and counts its checkpoint
 * and log at open but builds its doc at the doc's first use, to the same
 * content as an open that builds it at once; and its state mark, what a
 * space's summary is checked against, is the same for the same envelopes
 * whichever way they came (written now, or read back from the checkpoint and
 * log), moves with every envelope, and is withheld while a change is in the
 * doc but not yet sealed and written.
 */
import { afterEach, expect, it } from "vitest";
import { ed25519 } from "../core/crypto/ed25519.js";
import type { Outgoing } from "../core/space/space.js";
import { Space } from "../core/space/space.js";
import { EncryptedStore } from "../core/store/encrypted-store.js";
import { FileStore } from "../core/store/node-file-store.js";
import { removeDir, tempDir } from "./relay-harness.js";
import { spaceFor } from "./sync-harness.js";

const dirs: string[] = [];
const spaces: Space[] = [];
afterEach(async () => {
  for (const s of spaces.splice(0)) await s.close();
  for (const d of dirs.splice(0)) removeDir(d);
});
const STORAGE_KEY = new Uint8Array(32).fill(4);

function newDir(): string {
  const dir = tempDir("grove-deferred-");
  dirs.push(dir);
  return dir;
}

async function open(
  dir: string,
  fixture: ReturnType<typeof spaceFor>,
  { member = 0, deferDoc = false, compactEvery = 1_000_000, sent = [] as Outgoing[] } = {},
) {
  const device = fixture.members[member];
  if (!device) throw new Error(`no member ${member}`);
  const space = await Space.open({
    access: fixture.access(),
    device,
    backend: await ed25519(),
    store: new EncryptedStore(await FileStore.open(dir), STORAGE_KEY),
    dispatch: async (out) => {
      sent.push(out);
    },
    compactEvery,
    deferDoc,
  });
  spaces.push(space);
  return space;
}

const chatOf = (space: Space) => space.doc.getMap("chat").toJSON();

it("builds the doc at its first use, from checkpoint and log, to what an eager open builds", async () => {
  const fixture = spaceFor(2);
  const dir = newDir();
  const sent: Outgoing[] = [];
  // Ten edits checkpointed (compactEvery 10, at close), then five more left in the log.
  const writer = await open(dir, fixture, { compactEvery: 10, sent });
  for (let i = 0; i < 10; i++) await writer.edit((doc) => doc.getMap("chat").set(`m${i}`, i));
  await writer.close();
  spaces.splice(spaces.indexOf(writer), 1);
  const more = await open(dir, fixture, { sent });
  for (let i = 10; i < 15; i++) await more.edit((doc) => doc.getMap("chat").set(`m${i}`, i));
  const expected = chatOf(more);
  expect(Object.keys(expected)).toHaveLength(15);

  const lazy = await open(dir, fixture, { member: 0, deferDoc: true });
  expect(lazy.docLoaded).toBe(false);
  const eager = await open(dir, fixture, { member: 0 });
  expect(eager.docLoaded).toBe(true);
  // The mark needs no doc: the same for both before the lazy one is built.
  expect(lazy.stateMark()).toBe(eager.stateMark());
  expect(chatOf(lazy)).toEqual(expected);
  expect(lazy.docLoaded).toBe(true);
  expect(chatOf(eager)).toEqual(expected);
});

it("an edit on a space whose doc waits lands on the built doc and seals after the last seq", async () => {
  const fixture = spaceFor(2);
  const dir = newDir();
  const sent: Outgoing[] = [];
  const writer = await open(dir, fixture, { sent });
  for (let i = 0; i < 3; i++) await writer.edit((doc) => doc.getMap("chat").set(`m${i}`, i));
  const lazy = await open(dir, fixture, { deferDoc: true, sent });
  await lazy.edit((doc) => doc.getMap("chat").set("m3", 3));
  expect(chatOf(lazy)).toEqual({ m0: 0, m1: 1, m2: 2, m3: 3 });
  const again = await open(dir, fixture, { deferDoc: true });
  expect(chatOf(again)).toEqual({ m0: 0, m1: 1, m2: 2, m3: 3 });
});

it("a received envelope is applied after what the open read, not before it", async () => {
  const fixture = spaceFor(2);
  const authorDir = newDir();
  const sent: Outgoing[] = [];
  const author = await open(authorDir, fixture, { sent });
  await author.edit((doc) => doc.getArray("list").push(["first"]));
  await author.edit((doc) => doc.getArray("list").push(["second"]));
  const dir = newDir();
  const receiver = await open(dir, fixture, { member: 1 });
  await receiver.receive([sent[0]?.envelope ?? new Uint8Array()]);
  const lazy = await open(dir, fixture, { member: 1, deferDoc: true });
  // The second builds on the first, which only the deferred checkpoint-and-log holds.
  await lazy.receive([sent[1]?.envelope ?? new Uint8Array()]);
  expect(lazy.doc.getArray("list").toJSON()).toEqual(["first", "second"]);
  expect(lazy.stats.accepted).toBe(1);
});

it("the state mark is the same for the same envelopes, moves with each new one, and is withheld while typing waits to be sealed", async () => {
  const fixture = spaceFor(2);
  const authorDir = newDir();
  const sent: Outgoing[] = [];
  const author = await open(authorDir, fixture, { sent });
  await author.edit((doc) => doc.getMap("chat").set("a", 1));
  const dir = newDir();
  const space = await open(dir, fixture, { member: 1 });
  const empty = space.stateMark();
  await space.receive([sent[0]?.envelope ?? new Uint8Array()]);
  const afterOne = space.stateMark();
  expect(afterOne).not.toBe(empty);
  // Read back from the log: the same mark.
  expect((await open(dir, fixture, { member: 1, deferDoc: true })).stateMark()).toBe(afterOne);
  // Its own edit moves it too.
  await space.edit((doc) => doc.getMap("chat").set("b", 2));
  const afterOwn = space.stateMark();
  expect(afterOwn).not.toBe(afterOne);
  expect((await open(dir, fixture, { member: 1, deferDoc: true })).stateMark()).toBe(afterOwn);
  // Typed but not yet sealed: in the doc, in no envelope, so no mark.
  space.type((doc) => doc.getText("note").insert(0, "draft"));
  expect(space.stateMark()).toBeUndefined();
});
