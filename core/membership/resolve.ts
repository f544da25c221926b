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
 * and by not being before a revoke made after expiry.
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
import type { DeviceCertificate } from "../crypto/identity.js";
import type { Role } from "../space/access.js";
import { MembershipError, type MembershipErrorCode } from "./errors.js";
import type { Action, InviteMode, KeyBoxEntry, KeyShare, OpBody } from "./ops.js";

export interface VerifiedOp {
  /** Hex of the op's hash: its id. */
  id: string;
  body: OpBody;
  /** Hex of the device key that signed it. */
  signer: string;
}

export interface Member {
  user: string;
  name: string;
  role: Role;
  devices: Map<string, DeviceCertificate>;
}

export interface Invite {
  id: string;
  by: string;
  role: Role;
  mode: InviteMode;
  expiresAt: number;
  oneTime: boolean;
  inviteSign: string;
  inviteBox: string;
  channelKey: Uint8Array;
  /** A confirm let someone in by it (a one-time invite admits no one after). */
  used: boolean;
  /** Revoked by a manager, or its inviter left or was removed: no join counts any more. */
  revoked: boolean;
  /** Time of the first accepted revoke: after expiresAt, joins it beats are reported expired. */
  revokedAt?: number;
}

export interface PendingJoin {
  id: string;
  invite: string;
  cert: DeviceCertificate;
  name: string;
}

/** Why a join that once waited will not be let in: the joiner's app says so. */
export interface ClosedJoin {
  reason: "DECLINED" | "INVITE_USED" | "INVITE_REVOKED";
  /** The user (hex) whose op closed it: the decliner, the confirmer of the other joiner, the revoker. */
  by?: string;
}

export interface Epoch {
  /** The u32 envelopes name it by: 0 at creation, then from the rotating op's hash. */
  epoch: number;
  op: string;
  boxes: KeyBoxEntry[];
  /** Absent for the first epoch. */
  previous?: Uint8Array;
}

export interface MembershipState {
  members: Map<string, Member>;
  /** Device key (hex) to user key (hex), members' devices only. */
  devices: Map<string, string>;
  /**
   * Device key (hex) to user key (hex) for every device any op certified,
   * whatever became of the device or its user since: who wrote what, for
   * records signed before someone left.
   */
  certified: Map<string, string>;
  invites: Map<string, Invite>;
  pending: Map<string, PendingJoin>;
  /** Joins that waited and were closed without admission, by join id. */
  closedJoins: Map<string, ClosedJoin>;
  /** In order; the last is current. */
  epochs: Epoch[];
  /**
   * The current key is sealed to a device that is no longer a member's (a
   * leave, or a rotation that raced a removal): nothing may be written
   * under it until a member rotates.
   */
  rotationOwed: boolean;
  /** Every op's verdict: accepted ids, and refused ones with why. */
  accepted: Set<string>;
  rejected: Map<string, MembershipError>;
}

const RANK: Record<Role, number> = { owner: 3, manager: 2, member: 1, viewer: 0 };

export function resolveMembership(ops: VerifiedOp[]): MembershipState {
  const order = topologicalOrder(ops);
  const ancestors = ancestorSets(order);
  const latest = latestAncestorTimes(order);
  const users = deviceUsers(order);
  const beaten = new Map<string, MembershipError>();
  for (;;) {
    const state = replay(order, beaten, latest, users);
    const before = beaten.size;
    // Removals first, then revokes: the first mark an op gets is the one it keeps.
    for (const [id, err] of [
      ...beatenBy(order, ancestors, users, state),
      ...lateJoins(order, ancestors, state),
    ]) {
      if (!beaten.has(id)) beaten.set(id, err);
    }
    if (beaten.size === before) return state;
  }
}

/** Parents before children; among ops ready at once, the smaller hash first. */
function topologicalOrder(ops: VerifiedOp[]): VerifiedOp[] {
  const byId = new Map(ops.map((op) => [op.id, op]));
  const waiting = new Map<string, number>();
  const children = new Map<string, string[]>();
  for (const op of ops) {
    const parents = op.body.parents.map(toHex).filter((p) => byId.has(p));
    waiting.set(op.id, parents.length);
    for (const p of parents) children.set(p, [...(children.get(p) ?? []), op.id]);
  }
  const ready = ops.filter((op) => waiting.get(op.id) === 0).map((op) => op.id);
  const order: VerifiedOp[] = [];
  while (ready.length > 0) {
    ready.sort();
    const id = ready.shift()!;
    order.push(byId.get(id)!);
    for (const child of children.get(id) ?? []) {
      const left = waiting.get(child)! - 1;
      waiting.set(child, left);
      if (left === 0) ready.push(child);
    }
  }
  return order;
}

