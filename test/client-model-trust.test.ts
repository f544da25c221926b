/**
 * What the app tells a user must hold, in four places found by review:
 * leaving a space as its only manager says the space is left with nobody to
 * manage it, and what to do first; a note deleted for everyone takes its
 * title with it, as it took its text: from the deleter's list, search and
 * activity at once, and from every member's doc and a later joiner's.
 * Real relay on 127.0.0.1; each person a GroveClient over its own FileStore.
 */
import { expect, it } from "vitest";
import * as Y from "yjs";
import { fromHex } from "../core/crypto/bytes.js";
import { searchSpaces } from "../renderer/src/model/search.js";
import { chatTool } from "../renderer/src/tools/chat/index.js";
import { notesTool } from "../renderer/src/tools/notes/index.js";
import { leaveConfirmation } from "../renderer/src/ui/leave-words.js";
import { clientPeople } from "./client-people.js";
import { waitFor } from "./relay-harness.js";

const { person, letIn } = clientPeople();

it("leaving as the only manager warns that nobody will manage the space, and says to make someone a manager first", async () => {
  const ann = await person("Ann");
  const bob = await person("Bob");
  const garden = await ann.createSpace("Garden");
  // Alone in it: nobody is left without a manager.
  expect(leaveConfirmation(garden.name, garden.members()).body).not.toMatch(/only manager/);

  const bobGarden = await letIn(ann, garden, bob);
  const annLeaves = leaveConfirmation(garden.name, garden.members());
  expect(annLeaves.title).toMatch(/Nobody will manage it/);
  expect(annLeaves.body).toMatch(/You are the only manager of Garden/);
  expect(annLeaves.body).toMatch(/nobody can invite anyone/);
  expect(annLeaves.body).toMatch(/make someone a manager first/);
  // Bob, a member, leaves nobody without a manager.
  await waitFor(() => bobGarden.members().length === 2, "Bob sees both members");
  expect(leaveConfirmation(bobGarden.name, bobGarden.members()).body).not.toMatch(/only manager/);

  // Once Bob manages too, Ann's leaving warns of nothing.
  await garden.member.setRole(fromHex(bob.myUser), "manager");
  await waitFor(
    () => garden.members().some((m) => m.user === bob.myUser && m.role === "manager"),
    "Bob a manager",
  );
  const after = leaveConfirmation(garden.name, garden.members());
  expect(after.title).toBe("Leave Garden?");
  expect(after.body).not.toMatch(/only manager/);
}, 60_000);

/** Whether `text` is anywhere in the doc's state, as a member keeps it and a catch-up sends it. */
const docHolds = (doc: Y.Doc, text: string) =>
  Buffer.from(Y.encodeStateAsUpdate(doc)).includes(Buffer.from(text));

it("a note deleted for everyone takes its title from the deleter's screens at once, and from every member's doc", async () => {
  const ann = await person("Ann");
  const bob = await person("Bob");
  const garden = await ann.createSpace("Garden");
  const bobGarden = await letIn(ann, garden, bob);
  // Bob starts a note and names it, as the app does (its first title, then a rename).
  const bobNotes = bobGarden.tool(notesTool);
  const id = await bobNotes.createNote("Zebra crossing");
  await waitFor(() => bobNotes.notes().some((n) => n.id === id), "Bob's note listed");
  await bobNotes.renameNote(id, "Quokka rescue");
  const notes = garden.tool(notesTool);
  await waitFor(
    () => notes.notes().some((n) => n.title === "Quokka rescue"),
    "Ann has the renamed note",
  );
  expect(searchSpaces(ann.spaces.values(), "rescue")).toHaveLength(1);

  // Ann, a manager, deletes it: from this moment none of her screens names it.
  await notes.deleteNote(id);
  expect(notes.notes()).toEqual([]);
  expect(searchSpaces(ann.spaces.values(), "rescue")).toEqual([]);
  expect(searchSpaces(ann.spaces.values(), "zebra")).toEqual([]);
  expect(garden.activity(0).map((a) => a.text)).toEqual(["Bob joined"]);

  await waitFor(() => bobNotes.notes().length === 0, "the note gone at Bob");
  for (const doc of [garden.member.space.doc, bobGarden.member.space.doc]) {
    expect(docHolds(doc, "Quokka rescue")).toBe(false);
    expect(docHolds(doc, "Zebra crossing")).toBe(false);
  }

  // Cy joins afterwards and catches up from the members.
  await garden.tool(chatTool).send("after the delete");
  const cy = await person("Cy");
  const cyGarden = await letIn(ann, garden, cy);
  await waitFor(() => cyGarden.tool(chatTool).messages().length === 1, "Cy caught up");
  expect(docHolds(cyGarden.member.space.doc, "Quokka rescue")).toBe(false);
  expect(docHolds(cyGarden.member.space.doc, "Zebra crossing")).toBe(false);
}, 60_000);
