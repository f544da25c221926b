/**
 * One device's WebSocket on /v1: HELLO -> CHALLENGE -> AUTH -> serving.
 * This is the dispatcher: it owns the socket, the connection's state and
 * its refusal count, and hands each frame to the module whose job it is,
 * through a ConnectionLink (connection-link.ts):
 *
 *   connection-session.ts   HELLO, AUTH, admission within source limits
 *   connection-mailbox.ts   SEND, TARGET_SET, delivery, DELIVER_ACK, RESEND
 *   connection-blobs.ts     BLOB_PUT, BLOB_GET
 *   connection-mail.ts      MAIL_INVITE, MAIL_SEND
 *   connection-flow.ts      backpressure both ways, slow readers
 *
 * (WebRTC signaling has its own socket path and hub: signaling.ts.)
 *
 * Every refusal is an ERROR frame with a code, never a silent drop. A frame
 * that cannot be decoded costs the sender an error, not the relay its
 * health; a connection that keeps pushing through rate limits, or fails
 * auth, is closed with a close code. Sends are handed to the store in the
 * order they arrive, without waiting for earlier commits, so one
 * connection's sends share group commits.
 *
 * Every handler runs isolated: an exception closes this connection alone
 * (INTERNAL_ERROR), logged and counted. Memory is bounded per message by
 * the flow account: reading stops while this connection's outgoing buffer
 * is over its high-water mark or too much of what it sent is unstored, and
 * a connection that stays unread is closed.
 */
import type { Logger } from "pino";
import type { WebSocket } from "ws";
import { toHex } from "../core/crypto/bytes.js";
import { DecodeError } from "../core/wire/errors.js";
import { decodeFrame, encodeFrame, refOfUndecoded } from "../core/wire/frame.js";
import {
  type AuthFrame,
  type Frame,
  FrameType,
  type HelloFrame,
  PROTOCOL_VERSION,
  RELAY_FEATURE_DELIVER_BATCH,
  RELAY_FEATURE_MAIL,
  RELAY_FEATURE_TARGET_SETS,
} from "../core/wire/frame-types.js";
import { withLimits } from "../core/wire/limits.js";
import { RelayCloseCode, RelayErrorCode, type RelayErrorName } from "../core/wire/relay-errors.js";
import type { BusMessage } from "./bus/relay-bus.js";
import { BlobHandlers } from "./connection-blobs.js";
import { ConnectionFlow } from "./connection-flow.js";
import type { ConnectionLink, Session } from "./connection-link.js";
import { onMailFrame } from "./connection-mail.js";
import { MailboxHandlers } from "./connection-mailbox.js";
import { admit, helloRefusal, newChallenge } from "./connection-session.js";
import type { CountedBytes } from "./deliver-batches.js";
import { injectFault } from "./fault-injection.js";
import type { FlowAccount } from "./flow.js";
import { logMail } from "./mail-requests.js";
import type { LocalDevice } from "./presence.js";
import { TokenBucket } from "./rate-limit.js";
import type { RelayContext } from "./relay-context.js";
import type { Slot } from "./slots.js";
import type { StoredMessage } from "./store/relay-store.js";
import { type Corkable, TurnWrites } from "./turn-writes.js";

/** Where a connection comes from, as the upgrade saw it. */
export interface ConnectionOrigin {
  /** The client IP (IPv6 by /64): what bytes in flight are counted under. */
  ip: string;
  /** Its place among unauthenticated sockets, given back at login or close. */
  unauthSlot: Slot;
  /** The socket under the WebSocket, corked per turn so a burst of frames is one write. */
  socket?: Corkable;
}

/** Consecutive refused frames after which a connection is closed as abusive. */
const MAX_REFUSED_STREAK = 500;
/** Frames buffered while an AUTH signature is being checked. */
const MAX_PENDING_DURING_AUTH = 64;

type State = "hello" | "auth" | "authenticating" | "ready" | "closed";

/** What a logged-in connection serves with: its session and one handler per concern. */
interface Serving {
  session: Session;
  slot: Slot;
  mailbox: MailboxHandlers;
  blobs: BlobHandlers;
  since: number;
}

/** What hold() gives when the frame's bytes were taken already: nothing left to release. */
const releaseNothing = () => undefined;

