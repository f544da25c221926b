/**
 * One device's WebSocket on /v1: HELLO -> CHALLENGE -> AUTH -> serving.
 *
 * Every refusal is an ERROR frame with a code, never a silent drop. A frame
 * that cannot be decoded costs the sender an error, not the relay its
 * health; a connection that keeps pushing through rate limits, or fails
 * auth, is closed with a close code. Sends are handed to the store in the
 * order they arrive, without waiting for earlier commits, so one
 * connection's sends share group commits.
 */
import { createHash } from "node:crypto";
import type { Logger } from "pino";
import type { WebSocket } from "ws";
import { bytesKey, toHex } from "../core/crypto/bytes.js";
import type { Ed25519Backend } from "../core/crypto/ed25519.js";
import { verifyRelayAuth } from "../core/crypto/relay-auth.js";
import { DecodeError } from "../core/wire/errors.js";
import { decodeFrame, encodeFrame, refOfUndecoded } from "../core/wire/frame.js";
import {
  type AuthFrame,
  type BlobGetFrame,
  type BlobPutFrame,
  CHALLENGE_BYTES,
  FLAG_EPHEMERAL,
  type Frame,
  FrameType,
  type MailSendFrame,
  PROTOCOL_VERSION,
  type SendFrame,
} from "../core/wire/frame-types.js";
import { withLimits } from "../core/wire/limits.js";
import { RelayCloseCode, RelayErrorCode, type RelayErrorName } from "../core/wire/relay-errors.js";
import type { AccessTokens } from "./access-tokens.js";
import type { RelayConfig } from "./config.js";
import { MailboxDelivery } from "./delivery.js";
import type { Mailer } from "./mailer.js";
import type { MailOutcomeLabel, RelayMetrics } from "./metrics.js";
import { type BucketMap, TokenBucket, type WindowLimit } from "./rate-limit.js";
import type { RelayStore, StoredMessage } from "./store/relay-store.js";

export interface RelayContext {
  config: RelayConfig;
  /** The relay's canonical origin, which devices sign. */
  origin: string;
  store: RelayStore;
  metrics: RelayMetrics;
  log: Logger;
  backend: Ed25519Backend;
  online: Map<string, RelayConnection>;
  sendBuckets: BucketMap;
  tokens: AccessTokens | undefined;
  /** Undefined when the operator configured no SMTP server. */
  mailer: Mailer | undefined;
  /** Mails per device per hour. */
  mailBudget: WindowLimit;
}

/** Consecutive refused frames after which a connection is closed as abusive. */
const MAX_REFUSED_STREAK = 500;
/** Frames buffered while an AUTH signature is being checked. */
const MAX_PENDING_DURING_AUTH = 64;
/** Outgoing bytes buffered before delivery pauses. */
const HIGH_WATER_BYTES = 4 * 1024 * 1024;
/** SMTP conversations in progress across the relay; a stalled server holds no more sockets than this. */
const MAX_MAIL_IN_FLIGHT = 16;

type State = "hello" | "auth" | "authenticating" | "ready" | "closed";

