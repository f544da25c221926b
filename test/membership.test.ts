/**
 * The membership log on its own: roles, invites (open and confirmed),
 * removal with key rotation, concurrent ops resolved the same way on every
 * device (including 30 seeded random schedules), and every kind of bad op
 * refused with its own error code. Real signatures and key boxes throughout.
 */
import fc from "fast-check";
import nacl from "tweetnacl";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../core/crypto/bytes.js";
import { reachableKeys, sealToAll } from "../core/membership/epoch-keys.js";
import type { MembershipLog } from "../core/membership/membership-log.js";
import { decodeOpBody, decodeSignedOp } from "../core/membership/ops.js";
import type { Role } from "../core/space/access.js";
import { seededRandom } from "./faulty-socket.js";
import {
  codeOf,
  confirmAction,
  HOUR,
  invite,
  join,
  joinOp,
  opId,
  person,
  replica,
  rotation,
  signed,
  space,
  sync,
} from "./membership-replicas.js";
import { expectOnlyDecodeErrors, hostileBytes } from "./mutate.js";

describe("membership log", () => {
  it("an open invite's join waits until a manager's device confirms it, then has the invite's role", async () => {
    const [a, b] = await Promise.all([person("Ann"), person("Bob")]);
    const { log, key } = await space(a);
    const inv = await invite(log, a, { role: "member" });
    const result = await log.add(await joinOp(log, b, inv, Date.now()));
    expect(result.status).toBe("accepted");
    expect(log.state.members.has(b.id)).toBe(false);
    expect(log.state.pending.has((result as { id: string }).id)).toBe(true);
    await log.author(a.device.sign, confirmAction(log, (result as { id: string }).id, b, key));
    expect(log.state.members.get(b.id)?.role).toBe("member");
    expect(log.state.devices.get(toHex(b.device.sign.publicKey))).toBe(b.id);
    expect(reachableKeys(log.state.epochs, b.device.box).get(0)).toEqual(key);
  });

  it("a confirmed invite keeps the joiner out until a manager confirms", async () => {
    const [a, b] = await Promise.all([person("Ann"), person("Bob")]);
    const { log, key } = await space(a);
    const inv = await invite(log, a, { mode: "confirmed" });
    const joined = await join(log, b, inv);
    expect(joined.status).toBe("accepted");
    expect(log.state.members.has(b.id)).toBe(false);
    const [pending] = [...log.state.pending.values()];
    expect(pending?.name).toBe("Bob");
    await log.author(a.device.sign, {
      type: "confirm",
      join: opId(log.encodedOps().at(-1)!),
      share: {
        epochOp: fromHex(log.state.epochs[0]!.op),
        boxes: sealToAll(key, [b.device.box.publicKey]),
      },
    });
    expect(log.state.members.get(b.id)?.role).toBe("member");
    expect(reachableKeys(log.state.epochs, b.device.box).get(0)).toEqual(key);
  });

  it("removal rotates the key: the removed member reaches none after it, the others all", async () => {
    const [a, b, c] = await Promise.all([person("Ann"), person("Bob"), person("Cy")]);
    const { log, key } = await space(a);
    for (const p of [b, c]) await join(log, p, await invite(log, a, { key }));
    const { next, rotation: r } = rotation(key, [a.device.box.publicKey, b.device.box.publicKey]);
    await log.author(a.device.sign, { type: "remove", user: c.user.sign.publicKey, rotation: r });
    expect(log.state.members.has(c.id)).toBe(false);
    // Cy's device is no member's now, yet what it wrote before stays Cy's.
    expect(log.state.devices.has(toHex(c.device.sign.publicKey))).toBe(false);
    expect(log.state.certified.get(toHex(c.device.sign.publicKey))).toBe(c.id);
    const [first, second] = log.state.epochs;
    // Cy joined by an invite whose key box was for epoch 0; the rotation is not sealed to Cy.
    const bobKeys = reachableKeys(log.state.epochs, b.device.box);
    const cyKeys = reachableKeys(
      [{ ...first!, boxes: sealToAll(key, [c.device.box.publicKey]) }, second!],
      c.device.box,
    );
    expect(bobKeys.get(second!.epoch)).toEqual(next);
    expect(bobKeys.get(0)).toEqual(key);
    expect(cyKeys.get(0)).toEqual(key);
    expect(cyKeys.has(second!.epoch)).toBe(false);
  });

  it("any member may leave (remove themselves); removing someone else takes a manager", async () => {
    const [a, b, c] = await Promise.all([person("Ann"), person("Bob"), person("Cy")]);
    const { log, key } = await space(a);
    for (const p of [b, c]) await join(log, p, await invite(log, a, { key }));
    const bobRemovesCy = await signed(log, b, {
      type: "remove",
      user: c.user.sign.publicKey,
      rotation: rotation(key, [a.device.box.publicKey, b.device.box.publicKey]).rotation,
    });
    expect(await codeOf(log.add(bobRemovesCy))).toBe("NOT_ALLOWED");
    // The leaver seals a key of its own choosing, as an old client did: it is ignored.
    const chosenByBob = rotation(key, [a.device.box.publicKey, c.device.box.publicKey]).rotation;
    await log.author(b.device.sign, {
      type: "remove",
      user: b.user.sign.publicKey,
      rotation: chosenByBob,
    });
    expect(log.state.members.has(b.id)).toBe(false);
    expect(log.state.members.has(c.id)).toBe(true);
    // Bob still holds the current key, so a rotation is owed, and a plain member may make it.
    expect(log.state.epochs).toHaveLength(1);
    expect(log.state.rotationOwed).toBe(true);
    const { next, rotation: byCy } = rotation(key, [
      a.device.box.publicKey,
      c.device.box.publicKey,
    ]);
    expect(await codeOf(log.add(await signed(log, c, { type: "rotate", rotation: byCy })))).toBe(
      "accepted",
    );
    expect(log.state.rotationOwed).toBe(false);
    const newest = log.state.epochs[log.state.epochs.length - 1]!;
    expect(reachableKeys(log.state.epochs, b.device.box).has(newest.epoch)).toBe(false);
    expect(reachableKeys(log.state.epochs, c.device.box).get(newest.epoch)).toEqual(next);
    // Once nothing is owed, rotating takes a manager again.
    const again = await signed(log, c, { type: "rotate", rotation: rotation(next, []).rotation });
    expect(await codeOf(log.add(again))).toBe("NOT_ALLOWED");
  });

  it("A removes C while C adds D: D stays out on every device, whatever arrives first", async () => {
    const [a, c, d] = await Promise.all([person("Ann"), person("Cy"), person("Dee")]);
    const { log: logA, key } = await space(a);
    await join(logA, c, await invite(logA, a, { role: "manager" }));
    const logC = replica(logA);
    await sync(logA, logC);
    // Concurrently: C invites D and D joins on C's replica; A removes C on A's.
    const inv = await invite(logC, c);
    await join(logC, d, inv);
    const { rotation: r } = rotation(key, [a.device.box.publicKey]);
    await logA.author(a.device.sign, { type: "remove", user: c.user.sign.publicKey, rotation: r });
    const third = replica(logA);
    await sync(logC, third);
    await sync(logA, third);
    await sync(logC, logA);
    await sync(logA, logC);
    for (const log of [logA, logC, third]) {
      expect([...log.state.members.keys()].sort()).toEqual([a.id]);
      expect(log.state.rejected.get(toHex(inv.id))?.code).toBe("REMOVED_CONCURRENTLY");
    }
  });

  it("a backdated join made after expiry loses to the manager's revoke, in any order", async () => {
    const [a, b, m] = await Promise.all([person("Ann"), person("Bob"), person("Mal")]);
    const { log } = await space(a);
    const expiresAt = Date.now() + HOUR;
    const inv = await invite(log, a, { expiresAt, oneTime: false });
    // Bob joins before expiry; Ann's device, past expiry by its clock, revokes the invite.
    const honest = await join(log, b, inv, expiresAt - 60_000);
    const beforeRevoke = replica(log);
    await sync(log, beforeRevoke);
    const revoke = await signed(
      log,
      a,
      { type: "revokeInvite", invite: inv.id },
      expiresAt + 5_000,
    );
    await log.add(revoke);
    // Mal joins later, on what was known before the revoke, with a time before expiry, ground
    // until the join sorts before the revoke (ties go to the smaller hash).
    let lateOp = await joinOp(beforeRevoke, m, inv, expiresAt - 1);
    for (let t = expiresAt - 2; toHex(opId(lateOp)) > toHex(opId(revoke)); t--) {
      lateOp = await joinOp(beforeRevoke, m, inv, t);
    }
    const late = await beforeRevoke.add(lateOp);
    expect(late.status).toBe("accepted");
    const reversed = replica(log);
    for (const op of beforeRevoke.encodedOps().reverse()) await reversed.add(op);
    await sync(log, reversed);
    await sync(beforeRevoke, log);
    await sync(log, beforeRevoke);
    for (const replicaLog of [log, beforeRevoke, reversed]) {
      expect(replicaLog.verdict(toHex(opId(lateOp)))).toMatchObject({
        code: "INVITE_EXPIRED",
      });
      expect(replicaLog.verdict((honest as { id: string }).id)).toBe("accepted");
      expect([...replicaLog.state.members.keys()].sort()).toEqual([a.id, b.id].sort());
    }
  });

  it("a join is expired when it names ops made after expiry; a pre-expiry revoke says revoked", async () => {
    const [a, b, c] = await Promise.all([person("Ann"), person("Bob"), person("Cy")]);
    const { log } = await space(a);
    const expiresAt = Date.now() + HOUR;
    const inv = await invite(log, a, { expiresAt, oneTime: false });
    await log.add(
      await signed(
        log,
        a,
        { type: "setRole", user: a.user.sign.publicKey, role: "owner" },
        expiresAt + 1,
      ),
    );
    // Its own time says before expiry, but it cannot predate the op it names.
    expect(await codeOf(join(log, b, inv, expiresAt - 1))).toBe("INVITE_EXPIRED");

    const other = await invite(log, a, { oneTime: false });
    const early = replica(log);
    await sync(log, early);
    await log.author(a.device.sign, { type: "revokeInvite", invite: other.id });
    const concurrent = await join(early, c, other);
    await sync(early, log);
    expect(log.verdict((concurrent as { id: string }).id)).toMatchObject({
      code: "INVITE_REVOKED",
    });
    expect(log.state.members.has(c.id)).toBe(false);
  });

  it("refuses each bad op with its own code", async () => {
    const [a, b, v, x] = await Promise.all([
      person("Ann"),
      person("Bob"),
      person("Vi"),
      person("Xan"),
    ]);
    const { log, key } = await space(a);
    await join(log, v, await invite(log, a, { role: "viewer" }));

    const forged = (
      await signed(log, a, { type: "setRole", user: v.user.sign.publicKey, role: "member" })
    ).slice();
    forged[forged.length - 1]! ^= 1;
    expect(await codeOf(log.add(forged))).toBe("BAD_SIGNATURE");

    const byViewer = await signed(log, v, {
      type: "revokeInvite",
      invite: new Uint8Array(32),
    });
    expect(await codeOf(log.add(byViewer))).toBe("NOT_ALLOWED");

    const byStranger = await signed(log, x, {
      type: "rotate",
      rotation: rotation(key, []).rotation,
    });
    expect(await codeOf(log.add(byStranger))).toBe("NOT_A_MEMBER");

    const expired = await invite(log, a, { expiresAt: 1000 });
    expect(await codeOf(join(log, b, expired))).toBe("INVITE_EXPIRED");

    const revoked = await invite(log, a);
    await log.author(a.device.sign, { type: "revokeInvite", invite: revoked.id });
    expect(await codeOf(join(log, b, revoked))).toBe("INVITE_REVOKED");

    const once = await invite(log, a);
    expect((await join(log, b, once)).status).toBe("accepted");
    expect(log.state.members.has(b.id)).toBe(true);
    expect(await codeOf(join(log, x, once))).toBe("INVITE_USED");

    const wrongKey = await invite(log, a);
    expect(await codeOf(join(log, x, { ...wrongKey, sign: nacl.sign.keyPair() }))).toBe(
      "BAD_INVITE_PROOF",
    );

    const otherSpace = await space(a);
    const elsewhere = await signed(otherSpace.log, a, {
      type: "rotate",
      rotation: rotation(key, []).rotation,
    });
    expect(await codeOf(log.add(elsewhere))).toBe("WRONG_SPACE");
  });

  it("30 seeded random schedules of ops and partial syncs converge to one membership", async () => {
    for (let seed = 1; seed <= 30; seed++) {
      try {
        await randomSchedule(seed);
      } catch (err) {
        throw new Error(`schedule seed ${seed}: ${(err as Error).message}`, { cause: err });
      }
    }
  });

  it("op decoders take arbitrary and mutated bytes with DecodeError only", async () => {
    const [a] = await Promise.all([person("Ann")]);
    const { log } = await space(a);
    const valid = log.encodedOps()[0]!;
    const input = hostileBytes([valid]);
    fc.assert(
      fc.property(input, (bytes) => {
        expectOnlyDecodeErrors(() => decodeSignedOp(bytes));
        expectOnlyDecodeErrors(() => decodeOpBody(bytes));
      }),
      { numRuns: 3000 },
    );
    // And the log itself turns them into rejections, never throws.
    await fc.assert(
      fc.asyncProperty(input, async (bytes) => {
        const result = await replica(log).add(bytes);
        expect(["rejected", "waiting", "accepted"]).toContain(result.status);
      }),
      { numRuns: 300 },
    );
  });
});

