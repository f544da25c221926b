/** Why an invite admits no one, in words with the next step: one wording before and after asking. */

import { displayName } from "../../../core/membership/display-name.js";
import type { Refusal } from "../../../core/membership/welcome.js";

export function refusalWords(reason: Refusal, inviterName: string): string {
  // The inviter's own words: shown without characters that change how the sentence reads.
  const who = displayName(inviterName) || "the person who invited you";
  const words: Record<Refusal, string> = {
    INVITE_USED: `This invite was already used by someone else. Ask ${who} for a new one.`,
    INVITE_REVOKED: `This invite was withdrawn. Ask ${who} for a new one.`,
    INVITE_EXPIRED: `This invite has expired. Ask ${who} for a new one.`,
    DECLINED: "A manager of this space declined your request to join.",
  };
  return words[reason];
}