export class RelayConnection {
  private state: State = "hello";
  private nonce: Uint8Array | undefined;
  private device: Uint8Array | undefined;
  private deviceKey = "";
  private delivery: MailboxDelivery | undefined;
  private readonly frameBucket: TokenBucket;
  private refusedStreak = 0;
  private pending: Uint8Array[] = [];
  private readonly authTimer: NodeJS.Timeout;
  private readonly limits;
  private log: Logger;

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: RelayContext,
    id: number,
  ) {
    const c = ctx.config;
    this.log = ctx.log.child({ conn: id });
    this.frameBucket = new TokenBucket(c.rateFramesPerSecond, 2 * c.rateFramesPerSecond);
    // Decode with the frame bound only; the handlers check envelope size, targets and
    // blob size themselves so each gets its own error code.
    this.limits = withLimits({
      maxFrameBytes: c.maxFrameBytes,
      maxEnvelopeBytes: c.maxFrameBytes,
      maxBlobBytes: c.maxFrameBytes,
      maxTargets: 0xffff,
    });
    this.authTimer = setTimeout(() => {
      if (this.state !== "ready")
        this.refuseAndClose("AUTH_TIMEOUT", "no valid AUTH in time", RelayCloseCode.AUTH_TIMEOUT);
    }, c.authTimeoutMs);
    ws.on("message", (data: Buffer, isBinary: boolean) => this.onMessage(data, isBinary));
    ws.on("close", () => this.onClose());
    ws.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
  }

  get deviceId(): string {
    return this.deviceKey;
  }

  /** Wake delivery after new mail was committed for this device. */
  /** A message was committed to this device's mailbox. */
  offer(message: StoredMessage): void {
    this.delivery?.offer(message);
  }

  /** Forward an ephemeral envelope; never stored. */
  forwardEphemeral(frame: Extract<Frame, { type: "deliver" }>): void {
    if (this.state === "ready") this.sendFrame(frame);
  }

  close(code: number, reason: string): void {
    if (this.state === "closed") return;
    this.ws.close(code, reason);
    this.onClose();
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state === "closed") return;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (!this.frameBucket.take(1)) {
      this.refuse("RATE_LIMITED", "too many frames; slow down", refOfUndecoded(bytes));
      return;
    }
    if (!isBinary) {
      this.refuse("BAD_FRAME", "frames must be binary");
      return;
    }
    if (bytes.length > this.ctx.config.maxFrameBytes) {
      this.refuse(
        "FRAME_TOO_LARGE",
        `frame of ${bytes.length} bytes exceeds ${this.ctx.config.maxFrameBytes}`,
        refOfUndecoded(bytes),
      );
      return;
    }
    if (this.state === "authenticating") {
      if (this.pending.length >= MAX_PENDING_DURING_AUTH) {
        this.refuse("RATE_LIMITED", "wait for AUTH_OK before sending more");
        return;
      }
      // Copy: ws may reuse the buffer.
      this.pending.push(bytes.slice());
      return;
    }
    this.handleBytes(bytes);
  }

  private handleBytes(bytes: Uint8Array): void {
    let frame: Frame;
    try {
      frame = decodeFrame(bytes, this.limits);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      if (err.code === "UNSUPPORTED_VERSION") {
        this.refuseAndClose(
          "UNSUPPORTED_VERSION",
          `this relay speaks Grove protocol ${PROTOCOL_VERSION}; update Grove or use another relay`,
          RelayCloseCode.UNSUPPORTED_VERSION,
        );
        return;
      }
      // A mail or blob request refused for its fields still names its msgId or hash, so the
      // app can tell which of its requests failed.
      const ref = refOfUndecoded(bytes);
      if (bytes[1] === FrameType.mailSend && ref.length > 0) {
        this.logMail(ref, "invalid", { reason: err.code });
      }
      this.refuse("BAD_FRAME", `${err.code}: ${err.message}`, ref);
      return;
    }
    this.refusedStreak = 0;
    this.dispatch(frame);
  }

  private dispatch(frame: Frame): void {
    switch (this.state) {
      case "hello":
        if (frame.type !== "hello") return this.refuse("AUTH_REQUIRED", "send HELLO first");
        return this.onHello(frame);
      case "auth":
        if (frame.type !== "auth") return this.refuse("AUTH_REQUIRED", "send AUTH first");
        void this.onAuth(frame);
        return;
      case "ready":
        return this.onReadyFrame(frame);
      default:
        return;
    }
  }

  private onHello(frame: Extract<Frame, { type: "hello" }>): void {
    if (frame.minVersion > PROTOCOL_VERSION || frame.maxVersion < PROTOCOL_VERSION) {
      return this.refuseAndClose(
        "UNSUPPORTED_VERSION",
        `this relay speaks Grove protocol ${PROTOCOL_VERSION}, the app ${frame.minVersion}-${frame.maxVersion}; update Grove or the relay`,
        RelayCloseCode.UNSUPPORTED_VERSION,
      );
    }
    this.nonce = globalThis.crypto.getRandomValues(new Uint8Array(CHALLENGE_BYTES));
    this.state = "auth";
    this.sendFrame({
      type: "challenge",
      nonce: this.nonce,
      relayUrl: this.ctx.origin,
      maxEnvelopeBytes: this.ctx.config.maxEnvelopeBytes,
      maxTargets: this.ctx.config.maxTargets,
    });
  }

  private async onAuth(frame: AuthFrame): Promise<void> {
    const nonce = this.nonce!;
    this.nonce = undefined; // single use, whatever the outcome
    this.state = "authenticating";
    if (this.ctx.tokens && !this.ctx.tokens.allows(frame.accessToken)) {
      return this.refuseAndClose(
        "ACCESS_DENIED",
        "this relay is closed: a valid access token is required",
        RelayCloseCode.AUTH_FAILED,
      );
    }
    const ok = await verifyRelayAuth(
      this.ctx.backend,
      frame.device,
      frame.signature,
      nonce,
      this.ctx.origin,
    );
    if ((this.state as State) === "closed") return;
    if (!ok) {
      return this.refuseAndClose(
        "AUTH_FAILED",
        `signature does not match device and challenge for ${this.ctx.origin}`,
        RelayCloseCode.AUTH_FAILED,
      );
    }
    clearTimeout(this.authTimer);
    this.device = frame.device;
    this.deviceKey = bytesKey(frame.device);
    this.log = this.log.child({ device: toHex(frame.device).slice(0, 12) });
    const previous = this.ctx.online.get(this.deviceKey);
    this.ctx.online.set(this.deviceKey, this);
    previous?.close(RelayCloseCode.REPLACED, "replaced by a newer connection of this device");
    this.delivery = new MailboxDelivery(
      this.ctx.store,
      frame.device,
      this.ctx.config.deliveryWindow,
      {
        deliver: (f) => {
          this.ctx.metrics.deliveries.inc();
          this.sendFrame(f);
        },
        writable: () => this.ws.bufferedAmount < HIGH_WATER_BYTES,
        failed: (err) => this.storeFailed(err, new Uint8Array()),
      },
    );
    this.state = "ready";
    const queued = await this.ctx.store.queued(frame.device).catch(() => 0);
    this.sendFrame({ type: "authOk", queued });
    this.log.info({ queued }, "device authenticated");
    const buffered = this.pending;
    this.pending = [];
    for (const bytes of buffered) this.handleBytes(bytes);
    this.delivery.pump();
  }

  private onReadyFrame(frame: Frame): void {
    switch (frame.type) {
      case "send":
        return this.onSend(frame);
      case "deliverAck": {
        const seqs = frame.seqs.filter((s) => s > 0);
        this.delivery!.ack(seqs).then(
          (n) => this.ctx.metrics.acks.inc(n),
          (err) => this.storeFailed(err, new Uint8Array()),
        );
        return;
      }
      case "resend":
        return this.delivery!.resend(frame.fromSeq);
      case "blobPut":
        return this.onBlobPut(frame);
      case "blobGet":
        return this.onBlobGet(frame);
      case "mailSend":
        return this.onMailSend(frame);
      default:
        return this.refuse("BAD_FRAME", `unexpected ${frame.type} frame from a device`);
    }
  }

  private onSend(frame: SendFrame): void {
    const c = this.ctx.config;
    if (frame.targets.length > c.maxTargets) {
      return this.refuse(
        "TOO_MANY_TARGETS",
        `at most ${c.maxTargets} targets per send`,
        frame.msgId,
      );
    }
    if (frame.envelope.length > c.maxEnvelopeBytes) {
      return this.refuse(
        "ENVELOPE_TOO_LARGE",
        `envelope of ${frame.envelope.length} bytes exceeds ${c.maxEnvelopeBytes}`,
        frame.msgId,
      );
    }
    if (!this.ctx.sendBuckets.take(this.deviceKey, frame.envelope.length)) {
      return this.refuse("RATE_LIMITED", "sending too fast; retry later", frame.msgId);
    }
    const targets = distinct(frame.targets);
    if ((frame.flags & FLAG_EPHEMERAL) !== 0) {
      const deliver = {
        type: "deliver" as const,
        seq: 0,
        msgId: frame.msgId,
        sender: this.device!,
        flags: frame.flags,
        envelope: frame.envelope,
      };
      for (const t of targets) this.ctx.online.get(bytesKey(t))?.forwardEphemeral(deliver);
      this.ctx.metrics.sends.inc({ kind: "ephemeral" });
      return this.sendFrame({ type: "ack", msgId: frame.msgId });
    }
    const ttl = frame.ttlSeconds === 0 ? c.defaultTtlSeconds : frame.ttlSeconds;
    if (ttl > c.maxTtlSeconds) {
      return this.refuse(
        "TTL_OUT_OF_RANGE",
        `ttl of ${ttl}s exceeds ${c.maxTtlSeconds}s`,
        frame.msgId,
      );
    }
    // Copies: the frame's views point into a buffer ws may reuse.
    const request = {
      sender: this.device!,
      msgId: frame.msgId.slice(),
      targets: targets.map((t) => t.slice()),
      flags: frame.flags,
      envelope: frame.envelope.slice(),
      expiresAt: Date.now() + ttl * 1000,
    };
    this.ctx.store
      .enqueue(request, { maxMessages: c.mailboxMaxMessages, maxBytes: c.mailboxMaxBytes })
      .then((result) => {
        if (result.status === "quota") {
          return this.refuse(
            "QUOTA_EXCEEDED",
            `mailbox of ${toHex(result.device).slice(0, 12)} is full (${result.reason}); nothing was queued`,
            request.msgId,
          );
        }
        this.sendFrame({ type: "ack", msgId: request.msgId });
        if (result.status === "queued") {
          this.ctx.metrics.sends.inc({ kind: "stored" });
          request.targets.forEach((t, i) => {
            this.ctx.online.get(bytesKey(t))?.offer({
              seq: result.seqs[i]!,
              msgId: request.msgId,
              sender: request.sender,
              flags: request.flags,
              envelope: request.envelope,
            });
          });
        }
      })
      .catch((err) => this.storeFailed(err, request.msgId));
  }

  private onBlobPut(frame: BlobPutFrame): void {
    const c = this.ctx.config;
    const hash = frame.hash.slice();
    if (frame.data.length > c.maxBlobBytes) {
      return this.refuse("FRAME_TOO_LARGE", `blob chunk exceeds ${c.maxBlobBytes} bytes`, hash);
    }
    const actual = createHash("sha256").update(frame.data).digest();
    if (!actual.equals(hash))
      return this.refuse("HASH_MISMATCH", "blob data does not match its SHA-256", hash);
    this.ctx.store
      .putBlob(hash, frame.data.slice(), this.device!, c.blobQuotaBytes)
      .then((result) => {
        if (result === "quota")
          return this.refuse("QUOTA_EXCEEDED", "blob quota of this device is used up", hash);
        this.sendFrame({ type: "blobPutOk", hash });
      })
      .catch((err) => this.storeFailed(err, hash));
  }

  private onBlobGet(frame: BlobGetFrame): void {
    const hash = frame.hash.slice();
    this.ctx.store
      .getBlob(hash)
      .then((data) => {
        if (!data) return this.refuse("NOT_FOUND", "no blob with this hash", hash);
        this.sendFrame({ type: "blobData", hash, data });
      })
      .catch((err) => this.storeFailed(err, hash));
  }

  /**
   * Hands one mail to the operator's SMTP server and answers ACK once it took
   * it. The fields were checked by the decoder; they are not logged.
   */
  private onMailSend(frame: MailSendFrame): void {
    const msgId = frame.msgId.slice();
    const mailer = this.ctx.mailer;
    if (!mailer) {
      this.countMail(msgId, "unavailable");
      return this.refuse(
        "MAIL_UNAVAILABLE",
        "this relay has no SMTP server configured; send the invitation another way",
        msgId,
      );
    }
    if (mailer.inFlight >= MAX_MAIL_IN_FLIGHT) {
      this.countMail(msgId, "rate_limited", { reason: "busy" });
      return this.refuse(
        "RATE_LIMITED",
        "the relay is sending too many mails; retry shortly",
        msgId,
      );
    }
    if (!this.ctx.mailBudget.take(this.deviceKey)) {
      this.countMail(msgId, "rate_limited", { reason: "budget" });
      return this.refuse(
        "RATE_LIMITED",
        `at most ${this.ctx.config.mailPerHour} mails per hour from one device; retry later`,
        msgId,
      );
    }
    mailer
      .send({ to: frame.to, subject: frame.subject, text: frame.text })
      .then((outcome) => {
        if (outcome.sent) {
          this.countMail(msgId, "sent", { smtpCode: outcome.smtpCode });
          return this.sendFrame({ type: "ack", msgId });
        }
        this.countMail(msgId, "refused", { smtpCode: outcome.smtpCode, reason: outcome.reason });
        this.sendError(
          "MAIL_REFUSED",
          outcome.smtpCode !== undefined
            ? `the relay's SMTP server refused the mail (SMTP ${outcome.smtpCode})`
            : `the relay could not hand the mail to its SMTP server (${outcome.reason})`,
          msgId,
        );
      })
      // send() settles with an outcome and never throws; this only keeps a bug from taking the relay down.
      .catch((err) => this.log.error({ err: (err as Error)?.name }, "mail bookkeeping failed"));
  }

  private countMail(
    msgId: Uint8Array,
    outcome: MailOutcomeLabel,
    detail: { smtpCode?: number | undefined; reason?: string } = {},
  ): void {
    this.ctx.metrics.mail.inc({ outcome });
    this.logMail(msgId, outcome, detail);
  }

  /** What an operator may know of a mail: who asked, which request, what happened. Never its fields. */
  private logMail(
    msgId: Uint8Array,
    outcome: MailOutcomeLabel | "invalid",
    detail: { smtpCode?: number | undefined; reason?: string },
  ): void {
    const entry = { msgId: toHex(msgId), outcome, ...detail };
    if (outcome === "refused") this.log.warn(entry, "mail refused");
    else this.log.info(entry, `mail ${outcome === "sent" ? "sent" : "not sent"}`);
  }

  private storeFailed(err: unknown, ref: Uint8Array): void {
    this.log.error({ err: (err as Error)?.message }, "store operation failed");
    this.sendError("STORE_UNAVAILABLE", "the relay could not store this; retry later", ref);
  }

  /** An error frame for a frame we could not honour; closes connections that keep pushing. */
  private refuse(code: RelayErrorName, message: string, ref: Uint8Array = new Uint8Array()): void {
    this.sendError(code, message, ref);
    if (++this.refusedStreak > MAX_REFUSED_STREAK) {
      this.log.warn({ code }, "closing connection that ignores refusals");
      this.close(RelayCloseCode.ABUSE, "too many refused frames");
    }
  }

  private refuseAndClose(code: RelayErrorName, message: string, closeCode: number): void {
    this.sendError(code, message, new Uint8Array());
    this.log.info({ code }, "closing connection");
    this.close(closeCode, code);
  }

  private sendError(code: RelayErrorName, message: string, ref: Uint8Array): void {
    this.ctx.metrics.errors.inc({ code });
    this.sendFrame({ type: "error", code: RelayErrorCode[code], message, ref });
  }

  private sendFrame(frame: Frame): void {
    if (this.state === "closed" || this.ws.readyState !== this.ws.OPEN) return;
    this.ws.send(encodeFrame(frame), (err) => {
      // Delivery paused on backpressure resumes as the socket drains.
      if (!err && this.ws.bufferedAmount < HIGH_WATER_BYTES / 2) this.delivery?.drained();
    });
  }

  private onClose(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.authTimer);
    this.delivery?.stop();
    if (this.deviceKey && this.ctx.online.get(this.deviceKey) === this)
      this.ctx.online.delete(this.deviceKey);
  }
}

function distinct(keys: Uint8Array[]): Uint8Array[] {
  const seen = new Set<string>();
  return keys.filter((k) => {
    const id = bytesKey(k);
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}