/** Every device any op certified, to its user: a removed user's ops still have an author. */
function deviceUsers(order: VerifiedOp[]): Map<string, string> {
  const users = new Map<string, string>();
  for (const { body } of order) {
    const a = body.action;
    if (a.type === "create" || a.type === "join" || a.type === "addDevice") {
      users.set(toHex(a.cert.deviceSign), toHex(a.cert.user));
    }
  }
  return users;
}

function ancestorSets(order: VerifiedOp[]): Map<string, Set<string>> {
  const sets = new Map<string, Set<string>>();
  for (const op of order) {
    const mine = new Set<string>();
    for (const p of op.body.parents.map(toHex)) {
      const theirs = sets.get(p);
      if (!theirs) continue;
      mine.add(p);
      for (const a of theirs) mine.add(a);
    }
    sets.set(op.id, mine);
  }
  return sets;
}

/** Per op, the latest time among the ops it descends from (0 for the create op). */
function latestAncestorTimes(order: VerifiedOp[]): Map<string, number> {
  const latest = new Map<string, number>();
  const time = new Map(order.map((op) => [op.id, op.body.time]));
  for (const op of order) {
    let max = 0;
    for (const p of op.body.parents.map(toHex)) {
      if (!time.has(p)) continue;
      max = Math.max(max, time.get(p)!, latest.get(p)!);
    }
    latest.set(op.id, max);
  }
  return latest;
}

/**
 * Joins on a revoked invite that are not before the revoke. Concurrent ones
 * lose whatever their hash, so a join that arrives once a revoke is known
 * is refused by everyone, in any order. Against a revoke made after the
 * invite's expiry (a manager's clock), the refusal says "expired".
 */
function lateJoins(
  order: VerifiedOp[],
  ancestors: Map<string, Set<string>>,
  state: MembershipState,
): [string, MembershipError][] {
  const revokes = new Map<string, VerifiedOp[]>();
  for (const op of order) {
    const a = op.body.action;
    if (a.type !== "revokeInvite" || !state.accepted.has(op.id)) continue;
    const invite = toHex(a.invite);
    revokes.set(invite, [...(revokes.get(invite) ?? []), op]);
  }
  const out: [string, MembershipError][] = [];
  for (const op of order) {
    const a = op.body.action;
    if (a.type !== "join") continue;
    const invite = state.invites.get(toHex(a.invite));
    const against = revokes.get(toHex(a.invite))?.find((r) => !ancestors.get(r.id)!.has(op.id));
    if (!invite || !against) continue;
    out.push([
      op.id,
      against.body.time > invite.expiresAt
        ? new MembershipError("INVITE_EXPIRED", "the invite had expired before this join was known")
        : new MembershipError(
            "INVITE_REVOKED",
            "the invite was revoked before this join was known",
          ),
    ]);
  }
  return out;
}

/** Ops by a user made concurrently with an accepted removal of that user. */
function beatenBy(
  order: VerifiedOp[],
  ancestors: Map<string, Set<string>>,
  users: Map<string, string>,
  state: MembershipState,
): [string, MembershipError][] {
  const removals = order.filter(
    (op) => op.body.action.type === "remove" && state.accepted.has(op.id),
  );
  const out: [string, MembershipError][] = [];
  for (const op of order) {
    const author = users.get(op.signer);
    for (const r of removals) {
      const action = r.body.action as Extract<Action, { type: "remove" }>;
      if (toHex(action.user) !== author || r.id === op.id) continue;
      const concurrent = !ancestors.get(r.id)!.has(op.id) && !ancestors.get(op.id)!.has(r.id);
      if (concurrent) {
        out.push([
          op.id,
          new MembershipError(
            "REMOVED_CONCURRENTLY",
            "its author was removed by an op made at the same time",
          ),
        ]);
      }
    }
  }
  return out;
}

function replay(
  order: VerifiedOp[],
  beaten: Map<string, MembershipError>,
  latest: Map<string, number>,
  certified: Map<string, string>,
): MembershipState {
  const state: MembershipState = {
    members: new Map(),
    devices: new Map(),
    certified,
    invites: new Map(),
    pending: new Map(),
    closedJoins: new Map(),
    epochs: [],
    rotationOwed: false,
    accepted: new Set(),
    rejected: new Map(),
  };
  for (const op of order) {
    try {
      const mark = beaten.get(op.id);
      if (mark) throw mark;
      apply(state, op, latest.get(op.id)!);
      state.accepted.add(op.id);
    } catch (err) {
      if (!(err instanceof MembershipError)) throw err;
      state.rejected.set(op.id, err);
    }
  }
  state.rotationOwed = departedHoldKey(state);
  return state;
}

