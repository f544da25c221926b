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
  used: boolean;
  revoked: boolean;
}

export interface PendingJoin {
  id: string;
  invite: string;
  cert: DeviceCertificate;
  name: string;
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
  invites: Map<string, Invite>;
  pending: Map<string, PendingJoin>;
  /** In order; the last is current. */
  epochs: Epoch[];
  /** Every op's verdict: accepted ids, and refused ones with why. */
  accepted: Set<string>;
  rejected: Map<string, MembershipError>;
}

const RANK: Record<Role, number> = { owner: 3, manager: 2, member: 1, viewer: 0 };

export function resolveMembership(ops: VerifiedOp[]): MembershipState {
  const order = topologicalOrder(ops);
  const ancestors = ancestorSets(order);
  const users = deviceUsers(order);
  const beaten = new Set<string>();
  for (;;) {
    const state = replay(order, beaten);
    const more = beatenBy(order, ancestors, users, state);
    const before = beaten.size;
    for (const id of more) beaten.add(id);
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

/** Ops by a user made concurrently with an accepted removal of that user. */
function beatenBy(
  order: VerifiedOp[],
  ancestors: Map<string, Set<string>>,
  users: Map<string, string>,
  state: MembershipState,
): string[] {
  const removals = order.filter(
    (op) => op.body.action.type === "remove" && state.accepted.has(op.id),
  );
  const out: string[] = [];
  for (const op of order) {
    const author = users.get(op.signer);
    for (const r of removals) {
      const action = r.body.action as Extract<Action, { type: "remove" }>;
      if (toHex(action.user) !== author || r.id === op.id) continue;
      const concurrent = !ancestors.get(r.id)!.has(op.id) && !ancestors.get(op.id)!.has(r.id);
      if (concurrent) out.push(op.id);
    }
  }
  return out;
}

function replay(order: VerifiedOp[], beaten: Set<string>): MembershipState {
  const state: MembershipState = {
    members: new Map(),
    devices: new Map(),
    invites: new Map(),
    pending: new Map(),
    epochs: [],
    accepted: new Set(),
    rejected: new Map(),
  };
  for (const op of order) {
    try {
      if (beaten.has(op.id)) {
        throw new MembershipError(
          "REMOVED_CONCURRENTLY",
          "its author was removed by an op made at the same time",
        );
      }
      apply(state, op);
      state.accepted.add(op.id);
    } catch (err) {
      if (!(err instanceof MembershipError)) throw err;
      state.rejected.set(op.id, err);
    }
  }
  return state;
}

function refuse(code: MembershipErrorCode, message: string): never {
  throw new MembershipError(code, message);
}

function apply(state: MembershipState, op: VerifiedOp): void {
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
  if (a.type === "join") return join(state, op, a);

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
      state.pending.delete(pending.id);
      if (a.type === "confirm") {
        addMember(state, pending.cert, pending.name, state.invites.get(pending.invite)!.role);
        share(state, a.share);
      }
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
      needs("manager");
      const target = state.members.get(toHex(a.user));
      if (!target) refuse("UNKNOWN_USER", "the user to remove is not a member");
      if (RANK[target.role] > RANK[role]) {
        refuse("NOT_ALLOWED", `a ${role} cannot remove a ${target.role}`);
      }
      state.members.delete(target.user);
      for (const d of target.devices.keys()) state.devices.delete(d);
      rotate(state, op, a.rotation.boxes, a.rotation.previous);
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
      return;
    }
    case "rotate":
      needs("manager");
      rotate(state, op, a.rotation.boxes, a.rotation.previous);
      return;
  }
}

function join(state: MembershipState, op: VerifiedOp, a: Extract<Action, { type: "join" }>) {
  const invite = state.invites.get(toHex(a.invite));
  if (!invite) refuse("INVITE_UNKNOWN", "the invite is unknown in this space");
  if (invite.revoked) refuse("INVITE_REVOKED", "the invite was revoked");
  if (invite.oneTime && invite.used) refuse("INVITE_USED", "the one-time invite was used already");
  if (op.body.time > invite.expiresAt) refuse("INVITE_EXPIRED", "the invite had expired");
  if (op.signer !== toHex(a.cert.deviceSign)) {
    refuse("BAD_CERTIFICATE", "a join is signed by the joining device");
  }
  if (state.members.has(toHex(a.cert.user))) refuse("ALREADY_MEMBER", "the user is a member");
  invite.used = true;
  if (invite.mode === "open") {
    addMember(state, a.cert, a.name, invite.role);
    share(state, a.share);
  } else state.pending.set(op.id, { id: op.id, invite: invite.id, cert: a.cert, name: a.name });
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
