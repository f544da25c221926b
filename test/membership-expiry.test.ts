/**
 * Invite expiry end to end, with a real relay process: a join's time is the
 * joiner's to choose, so the owner's device revokes the invite once it has
 * expired by its own clock. The relay drops the welcome at expiry, the
 * revoked invite's channel is closed on every member's device, and a join
 * backdated by someone who kept the welcome is refused by every member,
 * however early its time says it was made. (Resolution of such a join that
 * does reach a log: test/membership.test.ts.) An honest join from before
 * expiry stays in.
 */
import { describe, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { inviteKeys, parseInviteUrl } from "../core/membership/invite-link.js";
import { readWelcome } from "../core/membership/join-by-link.js";
import { MemberSpace } from "../core/membership/member-space.js";
import { MembershipAccess } from "../core/membership/membership-access.js";
import { MembershipLog } from "../core/membership/membership-log.js";
import { joinProofMessage } from "../core/membership/ops.js";
import type { Welcome } from "../core/membership/welcome.js";
import { EnvelopeKind } from "../core/wire/envelope.js";
import { backend, chat, type Person, peopleOn, say } from "./membership-harness.js";
import { connectWs, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

const relay = relayPerFile();
const { person, founded, inviteOptions } = peopleOn(() => relay.url);

/**
 * What a link holder can do after expiry without any member's help: with the
 * welcome it read while the link was alive, sign a join dated `time` or a
 * little earlier, send it with a message. The time is ground until the
 * join's id sorts before `beat`: among concurrent ops the smaller hash goes
 * first, so the join would be judged before the revoke unless resolution
 * looks past the order.
 */
async function backdatedJoin(
  who: Person,
  url: string,
  welcome: Welcome,
  time: number,
  beat: string,
) {
  const link = parseInviteUrl(url);
  const engine = await who.online();
  engine.start();
  const keys = inviteKeys(link.seed);
  const log = new MembershipLog(link.spaceId, backend, who.store);
  for (const op of welcome.ops) await log.add(op);
  const inviteId = log.idOf(welcome.ops[0]!);
  const access = new MembershipAccess({
    log,
    device: who.me.keys,
    invite: keys,
    targets: welcome.targets,
  });
  const proof = await backend.sign(
    keys.sign.secretKey,
    joinProofMessage(link.spaceId, inviteId, who.me.cert),
  );
  const action = {
    type: "join" as const,
    invite: inviteId,
    cert: who.me.cert,
    name: who.me.name,
    proof,
    share: { epochOp: new Uint8Array(32), boxes: [] },
  };
  let op = await log.sign(who.me.keys.sign, action, [inviteId], time);
  for (let t = time - 1; toHex(log.idOf(op)) > beat; t--) {
    op = await log.sign(who.me.keys.sign, action, [inviteId], t);
  }
  const space = await engine.openSpace(access);
  await space.sendMembership(EnvelopeKind.membership, op, { to: welcome.targets });
  const member = new MemberSpace(space, access, who.me, { engine });
  await say(member, "let me in");
  return { member, joinId: toHex(log.idOf(op)) };
}

describe("invite expiry", () => {
  it("after expiry the owner's device revokes the invite; a backdated join is refused by every member, and the relay holds nothing for the link", async () => {
    const [ann, bob, mal] = [await person("Ann"), await person("Bob"), await person("Mal")];
    const annSpace = await founded(ann, "Garden");
    await say(annSpace, "welcome");
    const expiresAt = Date.now() + 5_000;
    const { url, id } = await annSpace.invite({
      ...inviteOptions("open"),
      expiresAt,
      oneTime: false,
    });
    // Mal reads the welcome while the link is alive, and keeps it.
    const kept = await readWelcome({ link: parseInviteUrl(url), backend, connect: connectWs });
    expect(kept.keys).toEqual([]);
    expect(kept.snapshot).toHaveLength(0);

    // Honest: Bob joins before expiry.
    const bobSpace = await bob.join(url);
    await waitFor(() => annSpace.log.state.members.has(bob.id), "Bob a member at Ann");

    // Ann stays online: past expiry by her clock, her device revokes the invite.
    await waitFor(() => annSpace.log.state.invites.get(id)?.revoked === true, "the revoke", 20_000);
    await waitFor(() => bobSpace.log.state.invites.get(id)?.revoked === true, "the revoke at Bob");
    // The welcome lived no longer than the invite; the link's next holder finds Ann's word
    // that it expired.
    await expect(
      readWelcome({ link: parseInviteUrl(url), backend, connect: connectWs, timeoutMs: 5_000 }),
    ).rejects.toMatchObject({
      code: "CLOSED",
      closed: { reason: "INVITE_EXPIRED", inviterName: "Ann" },
    });

    const revoke = [...annSpace.log.state.accepted].find(
      (opId) => annSpace.log.op(opId)?.body.action.type === "revokeInvite",
    )!;
    const refusedAtAnn = () => {
      const { UNKNOWN_EPOCH = 0, AUTHOR_NOT_ALLOWED = 0 } = annSpace.space.stats.rejected;
      return UNKNOWN_EPOCH + AUTHOR_NOT_ALLOWED;
    };
    const refusedBefore = refusedAtAnn();
    const { member: malSpace, joinId } = await backdatedJoin(
      mal,
      url,
      kept,
      expiresAt - 1_000,
      revoke,
    );
    // The revoked invite's channel is closed: the join is not even opened (no key for it),
    // and nothing but join requests may travel under a channel.
    await waitFor(
      () => refusedAtAnn() >= refusedBefore + 2,
      "Mal's join and message refused at Ann",
    );
    for (const s of [annSpace, bobSpace]) {
      expect(s.log.verdict(joinId)).toBeUndefined();
      expect(s.log.state.members.has(mal.id)).toBe(false);
      expect(chat(s)).not.toContain("let me in");
    }
    expect(malSpace.access.readableEpochs()).toEqual([]);

    // Bob, let in before expiry, still writes and is read.
    await say(bobSpace, "tomatoes are in");
    await waitFor(() => chat(annSpace).includes("tomatoes are in"), "Bob's message at Ann");
  });
});
