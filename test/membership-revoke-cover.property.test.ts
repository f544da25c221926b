/**
 * One link's story on three replicas out of touch (decision 174): people ask
 * through the link, managers (as each replica sees them) confirm, revoke the
 * link, demote or remove each other, and replicas gossip now and then, so
 * confirms and revokes are often concurrent. The ops then reach one
 * incremental resolver shuffled, in small batches, and after each batch its
 * state must be a full replay's. In the end:
 * - no accepted confirm of a join on the link descends from an accepted
 *   revoke of it (a confirm made once the revoke was known lets no one in);
 * - a member let in through the link whose join is not before an accepted
 *   revoke was let in by an accepted confirm concurrent with that revoke,
 *   on a link that needs a person's confirm (an open link's joins keep
 *   decision 31's rule).
 * The schedules must reach a join held by such a confirm, and a cover
 * withdrawn because the confirm was refused.
 *
 * GROVE_COVER_RUNS sets how many schedules run (300 in `npm test`).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../core/crypto/bytes.js";
import { OpGraph } from "../core/membership/op-graph.js";
import type { Action } from "../core/membership/ops.js";
import { replayAll, resolveMembership, type VerifiedOp } from "../core/membership/resolve.js";
import { MembershipResolver } from "../core/membership/resolver.js";
import { canonicalState } from "./membership-canon.js";
import { boxFor, bytes, cert, Replicas } from "./membership-dag.js";

const RUNS = Number(process.env.GROVE_COVER_RUNS ?? 300);
const BASE = 1_000_000;
const NONE = { epochOp: new Uint8Array(32), boxes: [] };

interface Step {
  kind: number;
  replica: number;
  pick: number;
  flag: boolean;
}

const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.nat(7),
  replica: fc.nat(2),
  pick: fc.nat(15),
  flag: fc.boolean(),
});

interface Story {
  ops: VerifiedOp[];
  link: string;
  mode: "open" | "confirmed";
}

/**
 * Ann (user 0) founds the space and makes users 1 and 2 managers, then
 * makes the link; every replica knows that much. The steps follow.
 */
function tell(steps: Step[], confirmed: boolean, expiresAfter: number): Story {
  const r = new Replicas(3);
  let time = BASE;
  const mode = confirmed ? "confirmed" : "open";
  r.author(0, { type: "create", cert: cert(0, 0), name: "Ann", boxes: [] }, 0, 0, time);
  const managers = r.author(0, invite(1, "open"), 0, 0, ++time);
  for (const u of [1, 2]) {
    const join = r.author(0, joinOn(managers, u), u, 0, ++time);
    r.author(0, { type: "confirm", join: fromHex(join), share: NONE }, 0, 0, ++time);
  }
  const link = r.author(0, invite(2, mode, BASE + expiresAfter), 0, 0, ++time);
  r.learn(1, 0);
  r.learn(2, 0);

  steps.forEach((s, i) => {
    time = BASE + 100 * (i + 1);
    const state = resolveMembership(r.heldBy(s.replica));
    const pickOf = <T>(xs: T[]) => (xs.length === 0 ? undefined : xs[s.pick % xs.length]);
    const managing = [...state.members.values()].filter(
      (m) => m.role === "owner" || m.role === "manager",
    );
    const manager = pickOf(managing);
    const by = manager && userNumber(manager.user);
    switch (s.kind) {
      case 0:
      case 1: {
        // Users 3 and 4 ask; some joins claim a time before the one they are made at.
        const u = 3 + (s.pick % 2);
        r.author(s.replica, joinOn(link, u), u, 0, s.flag ? BASE : time);
        return;
      }
      case 2:
      case 6: {
        // A manager confirms a waiting join, or (6) any join it holds: one its app would not
        // offer, such as a join the revoke it knows of closed.
        const joins =
          s.kind === 2
            ? [...state.pending.keys()]
            : r.heldBy(s.replica).flatMap((o) => (o.body.action.type === "join" ? [o.id] : []));
        const join = pickOf(joins);
        const joiner = r.ops.find((o) => o.id === join)?.body.action;
        if (join === undefined || joiner?.type !== "join" || by === undefined) return;
        const action: Action = {
          type: "confirm",
          join: fromHex(join),
          share: { epochOp: NONE.epochOp, boxes: [boxFor(joiner.cert.deviceBox, i)] },
        };
        r.author(s.replica, action, by, 0, time);
        return;
      }
      case 3:
        if (by === undefined) return;
        r.author(s.replica, { type: "revokeInvite", invite: fromHex(link) }, by, 0, time);
        return;
      case 4: {
        // A manager demotes or removes another (not Ann).
        const target = pickOf(
          managing.filter((m) => m.user !== manager?.user && m.role !== "owner"),
        );
        if (!target || by === undefined) return;
        const user = fromHex(target.user);
        const action: Action = s.flag
          ? { type: "setRole", user, role: "member" }
          : { type: "remove", user, rotation: { boxes: [], previous: bytes(8, i) } };
        r.author(s.replica, action, by, 0, time);
        return;
      }
      default:
        r.learn(s.replica, (s.replica + 1 + (s.pick % 2)) % 3);
    }
  });
  return { ops: r.ops, link, mode };
}

