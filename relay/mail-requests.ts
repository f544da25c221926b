/**
 * Invitation mail requests (MAIL_INVITE, and MAIL_SEND from older apps):
 * who may send, within which budgets, and what is sent. The relay composes
 * every mail from its own template (invite-template.ts) around this relay's
 * own join link; a request that is not an invitation of that shape is
 * refused with MAIL_TEMPLATE_REQUIRED and nothing reaches SMTP.
 *
 * Budgets, each a sliding hour: per device key, per source (IP, or access
 * token on a closed relay, where only token holders get this far at all),
 * and for the whole relay; plus a cap on SMTP conversations in flight. The
 * budgets are the bus's: on a cluster they hold across all nodes.
 */
import type { Logger } from "pino";
import { toHex } from "../core/crypto/bytes.js";
import type { MailInviteFrame, MailSendFrame } from "../core/wire/frame-types.js";
import type { RelayErrorName } from "../core/wire/relay-errors.js";
import type { SharedBudget } from "./bus/relay-bus.js";
import type { RelayConfig } from "./config.js";
import {
  composeInvite,
  factsFromLegacyMail,
  type InviteFacts,
  isOwnJoinLink,
} from "./invite-template.js";
import type { Mailer } from "./mailer.js";
import type { MailOutcomeLabel, RelayMetrics } from "./metrics.js";

/** SMTP conversations in progress across the relay; a stalled server holds no more sockets than this. */
const MAX_MAIL_IN_FLIGHT = 16;

export interface MailDeskContext {
  config: RelayConfig;
  mailer: Mailer | undefined;
  metrics: RelayMetrics;
  /** Mails per hour per device key, per source and for the whole relay. */
  budgets: { device: SharedBudget; source: SharedBudget; total: SharedBudget };
  /** The relay's public URL as http(s): the origin every mailed link must have. */
  publicHttpUrl: string;
  closed: boolean;
}

/** How the desk answers on the requesting connection. */
export interface MailRequester {
  deviceKey: string;
  source: string;
  log: Logger;
  ack(msgId: Uint8Array): void;
  /** A refusal of the request (counts toward closing a connection that keeps pushing). */
  refuse(code: RelayErrorName, message: string, ref: Uint8Array): void;
  /** A failure not of the requester's making. */
  error(code: RelayErrorName, message: string, ref: Uint8Array): void;
}

export function handleMailRequest(
  ctx: MailDeskContext,
  who: MailRequester,
  frame: MailInviteFrame | MailSendFrame,
): void {
  const msgId = frame.msgId.slice();
  const count = (outcome: MailOutcomeLabel, detail: LogDetail = {}) => {
    ctx.metrics.mail.inc({ outcome });
    logMail(who.log, msgId, outcome, detail);
  };
  const mailer = ctx.mailer;
  if (!mailer) {
    count("unavailable");
    return who.refuse(
      "MAIL_UNAVAILABLE",
      "this relay has no SMTP server configured; send the invitation another way",
      msgId,
    );
  }
  const facts =
    frame.type === "mailInvite" ? frame : factsFromLegacyMail(frame.subject, frame.text);
  const problem = !facts
    ? "MAIL_SEND must carry an invitation written from Grove's template; send MAIL_INVITE with the inviter's name, the space's name and the join link"
    : !isOwnJoinLink(facts.link, ctx.publicHttpUrl)
      ? `the join link must be this relay's own ${ctx.publicHttpUrl.replace(/\/+$/, "")}/join#…`
      : undefined;
  if (problem) {
    count("not_invitation");
    return who.refuse("MAIL_TEMPLATE_REQUIRED", problem, msgId);
  }
  takeBudget(ctx, who).then(
    (budget) => {
      if (budget) {
        count("rate_limited", { reason: budget.reason });
        return who.refuse("RATE_LIMITED", budget.message, msgId);
      }
      send(ctx, mailer, who, frame.to, facts as InviteFacts, msgId, count);
    },
    // Shared budgets fall back to this node's count when Redis is down; anything else
    // failing still answers the requester rather than leave its request hanging.
    (err: unknown) => {
      who.log.error({ err: (err as Error)?.message }, "mail budget check failed");
      who.error("MAIL_UNAVAILABLE", "the relay cannot check its mail budget; retry later", msgId);
    },
  );
}

async function takeBudget(
  ctx: MailDeskContext,
  who: MailRequester,
): Promise<{ reason: string; message: string } | undefined> {
  const c = ctx.config;
  if ((ctx.mailer?.inFlight ?? 0) >= MAX_MAIL_IN_FLIGHT) {
    return { reason: "busy", message: "the relay is sending too many mails; retry shortly" };
  }
  // Checked from the narrowest out, so one device's excess spends nothing of its source's.
  if (!(await ctx.budgets.device.take(who.deviceKey))) {
    return {
      reason: "budget",
      message: `at most ${c.mailPerHour} mails per hour from one device; retry later`,
    };
  }
  if (!(await ctx.budgets.source.take(who.source))) {
    return {
      reason: "source_budget",
      message: `at most ${c.mailPerSourcePerHour} mails per hour from one ${ctx.closed ? "access token" : "address"}; retry later`,
    };
  }
  if (!(await ctx.budgets.total.take("relay"))) {
    return {
      reason: "relay_budget",
      message: `this relay sends at most ${c.mailTotalPerHour} mails per hour; retry later`,
    };
  }
  return undefined;
}

function send(
  ctx: MailDeskContext,
  mailer: Mailer,
  who: MailRequester,
  to: string,
  facts: InviteFacts,
  msgId: Uint8Array,
  count: (outcome: MailOutcomeLabel, detail?: LogDetail) => void,
): void {
  const { subject, text } = composeInvite(facts, new URL(ctx.publicHttpUrl).host);
  mailer
    .send({ to, subject, text })
    .then((outcome) => {
      if (outcome.sent) {
        count("sent", { smtpCode: outcome.smtpCode });
        return who.ack(msgId);
      }
      count("refused", { smtpCode: outcome.smtpCode, reason: outcome.reason });
      who.error(
        "MAIL_REFUSED",
        outcome.smtpCode !== undefined
          ? `the relay's SMTP server refused the mail (SMTP ${outcome.smtpCode})`
          : `the relay could not hand the mail to its SMTP server (${outcome.reason})`,
        msgId,
      );
    })
    // send() settles with an outcome and never throws; this only keeps a bug from going unseen.
    .catch((err) => who.log.error({ err: (err as Error)?.name }, "mail bookkeeping failed"));
}

interface LogDetail {
  smtpCode?: number | undefined;
  reason?: string;
}

/** What an operator may know of a mail: who asked, which request, what happened. Never its fields. */
export function logMail(
  log: Logger,
  msgId: Uint8Array,
  outcome: MailOutcomeLabel | "invalid",
  detail: LogDetail,
): void {
  const entry = { msgId: toHex(msgId), outcome, ...detail };
  if (outcome === "refused") log.warn(entry, "mail refused");
  else log.info(entry, `mail ${outcome === "sent" ? "sent" : "not sent"}`);
}
