/** How invitations are told in the UI: one wording for the created invite and the Members list. */
import { MembershipError } from "../../../core/membership/errors.js";
import { JoinError } from "../../../core/membership/join-by-link.js";
import type { InviteMode } from "../../../core/membership/ops.js";
import type { Role } from "../../../core/space/access.js";
import { DecodeError } from "../../../core/wire/errors.js";
import { KeptCopyError, OtherRelayError } from "../model/client.js";
import { refusalWords } from "../model/refusal-words.js";

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

/**
 * Why a link could not be joined, in words with the next step. Codes come from the core (link
 * decoding, the welcome's fetch and check) and the client (relay mismatch); their messages are
 * written for developers and are never shown.
 */
export function joinErrorWords(err: unknown): string {
  const askAgain = "Ask the person who invited you to send it again.";
  if (err instanceof KeptCopyError) {
    return `This device still has your earlier copy of ${err.spaceName}, from before you left or were taken out. To join again, open that space and choose "Delete from this device" (or "Remove from my spaces"), then open this link again: once you are let in, the history comes back from the others.`;
  }
  if (err instanceof OtherRelayError) {
    return `This invitation is for another relay (${err.linkRelay}); this device uses ${err.myRelay}. Ask the person who invited you for a link made on your relay.`;
  }
  if (err instanceof DecodeError) {
    if (err.code === "INVALID_VALUE" && /not a Grove invite link/.test(err.message)) {
      return "This is not a Grove invitation link. Grove links look like https://…/join#… or grove://join#…; check that you pasted the right one.";
    }
    if (err.code === "UNSUPPORTED_VERSION") {
      // A damaged payload reads as an unknown version too: say both.
      return "This link could not be read: it is damaged, or was made by a newer version of Grove. Copy the whole link again, or update Grove and open it again.";
    }
    return `This link is incomplete or damaged: part of it was probably lost when it was copied. Copy the whole link again, up to its last character. ${askAgain}`;
  }
  if (err instanceof JoinError && err.code === "CLOSED" && err.closed) {
    // The inviter's device left word at the relay: used, withdrawn or expired.
    return refusalWords(err.closed.reason, err.closed.inviterName);
  }
  if (err instanceof JoinError && err.code === "NO_WELCOME") {
    // The relay holds nothing for the link; which of these it is, nothing on this side can tell.
    return "This invite link can no longer be used: it was already used, has expired or was revoked (or the inviter's device has not reached the relay yet). Ask the person who invited you for a new link.";
  }
  if (err instanceof JoinError || err instanceof MembershipError) {
    return `This link does not open the space it names: it is damaged or was not made for it. ${askAgain}`;
  }
  return `Could not join: ${(err as Error).message}. Check your connection and try again.`;
}
