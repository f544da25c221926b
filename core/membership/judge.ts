/**
 * The rules of membership, one op at a time: given the state built from the
 * ops before it in the replay order, is this op allowed, and what does it
 * change? Each rule refuses before it changes anything, so a refused op
 * leaves the state as it was.
 *
 * A `Working` state carries, beside the public state, the indexes that keep
 * each judgement proportional to the op's own size: which box keys member
 * devices hold, and how many of the current key's boxes no member holds
 * (a rotation is owed while any is).
 */
import { toHex } from "../crypto/bytes.js";
import type { DeviceCertificate } from "../crypto/identity.js";
import type { Role } from "../space/access.js";
import { displayName } from "./display-name.js";
import { MembershipError, type MembershipErrorCode } from "./errors.js";
import type { ClosedJoin, MembershipState, VerifiedOp } from "./membership-state.js";
import type { Action, KeyBoxEntry, KeyShare } from "./ops.js";

const RANK: Record<Role, number> = { owner: 3, manager: 2, member: 1, viewer: 0 };

export interface Working {
  state: MembershipState;
  /** Box key (hex) -> how many member devices have it. */
  holders: Map<string, number>;
  /** Recipient (hex) -> how many of the current epoch's boxes are sealed to it. */
  recipients: Map<string, number>;
  /** Boxes of the current epoch sealed to a key no member device has. */
  orphans: number;
  /** Accepted revokes per invite id, in replay order. */
  revokes: Map<string, VerifiedOp[]>;
  /** Is a join (id) covered against a revoke (id) by a confirm made concurrently (revoke-cover.ts)? */
  covered: (join: string, revoke: string) => boolean;
  /** Invites closed because their inviter was removed or left: no confirm covers those. */
  inviterGone: Set<string>;
  /** Epoch numbers in use. */
  epochNumbers: Set<number>;
}

export function newWorking(
  certified: Map<string, string>,
  covered: Working["covered"] = () => false,
): Working {
  return {
    state: {
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
    },
    holders: new Map(),
    recipients: new Map(),
    orphans: 0,
    revokes: new Map(),
    covered,
    inviterGone: new Set(),
    epochNumbers: new Set(),
  };
}

/**
 * Judges one op and records the verdict. `mark`: a refusal a rule that
 * reaches across the order (resolve.ts) already gave it; `latest`: the
 * latest time among the op's ancestors.
 */
export function judge(w: Working, op: VerifiedOp, latest: number, mark?: MembershipError): void {
  try {
    if (mark) throw mark;
    apply(w, op, latest);
    w.state.accepted.add(op.id);
  } catch (err) {
    if (!(err instanceof MembershipError)) throw err;
    w.state.rejected.set(op.id, err);
  }
}

/** Is the current key sealed to any device that is not a member's now? */
export function departedHoldKey(w: Working): boolean {
  return w.state.epochs.length > 0 && w.orphans > 0;
}

/** Sets what is computed once the ops are judged. */
export function finish(w: Working): void {
  w.state.rotationOwed = departedHoldKey(w);
}

function refuse(code: MembershipErrorCode, message: string): never {
  throw new MembershipError(code, message);
}

function apply(w: Working, op: VerifiedOp, latest: number): void {
  const { state } = w;
  const a = op.body.action;
  if (a.type === "create") {
    if (state.epochs.length > 0 || op.body.parents.length > 0) {
      refuse("DUPLICATE_CREATE", "the space already has a creation op");
    }
    addMember(w, a.cert, a.name, "owner");
    newEpoch(w, { epoch: 0, op: op.id, boxes: [...a.boxes] });
    return;
  }
  if (state.epochs.length === 0) refuse("NOT_A_MEMBER", "no creation op precedes it");
  if (a.type === "join") return join(w, op, a, latest);

  const author = state.devices.get(op.signer);
  const member = author === undefined ? undefined : state.members.get(author);
  if (!author || !member) refuse("NOT_A_MEMBER", "signed by a device that is not a member's");
  const role = member.role;
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
      const invite = state.invites.get(pending.invite);
      if (!invite) refuse("INVITE_UNKNOWN", "the pending join's invite is unknown");
      if (invite.oneTime && invite.used) {
        refuse("INVITE_USED", "the one-time invite already let someone in");
      }
      if (state.members.has(toHex(pending.cert.user))) {
        refuse("ALREADY_MEMBER", "the joiner's user is a member already");
      }
      state.pending.delete(pending.id);
      addMember(w, pending.cert, pending.name, invite.role);
      share(w, a.share);
      invite.used = true;
      if (invite.oneTime) closeJoinsOn(state, invite.id, { reason: "INVITE_USED", by: author });
      return;
    }
    case "addDevice": {
      if (toHex(a.cert.user) !== author) {
        refuse("NOT_ALLOWED", "a member adds devices of their own user only");
      }
      const devices = member.devices;
      const device = toHex(a.cert.deviceSign);
      const before = devices.get(device);
      if (before) dropHolder(w, before);
      devices.set(device, a.cert);
      addHolder(w, a.cert);
      state.devices.set(device, author);
      share(w, a.share);
      return;
    }
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
      for (const [d, cert] of target.devices) {
        state.devices.delete(d);
        dropHolder(w, cert);
      }
      // Links the departed handed out let no one in after them.
      for (const invite of state.invites.values()) {
        if (invite.by !== target.user || w.inviterGone.has(invite.id)) continue;
        w.inviterGone.add(invite.id);
        invite.revoked = true;
        invite.revokedAt ??= op.body.time;
        closeJoinsOn(state, invite.id, { reason: "INVITE_REVOKED", by: author });
      }
      // A leaver's own rotation is ignored: the next key is chosen by someone who stays.
      if (!leaving) rotate(w, op, a.rotation.boxes, a.rotation.previous);
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
      closeJoinsOn(state, invite.id, { reason: "INVITE_REVOKED", by: author }, (join) =>
        w.covered(join, op.id),
      );
      const list = w.revokes.get(invite.id);
      if (list) list.push(op);
      else w.revokes.set(invite.id, [op]);
      return;
    }
    case "rotate":
      // A rotation owed to a departure is any member's to make: a leave may leave no manager.
      if (!departedHoldKey(w)) needs("manager");
      rotate(w, op, a.rotation.boxes, a.rotation.previous);
      return;
  }
}

