/**
 * Invitations end to end, with a real relay process and real engines on
 * encrypted file stores: the inviter leaves, the joiner comes with only the
 * link. Open: the joiner reads and writes at once, and the inviter, back,
 * sees the joiner as a member with the joiner's writes. Confirmed: the
 * joiner sees nothing until the inviter comes back and confirms, then reads
 * the whole history and writes. Removal: the removed member's later
 * envelopes are refused by all, and nothing logged after it (by any member,
 * under any epoch) opens with the removed member's keys.
 */
import { describe, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { openEnvelope } from "../core/crypto/envelope.js";
import { loggedEnvelopes } from "../core/space/space-log.js";
import { roomFor } from "../core/sync/mesh-room.js";
import { decodeEnvelope } from "../core/wire/envelope.js";
import { LoopbackHub } from "./loopback-mesh.js";
import { backend, chat, type Person, peopleOn, say } from "./membership-harness.js";
import { waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

const relay = relayPerFile();
const { person, founded, inviteOptions } = peopleOn(() => relay.url);

describe("invitations", () => {
  it("open invite: with no member online the request waits at the relay; the inviter, back, lets the joiner in unasked, with the history", async () => {
    const [ann, bob] = [await person("Ann"), await person("Bob")];
    const annSpace = await founded(ann, "Trip");
    await say(annSpace, "hello from Ann");
    const { url } = await annSpace.invite(inviteOptions("open"));
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/join#[A-Za-z0-9_-]+$/);
    await ann.offline();

    const bobSpace = await bob.join(url, { admitted: false });
    expect(bobSpace.invitation?.spaceName).toBe("Trip");
    // The link handed over no key and no content: nothing to read until a manager lets Bob in.
    expect(bobSpace.access.readableEpochs()).toEqual([]);
    expect(chat(bobSpace)).toEqual([]);

    const annAgain = await ann.reopen(annSpace.space.access.spaceId);
    await waitFor(() => bobSpace.access.isMember(), "Bob let in by Ann's device");
    expect(annAgain.log.state.members.get(bob.id)?.name).toBe("Bob");
    await waitFor(() => chat(bobSpace).includes("hello from Ann"), "the history at Bob");
    await say(bobSpace, "hi from Bob");
    await waitFor(() => chat(annAgain).includes("hi from Bob"), "Bob's message at Ann");
    expect(annAgain.space.stats.rejected).toEqual({});
  });

  it("confirmed invite: nothing before a manager confirms; then the whole history, and writes", async () => {
    const [ann, bob] = [await person("Ann"), await person("Bob")];
    const annSpace = await founded(ann, "Plans");
    for (const text of ["one", "two", "three"]) await say(annSpace, text);
    const { url } = await annSpace.invite(inviteOptions("confirmed"));
    await ann.offline();

    const bobSpace = await bob.join(url);
    expect(chat(bobSpace)).toEqual([]);
    expect(bobSpace.access.isMember()).toBe(false);
    expect(() => bobSpace.access.readableEpochs()).not.toThrow();
    expect(bobSpace.access.readableEpochs()).toEqual([]);

    const annAgain = await ann.reopen(annSpace.space.access.spaceId);
    await waitFor(() => annAgain.log.state.pending.size === 1, "Bob's request at Ann");
    const [request] = [...annAgain.log.state.pending.values()];
    expect(request!.name).toBe("Bob");
    expect(toHex(request!.cert.user)).toBe(bob.id);
    await annAgain.confirm(request!.id);

    await waitFor(() => chat(bobSpace).length === 3, "the history at Bob", 20_000);
    expect(chat(bobSpace)).toEqual(["one", "two", "three"]);
    await say(bobSpace, "thanks");
    await waitFor(() => chat(annAgain).includes("thanks"), "Bob's message at Ann");
  });

  it("removal while offline: the removed member's later envelopes are refused; nothing after it opens with their keys", async () => {
    const [ann, bob, cy] = [await person("Ann"), await person("Bob"), await person("Cy")];
    const annSpace = await founded(ann, "Club");
    const bobSpace = await bob.join((await annSpace.invite(inviteOptions("open"))).url);
    const cySpace = await cy.join((await annSpace.invite(inviteOptions("open"))).url);
    await waitFor(() => annSpace.log.state.members.size === 3, "three members at Ann");
    await waitFor(() => bobSpace.log.state.members.size === 3, "three members at Bob");
    const spaceId = annSpace.space.access.spaceId;
    const cyKeys = cySpace.access.readableEpochs();
    await cy.offline();

    await annSpace.remove(cy.me.cert.user);
    // What Ann holds once the removal is sent (its own op travels under the old key, by design).
    const hex = (envelopes: Uint8Array[]) => new Set(envelopes.map(toHex));
    const beforeRemoval = hex(await loggedEnvelopes(ann.store, toHex(spaceId)));
    await say(annSpace, "after Cy left");
    await waitFor(() => chat(bobSpace).includes("after Cy left"), "Ann's message at Bob");
    expect(bobSpace.log.state.members.has(cy.id)).toBe(false);
    await say(bobSpace, "Bob after Cy left");
    await waitFor(() => chat(annSpace).includes("Bob after Cy left"), "Bob's message at Ann");

    // Cy, offline, did not see the removal and writes on.
    const cyAgain = await cy.reopen(spaceId);
    await say(cyAgain, "from Cy");
    await waitFor(
      () => (annSpace.space.stats.rejected.AUTHOR_NOT_ALLOWED ?? 0) > 0,
      "Cy's message refused at Ann",
    );
    await waitFor(
      () => (bobSpace.space.stats.rejected.AUTHOR_NOT_ALLOWED ?? 0) > 0,
      "Cy's message refused at Bob",
    );
    expect(chat(annSpace)).not.toContain("from Cy");
    // Cy is told, under the key Cy still has.
    await waitFor(() => !cyAgain.log.state.members.has(cy.id), "the removal at Cy");
    expect(chat(bobSpace)).not.toContain("from Cy");

    // Every envelope Ann logged after the removal (hers and Bob's, whatever epoch it names),
    // tried with every key Cy ever had: a write left on the old key would open.
    const after = (await loggedEnvelopes(ann.store, toHex(spaceId))).filter(
      (e) => !beforeRemoval.has(toHex(e)),
    );
    const authors = hex(after.map((e) => decodeEnvelope(e).header.author));
    expect(authors.has(toHex(ann.me.keys.sign.publicKey))).toBe(true);
    expect(authors.has(toHex(bob.me.keys.sign.publicKey))).toBe(true);
    for (const envelope of after) {
      for (const { key } of [...cyKeys, ...cyAgain.access.readableEpochs()]) {
        await expect(
          openEnvelope(envelope, {
            backend,
            spaceId,
            keyForEpoch: () => key,
            isAllowed: () => true,
          }),
        ).rejects.toMatchObject({ code: "DECRYPT_FAILED" });
      }
    }
  });

  it("a removed member falls out of the direct mesh: the others meet in the new key's room", async () => {
    const hub = new LoopbackHub();
    const [ann, bob, cy] = [await person("Ann"), await person("Bob"), await person("Cy")];
    for (const p of [ann, bob, cy]) p.hub = hub;
    const annSpace = await founded(ann, "Band");
    const spaceId = annSpace.space.access.spaceId;
    await bob.join((await annSpace.invite(inviteOptions("open"))).url);
    const cySpace = await cy.join((await annSpace.invite(inviteOptions("open"))).url);
    const peers = (p: Person) => [...p.engine!.directPeers(spaceId)].sort();
    const hex = (p: Person) => toHex(p.me.keys.sign.publicKey);
    await waitFor(
      () => [ann, bob, cy].every((p) => peers(p).length === 2),
      "all three meeting directly",
    );
    await waitFor(() => annSpace.log.state.members.size === 3, "three members at Ann");

    await annSpace.remove(cy.me.cert.user);
    await waitFor(
      () => peers(ann).join() === hex(bob) && peers(bob).join() === hex(ann),
      "Ann and Bob in the new room",
    );
    expect(peers(cy)).toEqual([]);
    // Cy heard of the removal but holds no key to the new room.
    await waitFor(() => !cySpace.log.state.members.has(cy.id), "the removal at Cy");
    expect(roomFor(cySpace.access).name).not.toBe(roomFor(annSpace.access).name);
  });

  it("people joining at the same moment learn of each other through the inviter", async () => {
    const [ann, bob, cy] = [await person("Ann"), await person("Bob"), await person("Cy")];
    const annSpace = await founded(ann, "Picnic");
    // Both welcomes list Ann alone: neither joiner knows the other.
    const [forBob, forCy] = [
      await annSpace.invite(inviteOptions("open")),
      await annSpace.invite(inviteOptions("open")),
    ];
    const [bobSpace, cySpace] = await Promise.all([bob.join(forBob.url), cy.join(forCy.url)]);
    for (const s of [annSpace, bobSpace, cySpace]) {
      await waitFor(() => s.log.state.members.size === 3, "three members everywhere");
    }
    await say(cySpace, "I'll bring the blanket");
    await waitFor(() => chat(bobSpace).includes("I'll bring the blanket"), "Cy's message at Bob");
  });

  it("a device confirmed while another manager rotated is owed the new key, and a manager seals it", async () => {
    const [ann, bob, cy, dee] = [
      await person("Ann"),
      await person("Bob"),
      await person("Cy"),
      await person("Dee"),
    ];
    const annSpace = await founded(ann, "Choir");
    const bobSpace = await bob.join(
      (await annSpace.invite({ ...inviteOptions("open"), role: "manager" })).url,
    );
    await cy.join((await annSpace.invite(inviteOptions("open"))).url);
    await waitFor(() => bobSpace.log.state.members.size === 3, "three members at Bob");
    const deeSpace = await dee.join((await bobSpace.invite(inviteOptions("confirmed"))).url);
    await waitFor(() => bobSpace.log.state.pending.size === 1, "Dee's request at Bob");
    const [request] = [...bobSpace.log.state.pending.values()];

    // At the same moment: Ann removes Cy (a new key, sealed to the devices Ann knows), and Bob
    // lets Dee in (sealing Dee the key Bob knows).
    await Promise.all([annSpace.remove(cy.me.cert.user), bobSpace.confirm(request!.id)]);
    await waitFor(() => annSpace.log.state.members.has(dee.id), "Dee a member at Ann");
    await say(annSpace, "rehearsal moved to Tuesday");
    // Dee was owed the key of Ann's rotation; a manager seals a fresh one to everyone.
    await waitFor(
      () => chat(deeSpace).includes("rehearsal moved to Tuesday"),
      "Ann's news at Dee",
      20_000,
    );
    expect(annSpace.owedDevices()).toEqual([]);
    await say(deeSpace, "noted");
    await waitFor(() => chat(annSpace).includes("noted"), "Dee's reply at Ann");
  });
});
