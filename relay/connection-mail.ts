/**
 * MAIL_INVITE and MAIL_SEND from a logged-in device, handed to the relay's
 * mail desk (mail-requests.ts: budgets, template, SMTP) with the device as
 * the requester; its answers go back over the link.
 */
import type { MailInviteFrame, MailSendFrame } from "../core/wire/frame-types.js";
import type { ConnectionLink, Session } from "./connection-link.js";
import { handleMailRequest } from "./mail-requests.js";

export function onMailFrame(
  link: ConnectionLink,
  session: Session,
  frame: MailSendFrame | MailInviteFrame,
): void {
  handleMailRequest(
    link.ctx.mail,
    {
      deviceKey: session.deviceKey,
      source: session.source,
      log: link.log,
      ack: (msgId) => link.send({ type: "ack", msgId }),
      refuse: (code, message, ref) => link.refuse(code, message, ref),
      error: (code, message, ref) => link.sendError(code, message, ref),
    },
    frame,
  );
}
