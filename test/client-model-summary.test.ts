/**
 * A restart lists each space from the summary kept beside its checkpoint
 * (name, unread count, last activity) before its doc is built, then builds
 * the docs to the same figures; a summary that does not hold for the space
 * as it opens (made from another doc, or at another read time), one that does
 * not decode, or none at all (a store written before summaries) means the
 * space is built at open, as before, with the right figures. Real relay on
 * 127.0.0.1; every store is the client's own, encrypted.
 */
import { expect, it } from "vitest";
import { encodeSummary, summaryKey } from "../core/space/space-summary.js";
import type { GroveClient } from "../renderer/src/model/client.js";
import type { SpaceHandle } from "../renderer/src/model/space-handle.js";
import { chatTool } from "../renderer/src/tools/chat/index.js";
import { clientPeople } from "./client-people.js";
import { waitFor } from "./relay-harness.js";

const { platform, started, person, letIn } = clientPeople();

/** Ann's space with three messages from Bob she has not read, and her figures for it. */
async function annWithUnread() {
  const p = platform();
  const ann = await person("Ann", p);
  const bob = await person("Bob");
  const garden = await ann.createSpace("Garden");
  const joined = await letIn(ann, garden, bob);
  for (const text of ["one", "two", "three"]) await joined.tool(chatTool).send(text);
  await waitFor(() => garden.tool(chatTool).messages().length === 3, "Ann has Bob's messages");
  // Ann's receipt for them written (typed, so sealed after a pause), and nothing in flight:
  // a summary made from now on holds for the next open.
  const { space } = garden.member;
  await waitFor(
    () => space.doc.getMap("chat/receipts").has(ann.myUser) && space.stateMark() !== undefined,
    "Ann's receipt written and her space quiet",
  );
  const figures = {
    name: garden.name,
    unread: garden.unread(ann.readAt(garden.id)),
    lastActivity: garden.lastActivity(),
  };
  expect(figures.unread).toBe(3);
  expect(figures.lastActivity).toBeGreaterThan(0);
  // Bob stays away from here on: nothing arrives to change Ann's space under the test.
  await bob.stop();
  return { p, ann, id: garden.id, figures };
}

function handleOf(client: GroveClient, id: string): SpaceHandle {
  const handle = client.spaces.get(id);
  if (!handle) throw new Error(`space ${id} did not open`);
  return handle;
}

function figuresOf(client: GroveClient, handle: SpaceHandle) {
  return {
    name: handle.name,
    unread: handle.unread(client.readAt(handle.id)),
    lastActivity: handle.lastActivity(),
  };
}

/** The next start builds the space at open (nothing waits) to `figures`. */
async function expectBuiltAtOpen(
  p: Parameters<typeof started>[0],
  id: string,
  figures: ReturnType<typeof figuresOf>,
) {
  const again = await started(p);
  const handle = handleOf(again, id);
  expect(handle.waiting).toBe(false);
  expect(figuresOf(again, handle)).toEqual(figures);
  await again.stop();
}

it("a restart lists a space from the summary kept at stop, then builds its doc to the same figures", async () => {
  const { p, ann, id, figures } = await annWithUnread();
  await ann.stop();

  const again = await started(p);
  const handle = handleOf(again, id);
  // Listed before its doc is built: the figures come from the summary.
  expect(handle.waiting).toBe(true);
  expect(handle.member.space.docLoaded).toBe(false);
  expect(figuresOf(again, handle)).toEqual(figures);
  await waitFor(() => !handle.waiting, "the doc built after the launch");
  expect(handle.member.space.docLoaded).toBe(true);
  expect(figuresOf(again, handle)).toEqual(figures);
  expect(
    handle
      .tool(chatTool)
      .messages()
      .map((m) => m.text),
  ).toEqual(["one", "two", "three"]);
}, 60_000);

it("a summary made from another doc, or at another read time, is not used: the space is built at open", async () => {
  const { p, ann, id, figures } = await annWithUnread();
  const mark = handleOf(ann, id).member.space.stateMark();
  if (mark === undefined) throw new Error("no mark for a quiet space");
  await ann.stop();

  const lies = [
    // Another doc's (a log record written after it, say): the mark differs.
    { mark: `${mark};more`, readAt: 0, unread: 99, lastActivity: 1, name: "Stale" },
    // This doc's, counted from another read time (the space was read elsewhere since).
    { mark, readAt: 12345, unread: 99, lastActivity: 1, name: "Stale" },
  ];
  for (const lie of lies) {
    const before = await started(p);
    await before.session().store.put(summaryKey(id), encodeSummary(lie));
    await before.stop();
    await expectBuiltAtOpen(p, id, figures);
  }
}, 60_000);

it("a store written before summaries, or with a summary this version cannot read, opens every space from its doc", async () => {
  const { p, ann, id, figures } = await annWithUnread();
  await ann.stop();
  for (const stored of [undefined, new Uint8Array([9, 9, 9])]) {
    const before = await started(p);
    const { store } = before.session();
    if (stored) await store.put(summaryKey(id), stored);
    else await store.delete(summaryKey(id));
    // This run opened the space from its summary, so it counts it on disk: stopping keeps ours.
    await before.stop();
    await expectBuiltAtOpen(p, id, figures);
  }
}, 60_000);
