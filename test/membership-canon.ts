/**
 * A membership state as plain data, in the order its maps and sets hold
 * their entries: two states are the same resolution if and only if their
 * canonical forms are equal (verdicts compared by code and message).
 */
import { toHex } from "../core/crypto/bytes.js";
import type { MembershipState } from "../core/membership/resolve.js";

export function canonicalState(s: MembershipState): unknown {
  return {
    members: [...s.members].map(([user, m]) => [
      user,
      m.name,
      m.role,
      [...m.devices].map(([d, c]) => [d, toHex(c.deviceBox)]),
    ]),
    devices: [...s.devices],
    certified: [...s.certified],
    invites: [...s.invites].map(([id, i]) => [id, { ...i, channelKey: toHex(i.channelKey) }]),
    pending: [...s.pending].map(([id, p]) => [id, p.invite, toHex(p.cert.deviceSign), p.name]),
    closedJoins: [...s.closedJoins],
    epochs: s.epochs.map((e) => [
      e.epoch,
      e.op,
      e.boxes.map((b) => `${toHex(b.recipient)}:${toHex(b.box)}`),
      e.previous && toHex(e.previous),
    ]),
    rotationOwed: s.rotationOwed,
    accepted: [...s.accepted],
    rejected: [...s.rejected].map(([id, e]) => [id, e.code, e.message]),
  };
}
