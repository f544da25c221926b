/**
 * MAIL_INVITE (protocol 1, revision 2): a device asks the relay to send one
 * invitation mail that the relay composes from its own template. The
 * device supplies facts, never text: who invites (a display name the relay
 * sanitises), optionally the space's name, and the join link, which must be
 * this relay's own /join page.
 *
 *   device -> relay  MAIL_INVITE  (msgId, to, inviterName, spaceName, link)
 *   relay  -> device ACK msgId, or ERROR ref = msgId
 */
import type * as encoding from "lib0/encoding";
import { DecodeError } from "./errors.js";
import { type MailInviteFrame, MSG_ID_BYTES } from "./frame-types.js";
import { MAIL_TO_MAX_BYTES, mailAddressProblem } from "./mail-frames.js";
import { type Reader, writeFixed, writeString } from "./reader.js";

export const INVITER_NAME_MAX_BYTES = 128;
export const SPACE_NAME_MAX_BYTES = 128;
export const JOIN_LINK_MAX_BYTES = 2048;

/** An http(s) join link whose secret sits in the fragment, in unpadded base64url. */
const JOIN_LINK = /^https?:\/\/[A-Za-z0-9.:[\]-]+(?:\/[A-Za-z0-9._~%-]+)*\/join#[A-Za-z0-9_-]+$/;

/** Why the fields cannot make an invitation, or undefined. Names the field, never its value. */
export function mailInviteProblem(f: {
  to: string;
  inviterName: string;
  spaceName: string;
  link: string;
}): string | undefined {
  const to = mailAddressProblem(f.to);
  if (to) return `to: ${to}`;
  if (f.inviterName.trim().length === 0) return "inviterName: empty";
  if (f.link.length > JOIN_LINK_MAX_BYTES || !JOIN_LINK.test(f.link)) {
    return "link: not an http(s) …/join#<base64url> link";
  }
  return undefined;
}

export function writeMailInvite(e: encoding.Encoder, f: MailInviteFrame): void {
  writeFixed(e, f.msgId, MSG_ID_BYTES, "msgId");
  writeString(e, f.to);
  writeString(e, f.inviterName);
  writeString(e, f.spaceName);
  writeString(e, f.link);
}

export function readMailInvite(r: Reader): MailInviteFrame {
  const frame: MailInviteFrame = {
    type: "mailInvite",
    msgId: r.fixed(MSG_ID_BYTES, "msgId"),
    to: r.string("to", MAIL_TO_MAX_BYTES),
    inviterName: r.string("inviterName", INVITER_NAME_MAX_BYTES),
    spaceName: r.string("spaceName", SPACE_NAME_MAX_BYTES),
    link: r.string("link", JOIN_LINK_MAX_BYTES),
  };
  const problem = mailInviteProblem(frame);
  if (problem) throw new DecodeError("INVALID_VALUE", problem);
  return frame;
}
