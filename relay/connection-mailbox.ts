/**
 * A logged-in device's mailbox traffic: SEND (stored, or ephemeral to
 * online targets only), TARGET_SET, and delivery of its own mailbox with
 * DELIVER_ACK and RESEND. A stored send is acked only once the store
 * committed it (acked data survives kill -9); then each target's connection
 * is offered it, here or on another node. Every refusal names the send's
 * msgId, so the sender knows which of its sends failed.
 */
import { bytesKey, distinctKeys } from "../core/crypto/bytes.js";
import { KEY_BYTES } from "../core/wire/envelope.js";
import {
  type DeliverAckFrame,
  FLAG_EPHEMERAL,
  type ResendFrame,
  type SendFrame,
  type TargetSetFrame,
} from "../core/wire/frame-types.js";
import type { BusMessage } from "./bus/relay-bus.js";
import type { ConnectionLink, Session } from "./connection-link.js";
import { spendSendBytes } from "./connection-session.js";
import { type BatchSocket, DeliverBatches } from "./deliver-batches.js";
import { deliverFrameBytes } from "./deliver-bytes.js";
import { MailboxDelivery } from "./delivery.js";
import type { EnqueueRequest, EnqueueResult } from "./store/relay-store.js";
import { TargetSets } from "./target-sets.js";

/** The connection's side of delivery: its socket's room and its bytes out. */
export interface DeliverySocket extends BatchSocket {
  /** Sends encoded frame bytes. */
  sendBytes(bytes: Uint8Array): void;
  /** Whether the socket, and the relay's shared outbound budget, have room now. */
  writable(): boolean;
  /** Delivery stopped for want of room; the connection calls `delivery.drained()` later. */
  blocked(): void;
}

export class MailboxHandlers {
  readonly delivery: MailboxDelivery;
  /** Target lists this connection's SENDs may name by id. */
  private readonly targetSets = new TargetSets();
  /** Set once the device sent ACCEPT_BATCHES (revision 5): deliveries of a turn go as one frame. */
  private batches: DeliverBatches | undefined;
  /**
   * Deliveries not yet added to the metric: counted once per turn, since a
   * labelless inc() still makes a labels object and a result per call.
   */
  private uncounted = 0;
  private readonly countDeliveries = (): void => {
    this.link.ctx.metrics.deliveries.inc(this.uncounted);
    this.uncounted = 0;
  };

  constructor(
    private readonly link: ConnectionLink,
    private readonly session: Session,
    private readonly socket: DeliverySocket,
  ) {
    const { ctx } = link;
    this.delivery = new MailboxDelivery(
      ctx.store,
      session.device,
      {
        window: ctx.config.deliveryWindow,
        fetchBytes: ctx.config.outboundHighWaterBytes,
        backlog: ctx.backlog,
      },
      {
        deliver: (message) => {
          if (this.uncounted++ === 0) queueMicrotask(this.countDeliveries);
          if (this.batches) this.batches.add(message);
          else socket.sendBytes(deliverFrameBytes(message));
        },
        writable: () => socket.writable(),
        blocked: () => socket.blocked(),
        failed: (err) => link.storeFailed(err, new Uint8Array()),
        readTime: (ms) => ctx.metrics.storeReadSeconds.observe(ms / 1000),
      },
    );
  }

  /** The device takes DELIVER_BATCH from now on; saying it again changes nothing. */
  onAcceptBatches(): void {
    this.batches ??= new DeliverBatches(this.socket);
  }

  onTargetSet(frame: TargetSetFrame): void {
    // A SEND naming the set meets --max-targets like a listed one, with its msgId, so
    // its sender learns which send failed; a definition is charged as the bytes it is.
    const bytes = frame.targets.length * KEY_BYTES;
    if (!spendSendBytes(this.link.ctx, this.session, bytes)) {
      this.targetSets.spend(frame.setId);
      return this.link.refuse("RATE_LIMITED", "sending too fast; retry later");
    }
    if (this.targetSets.define(frame.setId, frame.targets)) return;
    this.link.refuse(
      "UNKNOWN_TARGET_SET",
      `target set ids only increase on a connection; ${frame.setId} was not above the last`,
    );
  }