/**
 * Four people, each with a replica. Steps: someone with a replica authors a
 * random op (invite, join, role change, removal, rotation, revoke) on it, or
 * two replicas sync one way. At the end all sync fully and must agree.
 */
async function randomSchedule(seed: number) {
  const random = seededRandom(seed);
  const pick = <T>(xs: T[]): T => xs[Math.floor(random() * xs.length)]!;
  const people = await Promise.all(["Ann", "Bob", "Cy", "Dee", "Eve"].map(person));
  const { log, key } = await space(people[0]!);
  const replicas = new Map<string, MembershipLog>([[people[0]!.id, log]]);
  const invites: { id: Uint8Array; sign: nacl.SignKeyPair }[] = [];
  for (let step = 0; step < 25; step++) {
    const [holder, r] = pick([...replicas.entries()]);
    const me = people.find((p) => p.id === holder)!;
    const choice = random();
    if (choice < 0.3) {
      const [other] = pick([...replicas.entries()]);
      await sync(r, replicas.get(other)!);
      continue;
    }
    if (choice < 0.45) {
      invites.push(
        await invite(r, me, { role: pick(["manager", "member", "viewer"]) }).catch(
          () => undefined as never,
        ),
      );
      continue;
    }
    if (choice < 0.6 && invites.length > 0) {
      const outsider = pick(people.filter((p) => !replicas.has(p.id)).concat(people));
      const inv = pick(invites.filter(Boolean));
      if (inv) {
        const target = replicas.get(outsider.id) ?? r;
        await join(target, outsider, inv);
        if (!replicas.has(outsider.id)) {
          const mine = replica(r);
          await sync(target, mine);
          replicas.set(outsider.id, mine);
        }
      }
      continue;
    }
    const victim = pick(people);
    const action =
      choice < 0.75
        ? {
            type: "setRole" as const,
            user: victim.user.sign.publicKey,
            role: pick(["manager", "member", "viewer"] as Role[]),
          }
        : choice < 0.9
          ? {
              type: "remove" as const,
              user: victim.user.sign.publicKey,
              rotation: rotation(key, []).rotation,
            }
          : { type: "rotate" as const, rotation: rotation(key, []).rotation };
    // Ops the author may not make are refused locally and go nowhere, as in the app.
    await r.author(me.device.sign, action).catch(() => {});
  }
  const all = [...replicas.values()];
  // Gossip until nothing moves: an op waiting on a parent at one replica spreads once it is held.
  const held = () => all.map((l) => l.encodedOps().length).join();
  for (let before = ""; before !== held(); ) {
    before = held();
    for (const from of all) for (const to of all) await sync(from, to);
  }
  const summary = (l: MembershipLog) =>
    JSON.stringify({
      members: [...l.state.members.values()].map((m) => [m.user, m.role]).sort(),
      epochs: l.state.epochs.map((e) => e.epoch),
      accepted: [...l.state.accepted].sort(),
      rejected: [...l.state.rejected.entries()].map(([id, e]) => [id, e.code]).sort(),
      pending: [...l.state.pending.keys()].sort(),
    });
  const first = summary(all[0]!);
  for (const l of all) expect(summary(l)).toBe(first);
  expect(all[0]!.encodedOps().length).toBeGreaterThan(1);
}