/** Is the current key sealed to any device that is not a member's now? */
function departedHoldKey(state: MembershipState): boolean {
  const current = state.epochs[state.epochs.length - 1];
  if (!current) return false;
  const boxes = new Set<string>();
  for (const member of state.members.values()) {
    for (const cert of member.devices.values()) boxes.add(toHex(cert.deviceBox));
  }
  return current.boxes.some((b) => !boxes.has(toHex(b.recipient)));
}

function refuse(code: MembershipErrorCode, message: string): never {
  throw new MembershipError(code, message);
}

/** `latest`: the latest time among the op's ancestors. */
function apply(state: MembershipState, op: VerifiedOp, latest: number): void {
  const a = op.body.action;
  if (a.type === "create") {
    if (state.epochs.length > 0 || op.body.parents.length > 0) {
      refuse("DUPLICATE_CREATE", "the space already has a creation op");
    }
    addMember(state, a.cert, a.name, "owner");
    state.epochs.push({ epoch: 0, op: op.id, boxes: a.boxes });
    return;
  }
  if (state.epochs.length === 0) refuse("NOT_A_MEMBER", "no creation op precedes it");
  if (a.type === "join") return join(state, op, a, latest);

  const author = state.devices.get(op.signer);
  if (!author) refuse("NOT_A_MEMBER", "signed by a device that is not a member's");
  const role = state.members.get(author)!.role;
  const needs = (min: Role) => {
    if (RANK[role] < RANK[min]) refuse("NOT_ALLOWED", `${a.type} needs ${min}, author is ${role}`);
  };

  switch (a.type) {
    case "invite":
      needs("manager");
      if (RANK[a.role] > RANK[role]) refuse("NOT_ALLOWED", `a ${role} cannot invite a ${a.role}`);
      state.invites.set(op.id, {
        id: op.id,
        by: author,
        role: a.role,
        mode: a.mode,
        expiresAt: a.expiresAt,
        oneTime: a.oneTime,
        inviteSign: toHex(a.inviteSign),
        inviteBox: toHex(a.inviteBox),
        channelKey: a.channelKey,
        used: false,
        revoked: false,
      });
      return;
    case "confirm":
    case "decline": {
      needs("manager");
      const pending = state.pending.get(toHex(a.join));
      if (!pending) refuse("JOIN_UNKNOWN", "no pending join request with that id");
      if (a.type === "decline") {
        state.pending.delete(pending.id);
        state.closedJoins.set(pending.id, { reason: "DECLINED", by: author });
        return;
      }
      const invite = state.invites.get(pending.invite)!;
      if (invite.oneTime && invite.used) {
        refuse("INVITE_USED", "the one-time invite already let someone in");
      }
      if (state.members.has(toHex(pending.cert.user))) {
        refuse("ALREADY_MEMBER", "the joiner's user is a member already");
      }
      state.pending.delete(pending.id);
      addMember(state, pending.cert, pending.name, invite.role);
      share(state, a.share);
      invite.used = true;
      if (invite.oneTime) closeJoinsOn(state, invite.id, { reason: "INVITE_USED", by: author });
      return;
    }
    case "addDevice":
      if (toHex(a.cert.user) !== author) {
        refuse("NOT_ALLOWED", "a member adds devices of their own user only");
      }
      state.members.get(author)!.devices.set(toHex(a.cert.deviceSign), a.cert);
      state.devices.set(toHex(a.cert.deviceSign), author);
      share(state, a.share);
      return;
    case "remove": {
      // Anyone may leave (remove themselves); removing others takes a manager.
      const leaving = toHex(a.user) === author;
      if (!leaving) needs("manager");
      const target = state.members.get(toHex(a.user));
      if (!target) refuse("UNKNOWN_USER", "the user to remove is not a member");
      if (RANK[target.role] > RANK[role]) {
        refuse("NOT_ALLOWED", `a ${role} cannot remove a ${target.role}`);
      }
      state.members.delete(target.user);
      for (const d of target.devices.keys()) state.devices.delete(d);
      // Links the departed handed out let no one in after them.
      for (const invite of state.invites.values()) {
        if (invite.by !== target.user || invite.revoked) continue;
        invite.revoked = true;
        invite.revokedAt ??= op.body.time;
        closeJoinsOn(state, invite.id, { reason: "INVITE_REVOKED", by: author });
      }
      // A leaver's own rotation is ignored: the next key is chosen by someone who stays.
      if (!leaving) rotate(state, op, a.rotation.boxes, a.rotation.previous);
      return;
    }
    case "setRole": {
      needs("manager");
      const target = state.members.get(toHex(a.user));
      if (!target) refuse("UNKNOWN_USER", "the user is not a member");
      if (RANK[a.role] > RANK[role] || RANK[target.role] > RANK[role]) {
        refuse("NOT_ALLOWED", `a ${role} cannot make a ${target.role} a ${a.role}`);
      }
      target.role = a.role;
      return;
    }
    case "revokeInvite": {
      needs("manager");
      const invite = state.invites.get(toHex(a.invite));
      if (!invite) refuse("INVITE_UNKNOWN", "no such invite");
      invite.revoked = true;
      invite.revokedAt ??= op.body.time;
      closeJoinsOn(state, invite.id, { reason: "INVITE_REVOKED", by: author });
      return;
    }
    case "rotate":
      // A rotation owed to a departure is any member's to make: a leave may leave no manager.
      if (!departedHoldKey(state)) needs("manager");
      rotate(state, op, a.rotation.boxes, a.rotation.previous);
      return;
  }
}

