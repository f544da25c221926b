/**
 * Invitation mail through the operator's SMTP server (nodemailer). A send
 * never throws: it settles with what happened, as the SMTP reply code and a
 * nodemailer error code, and nothing of the server's reply text, which may
 * quote the recipient. The message itself (recipient, subject, text) never
 * reaches a log: nodemailer's own logger stays off whatever the URL says.
 */
import { createTransport } from "nodemailer";
import { SMTP_LOGGING_KEYS } from "./config.js";

export interface MailRequest {
  to: string;
  subject: string;
  text: string;
}

export type MailOutcome =
  | { sent: true; smtpCode: number | undefined }
  | {
      sent: false;
      smtpCode: number | undefined;
      /** A nodemailer error code such as ECONNECTION or EENVELOPE, or ERROR. */
      reason: string;
    };

export interface Mailer {
  send(mail: MailRequest): Promise<MailOutcome>;
  /** Sends in progress: the relay caps them, so a stalled SMTP server holds a bounded number of sockets. */
  readonly inFlight: number;
  close(): void;
}

export interface MailerOptions {
  /** smtp(s)://user:pass@host:port; query parameters are nodemailer options. */
  url: string;
  from: string;
  /** Bounds on each step of one SMTP conversation; a server that stalls costs a refusal, not a hang. */
  connectionTimeoutMs?: number;
  socketTimeoutMs?: number;
}

export function createMailer(options: MailerOptions): Mailer {
  // Query parameters override the options below; logging is not theirs to switch on.
  const url = new URL(options.url);
  for (const key of SMTP_LOGGING_KEYS) url.searchParams.delete(key);
  const transport = createTransport({
    url: url.href,
    logger: false,
    debug: false,
    connectionTimeout: options.connectionTimeoutMs ?? 10_000,
    greetingTimeout: options.connectionTimeoutMs ?? 10_000,
    dnsTimeout: options.connectionTimeoutMs ?? 10_000,
    socketTimeout: options.socketTimeoutMs ?? 30_000,
    disableFileAccess: true,
    disableUrlAccess: true,
  });
  let inFlight = 0;
  return {
    get inFlight() {
      return inFlight;
    },
    async send(mail) {
      inFlight++;
      try {
        const info = await transport.sendMail({
          from: options.from,
          to: mail.to,
          subject: mail.subject,
          text: mail.text,
          // The SMTP envelope names exactly the one checked address, whatever the headers parse to.
          envelope: { from: options.from, to: [mail.to] },
          disableFileAccess: true,
          disableUrlAccess: true,
        });
        return { sent: true, smtpCode: replyCode(info.response) };
      } catch (err) {
        const e = err as { responseCode?: unknown; code?: unknown };
        return {
          sent: false,
          smtpCode: typeof e.responseCode === "number" ? e.responseCode : undefined,
          reason: typeof e.code === "string" && /^E[A-Z]{2,20}$/.test(e.code) ? e.code : "ERROR",
        };
      } finally {
        inFlight--;
      }
    },
    close() {
      transport.close();
    },
  };
}

function replyCode(response: unknown): number | undefined {
  const match = typeof response === "string" ? /^([2-5]\d\d)\b/.exec(response) : null;
  return match ? Number(match[1]) : undefined;
}