function invite(n: number, mode: "open" | "confirmed", expiresAt = BASE + 1_000_000): Action {
  return {
    type: "invite",
    inviteSign: bytes(4, n),
    inviteBox: bytes(5, n),
    role: n === 1 ? "manager" : "member",
    mode,
    expiresAt,
    oneTime: false,
    channelKey: bytes(6, n),
  };
}

function joinOn(invite: string, user: number): Action {
  return {
    type: "join",
    invite: fromHex(invite),
    cert: cert(user, 0),
    name: `U${user}`,
    proof: new Uint8Array(64),
    share: NONE,
  };
}

function userNumber(user: string): number | undefined {
  for (let u = 0; u < 5; u++) if (toHex(cert(u, 0).user) === user) return u;
  return undefined;
}

const seen = { covered: 0, withdrawn: 0 };

/** Checks the two rules on the final state; counts what the schedule reached. */
function checkRules({ ops, link, mode }: Story): void {
  const replay = replayAll(ops);
  const state = replay.states.at(-1)!.state;
  const graph = new OpGraph(ops);
  const byId = new Map(ops.map((o) => [o.id, o]));
  const revokes = ops.filter(
    (o) =>
      o.body.action.type === "revokeInvite" &&
      toHex(o.body.action.invite) === link &&
      state.accepted.has(o.id),
  );
  for (const c of ops) {
    const a = c.body.action;
    if (a.type !== "confirm") continue;
    const join = byId.get(toHex(a.join));
    const j = join?.body.action;
    if (!join || j?.type !== "join" || toHex(j.invite) !== link) continue;
    const accepted = state.accepted.has(c.id);
    for (const r of revokes) {
      if (accepted) expect(graph.isAncestor(r.id, c.id), "a confirm after the revoke").toBe(false);
      if (mode !== "confirmed" || !graph.concurrentWith(r.id, c.id)) continue;
      const member = state.members.has(toHex(j.cert.user));
      if (accepted && member && !graph.isAncestor(join.id, r.id)) seen.covered++;
      const code = state.rejected.get(c.id)?.code ?? "";
      if (!member && ["NOT_ALLOWED", "REMOVED_CONCURRENTLY", "NOT_A_MEMBER"].includes(code)) {
        seen.withdrawn++;
      }
    }
    if (!accepted || !state.members.has(toHex(j.cert.user))) continue;
    for (const r of revokes) {
      if (graph.isAncestor(join.id, r.id)) continue;
      expect(mode, "an open link's join past a revoke").toBe("confirmed");
      expect(graph.concurrentWith(r.id, c.id), "let in past a revoke").toBe(true);
    }
  }
}

describe("a confirm concurrent with a revoke of its link", () => {
  it(`${RUNS} stories on replicas out of touch: the resolver agrees with a full replay, and only concurrent confirms hold`, () => {
    fc.assert(
      fc.property(
        fc.array(step, { minLength: 5, maxLength: 30 }),
        fc.boolean(),
        fc.constantFrom(1_000_000, 1_500),
        fc.array(fc.nat(1_000), { minLength: 40, maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 3 }), { minLength: 40, maxLength: 40 }),
        (steps, confirmed, expiresAfter, keys, batches) => {
          const story = tell(steps, confirmed, expiresAfter);
          // Arrival: shuffled (children before parents too), in small batches.
          const order = story.ops
            .map((op, i) => [keys[i % keys.length]! * 100 + i, op] as const)
            .sort((x, y) => x[0] - y[0])
            .map(([, op]) => op);
          const resolver = new MembershipResolver();
          for (let at = 0, b = 0; at < order.length; b++) {
            const next = order.slice(at, at + batches[b % batches.length]!);
            at += next.length;
            const state = resolver.add(next);
            const held = order.slice(0, at);
            expect(canonicalState(state)).toEqual(canonicalState(resolveMembership(held)));
          }
          checkRules(story);
        },
      ),
      { numRuns: RUNS },
    );
    expect(seen.covered).toBeGreaterThan(0);
    expect(seen.withdrawn).toBeGreaterThan(0);
  }, 120_000);
});