function join(
  state: MembershipState,
  op: VerifiedOp,
  a: Extract<Action, { type: "join" }>,
  latest: number,
) {
  const invite = state.invites.get(toHex(a.invite));
  if (!invite) refuse("INVITE_UNKNOWN", "the invite is unknown in this space");
  if (invite.oneTime && invite.used) refuse("INVITE_USED", "the one-time invite was used already");
  if (invite.revoked) {
    if (invite.revokedAt! > invite.expiresAt) refuse("INVITE_EXPIRED", "the invite had expired");
    refuse("INVITE_REVOKED", "the invite was revoked");
  }
  if (op.body.time > invite.expiresAt) refuse("INVITE_EXPIRED", "the invite had expired");
  // The join's time is the joiner's to choose; the ops it names were made before it.
  if (latest > invite.expiresAt) {
    refuse("INVITE_EXPIRED", "the join names ops made after the invite expired");
  }
  if (op.signer !== toHex(a.cert.deviceSign)) {
    refuse("BAD_CERTIFICATE", "a join is signed by the joining device");
  }
  if (state.members.has(toHex(a.cert.user))) refuse("ALREADY_MEMBER", "the user is a member");
  // Waits for a manager's confirm whatever the mode: a join by itself admits no one, so no
  // second use of a link can displace whoever the first confirm let in.
  state.pending.set(op.id, { id: op.id, invite: invite.id, cert: a.cert, name: a.name });
}

/** Closes every join still waiting on an invite, saying why. */
function closeJoinsOn(state: MembershipState, inviteId: string, why: ClosedJoin): void {
  for (const [id, pending] of state.pending) {
    if (pending.invite !== inviteId) continue;
    state.pending.delete(id);
    state.closedJoins.set(id, why);
  }
}

function addMember(state: MembershipState, cert: DeviceCertificate, name: string, role: Role) {
  const user = toHex(cert.user);
  const device = toHex(cert.deviceSign);
  state.members.set(user, { user, name, role, devices: new Map([[device, cert]]) });
  state.devices.set(device, user);
}

/**
 * Key boxes handed to a newcomer (join, confirm, add device), added to the
 * epoch they name. A share naming no known epoch adds nothing.
 */
function share(state: MembershipState, keys: KeyShare): void {
  const epoch = state.epochs.find((e) => e.op === toHex(keys.epochOp));
  if (epoch && keys.boxes.length > 0) epoch.boxes = [...epoch.boxes, ...keys.boxes];
}

function rotate(
  state: MembershipState,
  op: VerifiedOp,
  boxes: KeyBoxEntry[],
  previous: Uint8Array,
) {
  state.epochs.push({ epoch: epochNumber(op.id, state), op: op.id, boxes, previous });
}

/**
 * A 31-bit number from the op hash, never 0 and never one already in use
 * (epochs with the high bit set are invite channels).
 */
function epochNumber(opId: string, state: MembershipState): number {
  let n = Number.parseInt(opId.slice(0, 8), 16) & 0x7fffffff || 1;
  while (state.epochs.some((e) => e.epoch === n)) n = (n % 0x7fffffff) + 1;
  return n;
}
