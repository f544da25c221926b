/**
 * Invite expiry end to end, with a real relay process: a join's time is the
 * joiner's to choose, so the owner's device revokes the invite once it has
 * expired by its own clock, and a join that is not before that revoke is
 * refused by every member, however early its time says it was made. An
 * honest join from before expiry stays in.
 */
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../core/crypto/bytes.js";
import { MembershipError } from "../core/membership/errors.js";
import { inviteKeys, parseInviteUrl } from "../core/membership/invite-link.js";
import { readWelcome } from "../core/membership/join-by-link.js";
import { keyShare, MemberSpace } from "../core/membership/member-space.js";
import { MembershipAccess } from "../core/membership/membership-access.js";
import { MembershipLog } from "../core/membership/membership-log.js";
import { joinProofMessage } from "../core/membership/ops.js";
import { EnvelopeKind } from "../core/wire/envelope.js";
import { backend, chat, type Person, peopleOn, say } from "./membership-harness.js";
import { connectWs, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";

const relay = relayPerFile();
const { person, founded, inviteOptions } = peopleOn(() => relay.url);

/**
 * What a link holder can do after expiry without any member's help: read the
 * welcome still at the relay, sign a join dated `time` or a little earlier, send
 * it with a message. `extraOps` stand for whatever else of the log the holder
 * got hold of. The time is ground until the join's id sorts before `beat`: among
 * concurrent ops the smaller hash goes first, so the join is judged before the
 * revoke unless resolution looks past the order.
 */
async function backdatedJoin(
  who: Person,
  url: string,
  time: number,
  extraOps: Uint8Array[],
  beat: string,
) {
  const link = parseInviteUrl(url);
  const engine = await who.online();
  engine.start();
  const welcome = await readWelcome({ link, backend, connect: connectWs });
  const keys = inviteKeys(link.seed);
  const log = new MembershipLog(link.spaceId, backend, who.store);
  for (const op of [...welcome.ops, ...extraOps]) await log.add(op);
  const invite = [...log.state.invites.values()].find(
    (i) => i.inviteSign === toHex(keys.sign.publicKey),
  )!;
  const inviteId = fromHex(invite.id);
  const access = new MembershipAccess({
    log,
    device: who.me.keys,
    knownKeys: welcome.keys,
    invite: keys,
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
    share: keyShare(access, [who.me.keys.box.publicKey]),
  };
  let op = await log.sign(who.me.keys.sign, action, log.heads(), time);
  for (let t = time - 1; toHex(log.idOf(op)) > beat; t--) {
    op = await log.sign(who.me.keys.sign, action, log.heads(), t);
  }
  const taken = await log.add(op);
  const space = await engine.openSpace(access);
  await space.sendMembership(EnvelopeKind.membership, op);
  const member = new MemberSpace(space, access, who.me, { engine });
  await say(member, "let me in");
  return { member, joinId: (taken as { id: string }).id, status: taken.status };
}

describe("invite expiry", () => {
  it("a backdated join after expiry is refused by every member once the owner's device revoked the invite", async () => {
    const [ann, bob, mal] = [await person("Ann"), await person("Bob"), await person("Mal")];
    const annSpace = await founded(ann, "Garden");
    await say(annSpace, "welcome");
    const expiresAt = Date.now() + 5_000;
    const { url, id } = await annSpace.invite({
      ...inviteOptions("open"),
      expiresAt,
      oneTime: false,
    });

    // Honest: Bob joins before expiry.
    const bobSpace = await bob.join(url);
    await waitFor(() => annSpace.log.state.members.has(bob.id), "Bob a member at Ann");

    // Ann stays online: past expiry by her clock, her device revokes the invite.
    await waitFor(() => annSpace.log.state.invites.get(id)?.revoked === true, "the revoke", 20_000);
    await waitFor(() => bobSpace.log.state.invites.get(id)?.revoked === true, "the revoke at Bob");

    // Mal, with the link and even Bob's join, signs a join dated before expiry.
    const bobJoin = [...annSpace.log.state.accepted].find(
      (opId) => annSpace.log.op(opId)?.body.action.type === "join",
    )!;
    const revoke = [...annSpace.log.state.accepted].find(
      (opId) => annSpace.log.op(opId)?.body.action.type === "revokeInvite",
    )!;
    const {
      member: malSpace,
      joinId,
      status,
    } = await backdatedJoin(mal, url, expiresAt - 1_000, [annSpace.log.opBytes(bobJoin)!], revoke);
    expect(status).toBe("accepted"); // Mal's own log knows no revoke.
    for (const s of [annSpace, bobSpace]) {
      await waitFor(() => s.log.verdict(joinId) !== undefined, "Mal's join judged");
      expect(s.log.verdict(joinId)).toBeInstanceOf(MembershipError);
      expect((s.log.verdict(joinId) as MembershipError).code).toBe("INVITE_EXPIRED");
      expect(s.log.state.members.has(mal.id)).toBe(false);
      await waitFor(
        () => (s.space.stats.rejected.AUTHOR_NOT_ALLOWED ?? 0) > 0,
        "Mal's message refused",
      );
      expect(chat(s)).not.toContain("let me in");
    }
    expect(chat(malSpace)).toContain("let me in");

    // Bob, let in before expiry, still writes and is read.
    await say(bobSpace, "tomatoes are in");
    await waitFor(() => chat(annSpace).includes("tomatoes are in"), "Bob's message at Ann");
  });
});
