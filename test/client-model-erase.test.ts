/**
 * "Delete from this device" erases the space's copy: after a member leaves
 * and deletes, no record of that space is left in the device's store (its
 * log, checkpoint, summary, membership log, join record, seq reserve,
 * drafts), across a restart, while the spaces the user keeps are untouched.
 * The read mark stays in the account: the user's other devices keep their
 * own copies, and their unread counts with them.
 * Real relay on 127.0.0.1; the client's own EncryptedStore over FileStore,
 * whose file names are the records' keys in hex.
 */
import { readdirSync } from "node:fs";
import { expect, it } from "vitest";
import { fromHex } from "../core/crypto/bytes.js";
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

it("a space deleted from this device leaves no record of it in the store, and the kept space keeps its own", async () => {
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
  expect(keysIn(bp.dir).filter((k) => k.includes(garden.id))).toEqual([]);

  await bob.stop();
  const again = await started(bp);
  expect([...again.spaces.keys()]).toEqual([shed.id]);
  const kept = again.spaces.get(shed.id);
  await waitFor(() => kept?.tool(chatTool).messages().length === 1, "Shed's message kept");
  expect(keysIn(bp.dir).filter((k) => k.includes(garden.id))).toEqual([]);
}, 60_000);