  onAck(frame: DeliverAckFrame): void {
    const seqs = frame.seqs.filter((s) => s > 0);
    this.delivery.ack(seqs).then(
      (n) => this.link.ctx.metrics.acks.inc(n),
      (err) => this.link.storeFailed(err, new Uint8Array()),
    );
  }

  onResend(frame: ResendFrame): void {
    this.delivery.resend(frame.fromSeq);
  }

  onSend(sent: SendFrame): void {
    const { link } = this;
    const c = link.ctx.config;
    let frame = sent;
    // A set's targets are distinct already, and their keys made once at its definition.
    let setKeys: string[] | undefined;
    if (sent.targetSet !== undefined) {
      const targets = this.targetSets.get(sent.targetSet);
      setKeys = this.targetSets.keys(sent.targetSet);
      if (!targets || !setKeys) {
        return link.refuse(
          "UNKNOWN_TARGET_SET",
          `no target set ${sent.targetSet} on this connection`,
          sent.msgId,
        );
      }
      frame = { ...sent, targets };
    }
    if (frame.targets.length > c.maxTargets) {
      return link.refuse(
        "TOO_MANY_TARGETS",
        `at most ${c.maxTargets} targets per send`,
        frame.msgId,
      );
    }
    if (frame.envelope.length > c.maxEnvelopeBytes) {
      return link.refuse(
        "ENVELOPE_TOO_LARGE",
        `envelope of ${frame.envelope.length} bytes exceeds ${c.maxEnvelopeBytes}`,
        frame.msgId,
      );
    }
    if (!spendSendBytes(link.ctx, this.session, frame.envelope.length)) {
      return link.refuse("RATE_LIMITED", "sending too fast; retry later", frame.msgId);
    }
    const targets = setKeys ? frame.targets : distinctKeys(frame.targets);
    if ((frame.flags & FLAG_EPHEMERAL) !== 0) return this.forwardEphemeral(frame, targets);
    const ttl = frame.ttlSeconds === 0 ? c.defaultTtlSeconds : frame.ttlSeconds;
    if (ttl > c.maxTtlSeconds) {
      return link.refuse(
        "TTL_OUT_OF_RANGE",
        `ttl of ${ttl}s exceeds ${c.maxTtlSeconds}s`,
        frame.msgId,
      );
    }
    // Each target's map key once: for its liveness now and its offer later.
    const keys = setKeys ?? targets.map(bytesKey);
    // Copies: the frame's views point into a buffer ws may reuse. A set's targets are its own
    // copies, made at its definition and never changed: the store may hold them as they are.
    this.store(
      {
        sender: this.session.device,
        msgId: frame.msgId.slice(),
        targets: setKeys ? targets : copyKeys(targets),
        flags: frame.flags,
        envelope: frame.envelope.slice(),
        expiresAt: Date.now() + ttl * 1000,
        source: this.session.source,
        // Devices connected here: their rows wait for their acks (on a cluster, the rest are written).
        live: keys.map((key) => this.link.ctx.presence.get(key) !== undefined),
      },
      keys,
    );
  }

  /**
   * Hands the send to the store in its source's turn; answers once every
   * target holds it durably. The turn ends once the store has ordered it
   * (or settled it, for a store that does not order first): a send waiting
   * for slow devices' acks holds its received bytes on this connection,
   * not everyone's share of the store.
   */
  private store(request: EnqueueRequest & { source: string }, keys: string[]): void {
    const { ctx } = this.link;
    const c = ctx.config;
    const release = this.link.hold();
    let offered = false;
    let settled: Promise<EnqueueResult> | undefined;
    ctx.writes
      .run(
        request.source,
        request.envelope.length,
        () =>
          new Promise<void>((ordered) => {
            settled = ctx.store.enqueue(
              request,
              {
                maxMessages: c.mailboxMaxMessages,
                maxBytes: c.mailboxMaxBytes,
                sourceShareBytes: c.mailboxSourceShareBytes,
              },
              // Ordered, not yet durable: live targets get it now; the sender's ACK waits.
              (result) => {
                offered = true;
                ordered();
                this.offer(request, result, keys);
              },
            );
            settled.then(
              () => ordered(),
              () => ordered(),
            );
          }),
      )
      .then(() => settled)
      .then((result) => {
        if (result) this.stored(request, result, offered, keys);
      })
      .catch((err) => this.link.storeFailed(err, request.msgId))
      .finally(release);
  }

