/**
 * The incremental resolver (core/membership/resolver.ts) against a full
 * replay (resolveMembership), over random op DAGs: three replicas author
 * ops on what each has seen (so ops are concurrent until gossip joins the
 * branches), by users who create, invite, join, confirm, decline, add
 * devices, remove each other and leave (concurrent removals, removals of
 * someone who rejoined), set roles, revoke invites and rotate keys; joins
 * are timed before and after their invite's expiry. The ops then arrive at
 * one resolver in DAG order, shuffled, or nearly in order, in batches of
 * random size (a child before its parent included), and after every batch
 * its state must equal a full replay of the ops it holds, to the order of
 * every map and every verdict's message.
 *
 * Ops here are unsigned (signatures and certificates are checked before
 * resolution, in membership-log.ts): the resolution is all that is tested.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../core/crypto/bytes.js";
import { hash32 } from "../core/crypto/hash.js";
import type { Action, KeyBoxEntry } from "../core/membership/ops.js";
import { replayAll, resolveMembership, type VerifiedOp } from "../core/membership/resolve.js";
import { MembershipResolver } from "../core/membership/resolver.js";
import type { Role } from "../core/space/access.js";
import { canonicalState } from "./membership-canon.js";
import { boxFor, bytes, cert } from "./membership-dag.js";

const RUNS = Number(process.env.GROVE_RESOLVER_RUNS ?? 300);
const USERS = 5;
const REPLICAS = 3;
const ROLES: Role[] = ["owner", "manager", "member", "viewer"];
const BASE = 1_000_000;

interface Step {
  kind: number;
  actor: number;
  device: number;
  target: number;
  pick: number;
  replica: number;
  flag: boolean;
}

const step: fc.Arbitrary<Step> = fc.record({
  kind: fc.nat(16),
  // The owner acts often, so invites, revokes and removals are often allowed.
  actor: fc.oneof(fc.constant(0), fc.nat(USERS - 1)),
  device: fc.nat(1),
  target: fc.nat(USERS - 1),
  pick: fc.nat(15),
  // Replica 0 authors most: long runs of ops that see everything before them.
  replica: fc.oneof(fc.constant(0), fc.nat(REPLICAS - 1)),
  flag: fc.boolean(),
});

/** Builds the ops of one schedule: each authored on a replica, naming that replica's heads. */
function buildOps(steps: Step[]): VerifiedOp[] {
  const ops: VerifiedOp[] = [];
  const known: Set<string>[] = Array.from({ length: REPLICAS }, () => new Set());
  const of = (type: Action["type"]) => ops.filter((o) => o.body.action.type === type);
  const epochOps = () =>
    ops.filter((o) => ["create", "remove", "rotate"].includes(o.body.action.type));
  const author = (
    s: Step,
    action: Action,
    signerUser: number,
    signerDevice: number,
    time: number,
  ) => {
    const seen = known[s.replica]!;
    const named = new Set<string>();
    for (const id of seen)
      for (const p of ops.find((o) => o.id === id)!.body.parents) named.add(toHex(p));
    const parents = action.type === "create" ? [] : [...seen].filter((id) => !named.has(id));
    const id = toHex(hash32(new TextEncoder().encode(`${ops.length}:${action.type}:${s.pick}`)));
    const op: VerifiedOp = {
      id,
      signer: toHex(cert(signerUser, signerDevice).deviceSign),
      body: { spaceId: new Uint8Array(16), parents: parents.map(fromHex), time, action },
    };
    ops.push(op);
    seen.add(id);
  };
  const someBoxes = (s: Step, salt: number) => {
    const out: KeyBoxEntry[] = [];
    for (let u = 0; u < USERS; u++) {
      for (let d = 0; d < 2; d++) {
        if (((s.pick + u + d) % 3 !== 0 || u === s.actor) && !(u === s.target && s.flag)) {
          out.push(boxFor(cert(u, d).deviceBox, salt + u * 2 + d));
        }
      }
    }
    return out;
  };
  const rotation = (s: Step, salt: number) => ({
    boxes: someBoxes(s, salt),
    previous: bytes(8, salt),
  });
  author(
    { ...steps[0]!, replica: 0 },
    { type: "create", cert: cert(0, 0), name: "U0", boxes: [boxFor(cert(0, 0).deviceBox, 1)] },
    0,
    0,
    BASE,
  );
  steps.forEach((s, i) => {
    const time = BASE + i * 100;
    const share = (recipient: Uint8Array) => {
      const epochs = epochOps();
      const epoch = epochs[s.pick % epochs.length]!;
      return { epochOp: fromHex(epoch.id), boxes: [boxFor(recipient, i)] };
    };
    const pickOf = <T>(xs: T[]) => (xs.length === 0 ? undefined : xs[s.pick % xs.length]);
    switch (s.kind) {
      case 0:
      case 1: {
        author(
          s,
          {
            type: "invite",
            inviteSign: bytes(4, i),
            inviteBox: bytes(5, i),
            role: ROLES[1 + (s.target % 3)]!,
            mode: s.flag ? "open" : "confirmed",
            expiresAt: time + 1_500,
            oneTime: s.pick % 2 === 0,
            channelKey: bytes(6, i),
          },
          s.actor,
          s.device,
          time,
        );
        return;
      }
      case 2:
      case 3: {
        const invite = pickOf(of("invite"));
        if (!invite) return;
        // Some joins are timed past the invite's expiry; some are signed by another device.
        const late = s.kind === 3 && s.flag;
        author(
          s,
          {
            type: "join",
            invite: fromHex(invite.id),
            cert: cert(s.target, 0),
            name: `U${s.target}`,
            proof: new Uint8Array(64),
            share: { epochOp: new Uint8Array(32), boxes: [] },
          },
          s.target,
          s.pick === 7 ? 1 : 0,
          late ? time + 2_000 : time,
        );
        return;
      }
      case 4:
      case 5: {
        const join = pickOf(of("join"));
        if (!join) return;
        const a = join.body.action as Extract<Action, { type: "join" }>;
        const action: Action =
          s.kind === 5 && s.flag
            ? { type: "decline", join: fromHex(join.id) }
            : { type: "confirm", join: fromHex(join.id), share: share(a.cert.deviceBox) };
        author(s, action, s.actor, s.device, time);
        return;
      }
      case 6:
        author(
          s,
          { type: "addDevice", cert: cert(s.actor, 1), share: share(cert(s.actor, 1).deviceBox) },
          s.actor,
          0,
          time,
        );
        return;
      case 7:
      case 8:
        author(
          s,
          { type: "remove", user: cert(s.target, 0).user, rotation: rotation(s, i * 16) },
          s.actor,
          s.device,
          time,
        );
        return;
      case 9:
        author(
          s,
          { type: "remove", user: cert(s.actor, 0).user, rotation: rotation(s, i * 16) },
          s.actor,
          s.device,
          time,
        );
        return;
      case 10:
        author(
          s,
          { type: "setRole", user: cert(s.target, 0).user, role: ROLES[s.pick % 4]! },
          s.actor,
          s.device,
          time,
        );
        return;
      case 11: {
        const invite = pickOf(of("invite"));
        if (!invite) return;
        author(s, { type: "revokeInvite", invite: fromHex(invite.id) }, s.actor, s.device, time);
        return;
      }
      case 12:
        author(s, { type: "rotate", rotation: rotation(s, i * 16) }, s.actor, s.device, time);
        return;
      case 13: {
        // Gossip: one replica learns what another knows (the branches join at its next op).
        const from = known[s.target % REPLICAS]!;
        for (const id of from) known[s.replica]!.add(id);
        return;
      }
      default:
        // A replica catches up on every op.
        for (const op of ops) known[s.replica]!.add(op.id);
    }
  });
  return ops;
}

