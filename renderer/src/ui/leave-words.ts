/**
 * What the Leave confirmation says. Leaving is always allowed, but when the
 * one leaving is the space's last owner or manager while others stay, the
 * space is left with nobody who can invite, let in, remove or change roles,
 * and no way to make anyone a manager again: that is said before, with what
 * to do instead.
 */
import { manages } from "../../../core/space/access.js";
import type { MemberView } from "../model/space-context.js";

/** Whether I manage the space and, of the others who stay, none does. */
export function leavesNoManager(members: readonly MemberView[]): boolean {
  const others = members.filter((m) => !m.me);
  const managing = (m: MemberView) => manages(m.role);
  return members.some((m) => m.me && managing(m)) && others.length > 0 && !others.some(managing);
}

export function leaveConfirmation(
  spaceName: string,
  members: readonly MemberView[],
): { title: string; body: string } {
  const body =
    "You stop receiving anything new. You keep a read-only copy of what was written so far, which you can delete.";
  if (!leavesNoManager(members)) return { title: `Leave ${spaceName}?`, body };
  return {
    title: `Leave ${spaceName}? Nobody will manage it`,
    body:
      `You are the only manager of ${spaceName}. Once you leave, nobody can invite anyone, let in ` +
      "those who ask, remove a member or make anyone a manager, ever again. To hand it on, cancel " +
      "and make someone a manager first (Members, the role beside their name), then leave. " +
      body,
  };
}
