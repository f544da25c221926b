/**
 * Mail frame: a device asks the relay to send one plain-text mail (an
 * invitation) through the operator's SMTP server.
 *
 *   device -> relay  MAIL_SEND  (msgId, to, subject, text)
 *   relay  -> device ACK        msgId, once the SMTP server accepted the message
 *                    or ERROR   ref = msgId: MAIL_UNAVAILABLE, MAIL_REFUSED, RATE_LIMITED, BAD_FRAME
 *
 * The fields end up in mail headers, so the rules are strict and the same on
 * both sides: `to` is exactly one bare address (ASCII dot-atom local part,
 * `@`, a dotted host name), nothing that could start a second address or a
 * second header; the subject is one line. `mailSendProblem` is what the
 * decoder enforces and what the app checks before it sends.
 */
import type * as encoding from "lib0/encoding";
import { DecodeError } from "./errors.js";
import { type MailSendFrame, MSG_ID_BYTES } from "./frame-types.js";
import { type Reader, writeFixed, writeString } from "./reader.js";

/** RFC 5321's limit on a forward path, less the angle brackets. */
export const MAIL_TO_MAX_BYTES = 254;
export const MAIL_SUBJECT_MAX_BYTES = 200;
export const MAIL_TEXT_MAX_BYTES = 8 * 1024;

const LOCAL_MAX = 64;
const DOMAIN_MAX = 253;
/** RFC 5322 atext: no space, quote, comma, angle bracket, parenthesis, colon, semicolon, backslash or control. */
const ATOM = "[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+";
const LOCAL = new RegExp(`^${ATOM}(?:\\.${ATOM})*$`);
/** LDH labels of 1-63 characters, no hyphen at either end. */
const LABEL = /^[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?$/;
/** A lone surrogate: iterating by code point yields it on its own. TextEncoder would replace it. */
const isSurrogate = (c: number) => c >= 0xd800 && c <= 0xdfff;
/** Controls (C0, DEL, C1), the Unicode line and paragraph separators, lone surrogates. */
const breaksLine = (c: number) =>
  c < 0x20 || (c >= 0x7f && c <= 0x9f) || c === 0x2028 || c === 0x2029 || isSurrogate(c);
/** In the body, tabs and line breaks are text; other C0 controls, DEL and lone surrogates are not. */
const notText = (c: number) =>
  (c < 0x20 && c !== 0x09 && c !== 0x0a && c !== 0x0d) || c === 0x7f || isSurrogate(c);

function hasAny(s: string, bad: (codePoint: number) => boolean): boolean {
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (c !== undefined && bad(c)) return true;
  }
  return false;
}

const utf8Length = (s: string) => new TextEncoder().encode(s).length;

/** Why `to` is not a single plain address, or undefined when it is one. Never echoes the value. */
export function mailAddressProblem(to: string): string | undefined {
  if (to.length > MAIL_TO_MAX_BYTES) return `longer than ${MAIL_TO_MAX_BYTES} bytes`;
  const at = to.indexOf("@");
  if (at < 0 || at !== to.lastIndexOf("@")) return "needs exactly one @";
  const local = to.slice(0, at);
  const domain = to.slice(at + 1);
  if (local.length === 0 || local.length > LOCAL_MAX || !LOCAL.test(local)) {
    return "local part must be a plain ASCII dot-atom (no spaces, quotes, commas, brackets or controls)";
  }
  const labels = domain.split(".");
  if (domain.length > DOMAIN_MAX || labels.length < 2 || !labels.every((l) => LABEL.test(l))) {
    return "domain must be a dotted ASCII host name (punycode for international names)";
  }
  const last = labels.at(-1);
  if (last !== undefined && /^[0-9]+$/.test(last)) return "domain must not end in a numeric label";
  return undefined;
}

/** Why the fields cannot go into a mail, or undefined when they can. Names the field, never its value. */
export function mailSendProblem(mail: {
  to: string;
  subject: string;
  text: string;
}): string | undefined {
  const to = mailAddressProblem(mail.to);
  if (to) return `to: ${to}`;
  if (utf8Length(mail.subject) > MAIL_SUBJECT_MAX_BYTES) {
    return `subject: longer than ${MAIL_SUBJECT_MAX_BYTES} bytes`;
  }
  if (hasAny(mail.subject, breaksLine))
    return "subject: must be one line without control characters";
  if (utf8Length(mail.text) > MAIL_TEXT_MAX_BYTES) {
    return `text: longer than ${MAIL_TEXT_MAX_BYTES} bytes`;
  }
  if (hasAny(mail.text, notText)) return "text: control characters other than tab and line breaks";
  return undefined;
}

/** Writes the fields as given, so tests can build hostile frames; senders check `mailSendProblem` first. */
export function writeMailSend(e: encoding.Encoder, f: MailSendFrame): void {
  writeFixed(e, f.msgId, MSG_ID_BYTES, "msgId");
  writeString(e, f.to);
  writeString(e, f.subject);
  writeString(e, f.text);
}

export function readMailSend(r: Reader): MailSendFrame {
  const frame: MailSendFrame = {
    type: "mailSend",
    msgId: r.fixed(MSG_ID_BYTES, "msgId"),
    to: r.string("to", MAIL_TO_MAX_BYTES),
    subject: r.string("subject", MAIL_SUBJECT_MAX_BYTES),
    text: r.string("text", MAIL_TEXT_MAX_BYTES),
  };
  const problem = mailSendProblem(frame);
  if (problem) throw new DecodeError("INVALID_VALUE", problem);
  return frame;
}