export class RelayConnection implements LocalDevice {
  private state: State = "hello";
  private nonce: Uint8Array | undefined;
  private serving: Serving | undefined;
  private readonly frameBucket: TokenBucket;
  private refusedStreak = 0;
  private pending: { bytes: Uint8Array; release: () => void }[] = [];
  private readonly authTimer: NodeJS.Timeout;
  private readonly limits;
  private log: Logger;
  private readonly account: FlowAccount;
  private readonly flow: ConnectionFlow;
  /** The received bytes of the frame being handled; a handler that goes async takes them. */
  private holding: (() => void) | undefined;
  private readonly turnWrites: TurnWrites | undefined;
  /** What the handlers may do with this connection. */
  private readonly link: ConnectionLink;

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: RelayContext,
    id: number,
    private readonly origin: ConnectionOrigin,
  ) {
    const c = ctx.config;
    this.log = ctx.log.child({ conn: id });
    this.account = ctx.flow.account(origin.ip);
    this.flow = new ConnectionFlow(this.account, ctx.flow, c, {
      pause: () => ws.pause(),
      resume: () => ws.resume(),
      isolated: (run) => this.isolated(run),
      closed: () => this.isClosed(),
      drained: () => this.serving?.mailbox.delivery.drained(),
      slowReader: (buffered) => this.closeSlowReader(buffered),
    });
    this.turnWrites = origin.socket && new TurnWrites(origin.socket);
    this.frameBucket = new TokenBucket(c.rateFramesPerSecond, 2 * c.rateFramesPerSecond);
    // Decode with the frame bound only; the handlers check envelope size, targets and
    // blob size themselves so each gets its own error code.
    this.limits = withLimits({
      maxFrameBytes: c.maxFrameBytes,
      maxEnvelopeBytes: c.maxFrameBytes,
      maxBlobBytes: c.maxFrameBytes,
      maxTargets: 0xffff,
    });
    const self = this;
    this.link = {
      ctx,
      get log() {
        return self.log;
      },
      send: (frame) => this.sendFrame(frame),
      refuse: (code, message, ref) => this.refuse(code, message, ref),
      sendError: (code, message, ref) => this.sendError(code, message, ref),
      storeFailed: (err, ref) => this.storeFailed(err, ref),
      hold: () => this.hold(),
    };
    this.authTimer = setTimeout(() => {
      if (this.state !== "ready")
        this.refuseAndClose("AUTH_TIMEOUT", "no valid AUTH in time", RelayCloseCode.AUTH_TIMEOUT);
    }, c.authTimeoutMs);
    ws.on("message", (data: Buffer, isBinary: boolean) =>
      this.isolated(() => this.onMessage(data, isBinary)),
    );
    ws.on("close", () => this.onClose());
    // The close that follows does the cleanup; the error itself is the peer's or the network's.
    ws.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
  }

  get deviceId(): string {
    return this.serving?.session.deviceKey ?? "";
  }

  get device(): Uint8Array {
    return this.serving?.session.device ?? new Uint8Array();
  }

  get connectedAt(): number {
    return this.serving?.since ?? 0;
  }

  get position(): number {
    return this.serving?.mailbox.delivery.position ?? 0;
  }

  /** A message was committed to this device's mailbox (delivered once AUTH_OK has gone out). */
  offer(message: StoredMessage): void {
    if (this.state === "ready") this.serving?.mailbox.delivery.offer(message);
  }

  /** Mail may be waiting (a hint from another node, a resync): read the mailbox. */
  pump(): void {
    if (this.state === "ready") this.serving?.mailbox.delivery.pump();
  }

  /** Forward an ephemeral envelope; never stored. False when this socket has no room for it. */
  forwardEphemeral(message: BusMessage): boolean {
    if (this.state !== "ready" || !this.account.canDeliver) return false;
    this.sendFrame({ type: "deliver", seq: 0, ...message });
    return true;
  }

  /** A graceful stop: says why (ERROR SHUTTING_DOWN, retry later), then closes 1001. */
  shutDown(): void {
    if (this.state === "closed") return;
    this.sendError("SHUTTING_DOWN", "the relay is stopping; reconnect later", new Uint8Array());
    this.close(RelayCloseCode.GOING_AWAY, "relay shutting down");
  }

  close(code: number, reason: string): void {
    if (this.state === "closed") return;
    this.ws.close(code, reason);
    this.onClose();
  }

  /** Runs a handler so that whatever it throws, or rejects later, closes this connection only. */
  private isolated(run: () => unknown): void {
    try {
      const pending = run();
      if (pending instanceof Promise) pending.catch((err) => this.failed(err));
    } catch (err) {
      this.failed(err);
    }
  }

  private failed(err: unknown): void {
    this.ctx.metrics.handlerFailures.inc({ where: "v1" });
    const e = err instanceof Error ? err : new Error(String(err));
    this.log.error({ err: e.message, name: e.name, stack: e.stack }, "handler failed");
    if (this.state === "closed") return;
    this.sendError(
      "INTERNAL",
      "the relay failed handling this connection's frame",
      new Uint8Array(),
    );
    this.close(RelayCloseCode.INTERNAL_ERROR, "internal error");
  }

  private onMessage(data: Buffer, isBinary: boolean): void {
    if (this.state === "closed") return;
    const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    this.holding = this.account.received(bytes.length);
    try {
      this.takeMessage(bytes, isBinary);
    } finally {
      this.holding?.();
      this.holding = undefined;
      this.flow.update();
    }
  }

  /** The received bytes of the current frame, for a handler to release once it is done with them. */
  private hold(): () => void {
    const release = this.holding ?? releaseNothing;
    this.holding = undefined;
    return release;
  }

  private takeMessage(bytes: Uint8Array, isBinary: boolean): void {
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
      // Copy: ws may reuse the buffer. Its bytes stay counted until it is handled.
      this.pending.push({ bytes: bytes.slice(), release: this.hold() });
      return;
    }
    this.handleBytes(bytes);
  }

  private handleBytes(bytes: Uint8Array): void {
    let frame: Frame;
    try {
      frame = decodeFrame(bytes, this.limits);
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err; // a bug: isolated() closes this connection
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
      if (
        (bytes[1] === FrameType.mailSend || bytes[1] === FrameType.mailInvite) &&
        ref.length > 0
      ) {
        logMail(this.log, ref, "invalid", { reason: err.code });
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
        this.isolated(() => this.onAuth(frame));
        return;
      case "ready":
        if (this.serving) this.onReadyFrame(this.serving, frame);
        return;
      default:
        return;
    }
  }

  private onHello(frame: HelloFrame): void {
    const fault = injectFault(this.ctx.config.injectFaults, frame.client);
    if (fault) return this.isolated(() => fault);
    const refusal = helloRefusal(frame);
    if (refusal) return this.refuseAndClose(refusal.code, refusal.message, refusal.closeCode);
    const challenge = newChallenge(this.ctx);
    this.nonce = challenge.nonce;
    this.state = "auth";
    this.sendFrame(challenge.frame);
  }

  private async onAuth(frame: AuthFrame): Promise<void> {
    const nonce = this.nonce;
    this.nonce = undefined; // single use, whatever the outcome
    this.state = "authenticating";
    // "auth" is entered only with a nonce: without one, a bug, and isolated() closes.
    if (!nonce) throw new Error("AUTH without a challenge");
    const admission = await admit(this.ctx, frame, nonce, this.origin.ip, () => this.isClosed());
    if (!admission || this.isClosed()) {
      if (admission?.ok) admission.slot.release();
      return;
    }
    if (!admission.ok) {
      return this.refuseAndClose(admission.code, admission.message, admission.closeCode);
    }
    const { session, slot } = admission;
    this.origin.unauthSlot.release();
    clearTimeout(this.authTimer);
    this.log = this.log.child({ device: toHex(session.device).slice(0, 12) });
    const mailbox = new MailboxHandlers(this.link, session, {
      sendBytes: (bytes) => this.sendBytes(bytes),
      count: (n) => this.countSent(n),
      countGathered: () => this.countGathered(),
      sendCounted: (bytes, release) => this.sendCounted(bytes, release),
      writable: () => this.account.canDeliver,
      blocked: () => this.flow.deliveryBlocked(),
    });
    this.serving = {
      session,
      slot,
      mailbox,
      blobs: new BlobHandlers(this.link, session),
      since: Date.now(),
    };
    // Subscribed to this device's hints before its mailbox is first read: none falls in between.
    // An older connection of the device, here or on another node, is closed as REPLACED.
    await this.ctx.presence.arrive(this);
    if (this.isClosed()) return;
    // Still "authenticating" while the count is read: frames that arrive meanwhile queue
    // behind those that came during the signature check, so all are handled in arrival order.
    const queued = await this.ctx.store.queued(session.device).catch((err: unknown) => {
      // Only AUTH_OK's hint of what waits; delivery reads the mailbox itself and reports failures.
      this.ctx.metrics.handlerFailures.inc({ where: "queued" });
      this.log.warn({ err: errorMessage(err) }, "could not count queued mail; AUTH_OK says 0");
      return 0;
    });
    if (this.isClosed()) return;
    this.state = "ready";
    this.sendFrame({ type: "authOk", queued });
    this.sendFrame({
      type: "relayInfo",
      features:
        RELAY_FEATURE_TARGET_SETS |
        RELAY_FEATURE_DELIVER_BATCH |
        (this.ctx.mail.mailer ? RELAY_FEATURE_MAIL : 0),
    });
    this.log.info({ queued }, "device authenticated");
    const buffered = this.pending;
    this.pending = [];
    for (const { bytes, release } of buffered) {
      if (this.isClosed()) {
        release();
        continue;
      }
      this.holding = release;
      try {
        this.handleBytes(bytes);
      } finally {
        this.holding?.();
        this.holding = undefined;
      }
    }
    this.flow.update();
    mailbox.delivery.pump();
  }

  private onReadyFrame({ session, mailbox, blobs }: Serving, frame: Frame): void {
    switch (frame.type) {
      case "send":
        return mailbox.onSend(frame);
      case "targetSet":
        return mailbox.onTargetSet(frame);
      case "deliverAck":
        return mailbox.onAck(frame);
      case "acceptBatches":
        return mailbox.onAcceptBatches();
      case "resend":
        return mailbox.onResend(frame);
      case "blobPut":
        return blobs.onPut(frame);
      case "blobGet":
        return blobs.onGet(frame);
      case "mailSend":
      case "mailInvite":
        return onMailFrame(this.link, session, frame);
      default:
        return this.refuse("BAD_FRAME", `unexpected ${frame.type} frame from a device`);
    }
  }

  /** Read through a method: the state changes across the awaits of onAuth. */
  private isClosed(): boolean {
    return this.state === "closed";
  }

  private storeFailed(err: unknown, ref: Uint8Array): void {
    this.log.error({ err: errorMessage(err) }, "store operation failed");
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
    this.sendBytes(encodeFrame(frame));
  }

  private sendBytes(bytes: Uint8Array): void {
    if (this.state === "closed" || this.ws.readyState !== this.ws.OPEN) return;
    this.turnWrites?.hold();
    const release = this.account.sent(bytes.length);
    this.ws.send(bytes, () => this.isolated(() => this.flow.written(release)));
    if (this.account.outboundFull) this.flow.update();
  }

  /** Bytes about to go out, counted now so backpressure sees them before their frame is built. */
  private countSent(n: number): () => void {
    const release = this.account.sent(n);
    if (this.account.outboundFull) this.flow.update();
    return release;
  }

  /** Bytes of a frame being gathered, counted as each piece joins (backpressure sees them at once). */
  private countGathered(): CountedBytes {
    const hold = this.account.outboundHold();
    return {
      add: (n) => {
        hold.add(n);
        if (this.account.outboundFull) this.flow.update();
      },
      release: hold.release,
    };
  }

  /** Sends a frame whose bytes countSent counted; `release` once written, or now if closed. */
  private sendCounted(bytes: Uint8Array, release: () => void): void {
    if (this.state === "closed" || this.ws.readyState !== this.ws.OPEN) return release();
    this.turnWrites?.hold();
    this.ws.send(bytes, () => this.isolated(() => this.flow.written(release)));
  }

  private closeSlowReader(buffered: number): void {
    this.ctx.metrics.refusals.inc({ reason: "slow_reader" });
    this.log.info({ buffered }, "closing a connection that does not read");
    // terminate, not close: a close frame would wait behind the very bytes it does not read.
    this.ws.terminate();
    this.onClose();
  }

  private onClose(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.authTimer);
    this.serving?.mailbox.delivery.stop();
    this.origin.unauthSlot.release();
    this.serving?.slot.release();
    for (const { release } of this.pending.splice(0)) release();
    this.holding?.();
    this.holding = undefined;
    this.flow.stop();
    if (this.serving) this.ctx.presence.leave(this);
  }
}

function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
