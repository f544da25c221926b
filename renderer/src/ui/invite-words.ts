/** How invitations are told in the UI: one wording for the created invite and the Members list. */
import type { InviteMode } from "../../../core/membership/ops.js";
import type { Role } from "../../../core/space/access.js";

export interface InviteFacts {
  mode: InviteMode;
  role: Role;
  oneTime: boolean;
  expiresAt: number;
}

export function expiryDate(at: number): string {
  return new Date(at).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
}

/** "Confirmed · member · single use · expires 14 Dec 2026, 10:00". */
export function inviteSummary(i: InviteFacts): string {
  return [
    i.mode === "open" ? "Open" : "Confirmed",
    i.role,
    i.oneTime ? "single use" : "multi-use",
    `expires ${expiryDate(i.expiresAt)}`,
  ].join(" · ");
}

// Deliberately loose (one @, a dot in the domain, no spaces or separators): it catches typing
// slips before an invite is made; the mail system is the real judge of an address.
const ADDRESS = /^[^\s@,;<>"]+@[^\s@,;<>".]+(\.[^\s@,;<>".]+)+$/;

/** The addresses typed, split on commas, semicolons and spaces, and those that are not addresses. */
export function parseAddresses(text: string): { addresses: string[]; bad: string[] } {
  const addresses = text
    .split(/[\s,;]+/)
    .map((s) => s.trim())
    .filter(Boolean);
  return { addresses, bad: addresses.filter((a) => !ADDRESS.test(a)) };
}
