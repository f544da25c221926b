/**
 * A message the relay could not queue for some members, because their
 * mailbox there is full (PARTIAL_ACK), does not say "At relay": it says for
 * whom it was not queued, and why, until they have it by receipt.
 * Real relay on 127.0.0.1 with a mailbox of a few messages; each person a
 * GroveClient over its own FileStore; Bob and Cy offline as the OS says.
 */
import { expect, it } from "vitest";
import type { GroveClient } from "../renderer/src/model/client.js";
import type { SpaceHandle } from "../renderer/src/model/space-handle.js";
import { chatTool } from "../renderer/src/tools/chat/index.js";
import { deliveryText } from "../renderer/src/tools/chat/words.js";
import { clientPeople } from "./client-people.js";
import { waitFor } from "./relay-harness.js";

const MAILBOX = 6;
const { person, letIn, platform } = clientPeople({
  relayArgs: ["--mailbox-max-messages", String(MAILBOX)],
});

/** Ann writes until the relay reports `device`'s mailbox full (bounded); the count written. */
async function fillMailbox(ann: GroveClient, garden: SpaceHandle, device: string) {
  for (let i = 0; i < MAILBOX * 4; i++) {
    if (
      ann.engine?.relay?.fullTargets.some((t) => Buffer.from(t.device).toString("hex") === device)
    )
      return i;
    await garden.tool(chatTool).send(`filler ${i}`);
    await waitFor(() => ann.queued.size === 0, "Ann's outbox empty");
  }
  throw new Error("the mailbox never filled");
}

/** Ann's delivery state of her message with `text`, and its words. */
function shown(ann: GroveClient, garden: SpaceHandle, text: string) {
  const chat = garden.tool(chatTool);
  const m = chat.messages().find((x) => x.text === text);
  if (!m) throw new Error(`no message ${text}`);
  const d = chat.delivery(m, ann.queued);
  return { state: d.state, words: deliveryText(d) };
}

/** Waits (with a deadline) for Ann's message to read `words`; fails naming what it read. */
async function expectWords(ann: GroveClient, garden: SpaceHandle, text: string, words: string) {
  const deadline = Date.now() + 10_000;
  await waitFor(
    () => shown(ann, garden, text).words === words || Date.now() > deadline,
    `"${words}"`,
    15_000,
  );
  expect(shown(ann, garden, text).words).toBe(words);
}

it("a message not queued for a member whose mailbox is full says so, not At relay", async () => {
  const ann = await person("Ann");
  const bp = platform();
  const bob = await person("Bob", bp);
  const garden = await ann.createSpace("Garden");
  await letIn(ann, garden, bob);
  bp.setOnline(false);
  await waitFor(() => bob.offline, "Bob offline");
  await fillMailbox(ann, garden, bob.myDevice);

  await garden.tool(chatTool).send("does Bob get this?");
  await waitFor(() => ann.queued.size === 0, "the relay answered");
  await expectWords(ann, garden, "does Bob get this?", "Not queued for Bob: mailbox full");

  // Bob back: he reads his mailbox, asks for what he lacks, and his receipt tells Ann.
  bp.setOnline(true);
  await waitFor(
    () => shown(ann, garden, "does Bob get this?").words === "Delivered",
    "Delivered once Bob has it",
    30_000,
  );
}, 90_000);

it("with one member's mailbox full and another's not, the message is at the relay for one and not queued for the other", async () => {
  const ann = await person("Ann");
  const bp = platform();
  const cp = platform();
  const bob = await person("Bob", bp);
  const cy = await person("Cy", cp);
  const garden = await ann.createSpace("Garden");
  await letIn(ann, garden, bob);
  await letIn(ann, garden, cy);
  bp.setOnline(false);
  await waitFor(() => bob.offline, "Bob offline");
  await fillMailbox(ann, garden, bob.myDevice);
  cp.setOnline(false);
  await waitFor(() => cy.offline, "Cy offline");

  await garden.tool(chatTool).send("who has this?");
  await waitFor(() => ann.queued.size === 0, "the relay answered");
  await expectWords(ann, garden, "who has this?", "At relay; not queued for Bob: mailbox full");
}, 90_000);
