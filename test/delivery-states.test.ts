/**
 * Delivery states as the app's SpaceHandle computes them, with a real relay
 * and real engines: "delivered" comes only from other members' signed
 * receipts, and a message delivered to a member who later leaves or is
 * removed stays delivered to them (issue 17: the owner's "Delivered" went
 * back to "At relay" after a removal).
 */
import { expect, it } from "vitest";
import { handleOf } from "./app-handle.js";
import { peopleOn } from "./membership-harness.js";
import { waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

const relay = relayPerFile();
const { person, founded, inviteOptions } = peopleOn(() => relay.url);

it("a message delivered to a member stays delivered after the member is removed", async () => {
  const [ann, bob, cy] = [await person("Ann"), await person("Bob"), await person("Cy")];
  const annSpace = await founded(ann, "Garden");
  const bobSpace = await bob.join((await annSpace.invite(inviteOptions("open"))).url);
  await cy.join((await annSpace.invite(inviteOptions("open"))).url);
  await waitFor(() => annSpace.log.state.members.size === 3, "three members at Ann");
  const annApp = handleOf(ann, annSpace);
  const bobApp = handleOf(bob, bobSpace);
  await cy.offline();

  await annApp.chat.send("seeds on Monday");
  const sent = () => annApp.chat.messages().find((m) => m.text === "seeds on Monday")!;
  await waitFor(() => bobApp.chat.messages().some((m) => m.text === "seeds on Monday"), "at Bob");
  const none = new Set<string>();
  // Bob's device writes its receipt; Cy, offline, has none: one of two.
  await waitFor(
    () => annApp.chat.delivery(sent(), none).state === "delivered",
    "Bob's receipt at Ann",
    20_000,
  );
  expect(annApp.chat.delivery(sent(), none)).toEqual({ state: "delivered", to: 1, of: 2 });

  await annSpace.remove(bob.me.cert.user);
  await waitFor(() => !annSpace.log.state.members.has(bob.id), "Bob removed at Ann");
  // Still delivered to Bob, who had it before he went; Cy still has not.
  expect(annApp.chat.delivery(sent(), none)).toEqual({ state: "delivered", to: 1, of: 2 });
  await annApp.close();
  await bobApp.close();
});