function join(w: Working, op: VerifiedOp, a: Extract<Action, { type: "join" }>, latest: number) {
  const { state } = w;
  const invite = state.invites.get(toHex(a.invite));
  if (!invite) refuse("INVITE_UNKNOWN", "the invite is unknown in this space");
  if (invite.oneTime && invite.used) refuse("INVITE_USED", "the one-time invite was used already");
  if (invite.revoked && !coveredAgainstAll(w, invite.id, op.id)) {
    if ((invite.revokedAt ?? 0) > invite.expiresAt)
      refuse("INVITE_EXPIRED", "the invite had expired");
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
  state.pending.set(op.id, {
    id: op.id,
    invite: invite.id,
    cert: a.cert,
    name: displayName(a.name),
  });
}

/**
 * Is a join on a revoked invite covered against every revoke of it so far,
 * by confirms made concurrently (and its inviter not gone)?
 */
function coveredAgainstAll(w: Working, inviteId: string, join: string): boolean {
  const revokes = w.revokes.get(inviteId);
  if (!revokes || w.inviterGone.has(inviteId)) return false;
  return revokes.every((r) => w.covered(join, r.id));
}

/** Closes every join still waiting on an invite (but those `spared`), saying why. */
function closeJoinsOn(
  state: MembershipState,
  inviteId: string,
  why: ClosedJoin,
  spared: (join: string) => boolean = () => false,
): void {
  for (const [id, pending] of state.pending) {
    if (pending.invite !== inviteId || spared(id)) continue;
    state.pending.delete(id);
    state.closedJoins.set(id, why);
  }
}

function addMember(w: Working, cert: DeviceCertificate, name: string, role: Role) {
  const user = toHex(cert.user);
  const device = toHex(cert.deviceSign);
  w.state.members.set(user, {
    user,
    name: displayName(name),
    role,
    devices: new Map([[device, cert]]),
  });
  w.state.devices.set(device, user);
  addHolder(w, cert);
}

function addHolder(w: Working, cert: DeviceCertificate): void {
  const box = toHex(cert.deviceBox);
  const n = w.holders.get(box) ?? 0;
  if (n === 0) w.orphans -= w.recipients.get(box) ?? 0;
  w.holders.set(box, n + 1);
}

function dropHolder(w: Working, cert: DeviceCertificate): void {
  const box = toHex(cert.deviceBox);
  const n = w.holders.get(box);
  if (n === undefined) return;
  if (n > 1) {
    w.holders.set(box, n - 1);
    return;
  }
  w.holders.delete(box);
  w.orphans += w.recipients.get(box) ?? 0;
}

/** Counts boxes added to the current epoch against the member devices that hold their keys. */
function addRecipients(w: Working, boxes: KeyBoxEntry[]): void {
  for (const b of boxes) {
    const r = toHex(b.recipient);
    w.recipients.set(r, (w.recipients.get(r) ?? 0) + 1);
    if (!w.holders.has(r)) w.orphans++;
  }
}

function newEpoch(w: Working, epoch: MembershipState["epochs"][number]): void {
  w.state.epochs.push(epoch);
  w.epochNumbers.add(epoch.epoch);
  w.recipients = new Map();
  w.orphans = 0;
  addRecipients(w, epoch.boxes);
}

/**
 * Key boxes handed to a newcomer (join, confirm, add device), added to the
 * epoch they name. A share naming no known epoch adds nothing.
 */
function share(w: Working, keys: KeyShare): void {
  if (keys.boxes.length === 0) return;
  const epochs = w.state.epochs;
  const named = toHex(keys.epochOp);
  const epoch = epochs.find((e) => e.op === named);
  if (!epoch) return;
  for (const b of keys.boxes) epoch.boxes.push(b);
  if (epoch === epochs[epochs.length - 1]) addRecipients(w, keys.boxes);
}

function rotate(w: Working, op: VerifiedOp, boxes: KeyBoxEntry[], previous: Uint8Array) {
  const epoch = epochNumber(op.id, w.epochNumbers);
  newEpoch(w, { epoch, op: op.id, boxes: [...boxes], previous });
}

/**
 * A 31-bit number from the op hash, never 0 and never one already in use
 * (epochs with the high bit set are invite channels).
 */
function epochNumber(opId: string, used: Set<number>): number {
  let n = Number.parseInt(opId.slice(0, 8), 16) & 0x7fffffff || 1;
  while (used.has(n)) n = (n % 0x7fffffff) + 1;
  return n;
}
