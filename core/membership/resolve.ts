/**
 * Who is in a space, computed from its membership ops. Pure: the same set of
 * ops gives the same state on every device, whatever order they arrived in.
 *
 * Ops are taken in one deterministic topological order (parents first, ties
 * by op hash), each judged against the state built so far. One rule reaches
 * across that order: a removal beats every op its target made concurrently
 * (neither before nor after it in the DAG), so "A removes C" while "C adds
 * D" leaves D out, wherever the two land in the order. Such ops are marked
 * beaten and the order is replayed; beaten marks only accumulate, so this
 * ends, and an op beaten once stays refused (fail closed).
 *
 * Revocation reaches across the order the same way: a join on an invite
 * counts only if it is before (an ancestor of) an accepted revoke of that
 * invite, since the order among concurrent ops is a hash the joiner can
 * grind. Managers revoke invites that expired (invite-expiry.ts), and a
 * join's own time is the joiner's word: so a join is judged expired by its
 * time, by the times of the ops it descends from (it cannot predate them),
 * and by not being before a revoke made after expiry. One exception
 * (revoke-cover.ts, decision 174): on a link that needs a person's
 * confirm, a join that a manager confirmed without having seen the revoke
 * (the confirm concurrent with it, and accepted where it falls) stands
 * against that revoke; the revoke neither closes nor refuses it.
 *
 * Admission (decision 51): a join only asks. Every join waits, pending,
 * until a manager confirms it (open invites are confirmed by a manager's
 * device without asking a human), and a one-time invite is used by its
 * first accepted confirm, not by a join: a second join, however it sorts
 * against the first, can neither displace the admitted member nor get in.
 * Keys are never sealed to invites; a confirm seals the current key to the
 * joiner's device. A leave rotates nothing (the leaver must not choose the
 * next key): it leaves a rotation owed, which any remaining member may
 * author and every writer authors before writing again.
 *
 * Signatures, certificates and invite proofs are checked before an op gets
 * here (membership-log.ts); this module judges authority only.
 */
import { toHex } from "../crypto/bytes.js";
import { MembershipError } from "./errors.js";
import { finish, newWorking, type Working } from "./judge.js";
import type { MembershipState, VerifiedOp } from "./membership-state.js";
import { OpGraph } from "./op-graph.js";
import type { Action } from "./ops.js";
import { RevokeCover } from "./revoke-cover.js";

export type {
  ClosedJoin,
  Epoch,
  Invite,
  Member,
  MembershipState,
  PendingJoin,
  VerifiedOp,
} from "./membership-state.js";

import { judge } from "./judge.js";

/** Resolves a set of ops from scratch. */
export function resolveMembership(ops: VerifiedOp[]): MembershipState {
  return lastPass(replayAll(ops)).state;
}

/**
 * A full replay, with what an op added after all of these needs to be
 * judged the same way (resolver.ts): the state after each pass of the
 * fixed point, the last being the answer.
 */
export interface Replay {
  states: Working[];
  /** Per op, the latest time among its ancestors. */
  latest: Map<string, number>;
  /** Every device any op certified, to its user. */
  certified: Map<string, string>;
}

/** The fixed point's state: the last pass of a replay (there is always one). */
export function lastPass(replay: Replay): Working {
  const last = replay.states.at(-1);
  if (!last) throw new Error("a replay without a pass");
  return last;
}

export function replayAll(ops: VerifiedOp[]): Replay {
  const graph = new OpGraph(ops);
  const latest = graph.latestTimes();
  const certified = deviceUsers(graph.order);
  const byAuthor = opsByAuthor(graph.order, certified);
  const cover = new RevokeCover(graph);
  const beaten = new Map<string, MembershipError>();
  /** Joins let through a revoke by a confirm that was then refused: covered no more. */
  const uncovered = new Set<string>();
  const states: Working[] = [];
  for (;;) {
    // Each pass keeps its own view: the resolver judges appended ops in every pass's state.
    const withdrawn = new Set(uncovered);
    const covered = (join: string, revoke: string) =>
      !withdrawn.has(join) && cover.covers(join, revoke);
    const w = replay(graph.order, beaten, latest, certified, covered);
    states.push(w);
    const before = beaten.size + uncovered.size;
    const late = revokedJoins(graph, w, cover, withdrawn);
    // Removals first, then revokes: the first mark an op gets is the one it keeps.
    for (const [id, err] of [...beatenBy(graph, byAuthor, w.state), ...late.marks]) {
      if (!beaten.has(id)) beaten.set(id, err);
    }
    for (const id of late.uncovered) uncovered.add(id);
    if (beaten.size + uncovered.size === before) return { states, latest, certified };
  }
}

