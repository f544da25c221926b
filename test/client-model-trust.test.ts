/**
 * What the app tells a user must hold, in four places found by review:
 * leaving a space as its only manager says the space is left with nobody to
 * manage it, and what to do first.
 * Real relay on 127.0.0.1; each person a GroveClient over its own FileStore.
 */
import { expect, it } from "vitest";
import { fromHex } from "../core/crypto/bytes.js";
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
  expect(leaveConfirmation(bobGarden.name, bobGarden.members()).body).not.toMatch(
    /only manager/,
  );

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