  private stored(
    request: EnqueueRequest,
    result: EnqueueResult,
    offered: boolean,
    keys: string[],
  ): void {
    const { ctx } = this.link;
    if (result.status === "duplicate") return this.link.send({ type: "ack", msgId: request.msgId });
    // A full mailbox costs its own target this message, and tells the sender which one.
    if (result.full.length > 0) {
      for (const f of result.full) ctx.metrics.refusals.inc({ reason: `mailbox_${f.reason}` });
      this.link.send({
        type: "partialAck",
        msgId: request.msgId,
        full: result.full.map((f) => ({ target: f.device, reason: f.reason })),
      });
    } else {
      this.link.send({ type: "ack", msgId: request.msgId });
    }
    if (result.status !== "queued") return;
    ctx.metrics.sends.inc({ kind: "stored" });
    if (!offered) this.offer(request, result, keys);
  }

  /** Each target with a seq is offered the message: sent now if its device is live and caught up. */
  private offer(request: EnqueueRequest, result: EnqueueResult, keys: string[]): void {
    if (result.status !== "queued") return;
    const { ctx } = this.link;
    keys.forEach((key, i) => {
      const seq = result.seqs[i] ?? 0;
      if (seq === 0) return;
      ctx.presence.mailQueued(key, {
        seq,
        msgId: request.msgId,
        sender: request.sender,
        flags: request.flags,
        envelope: request.envelope,
        expiresAt: request.expiresAt,
      });
    });
  }

  /**
   * Forwards to online targets only, each within its per-target budgets; a
   * target over budget, or whose socket is full, is skipped and the sender
   * told so (RATE_LIMITED), since a refusal is never silent. On a cluster, a
   * target not held here goes over the bus to whichever node holds it (if
   * any); that node spends its budget and drops the frame when over it.
   */
  private forwardEphemeral(frame: SendFrame, targets: Uint8Array[]): void {
    const { ctx } = this.link;
    const { source } = this.session;
    const message: BusMessage = {
      msgId: frame.msgId,
      sender: this.session.device,
      flags: frame.flags,
      envelope: frame.envelope,
    };
    const { ephemeralTarget, ephemeralSourceTarget } = ctx.sources;
    let skipped = 0;
    for (const t of targets) {
      const key = bytesKey(t);
      const target = ctx.presence.get(key);
      if (!target && !ctx.presence.clustered) continue;
      if (!target) {
        // Held by another node (or none): that node spends the target's budget, this one the source's.
        if (ephemeralSourceTarget.take(`${source}|${key}`, 1)) {
          ctx.presence.ephemeralElsewhere(key, {
            ...message,
            msgId: message.msgId.slice(),
            envelope: message.envelope.slice(),
          });
        } else {
          skipped++;
          ctx.metrics.refusals.inc({ reason: "ephemeral_target_rate" });
        }
        continue;
      }
      // The source's own budget first, so a flood from one address spends none of the target's.
      if (!ephemeralSourceTarget.take(`${source}|${key}`, 1) || !ephemeralTarget.take(key, 1)) {
        skipped++;
        ctx.metrics.refusals.inc({ reason: "ephemeral_target_rate" });
        continue;
      }
      if (!target.forwardEphemeral(message)) {
        skipped++;
        ctx.metrics.refusals.inc({ reason: "ephemeral_target_busy" });
      }
    }
    ctx.metrics.sends.inc({ kind: "ephemeral" });
    if (skipped > 0) {
      return this.link.refuse(
        "RATE_LIMITED",
        `${skipped} of ${targets.length} targets get too many ephemeral frames; not forwarded to them`,
        frame.msgId,
      );
    }
    this.link.send({ type: "ack", msgId: frame.msgId });
  }
}

/**
 * Copies of a send's target keys as views into one new buffer: one
 * allocation per send instead of one per target (a fan-out names tens).
 */
function copyKeys(keys: Uint8Array[]): Uint8Array[] {
  const all = new Uint8Array(keys.reduce((n, k) => n + k.length, 0));
  let at = 0;
  return keys.map((k) => {
    all.set(k, at);
    at += k.length;
    return all.subarray(at - k.length, at);
  });
}