/** How the ops arrive: in DAG order, shuffled, or in order with neighbours swapped. */
const arrival = fc.record({
  mode: fc.constantFrom("ordered", "shuffled", "swapped"),
  keys: fc.array(fc.nat(1_000), { minLength: 80, maxLength: 80 }),
  batches: fc.array(fc.integer({ min: 1, max: 4 }), { minLength: 80, maxLength: 80 }),
});

type Arrival = typeof arrival extends fc.Arbitrary<infer T> ? T : never;

function arrange(ops: VerifiedOp[], a: Arrival): VerifiedOp[] {
  const out = [...ops];
  if (a.mode === "shuffled") {
    const keyed = out.map((op, i) => [a.keys[i % a.keys.length]! * 100 + i, op] as const);
    keyed.sort((x, y) => x[0] - y[0]);
    return keyed.map(([, op]) => op);
  }
  if (a.mode === "swapped") {
    for (let i = 0; i + 1 < out.length; i++) {
      if (a.keys[i % a.keys.length]! % 5 === 0) [out[i], out[i + 1]] = [out[i + 1]!, out[i]!];
    }
  }
  return out;
}

const seen = { appended: 0, replays: 0, multiPass: 0, appendedAfterMultiPass: 0 };

describe("incremental membership resolution", () => {
  it(`${RUNS} random DAGs in random arrival orders: the state after each batch is the full replay's`, () => {
    fc.assert(
      fc.property(fc.array(step, { minLength: 10, maxLength: 60 }), arrival, (steps, a) => {
        const ops = buildOps(steps);
        const order = arrange(ops, a);
        const resolver = new MembershipResolver();
        const held: VerifiedOp[] = [];
        let at = 0;
        let batch = 0;
        let multiPass = false;
        while (at < order.length) {
          const size = a.batches[batch++ % a.batches.length]!;
          const next = order.slice(at, at + size);
          at += next.length;
          const appendedBefore = resolver.counts.appended;
          held.push(...next);
          const state = resolver.add(next);
          expect(canonicalState(state)).toEqual(canonicalState(resolveMembership(held)));
          if (multiPass && resolver.counts.appended > appendedBefore) seen.appendedAfterMultiPass++;
          multiPass = replayAll(held).states.length > 1;
          if (multiPass) seen.multiPass++;
        }
        seen.appended += resolver.counts.appended;
        seen.replays += resolver.counts.replays;
      }),
      { numRuns: RUNS },
    );
    // The schedules reach both paths, and ops appended onto a fixed point of several passes.
    expect(seen.appended).toBeGreaterThan(RUNS);
    expect(seen.replays).toBeGreaterThan(RUNS / 10);
    expect(seen.multiPass).toBeGreaterThan(0);
    expect(seen.appendedAfterMultiPass).toBeGreaterThan(0);
  }, 120_000);

  it("a chain of ops in order is appended, never replayed", () => {
    const ops = buildOps(
      Array.from({ length: 40 }, (_, i) => ({
        kind: [0, 2, 4, 6, 10][i % 5]!,
        actor: 0,
        device: 0,
        target: 1 + (i % 4),
        pick: i,
        replica: 0,
        flag: false,
      })),
    );
    const resolver = new MembershipResolver();
    for (const op of ops) resolver.add([op]);
    expect(resolver.counts.replays).toBe(0);
    expect(canonicalState(resolver.state)).toEqual(canonicalState(resolveMembership(ops)));
    expect(resolver.state.accepted.size).toBeGreaterThan(10);
  });

  it("a join that comes after a revoke a concurrent removal beat is judged in every pass, as a full replay does", () => {
    const id = (n: number) => n.toString(16).padStart(2, "0").padEnd(64, "0");
    const op = (n: number, parents: number[], user: number, time: number, action: Action) => ({
      id: id(n),
      signer: toHex(cert(user, 0).deviceSign),
      body: {
        spaceId: new Uint8Array(16),
        parents: parents.map((p) => fromHex(id(p))),
        time,
        action,
      },
    });
    const none = { epochOp: new Uint8Array(32), boxes: [] };
    const ops: VerifiedOp[] = [
      op(1, [], 0, BASE, { type: "create", cert: cert(0, 0), name: "U0", boxes: [] }),
      op(2, [1], 0, BASE, {
        type: "invite",
        inviteSign: bytes(4, 1),
        inviteBox: bytes(5, 1),
        role: "member",
        mode: "confirmed",
        expiresAt: BASE + 10_000,
        oneTime: false,
        channelKey: bytes(6, 1),
      }),
      op(3, [2], 1, BASE, {
        type: "join",
        invite: fromHex(id(2)),
        cert: cert(1, 0),
        name: "U1",
        proof: new Uint8Array(64),
        share: none,
      }),
      op(4, [3], 0, BASE, { type: "confirm", join: fromHex(id(3)), share: none }),
      op(5, [4], 0, BASE, { type: "setRole", user: cert(1, 0).user, role: "manager" }),
      // U1 revokes the invite while U0 removes U1: the revoke sorts first (smaller id), so the
      // first pass accepts it, and the second refuses it (a removal beats concurrent ops).
      op(6, [5], 1, BASE, { type: "revokeInvite", invite: fromHex(id(2)) }),
      op(7, [5], 0, BASE, {
        type: "remove",
        user: cert(1, 0).user,
        rotation: { boxes: [], previous: bytes(8, 1) },
      }),
      op(8, [6, 7], 2, BASE, {
        type: "join",
        invite: fromHex(id(2)),
        cert: cert(2, 0),
        name: "U2",
        proof: new Uint8Array(64),
        share: none,
      }),
    ];
    const resolver = new MembershipResolver();
    for (const o of ops) resolver.add([o]);
    expect(replayAll(ops.slice(0, 7)).states.length).toBeGreaterThan(1);
    expect(resolver.counts.appended).toBeGreaterThan(0);
    expect(resolver.state.rejected.get(id(6))?.code).toBe("REMOVED_CONCURRENTLY");
    expect(resolver.state.rejected.get(id(8))?.code).toBe("INVITE_REVOKED");
    expect(canonicalState(resolver.state)).toEqual(canonicalState(resolveMembership(ops)));
  });
});
