/**
 * A join that arrives after its invite closed (issue 17): someone opened a
 * link, and by the time their request reached the space the invite had been
 * revoked, used by someone else, or expired. Before, the request opened
 * nothing at the managers and nobody answered, so the joiner waited forever
 * on "Waiting to be let in". Now the inviter's device tells them why, once,
 * and a stranger cannot make it send without limit. Real relay process, real
 * engines on encrypted file stores.
 */
import { afterEach, describe, expect, it, vi } from "vitest";
import { sealEnvelope } from "../core/crypto/envelope.js";
import { generateDeviceKeys } from "../core/crypto/identity.js";
import { channelEpoch, inviteKeys, parseInviteUrl } from "../core/membership/invite-link.js";
import { joinWithWelcome, readWelcome } from "../core/membership/join-by-link.js";
import type { Welcome } from "../core/membership/welcome.js";
import { EnvelopeKind } from "../core/wire/envelope.js";
import { backend, type Person, peopleOn } from "./membership-harness.js";
import { connectWs, waitFor } from "./relay-harness.js";
import { relayPerFile } from "./relay-per-file.js";
import { RawClient } from "./relay-raw.js";

const relay = relayPerFile();
const { person, founded, inviteOptions } = peopleOn(() => relay.url);
afterEach(() => vi.restoreAllMocks());

async function joinAs(p: Person, url: string, welcome: Welcome) {
  const engine = await p.online();
  engine.start();
  return joinWithWelcome({
    link: parseInviteUrl(url),
    welcome,
    engine,
    store: p.store,
    backend,
    me: p.me,
  });
}

describe("a join that arrives after its invite closed is told why", () => {
  it("revoked: the joiner who opened the link before the revoke is told, and kept after a restart", async () => {
    const [ann, dan] = [await person("Ann"), await person("Dan")];
    const annSpace = await founded(ann, "Garden");
    const { url, id } = await annSpace.invite({ ...inviteOptions("confirmed"), oneTime: false });
    const welcome = await readWelcome({ link: parseInviteUrl(url), backend, connect: connectWs });
    await annSpace.revokeInvite(id);

    const danSpace = await joinAs(dan, url, welcome);
    await waitFor(() => danSpace.access.refusal !== undefined, "Dan told", 15_000);
    expect(danSpace.access.refusal).toEqual({ reason: "INVITE_REVOKED", inviterName: "Ann" });
    expect(annSpace.log.state.pending.size).toBe(0);
    expect(annSpace.log.state.members.has(dan.id)).toBe(false);
    await dan.offline();
    const again = await dan.reopen(parseInviteUrl(url).spaceId);
    expect(again.access.refusal).toEqual({ reason: "INVITE_REVOKED", inviterName: "Ann" });
  });

  it("used: a one-time link's second holder, whose request came after the first was let in, is told it was used", async () => {
    const [ann, bob, eve] = [await person("Ann"), await person("Bob"), await person("Eve")];
    const annSpace = await founded(ann, "Garden");
    const { url } = await annSpace.invite(inviteOptions("open"));
    const welcome = await readWelcome({ link: parseInviteUrl(url), backend, connect: connectWs });
    const bobSpace = await joinAs(bob, url, welcome);
    await waitFor(() => bobSpace.access.isMember(), "Bob let in", 15_000);

    const eveSpace = await joinAs(eve, url, welcome);
    await waitFor(() => eveSpace.access.refusal !== undefined, "Eve told", 15_000);
    expect(eveSpace.access.refusal).toEqual({ reason: "INVITE_USED", inviterName: "Ann" });
    expect(annSpace.log.state.members.has(eve.id)).toBe(false);
  });

  it("a flood of signed requests under a closed invite's channel gets a bounded number of answers", async () => {
    const ann = await person("Ann");
    const annSpace = await founded(ann, "Garden");
    const { url, id } = await annSpace.invite({ ...inviteOptions("confirmed"), oneTime: false });
    await annSpace.revokeInvite(id);
    const keys = inviteKeys(parseInviteUrl(url).seed);
    const epoch = channelEpoch(keys.sign.publicKey);
    const answers = vi.spyOn(annSpace.space, "sendMembership");

    // Thirty throwaway devices, each with one signed request (its content does not matter:
    // the channel's key is not honoured any more, so nothing is opened).
    const client = await RawClient.open(relay.url);
    await client.login(generateDeviceKeys().sign, relay.url);
    const flood = 30;
    for (let i = 0; i < flood; i++) {
      const envelope = await sealEnvelope(
        {
          kind: EnvelopeKind.membership,
          spaceId: annSpace.space.access.spaceId,
          epoch,
          seq: 1,
          prevHash: new Uint8Array(32),
          payload: Uint8Array.of(i),
        },
        keys.channelKey,
        generateDeviceKeys().sign,
        backend,
      );
      client.send({
        type: "send",
        msgId: crypto.getRandomValues(new Uint8Array(16)),
        flags: 0,
        ttlSeconds: 600,
        targets: [ann.me.keys.sign.publicKey],
        envelope,
      });
    }
    await waitFor(
      () => (annSpace.space.stats.rejected.UNKNOWN_EPOCH ?? 0) >= flood,
      "every request seen at Ann",
      15_000,
    );
    client.close();
    const told = answers.mock.calls.filter(([kind]) => kind === EnvelopeKind.welcome).length;
    expect(told).toBeGreaterThan(0);
    expect(told).toBeLessThanOrEqual(10);
  });
});

describe("the link's next holder is told why before asking", () => {
  const closedOf = (url: string, extra: { now?: () => number } = {}) =>
    readWelcome({ link: parseInviteUrl(url), backend, connect: connectWs, ...extra }).then(
      () => undefined,
      (err: { code?: string; closed?: unknown }) => ({ code: err.code, closed: err.closed }),
    );

  /** Waits for the inviter's notice at the relay, then checks what it says. */
  const expectNotice = async (url: string, reason: string) => {
    await waitFor(
      async () => (await closedOf(url))?.code === "CLOSED",
      "the notice at the relay",
      15_000,
    );
    expect(await closedOf(url)).toEqual({ code: "CLOSED", closed: { reason, inviterName: "Ann" } });
  };

  it("revoked: the welcome is still at the relay, but the inviter's notice wins", async () => {
    const ann = await person("Ann");
    const annSpace = await founded(ann, "Garden");
    const { url, id } = await annSpace.invite({ ...inviteOptions("confirmed"), oneTime: false });
    await annSpace.revokeInvite(id);
    await expectNotice(url, "INVITE_REVOKED");
  });

  it("used: after the one-time link let someone in, the next holder reads that it was used", async () => {
    const [ann, bob] = [await person("Ann"), await person("Bob")];
    const annSpace = await founded(ann, "Garden");
    const { url } = await annSpace.invite(inviteOptions("open"));
    const bobSpace = await bob.join(url);
    await waitFor(() => bobSpace.access.isMember(), "Bob let in", 15_000);
    await expectNotice(url, "INVITE_USED");
  });

  it("expired by the joiner's clock: a welcome the relay still holds past its invite's expiry is not taken", async () => {
    const ann = await person("Ann");
    const annSpace = await founded(ann, "Garden");
    const { url } = await annSpace.invite({ ...inviteOptions("confirmed"), oneTime: false });
    const later = Date.now() + 2 * 3_600_000;
    expect(await closedOf(url, { now: () => later })).toEqual({
      code: "CLOSED",
      closed: { reason: "INVITE_EXPIRED", inviterName: "Ann" },
    });
    // The same link, read today, opens.
    expect(await closedOf(url)).toBeUndefined();
  });
});
