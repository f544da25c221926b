/**
 * Rejoining a space deleted from this device in the same run: Bob leaves
 * Garden and deletes it ("Delete from this device" erases every record of
 * it, decision 145), Ann invites him again by a new link, and Bob opens it
 * without restarting. He must be let in, get the history and write again;
 * and after a restart the space is there as any other.
 * Real relay on 127.0.0.1; each client over its own EncryptedStore over FileStore.
 */
import { expect, it } from "vitest";
import { fromHex } from "../core/crypto/bytes.js";
import { KeptCopyError } from "../renderer/src/model/client.js";
import { chatTool } from "../renderer/src/tools/chat/index.js";
import { joinErrorWords } from "../renderer/src/ui/invite-words.js";
import { clientPeople } from "./client-people.js";
import { waitFor } from "./relay-harness.js";

const { platform, started, person, letIn } = clientPeople();

/** Ann's Garden with Bob let in (on a platform he can restart on), and his first message there. */
async function bobInGarden() {
  const bp = platform();
  const ann = await person("Ann");
  const bob = await person("Bob", bp);
  const garden = await ann.createSpace("Garden");
  const first = await letIn(ann, garden, bob);
  await first.tool(chatTool).send("before I left");
  await waitFor(() => garden.tool(chatTool).messages().length === 1, "Ann has Bob's message");
  return { bp, ann, bob, garden, first };
}

it("a space left and deleted from this device can be joined again in the same run, and after a restart", async () => {
  const { bp, ann, bob, garden } = await bobInGarden();

  // Bob leaves and deletes Garden from his device, as the app's dialog does.
  await bob.leaveSpace(garden.id);
  expect(bob.spaces.has(garden.id)).toBe(false);
  await waitFor(
    () => !garden.members().some((m) => m.user === bob.myUser),
    "Ann sees Bob gone",
    20_000,
  );
  await garden.tool(chatTool).send("while Bob was away");

  // Ann invites him again; Bob opens the new link in the same run.
  const again = await letIn(ann, garden, bob);
  expect(bob.spaces.get(garden.id)).toBe(again);
  await waitFor(
    () => again.tool(chatTool).messages().length === 2,
    "Bob has the history again",
    20_000,
  );
  await again.tool(chatTool).send("back again");
  await waitFor(() => garden.tool(chatTool).messages().length === 3, "Ann has Bob's new message");

  // And after a restart Garden opens as a space of Bob's like any other.
  await bob.stop();
  const restarted = await started(bp);
  const reopened = restarted.spaces.get(garden.id);
  expect(reopened?.isMember).toBe(true);
  await waitFor(
    () => reopened?.tool(chatTool).messages().length === 3,
    "Bob's copy after the restart",
  );
  await garden.tool(chatTool).send("after the restart");
  await waitFor(
    () => reopened?.tool(chatTool).messages().length === 4,
    "Bob gets what Ann writes after his restart",
    20_000,
  );
}, 90_000);

it("a space deleted from this device, then the app restarted, can be joined again", async () => {
  const { bp, ann, bob, garden, first } = await bobInGarden();

  // This time Ann removes Bob; he deletes his archive, and restarts the app.
  await garden.member.remove(fromHex(bob.myUser));
  await waitFor(() => first.departure() !== undefined, "Bob told he was removed");
  await bob.leaveSpace(garden.id);
  await bob.stop();
  const restarted = await started(bp);
  expect(restarted.spaces.has(garden.id)).toBe(false);

  const again = await letIn(ann, garden, restarted);
  await waitFor(() => again.tool(chatTool).messages().length === 1, "Bob has the history again");
  await again.tool(chatTool).send("back again");
  await waitFor(() => garden.tool(chatTool).messages().length === 2, "Ann has Bob's new message");
}, 90_000);

it("a new link for a space whose copy was kept after leaving says to delete that copy first, and then lets in", async () => {
  const ann = await person("Ann");
  const bob = await person("Bob");
  const garden = await ann.createSpace("Garden");
  const first = await letIn(ann, garden, bob);
  await garden.member.remove(fromHex(bob.myUser));
  await waitFor(() => first.departure() !== undefined, "Bob told he was removed");

  // Bob kept the read-only copy. Opening a new link must not hand him that copy back as if
  // it were the space he was invited to.
  const { url } = await ann.invite(garden.id, {
    role: "member",
    mode: "open",
    expiresInHours: 24,
    oneTime: true,
  });
  const refused = await bob.join(url).then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(refused).toBeInstanceOf(KeptCopyError);
  expect(joinErrorWords(refused)).toMatch(/Delete from this device/);

  // As told: he deletes the copy and opens the same link again.
  await bob.leaveSpace(garden.id);
  const again = await bob.join(url);
  await waitFor(() => again.isMember, "Bob let in again", 30_000);
}, 90_000);
