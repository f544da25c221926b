/**
 * "Delete from this device" erases the space's copy: after a member leaves
 * and deletes, no record of that space's content is left in the device's
 * store (its log, checkpoint, summary, membership log, join record, seq
 * reserve, drafts), across a restart, while the spaces the user keeps are
 * untouched. One record stays: where this device's own chains stopped, with
 * an empty doc and ledger, for a join again (decision 169).
 * The read mark stays in the account: the user's other devices keep their
 * own copies, and their unread counts with them.
 * Real relay on 127.0.0.1; the client's own EncryptedStore over FileStore,
 * whose file names are the records' keys in hex.
 */
import { readdirSync } from "node:fs";
import { expect, it } from "vitest";
import * as Y from "yjs";
import { fromHex } from "../core/crypto/bytes.js";
import { decodeCheckpoint } from "../core/space/space-codecs.js";
import type { GroveClient } from "../renderer/src/model/client.js";
import { draftKey } from "../renderer/src/model/drafts.js";
import { chatTool } from "../renderer/src/tools/chat/index.js";
import { clientPeople } from "./client-people.js";
import { waitFor } from "./relay-harness.js";

const { platform, started, person, letIn } = clientPeople();

/** Every record key in a FileStore directory (names are `<key in hex>.rec`). */
function keysIn(dir: string): string[] {
  return readdirSync(dir)
    .filter((name) => name.endsWith(".rec"))
    .map((name) => Buffer.from(name.slice(0, -".rec".length), "hex").toString("utf8"));
}

it("a space deleted from this device leaves nothing of its content in the store, and the kept space keeps its own", async () => {
  const bp = platform();
  const ann = await person("Ann");
  const bob = await person("Bob", bp);
  const garden = await ann.createSpace("Garden");
  const shed = await bob.createSpace("Shed");
  const joined = await letIn(ann, garden, bob);
  for (const text of ["one", "two", "three"]) await joined.tool(chatTool).send(text);
  await shed.tool(chatTool).send("kept");
  await waitFor(() => garden.tool(chatTool).messages().length === 3, "Ann has Bob's messages");
  // A draft of Bob's in Garden, written to the store.
  bob.drafts?.set(draftKey(garden.id, "chat"), "unsent words");
  await waitFor(
    () => keysIn(bp.dir).some((k) => k.startsWith("draft/") && k.includes(garden.id)),
    "Bob's draft on disk",
  );
  // And Garden's summary for the next launch (written when Bob's client is quiet).
  await waitFor(
    () => keysIn(bp.dir).includes(`s/${garden.id}/summary`),
    "Garden's summary on disk",
    20_000,
  );
  // Bob's store has Garden's records, under its id.
  expect(keysIn(bp.dir).filter((k) => k.includes(garden.id)).length).toBeGreaterThan(3);

  // Leave, then "Delete from this device", as the app's two buttons do.
  await joined.member.remove(fromHex(bob.myUser));
  await waitFor(() => joined.departure() !== undefined, "Bob told he left");
  await bob.leaveSpace(garden.id);
  await expectOnlyResumePoint(bob, bp.dir, garden.id);

  await bob.stop();
  const again = await started(bp);
  expect([...again.spaces.keys()]).toEqual([shed.id]);
  const kept = again.spaces.get(shed.id);
  await waitFor(() => kept?.tool(chatTool).messages().length === 1, "Shed's message kept");
  await expectOnlyResumePoint(again, bp.dir, garden.id);
}, 60_000);

/**
 * The one record left of an erased space: where this device's chains stopped
 * (decision 169), with an empty doc and ledger, so nothing anyone wrote is in it.
 */
async function expectOnlyResumePoint(client: GroveClient, dir: string, spaceId: string) {
  expect(keysIn(dir).filter((k) => k.includes(spaceId))).toEqual([`s/${spaceId}/checkpoint`]);
  const bytes = await client.session().store.get(`s/${spaceId}/checkpoint`);
  if (!bytes) throw new Error("no resume point");
  const left = decodeCheckpoint(bytes);
  expect(left.ledger).toEqual([]);
  const doc = new Y.Doc();
  Y.applyUpdate(doc, left.doc);
  expect(doc.share.size).toBe(0);
  expect(left.doc.length).toBeLessThanOrEqual(2);
  // Bob wrote three messages and his join and leave ops: his broadcast chain went past them.
  expect(left.writers.broadcast.seq).toBeGreaterThanOrEqual(5);
}
