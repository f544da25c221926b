/**
 * A confirm and a revoke of the same link, made by two managers who had not
 * seen each other's op (decision 174). Bob, a manager, explicitly confirms
 * Joe, who asked through a link that needs a manager's confirm; Ann, the
 * owner, offline or not yet reached by Bob, withdraws the link. Joe stays in
 * on every replica, whatever order the ops arrive in. What must still hold
 * (decision 31): a confirm made after its author saw the revoke lets no one
 * in (so a join backdated past expiry gets nothing from a manager who knew);
 * a device's confirm on an open link (no person asked) keeps the old rule; a
 * confirm counts only from a manager in good standing where it falls in the
 * order (removed at the same moment, or demoted before it: it counts for
 * nothing, and the join is closed as the revoke left it).
 *
 * Real signatures throughout; each replica resolves incrementally, and fresh
 * replicas fed every op forwards and backwards resolve from scratch.
 */
import { describe, expect, it } from "vitest";
import { toHex } from "../core/crypto/bytes.js";
import { reachableKeys } from "../core/membership/epoch-keys.js";
import type { MembershipLog } from "../core/membership/membership-log.js";
import {
  codeOf,
  confirmAction,
  HOUR,
  type Inv,
  invite,
  join,
  joinOp,
  opId,
  type Person,
  person,
  replica,
  rotation,
  signed,
  space,
  sync,
} from "./membership-replicas.js";

/**
 * Ann owns the space, Bob manages it; Ann's link (`mode`, many uses) and
 * Joe's request through it. Joe's request reaches both managers, or (`seenBy:
 * "bob"`) only Bob before Ann acts.
 */
async function twoManagers(
  mode: "open" | "confirmed",
  seenBy: "both" | "bob",
  expiresAt = Date.now() + HOUR,
) {
  const [ann, bob, joe] = await Promise.all([person("Ann"), person("Bob"), person("Joe")]);
  const { log: annLog, key } = await space(ann);
  await join(annLog, bob, await invite(annLog, ann, { role: "manager", key }));
  const link = await invite(annLog, ann, { mode, oneTime: false, expiresAt });
  const bobLog = replica(annLog);
  await sync(annLog, bobLog);
  const request = await joinOp(seenBy === "both" ? annLog : bobLog, joe, link, Date.now());
  expect((await bobLog.add(request)).status).toBe("accepted");
  if (seenBy === "both") await annLog.add(request);
  return { ann, bob, joe, key, annLog, bobLog, link, joinId: toHex(opId(request)) };
}
type Managers = Awaited<ReturnType<typeof twoManagers>>;

/** Bob lets Joe in on his replica, as the app does (the key sealed to Joe's device). */
async function bobConfirms(m: Managers): Promise<string> {
  const bytes = await m.bobLog.author(
    m.bob.device.sign,
    confirmAction(m.bobLog, m.joinId, m.joe, m.key),
  );
  return toHex(opId(bytes));
}

async function annRevokes(m: Managers, time = Date.now()): Promise<string> {
  const bytes = await signed(m.annLog, m.ann, { type: "revokeInvite", invite: m.link.id }, time);
  expect(await codeOf(m.annLog.add(bytes))).toBe("accepted");
  return toHex(opId(bytes));
}

/**
 * Fresh replicas fed every op of `logs` in three orders (one log's then the
 * other's, both ways, and all of them backwards: children before parents),
 * then `logs` themselves after a full sync.
 */
async function everywhere(logs: MembershipLog[]): Promise<MembershipLog[]> {
  const forwards = logs.flatMap((l) => l.encodedOps());
  const orders = [
    forwards,
    [...logs].reverse().flatMap((l) => l.encodedOps()),
    [...forwards].reverse(),
  ];
  const out: MembershipLog[] = [];
  for (const order of orders) {
    const fresh = replica(logs[0]!);
    for (const op of order) await fresh.add(op);
    out.push(fresh);
  }
  for (const from of logs) for (const to of logs) if (from !== to) await sync(from, to);
  return [...out, ...logs];
}

/** Someone who asks through the link once every op is known. */
async function latecomer(log: MembershipLog, link: Inv): Promise<string | undefined> {
  return codeOf(log.add(await joinOp(log, await person("Kim"), link, Date.now())));
}

