/**
 * The invitation email: subject and plain text around the link, and the
 * mailto: URL that opens it in the user's own mail client. Plain text only:
 * names come from people, and a mail client renders text as text.
 */
import type { InviteMailRequest } from "../sync/relay-transport.js";
import type { InviteMode } from "./ops.js";

export interface InviteMail {
  subject: string;
  text: string;
}

/**
 * Header-safe: one line, no control characters (C0, C1, line and paragraph
 * separators), at most `maxBytes` of UTF-8, cut between whole characters.
 */
function oneLine(text: string, maxBytes: number): string {
  const clean = text
    // biome-ignore lint/suspicious/noControlCharactersInRegex: stripping them is the point
    .replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]+/g, " ")
    // Lone surrogate halves are not text: mail and UTF-8 cannot carry them.
    .replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, " ")
    .trim();
  if (utf8.encode(clean).length <= maxBytes) return clean;
  let out = "";
  let used = utf8.encode("…").length;
  for (const char of clean) {
    const size = utf8.encode(char).length;
    if (used + size > maxBytes) break;
    out += char;
    used += size;
  }
  return `${out}…`;
}

const utf8 = new TextEncoder();

export function composeInviteMail(options: {
  inviterName: string;
  spaceName: string;
  url: string;
  mode: InviteMode;
  expiresAt: number;
}): InviteMail {
  const inviter = oneLine(options.inviterName, 80) || "Someone";
  const space = oneLine(options.spaceName, 80) || "a space";
  const expires = new Date(options.expiresAt).toUTCString();
  const next =
    options.mode === "open"
      ? "Open the link and you are in: no account, no password."
      : `Open the link to ask to join; ${inviter} will compare a safety number with you and let you in.`;
  return {
    subject: oneLine(`${inviter} invites you to "${space}" on Grove`, 200),
    text: [
      `${inviter} invites you to "${space}", a shared space on Grove.`,
      "",
      "Grove is an end-to-end encrypted app for chatting and working together: everything",
      "is encrypted on your device, and relay servers only pass sealed messages along.",
      "",
      next,
      "",
      options.url,
      "",
      `The link works until ${expires}. Whoever holds it can use it, so do not forward it.`,
    ].join("\n"),
  };
}

/** Opens the mail in the user's mail client, with the addresses filled in. */
export function mailtoUrl(to: string[], mail: InviteMail): string {
  const params = `subject=${encodeURIComponent(mail.subject)}&body=${encodeURIComponent(mail.text.replace(/\n/g, "\r\n"))}`;
  return `mailto:${to.map(encodeURIComponent).join(",")}?${params}`;
}

export class InviteMailError extends Error {
  override readonly name = "InviteMailError";
  constructor(
    readonly code: "OPEN_INVITE_BY_RELAY",
    message: string,
  ) {
    super(message);
  }
}

/**
 * Sends one invitation through the relay's SMTP (MAIL_INVITE: the relay
 * writes the words around these facts). Only for confirmed invites: the
 * relay then sees the address and the link, and an open link would let
 * whoever reads it straight in.
 */
export async function mailThroughRelay(
  relay: { sendInvite(invite: InviteMailRequest): Promise<void> },
  invite: { to: string; link: string },
  facts: { inviterName: string; spaceName: string; mode: InviteMode },
): Promise<void> {
  if (facts.mode !== "confirmed") {
    throw new InviteMailError(
      "OPEN_INVITE_BY_RELAY",
      "open invites are sent from your own mail app: through the relay, its operator could use the link",
    );
  }
  await relay.sendInvite({
    to: invite.to,
    link: invite.link,
    inviterName: facts.inviterName,
    spaceName: facts.spaceName,
  });
}
