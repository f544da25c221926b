/**
 * Viewers end to end, with a real relay process and real engines: a viewer
 * let in by a viewer invite, and a member demoted to viewer by setRole, read
 * everything, while their content envelopes are refused by every other
 * member (MembershipAccess.isAllowed), and nothing they write shows there.
 */
import { describe, expect, it } from "vitest";
import type { MemberSpace } from "../core/membership/member-space.js";
import { chat, peopleOn, say } from "./membership-harness.js";
import { waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

const relay = relayPerFile();
const { person, founded, inviteOptions } = peopleOn(() => relay.url);

const refusals = (s: MemberSpace) => s.space.stats.rejected.AUTHOR_NOT_ALLOWED ?? 0;

/** `viewer` writes; each of `others` refuses the envelope and shows nothing of it. */
async function writesRefused(viewer: MemberSpace, others: MemberSpace[], text: string) {
  const before = others.map(refusals);
  await say(viewer, text);
  for (const [i, s] of others.entries()) {
    await waitFor(() => refusals(s) > before[i]!, "the viewer's write refused");
    expect(chat(s)).not.toContain(text);
  }
}

describe("viewers", () => {
  it("a viewer let in by a viewer invite reads, and its writes are refused by every member", async () => {
    const [ann, bob, vi] = [await person("Ann"), await person("Bob"), await person("Vi")];
    const annSpace = await founded(ann, "Notes");
    await say(annSpace, "before Vi");
    const bobSpace = await bob.join((await annSpace.invite(inviteOptions("open"))).url);
    const viSpace = await vi.join(
      (await annSpace.invite({ ...inviteOptions("open"), role: "viewer" })).url,
    );
    for (const s of [annSpace, bobSpace, viSpace]) {
      await waitFor(() => s.log.state.members.size === 3, "three members everywhere");
      expect(s.log.state.members.get(vi.id)?.role).toBe("viewer");
    }
    await waitFor(() => chat(viSpace).includes("before Vi"), "the history at Vi");

    await writesRefused(viSpace, [annSpace, bobSpace], "Vi was here");

    await say(annSpace, "for everyone");
    await say(bobSpace, "Bob too");
    await waitFor(
      () => chat(viSpace).includes("for everyone") && chat(viSpace).includes("Bob too"),
      "the members' messages at Vi",
    );
  });

  it("a member demoted to viewer by setRole still reads; its writes are refused by every member", async () => {
    const [ann, bob, cy] = [await person("Ann"), await person("Bob"), await person("Cy")];
    const annSpace = await founded(ann, "Crew");
    const bobSpace = await bob.join((await annSpace.invite(inviteOptions("open"))).url);
    const cySpace = await cy.join((await annSpace.invite(inviteOptions("open"))).url);
    for (const s of [annSpace, bobSpace, cySpace]) {
      await waitFor(() => s.log.state.members.size === 3, "three members everywhere");
    }
    await say(cySpace, "Cy as a member");
    await waitFor(() => chat(bobSpace).includes("Cy as a member"), "Cy's write at Bob");

    await annSpace.setRole(cy.me.cert.user, "viewer");
    for (const s of [annSpace, bobSpace, cySpace]) {
      await waitFor(() => s.log.state.members.get(cy.id)?.role === "viewer", "Cy a viewer");
    }

    await writesRefused(cySpace, [annSpace, bobSpace], "Cy after the demotion");

    await say(bobSpace, "still reading?");
    await waitFor(() => chat(cySpace).includes("still reading?"), "Bob's message at Cy");
  });
});
