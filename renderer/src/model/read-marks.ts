/** When this user last read each space: an account setting per space, so every device shares it. */
import type { AccountSpace } from "../../../core/membership/account.js";

export const READ_PREFIX = "read:";

/** When this user last read `spaceId` (ms; 0 for never, or before the account is open). */
export function readAtOf(account: AccountSpace | undefined, spaceId: string): number {
  return account?.setting<number>(`${READ_PREFIX}${spaceId}`) ?? 0;
}
