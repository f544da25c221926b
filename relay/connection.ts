/**
 * One device's WebSocket on /v1: HELLO -> CHALLENGE -> AUTH -> serving.
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
  MAX_TARGET_SET_ENTRIES,
  type MailInviteFrame,
  type MailSendFrame,
  PROTOCOL_VERSION,
  RELAY_FEATURE_MAIL,
  RELAY_FEATURE_TARGET_SETS,
  type SendFrame,
  type TargetSetFrame,
} from "../core/wire/frame-types.js";
import { withLimits } from "../core/wire/limits.js";
import { RelayCloseCode, RelayErrorCode, type RelayErrorName } from "../core/wire/relay-errors.js";
import type { AccessTokens } from "./access-tokens.js";
import type { BusMessage } from "./bus/relay-bus.js";
import type { RelayConfig } from "./config.js";
import { MailboxDelivery } from "./delivery.js";
import type { FairWrites } from "./fair-writes.js";
import { injectFault } from "./fault-injection.js";
import type { Flow, FlowAccount } from "./flow.js";
import { handleMailRequest, logMail, type MailDeskContext } from "./mail-requests.js";
import type { RelayMetrics } from "./metrics.js";
import type { LocalDevice, Presence } from "./presence.js";
import { type BucketMap, TokenBucket } from "./rate-limit.js";
import type { Slot } from "./slots.js";
import type { SourceLimits } from "./source-limits.js";
import type { RelayStore, StoredMessage } from "./store/relay-store.js";
import { distinctKeys, TargetSets } from "./target-sets.js";

export interface RelayContext {
  config: RelayConfig;
  /** The relay's canonical origin, which devices sign. */
  origin: string;
  store: RelayStore;
  metrics: RelayMetrics;
  log: Logger;
  backend: Ed25519Backend;
  /** Devices held here, and the way to devices held by other nodes. */
  presence: Presence;
  sendBuckets: BucketMap;
  tokens: AccessTokens | undefined;
  /** Invitation mail: SMTP (or none), budgets, the relay's own join link. */
  mail: MailDeskContext;
  flow: Flow;
  sources: SourceLimits;
  /** Sends and blob puts reach the store in turns by source. */
  writes: FairWrites;
}

/** Where a connection comes from, as the upgrade saw it. */
export interface ConnectionOrigin {
  /** The client IP (IPv6 by /64): what bytes in flight are counted under. */
  ip: string;
  /** Its place among unauthenticated sockets, given back at login or close. */
  unauthSlot: Slot;
}

/** Consecutive refused frames after which a connection is closed as abusive. */
const MAX_REFUSED_STREAK = 500;
/** Frames buffered while an AUTH signature is being checked. */
const MAX_PENDING_DURING_AUTH = 64;
/** Blob gets awaiting the store per connection: each answer may be a whole chunk. */
const MAX_BLOB_GETS_IN_FLIGHT = 4;

type State = "hello" | "auth" | "authenticating" | "ready" | "closed";

export class RelayConnection implements LocalDevice {
  private state: State = "hello";
  private nonce: Uint8Array | undefined;
  private deviceBytes: Uint8Array | undefined;
  private deviceKey = "";
  private loggedInAt = 0;
  private delivery: MailboxDelivery | undefined;
  private readonly frameBucket: TokenBucket;
  private refusedStreak = 0;
  private pending: { bytes: Uint8Array; release: () => void }[] = [];
  private readonly authTimer: NodeJS.Timeout;
  private readonly limits;
  private log: Logger;
  private readonly account: FlowAccount;
  /** Target lists this connection's SENDs may name by id. */
  private readonly targetSets = new TargetSets();
  /** Logged-in devices count under their IP, or their access token on a closed relay. */
  private source: string;
  private sourceSlot: Slot | undefined;
  private readingPaused = false;
  /** Whether a wake-up is registered with the flow already (one is enough). */
  private awaitingRelief = false;
  private slowReaderTimer: NodeJS.Timeout | undefined;
  private blobGets = 0;
  /** The received bytes of the frame being handled; a handler that goes async takes them. */
  private holding: (() => void) | undefined;

