/**
 * What the membership of one space looks like to this user: joins waiting
 * for an answer, invites still open, and how this user left, if they did.
 * Pure readings of the membership log, for the space's handle.
 */
import { toHex } from "../../../core/crypto/bytes.js";
import { displayName } from "../../../core/membership/display-name.js";
import type { MemberSpace } from "../../../core/membership/member-space.js";
import type { OutboxEntry } from "../../../core/sync/outbox.js";
import { EnvelopeKind, peekKind, peekSpaceId } from "../../../core/wire/envelope.js";

export interface Departure {
  readonly self: boolean;
  readonly by: string;
  readonly at: number;
}

/** Joins that wait for a person; joins on open invites are let in by a manager's device unasked. */
export function pendingJoins(member: MemberSpace) {
  const open = new Set(member.openJoins());
  return [...member.log.state.pending.values()]
    .filter((p) => !open.has(p.id))
    .map((p) => ({
      id: p.id,
      name: p.name,
      user: toHex(p.cert.user),
      device: displayName(p.cert.name),
    }));
}

/**
 * Invites that can still let someone in (not revoked, not expired, a single-use one not used
 * yet), newest expiry first, for managers to see and revoke.
 */
export function outstandingInvites(
  member: MemberSpace,
  nameOf: (user: string) => string,
  now = Date.now(),
) {
  return [...member.log.state.invites.values()]
    .filter((i) => !i.revoked && i.expiresAt > now && !(i.oneTime && i.used))
    .sort((a, b) => b.expiresAt - a.expiresAt)
    .map((i) => ({
      id: i.id,
      mode: i.mode,
      role: i.role,
      oneTime: i.oneTime,
      expiresAt: i.expiresAt,
      used: i.used,
      by: nameOf(i.by),
    }));
}

/**
 * The accepted op that took `me` (a user, hex) out (the last one, as a user may have been let
 * in again since), with who did it and when by the author's clock.
 */
export function departureOf(
  member: MemberSpace,
  me: { user: string; device: string },
  nameOf: (user: string) => string,
): Departure | undefined {
  const { log } = member;
  let last: Departure | undefined;
  for (const id of log.state.accepted) {
    const op = log.op(id);
    const action = op?.body.action;
    if (!op || action?.type !== "remove" || toHex(action.user) !== me.user) continue;
    const author = log.state.devices.get(op.signer);
    last = {
      // A leaver's own device is gone from the state's devices: its key says it was us.
      self: author === me.user || op.signer === me.device,
      by: author ? nameOf(author) : "A manager",
      at: op.body.time,
    };
  }
  return last;
}

/**
 * When `user` (hex) was last let in, by the clock of the device that did it (the space's
 * creation for its founder, a manager's confirm for anyone else); undefined if never.
 */
export function admittedAt(member: MemberSpace, user: string): number | undefined {
  const { log } = member;
  let at: number | undefined;
  for (const id of log.state.accepted) {
    const op = log.op(id);
    const action = op?.body.action;
    if (!op || !action) continue;
    if (action.type === "create" && toHex(action.cert.user) === user) at = op.body.time;
    if (action.type !== "confirm") continue;
    const join = log.op(toHex(action.join))?.body.action;
    if (join?.type === "join" && toHex(join.cert.user) === user) at = op.body.time;
  }
  return at;
}

/**
 * Spaces (ids, hex) with a membership op of this device still in its outbox: a removal, a role,
 * a revoked invite or a join request that no other member can have heard of yet.
 */
export function membershipQueued(entries: readonly OutboxEntry[]): Set<string> {
  const out = new Set<string>();
  for (const { envelope } of entries) {
    const space = peekSpaceId(envelope);
    if (space && peekKind(envelope) === EnvelopeKind.membership) out.add(toHex(space));
  }
  return out;
}
