/**
 * What a space's membership log resolves to: who is in, which invites and
 * joins are open, the key epochs, and every op's verdict. Computed by
 * resolve.ts (all ops at once) or resolver.ts (op by op, same result).
 */
import type { DeviceCertificate } from "../crypto/identity.js";
import type { Role } from "../space/access.js";
import type { MembershipError } from "./errors.js";
import type { InviteMode, KeyBoxEntry, OpBody } from "./ops.js";

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