  constructor(
    private readonly ws: WebSocket,
    private readonly ctx: RelayContext,
    id: number,
    private readonly origin: ConnectionOrigin,
  ) {
    const c = ctx.config;
    this.log = ctx.log.child({ conn: id });
    this.account = ctx.flow.account(origin.ip);
    this.source = origin.ip;
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
    ws.on("message", (data: Buffer, isBinary: boolean) =>
      this.isolated(() => this.onMessage(data, isBinary)),
    );
    ws.on("close", () => this.onClose());
    ws.on("error", (err) => this.log.debug({ err: err.message }, "socket error"));
  }

  get deviceId(): string {
    return this.deviceKey;
  }

  get device(): Uint8Array {
    return this.deviceBytes ?? new Uint8Array();
  }

  get connectedAt(): number {
    return this.loggedInAt;
  }

  get position(): number {
    return this.delivery?.position ?? 0;
  }

  /** A message was committed to this device's mailbox (delivered once AUTH_OK has gone out). */
  offer(message: StoredMessage): void {
    if (this.state === "ready") this.delivery?.offer(message);
  }

  /** Mail may be waiting (a hint from another node, a resync): read the mailbox. */
  pump(): void {
    if (this.state === "ready") this.delivery?.pump();
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
    const e = err as Error;
    this.log.error({ err: e?.message, name: e?.name, stack: e?.stack }, "handler failed");
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
      this.updateReading();
    }
  }

  /** The received bytes of the current frame, for a handler to release once it is done with them. */
  private hold(): () => void {
    const release = this.holding ?? (() => {});
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
        return this.onReadyFrame(frame);
      default:
        return;
    }
  }

  private onHello(frame: Extract<Frame, { type: "hello" }>): void {
    const fault = injectFault(this.ctx.config.injectFaults, frame.client);
    if (fault) return this.isolated(() => fault);
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
    const deviceKey = bytesKey(frame.device);
    // On a closed relay the token is the source: people behind one NAT do not share limits.
    const source = this.ctx.tokens ? `token:${tokenId(frame.accessToken)}` : this.origin.ip;
    if (!this.ctx.sources.newDevices.allow(source, deviceKey)) {
      this.ctx.metrics.refusals.inc({ reason: "new_device_limit" });
      return this.refuseAndClose(
        "RATE_LIMITED",
        `more than ${this.ctx.config.newDevicesPerHour} new device keys from this ${this.ctx.tokens ? "token" : "address"} in an hour`,
        RelayCloseCode.TRY_AGAIN_LATER,
      );
    }
    const slot = this.ctx.sources.connections.acquire(source);
    if (typeof slot === "string") {
      this.ctx.metrics.refusals.inc({ reason: "connections_per_source" });
      return this.refuseAndClose(
        "RATE_LIMITED",
        `more than ${this.ctx.config.connectionsPerSource} connections from this ${this.ctx.tokens ? "token" : "address"}`,
        RelayCloseCode.TRY_AGAIN_LATER,
      );
    }
    this.sourceSlot = slot;
    this.source = source;
    this.origin.unauthSlot.release();
    clearTimeout(this.authTimer);
    this.deviceBytes = frame.device;
    this.deviceKey = deviceKey;
    this.loggedInAt = Date.now();
    this.log = this.log.child({ device: toHex(frame.device).slice(0, 12) });
    this.delivery = new MailboxDelivery(
      this.ctx.store,
      frame.device,
      {
        window: this.ctx.config.deliveryWindow,
        fetchBytes: this.ctx.config.outboundHighWaterBytes,
      },
      {
        deliver: (f) => {
          this.ctx.metrics.deliveries.inc();
          this.sendFrame(f);
        },
        writable: () => this.account.canDeliver,
        blocked: () => this.onDeliveryBlocked(),
        failed: (err) => this.storeFailed(err, new Uint8Array()),
        readTime: (ms) => this.ctx.metrics.storeReadSeconds.observe(ms / 1000),
      },
    );
    // Subscribed to this device's hints before its mailbox is first read: none falls in between.
    // An older connection of the device, here or on another node, is closed as REPLACED.
    await this.ctx.presence.arrive(this);
    if ((this.state as State) === "closed") return;
    // Still "authenticating" while the count is read: frames that arrive meanwhile queue
    // behind those that came during the signature check, so all are handled in arrival order.
    const queued = await this.ctx.store.queued(frame.device).catch(() => 0);
    if ((this.state as State) === "closed") return;
    this.state = "ready";
    this.sendFrame({ type: "authOk", queued });
    this.sendFrame({
      type: "relayInfo",
      features: RELAY_FEATURE_TARGET_SETS | (this.ctx.mail.mailer ? RELAY_FEATURE_MAIL : 0),
    });
    this.log.info({ queued }, "device authenticated");
    const buffered = this.pending;
    this.pending = [];
    for (const { bytes, release } of buffered) {
      if ((this.state as State) === "closed") {
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
    this.updateReading();
    this.delivery.pump();
  }

  private onReadyFrame(frame: Frame): void {
    switch (frame.type) {
      case "send":
        return this.onSend(frame);
      case "targetSet":
        return this.onTargetSet(frame);
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
      case "mailInvite":
        return this.onMail(frame);
      default:
        return this.refuse("BAD_FRAME", `unexpected ${frame.type} frame from a device`);
    }
  }

  private onTargetSet(frame: TargetSetFrame): void {
    // A SEND naming the set meets --max-targets like a listed one, with its msgId,
    // so its sender learns which send failed; here only the connection's memory counts.
    if (this.targetSets.define(frame.setId, frame.targets)) return;
    this.targetSets.clear();
    this.refuse(
      "TOO_MANY_TARGETS",
      `a connection's target sets list at most ${MAX_TARGET_SET_ENTRIES} devices in all; every set of this connection is forgotten`,
    );
  }

  private onSend(sent: SendFrame): void {
    const c = this.ctx.config;
    let frame = sent;
    if (sent.targetSet !== undefined) {
      const targets = this.targetSets.get(sent.targetSet);
      if (!targets) {
        return this.refuse(
          "UNKNOWN_TARGET_SET",
          `no target set ${sent.targetSet} on this connection`,
          sent.msgId,
        );
      }
      frame = { ...sent, targets };
    }
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
    if (!this.takeSendBytes(frame.envelope.length)) {
      return this.refuse("RATE_LIMITED", "sending too fast; retry later", frame.msgId);
    }
    const targets = distinctKeys(frame.targets);
    if ((frame.flags & FLAG_EPHEMERAL) !== 0) return this.onEphemeral(frame, targets);
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
      sender: this.deviceBytes!,
      msgId: frame.msgId.slice(),
      targets: targets.map((t) => t.slice()),
      flags: frame.flags,
      envelope: frame.envelope.slice(),
      expiresAt: Date.now() + ttl * 1000,
      source: this.source,
    };
    const release = this.hold();
    this.ctx.writes
      .run(this.source, request.envelope.length, () =>
        this.ctx.store.enqueue(request, {
          maxMessages: c.mailboxMaxMessages,
          maxBytes: c.mailboxMaxBytes,
          sourceShareBytes: c.mailboxSourceShareBytes,
        }),
      )
      .then((result) => {
        if (result.status === "duplicate")
          return this.sendFrame({ type: "ack", msgId: request.msgId });
        // A full mailbox costs its own target this message, and tells the sender which one.
        if (result.full.length > 0) {
          for (const f of result.full)
            this.ctx.metrics.refusals.inc({ reason: `mailbox_${f.reason}` });
          this.sendFrame({
            type: "partialAck",
            msgId: request.msgId,
            full: result.full.map((f) => ({ target: f.device, reason: f.reason })),
          });
        } else {
          this.sendFrame({ type: "ack", msgId: request.msgId });
        }
        if (result.status === "queued") {
          this.ctx.metrics.sends.inc({ kind: "stored" });
          request.targets.forEach((t, i) => {
            if (result.seqs[i] === 0) return;
            this.ctx.presence.mailQueued(bytesKey(t), {
              seq: result.seqs[i]!,
              msgId: request.msgId,
              sender: request.sender,
              flags: request.flags,
              envelope: request.envelope,
            });
          });
        }
      })
      .catch((err) => this.storeFailed(err, request.msgId))
      .finally(release);
  }

  /**
   * Forwards to online targets only, each within its per-target budgets; a
   * target over budget, or whose socket is full, is skipped and the sender
   * told so (RATE_LIMITED), since a refusal is never silent. On a cluster, a
   * target not held here goes over the bus to whichever node holds it (if
   * any); that node spends its budget and drops the frame when over it.
   */
  private onEphemeral(frame: SendFrame, targets: Uint8Array[]): void {
    const message: BusMessage = {
      msgId: frame.msgId,
      sender: this.deviceBytes!,
      flags: frame.flags,
      envelope: frame.envelope,
    };
    const { ephemeralTarget, ephemeralSourceTarget } = this.ctx.sources;
    let skipped = 0;
    for (const t of targets) {
      const key = bytesKey(t);
      const target = this.ctx.presence.get(key);
      if (!target && !this.ctx.presence.clustered) continue;
      if (!target) {
        // Held by another node (or none): that node spends the target's budget, this one the source's.
        if (ephemeralSourceTarget.take(`${this.source}|${key}`, 1)) {
          this.ctx.presence.ephemeralElsewhere(key, {
            ...message,
            msgId: message.msgId.slice(),
            envelope: message.envelope.slice(),
          });
        } else {
          skipped++;
          this.ctx.metrics.refusals.inc({ reason: "ephemeral_target_rate" });
        }
        continue;
      }
      // The source's own budget first, so a flood from one address spends none of the target's.
      if (
        !ephemeralSourceTarget.take(`${this.source}|${key}`, 1) ||
        !ephemeralTarget.take(key, 1)
      ) {
        skipped++;
        this.ctx.metrics.refusals.inc({ reason: "ephemeral_target_rate" });
        continue;
      }
      if (!target.forwardEphemeral(message)) {
        skipped++;
        this.ctx.metrics.refusals.inc({ reason: "ephemeral_target_busy" });
      }
    }
    this.ctx.metrics.sends.inc({ kind: "ephemeral" });
    if (skipped > 0) {
      return this.refuse(
        "RATE_LIMITED",
        `${skipped} of ${targets.length} targets get too many ephemeral frames; not forwarded to them`,
        frame.msgId,
      );
    }
    this.sendFrame({ type: "ack", msgId: frame.msgId });
  }

  /** Charges sent bytes to this device and to its source: minting keys buys no bandwidth. */
  private takeSendBytes(n: number): boolean {
    if (!this.ctx.sources.sendBytes.take(this.source, n)) {
      this.ctx.metrics.refusals.inc({ reason: "send_bytes_per_source" });
      return false;
    }
    return this.ctx.sendBuckets.take(this.deviceKey, n);
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
    if (!this.takeSendBytes(frame.data.length))
      return this.refuse("RATE_LIMITED", "putting blobs too fast; retry later", hash);
    const release = this.hold();
    const data = frame.data.slice();
    const quota = {
      ownerBytes: c.blobQuotaBytes,
      sourceBytes: c.blobQuotaPerSourceBytes,
      totalBytes: c.blobTotalBytes,
    };
    this.ctx.writes
      .run(this.source, data.length, () =>
        this.ctx.store.putBlob(hash, data, this.deviceBytes!, quota, this.source),
      )
      .then((result) => {
        if (result === "stored" || result === "exists")
          return this.sendFrame({ type: "blobPutOk", hash });
        this.ctx.metrics.refusals.inc({ reason: `blob_${result}` });
        const whose = {
          quota: "this device's",
          source_quota: `this ${this.ctx.tokens ? "access token's" : "address's"}`,
          total_quota: "the relay's",
        }[result];
        this.refuse("QUOTA_EXCEEDED", `${whose} blob storage is used up`, hash);
      })
      .catch((err) => this.storeFailed(err, hash))
      .finally(release);
  }

  private onBlobGet(frame: BlobGetFrame): void {
    const hash = frame.hash.slice();
    if (this.blobGets >= MAX_BLOB_GETS_IN_FLIGHT) {
      return this.refuse(
        "RATE_LIMITED",
        `at most ${MAX_BLOB_GETS_IN_FLIGHT} blob gets in flight per connection`,
        hash,
      );
    }
    this.blobGets++;
    this.ctx.store
      .getBlob(hash)
      .then((data) => {
        if (!data) return this.refuse("NOT_FOUND", "no blob with this hash", hash);
        this.sendFrame({ type: "blobData", hash, data });
      })
      .catch((err) => this.storeFailed(err, hash))
      .finally(() => {
        this.blobGets--;
      });
  }

  /** Invitation mail: composed, budgeted and sent by mail-requests.ts. */
  private onMail(frame: MailSendFrame | MailInviteFrame): void {
    handleMailRequest(
      this.ctx.mail,
      {
        deviceKey: this.deviceKey,
        source: this.source,
        log: this.log,
        ack: (msgId) => this.sendFrame({ type: "ack", msgId }),
        refuse: (code, message, ref) => this.refuse(code, message, ref),
        error: (code, message, ref) => this.sendError(code, message, ref),
      },
      frame,
    );
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
    const bytes = encodeFrame(frame);
    const release = this.account.sent(bytes.length);
    this.ws.send(bytes, () => this.isolated(() => this.onWritten(release)));
    if (this.account.outboundFull) this.updateReading();
  }

  /** Bytes left for the kernel: delivery and reading may resume. */
  private onWritten(release: () => void): void {
    release();
    if (this.state === "closed") return;
    if (this.account.outbound < this.ctx.config.outboundHighWaterBytes / 2) {
      this.updateReading();
      this.delivery?.drained();
    }
  }

  /**
   * Reads only while this connection has room both ways: a client that does
   * not read its answers, or sends faster than the store takes it, is not
   * read either. Outgoing bytes stuck over the mark for too long close it.
   */
  private updateReading(): void {
    if (this.state === "closed") return;
    const stuck = this.account.outboundFull;
    const pause = stuck || !this.account.canReceive;
    if (pause !== this.readingPaused) {
      this.readingPaused = pause;
      if (pause) this.ws.pause();
      else this.ws.resume();
    }
    if (pause && !stuck)
      this.ctx.flow.waitForRelief(() => this.isolated(() => this.updateReading()));
    if (stuck && !this.slowReaderTimer) {
      this.slowReaderTimer = setTimeout(
        () => this.isolated(() => this.closeSlowReader()),
        this.ctx.config.slowReaderTimeoutMs,
      );
    } else if (!stuck && this.slowReaderTimer) {
      clearTimeout(this.slowReaderTimer);
      this.slowReaderTimer = undefined;
    }
  }

  private closeSlowReader(): void {
    this.slowReaderTimer = undefined;
    if (this.state === "closed" || !this.account.outboundFull) return;
    this.ctx.metrics.refusals.inc({ reason: "slow_reader" });
    this.log.info({ buffered: this.account.outbound }, "closing a connection that does not read");
    // terminate, not close: a close frame would wait behind the very bytes it does not read.
    this.ws.terminate();
    this.onClose();
  }

  /** Delivery waits for room: on this socket (its drain wakes it) or shared (any release does). */
  private onDeliveryBlocked(): void {
    if (!this.account.outboundFull) this.awaitRelief();
  }

  /** Once bytes are released anywhere, retry what waits on a shared cap: reading and delivery. */
  private awaitRelief(): void {
    if (this.awaitingRelief) return;
    this.awaitingRelief = true;
    this.ctx.flow.waitForRelief(() =>
      this.isolated(() => {
        this.awaitingRelief = false;
        this.updateReading();
        this.delivery?.drained();
      }),
    );
  }

  private onClose(): void {
    if (this.state === "closed") return;
    this.state = "closed";
    clearTimeout(this.authTimer);
    clearTimeout(this.slowReaderTimer);
    this.delivery?.stop();
    this.origin.unauthSlot.release();
    this.sourceSlot?.release();
    for (const { release } of this.pending.splice(0)) release();
    this.holding?.();
    this.holding = undefined;
    this.account.close();
    if (this.deviceKey) this.ctx.presence.leave(this);
  }
}

/** A short, stable name for an access token's limits; the token itself is never kept here. */
function tokenId(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex").slice(0, 16);
}
