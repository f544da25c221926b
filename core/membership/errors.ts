/**
 * Why a membership op was refused. Every reason has its own code, so the
 * UI can say "this invite has expired" rather than "invalid op".
 */
export type MembershipErrorCode =
  | "BAD_SIGNATURE"
  | "BAD_CERTIFICATE"
  | "BAD_INVITE_PROOF"
  | "WRONG_SPACE"
  | "DUPLICATE_CREATE"
  | "NOT_A_MEMBER"
  | "NOT_ALLOWED"
  | "REMOVED_CONCURRENTLY"
  | "UNKNOWN_USER"
  | "ALREADY_MEMBER"
  | "INVITE_UNKNOWN"
  | "INVITE_EXPIRED"
  | "INVITE_REVOKED"
  | "INVITE_USED"
  | "JOIN_UNKNOWN";

export class MembershipError extends Error {
  override readonly name = "MembershipError";
  constructor(
    readonly code: MembershipErrorCode,
    message: string,
  ) {
    super(message);
  }
}