/** Every device any op certified, to its user: a removed user's ops still have an author. */
function deviceUsers(order: VerifiedOp[]): Map<string, string> {
  const users = new Map<string, string>();
  for (const { body } of order) certify(users, body.action);
  return users;
}

/** Records the device an op certifies, if it certifies one. */
export function certify(users: Map<string, string>, a: Action): void {
  if (a.type === "create" || a.type === "join" || a.type === "addDevice") {
    users.set(toHex(a.cert.deviceSign), toHex(a.cert.user));
  }
}

/** User (hex) -> the ops signed by any device certified for them, in order. */
function opsByAuthor(order: VerifiedOp[], users: Map<string, string>): Map<string, VerifiedOp[]> {
  const out = new Map<string, VerifiedOp[]>();
  for (const op of order) {
    const author = users.get(op.signer);
    if (author === undefined) continue;
    const list = out.get(author);
    if (list) list.push(op);
    else out.set(author, [op]);
  }
  return out;
}

/**
 * Joins on a revoked invite, once a pass is done. `marks`: those not before
 * a revoke, unless an accepted confirm made concurrently with it covers them
 * (revoke-cover.ts). Concurrent ones lose whatever their hash, so a join
 * that arrives once a revoke is known is refused by everyone, in any order.
 * Against a revoke made after the invite's expiry (a manager's clock), the
 * refusal says "expired". `uncovered`: joins this pass let through a revoke
 * for a confirm that was then refused (its author no manager there, or
 * beaten): the revoke closes them in the next pass.
 */
function revokedJoins(
  graph: OpGraph,
  w: Working,
  cover: RevokeCover,
  withdrawn: ReadonlySet<string>,
): { marks: [string, MembershipError][]; uncovered: string[] } {
  const marks: [string, MembershipError][] = [];
  const uncovered: string[] = [];
  if (w.revokes.size === 0) return { marks, uncovered };
  const accepted = w.state.accepted;
  for (const op of graph.order) {
    const a = op.body.action;
    if (a.type !== "join") continue;
    const revokes = w.revokes.get(toHex(a.invite));
    if (!revokes) continue;
    const holds = (r: VerifiedOp) => cover.covers(op.id, r.id, accepted);
    if (!withdrawn.has(op.id) && revokes.some((r) => cover.covers(op.id, r.id) && !holds(r))) {
      uncovered.push(op.id);
    }
    const against = revokes.find((r) => !graph.isAncestor(op.id, r.id) && !holds(r));
    const mark = against && lateMark(w, op, against);
    if (mark) marks.push([op.id, mark]);
  }
  return { marks, uncovered };
}

/** The refusal a join gets from a revoke it is not before, if its invite is known. */
export function lateMark(
  w: Working,
  join: VerifiedOp,
  against: VerifiedOp,
): MembershipError | undefined {
  const a = join.body.action as Extract<Action, { type: "join" }>;
  const invite = w.state.invites.get(toHex(a.invite));
  if (!invite) return undefined;
  return against.body.time > invite.expiresAt
    ? new MembershipError("INVITE_EXPIRED", "the invite had expired before this join was known")
    : new MembershipError("INVITE_REVOKED", "the invite was revoked before this join was known");
}

/** Ops by a user made concurrently with an accepted removal of that user. */
function beatenBy(
  graph: OpGraph,
  byAuthor: Map<string, VerifiedOp[]>,
  state: MembershipState,
): [string, MembershipError][] {
  const out: [string, MembershipError][] = [];
  for (const r of graph.order) {
    const action = r.body.action;
    if (action.type !== "remove" || !state.accepted.has(r.id)) continue;
    for (const op of byAuthor.get(toHex(action.user)) ?? []) {
      if (!graph.concurrentWith(r.id, op.id)) continue;
      out.push([
        op.id,
        new MembershipError(
          "REMOVED_CONCURRENTLY",
          "its author was removed by an op made at the same time",
        ),
      ]);
    }
  }
  return out;
}

function replay(
  order: VerifiedOp[],
  beaten: Map<string, MembershipError>,
  latest: Map<string, number>,
  certified: Map<string, string>,
  covered: Working["covered"],
): Working {
  const w = newWorking(certified, covered);
  for (const op of order) judge(w, op, latest.get(op.id) ?? 0, beaten.get(op.id));
  finish(w);
  return w;
}
