/**
 * The invitation mail as the relay writes it. Devices supply facts (who
 * invites, optionally the space's name, the join link); every other word
 * is the relay's. Names are cut down to what a name needs, so the only
 * text a stranger controls cannot carry a link, markup, a forged header or
 * a misleading direction of text, and a name cannot be made to look like
 * a domain ("evil.com" loses its dot).
 */
export interface InviteFacts {
  inviterName: string;
  /** Empty: the mail names no space. */
  spaceName: string;
  link: string;
}

export const NAME_MAX_CHARS = 64;

/**
 * Letters, marks, digits, emoji, spaces, hyphens and apostrophes stay; a dot stays
 * only where a space or the end follows it ("J. Smith"). Everything else
 * (controls, bidi and zero-width formatting, punctuation that builds links
 * or markup) goes; whitespace runs become one space.
 */
export function sanitizeName(raw: string, maxChars = NAME_MAX_CHARS): string {
  const kept = [...raw.normalize("NFKC")]
    .filter((ch) => NAME_CHAR.test(ch) || EMOJI_JOINERS.has(ch))
    .join("")
    .replace(/\.(?!\s|$)/g, "")
    .replace(/\s+/g, " ")
    .trim();
  const chars = [...kept];
  return chars.length <= maxChars
    ? kept
    : `${chars
        .slice(0, maxChars - 1)
        .join("")
        .trimEnd()}…`;
}

const NAME_CHAR = /^[\p{L}\p{M}\p{N}\p{Extended_Pictographic}\p{Emoji_Modifier}\s.'’-]$/u;
/** Zero-width joiner and variation selector 16: they hold emoji sequences together. */
const EMOJI_JOINERS = new Set(["\u200d", "\ufe0f"]);

export interface ComposedMail {
  subject: string;
  text: string;
}

export function composeInvite(facts: InviteFacts, relayHost: string): ComposedMail {
  const inviter = sanitizeName(facts.inviterName) || "A Grove user";
  const space = sanitizeName(facts.spaceName);
  const subject = space
    ? `${inviter} invites you to "${space}" on Grove`
    : `${inviter} invites you to a space on Grove`;
  const text = [
    space
      ? `${inviter} invites you to "${space}", a shared space on Grove.`
      : `${inviter} invites you to a shared space on Grove.`,
    "",
    "Grove is an end-to-end encrypted app for working together. Open this link to join:",
    "",
    facts.link,
    "",
    "Whoever holds the link can use it, so do not forward it. If you do not know",
    `${inviter}, ignore this mail.`,
    "",
    `-- Sent by the Grove relay at ${relayHost} on behalf of one of its users. The relay wrote`,
    "this text; only the names above come from the sender.",
  ].join("\n");
  return { subject, text };
}

/**
 * The facts in a MAIL_SEND written from Grove's own client template
 * (subject `<name> invites you to "<space>" on Grove`, the join link on a
 * line of the text), so apps that still send MAIL_SEND keep working; its
 * subject and text are then thrown away. Undefined when it is not one.
 */
export function factsFromLegacyMail(subject: string, text: string): InviteFacts | undefined {
  const named = /^(.+?) invites you to "(.*)" on Grove$/u.exec(subject);
  const inviterName = named?.[1];
  const spaceName = named?.[2];
  if (inviterName === undefined || spaceName === undefined) return undefined;
  const links = text.match(/https?:\/\/[^\s#]+\/join#[A-Za-z0-9_-]+/g) ?? [];
  const [link] = links;
  if (links.length !== 1 || link === undefined) return undefined;
  return { inviterName, spaceName, link };
}

/** Whether `link` is this relay's own join page: the only link a relay mail may carry. */
export function isOwnJoinLink(link: string, publicHttpUrl: string): boolean {
  let url: URL;
  let own: URL;
  try {
    url = new URL(link);
    own = new URL(publicHttpUrl);
  } catch {
    return false;
  }
  const base = own.pathname.replace(/\/+$/, "");
  return (
    url.origin === own.origin &&
    url.pathname === `${base}/join` &&
    url.search === "" &&
    url.username === "" &&
    url.password === "" &&
    /^#[A-Za-z0-9_-]+$/.test(url.hash)
  );
}