describe("a confirm made while another manager withdrew the link", () => {
  for (const seenBy of ["both", "bob"] as const) {
    it(`stands on every replica, in any order (the request ${seenBy === "both" ? "known to both managers" : "not yet at Ann"})`, async () => {
      const m = await twoManagers("confirmed", seenBy);
      const confirmId = await bobConfirms(m);
      await annRevokes(m);
      for (const log of await everywhere([m.annLog, m.bobLog])) {
        expect(log.verdict(confirmId)).toBe("accepted");
        expect(log.verdict(m.joinId)).toBe("accepted");
        expect(log.state.members.get(m.joe.id)?.role).toBe("member");
        // Joe reaches the current key, sealed in Bob's confirm.
        const current = log.state.epochs.at(-1)!;
        expect(reachableKeys(log.state.epochs, m.joe.device.box).get(current.epoch)).toEqual(m.key);
        // The link is withdrawn all the same: whoever asks now is refused.
        expect(log.state.invites.get(toHex(m.link.id))?.revoked).toBe(true);
        expect(await latecomer(log, m.link)).toBe("INVITE_REVOKED");
      }
    });
  }
});

describe("what the revoke still decides", () => {
  it("a confirm made after its author saw the revoke lets no one in, and a join backdated past expiry stays out", async () => {
    const expiresAt = Date.now() + HOUR;
    const m = await twoManagers("confirmed", "bob", expiresAt);
    // Mal asks past expiry with a time before it; Ann's device, past expiry, revokes.
    const mal = await person("Mal");
    const malRequest = await joinOp(m.bobLog, mal, m.link, expiresAt - 1_000);
    await m.bobLog.add(malRequest);
    await annRevokes(m, expiresAt + 5_000);
    // Bob hears of the revoke, then confirms both anyway (signed by hand: his app would not).
    await sync(m.annLog, m.bobLog);
    for (const [who, joinId] of [
      [m.joe, m.joinId],
      [mal, toHex(opId(malRequest))],
    ] as [Person, string][]) {
      const late = await signed(m.bobLog, m.bob, confirmAction(m.bobLog, joinId, who, m.key));
      expect(await codeOf(m.bobLog.add(late))).toBe("JOIN_UNKNOWN");
    }
    for (const log of await everywhere([m.annLog, m.bobLog])) {
      expect(log.state.members.has(m.joe.id)).toBe(false);
      expect(log.state.members.has(mal.id)).toBe(false);
      expect(log.verdict(toHex(opId(malRequest)))).toMatchObject({ code: "INVITE_EXPIRED" });
    }
  });

  it("on an open link, the confirm a manager's device makes unasked does not hold against the revoke", async () => {
    const m = await twoManagers("open", "bob");
    await bobConfirms(m);
    await annRevokes(m);
    for (const log of await everywhere([m.annLog, m.bobLog])) {
      expect(log.state.members.has(m.joe.id)).toBe(false);
      expect(log.verdict(m.joinId)).toMatchObject({ code: "INVITE_REVOKED" });
    }
  });

  it("a confirm by a manager removed at the same moment counts for nothing", async () => {
    const m = await twoManagers("confirmed", "both");
    const confirmId = await bobConfirms(m);
    await annRevokes(m);
    const { rotation: r } = rotation(m.key, [m.ann.device.box.publicKey]);
    await m.annLog.author(m.ann.device.sign, {
      type: "remove",
      user: m.bob.user.sign.publicKey,
      rotation: r,
    });
    for (const log of await everywhere([m.annLog, m.bobLog])) {
      expect(log.verdict(confirmId)).toMatchObject({ code: "REMOVED_CONCURRENTLY" });
      expect(log.state.members.has(m.joe.id)).toBe(false);
      expect(log.state.pending.has(m.joinId)).toBe(false);
    }
  });

  it("a confirm by a manager demoted before it in the order counts for nothing, and the revoke closes the request", async () => {
    const m = await twoManagers("confirmed", "both");
    const confirmId = await bobConfirms(m);
    // Ann makes Bob a member (concurrently; ground to sort before the confirm), then revokes.
    let demote = await signed(m.annLog, m.ann, {
      type: "setRole",
      user: m.bob.user.sign.publicKey,
      role: "member",
    });
    for (let t = Date.now() - 1; toHex(opId(demote)) > confirmId; t--) {
      demote = await signed(
        m.annLog,
        m.ann,
        { type: "setRole", user: m.bob.user.sign.publicKey, role: "member" },
        t,
      );
    }
    await m.annLog.add(demote);
    await annRevokes(m);
    const logs = await everywhere([m.annLog, m.bobLog]);
    for (const log of logs) {
      expect(log.verdict(confirmId)).toMatchObject({ code: "NOT_ALLOWED" });
      expect(log.state.members.has(m.joe.id)).toBe(false);
      expect(log.state.closedJoins.get(m.joinId)?.reason).toBe("INVITE_REVOKED");
    }
    // Closed, not waiting: Ann, who knows of the revoke, cannot let Joe in through it.
    await expect(
      m.annLog.author(m.ann.device.sign, confirmAction(m.annLog, m.joinId, m.joe, m.key)),
    ).rejects.toMatchObject({ code: "JOIN_UNKNOWN" });
  });
});
