/**
 * Decision 168 end to end, with a real relay process and real engines on
 * encrypted file stores: Ann (owner) and Bob (manager); Ann's device goes
 * offline (paused, as when the OS says the network is gone) and she
 * withdraws her confirmed link there, while Joe asks through it and Bob
 * lets him in. Once Ann is back, the managers hold both ops, and
 * Joe is a member on every device: he writes and Ann reads it. The link
 * stays withdrawn. (The rule's other cases, replica by replica:
 * membership-confirm-revoke.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { chat, peopleOn, say } from "./membership-harness.js";
import { waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

const relay = relayPerFile();
const { person, founded, inviteOptions } = peopleOn(() => relay.url);

describe("a confirm while another manager, offline, withdrew the link", () => {
  it("the joiner Bob let in stays on every device once Ann is back, and writes", async () => {
    const [ann, bob, joe] = [await person("Ann"), await person("Bob"), await person("Joe")];
    const annSpace = await founded(ann, "Allotment");
    const bobSpace = await bob.join(
      (await annSpace.invite({ ...inviteOptions("open"), role: "manager" })).url,
    );
    await waitFor(() => annSpace.log.state.members.get(bob.id)?.role === "manager", "Bob in");
    await say(annSpace, "before Joe");
    const { url, id: link } = await annSpace.invite({
      ...inviteOptions("confirmed"),
      oneTime: false,
    });
    // Ann is offline when Joe asks: she withdraws the link on her device, not knowing of
    // him; Bob, not knowing of that, lets Joe in.
    await ann.engine!.pause();
    const joeSpace = await joe.join(url);
    const asked = (s: typeof annSpace) => [...s.log.state.pending.values()][0]?.id;
    await waitFor(() => asked(bobSpace) !== undefined, "Joe's request at Bob");
    const request = asked(bobSpace)!;
    await annSpace.revokeInvite(link);
    await bobSpace.confirm(request);
    await waitFor(() => joeSpace.access.isMember(), "Joe let in, at Joe");

    ann.engine!.resume();
    // Ann's revoke goes to the members she knew of (Ann, Bob): Joe's device is not sent it.
    const revoked = (s: typeof annSpace) => s.log.state.invites.get(link)?.revoked === true;
    for (const [s, name] of [
      [annSpace, "Ann"],
      [bobSpace, "Bob"],
    ] as const) {
      await waitFor(
        () => revoked(s) && s.log.state.members.has(joe.id),
        `the revoke and Joe's membership at ${name}`,
      );
    }
    await say(joeSpace, "hello from Joe");
    await waitFor(() => chat(annSpace).includes("hello from Joe"), "Joe's message at Ann");
    for (const s of [annSpace, bobSpace, joeSpace]) {
      expect(s.log.verdict(request)).toBe("accepted");
      expect(s.log.state.members.has(joe.id)).toBe(true);
    }
    expect(chat(joeSpace)).toContain("before Joe");
  });
});
