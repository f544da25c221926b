/**
 * The direct path of one space: envelopes written to the space's envelope
 * log, which a peer mesh (y-webrtc in the app) keeps in sync among the
 * members online together. A direct send stays in the device's direct
 * outbox until every target acks it in the log; a target that leaves the
 * mesh or stays silent past the ack timeout is handed back to the engine,
 * which queues it for the relay. So the direct path is fast but never the
 * only copy: an envelope is in the direct outbox or the relay outbox until
 * someone has it.
 */

import type { ObservableV2 } from "lib0/observable";
import type * as Y from "yjs";
import { toHex } from "../crypto/bytes.js";
import { noted } from "../diagnostics/recent-errors.js";
import { CHUNK_BYTES, EnvelopeLog, MAX_CHUNKS } from "./envelope-log.js";
import { newOutboxEntry, type Outbox, type OutboxEntry } from "./outbox.js";
import type { DirectPath, EnqueueOptions, TakeEnvelope } from "./transport.js";
import type { UplinkSample } from "./uplink-meter.js";

export type MeshEvents = {
  /** The set of connected devices changed. */
  peers: () => void;
};

/** A group of peers that keep one Y.Doc in sync over direct links. */
export interface PeerMesh extends ObservableV2<MeshEvents> {
  readonly doc: Y.Doc;
  /** Devices (hex keys) with an open, authenticated direct link now. */
  connected(): ReadonlySet<string>;
  /** Bytes handed to the direct links so far. */
  readonly bytesSent: number;
  /** Resolves once what was handed to the links has left this device. */
  drained(): Promise<void>;
  start(): void;
  destroy(): void;
}

export interface DirectTransportOptions {
  mesh: PeerMesh;
  /** This device (hex): the name its acks go under. */
  device: string;
  /** Shared by a device's direct transports; the engine hands leftovers to the relay at start. */
  outbox: Outbox;
  take: TakeEnvelope;
  /** Targets that did not ack in time: the engine sends them through the relay. */
  undelivered(entry: OutboxEntry, targets: Uint8Array[]): Promise<void>;
  /** Uplink samples from real sends, for the routing policy. */
  uplink?(sample: UplinkSample): void;
  /** A target silent this long after a send is given up on (ms). */
  ackTimeoutMs?: number | undefined;
  /** How long an envelope may sit in the log (ms). */
  logTtlMs?: number;
  now?: () => number;
}

interface Pending {
  entry: OutboxEntry;
  remaining: Map<string, Uint8Array>;
  sentAt: number;
  resolve(): void;
}

export class DirectTransport implements DirectPath {
  readonly log: EnvelopeLog;
  private readonly pending = new Map<string, Pending>();
  private timer: ReturnType<typeof setInterval> | undefined;
  private readonly now: () => number;
  /** Envelopes too large for the log; the engine routes those through the relay. */
  static readonly maxEnvelopeBytes = MAX_CHUNKS * CHUNK_BYTES;
  readonly maxEnvelopeBytes = DirectTransport.maxEnvelopeBytes;

  constructor(private readonly options: DirectTransportOptions) {
    this.now = options.now ?? Date.now;
    this.log = new EnvelopeLog(
      options.mesh.doc,
      options.device,
      {
        envelope: (id, bytes) => void this.onEnvelope(id, bytes),
        ack: (id, device) => this.settle(this.onAck(id, device)),
      },
      this.now,
    );
    options.mesh.on("peers", () => this.settle(this.checkPending()));
  }

  get bytesSent(): number {
    return this.options.mesh.bytesSent;
  }

  connected(): ReadonlySet<string> {
    return this.options.mesh.connected();
  }

  /** Envelopes sent directly that some target has not acked yet. */
  get unacked(): number {
    return this.pending.size;
  }

  /** Envelopes still in the shared log (removed once acked): zero when the direct path is quiet. */
  get logged(): number {
    return this.log.size;
  }

  start(): void {
    this.options.mesh.start();
    const ackTimeoutMs = this.options.ackTimeoutMs ?? 5000;
    this.timer ??= setInterval(
      () => {
        this.settle(this.checkPending());
        this.log.sweep(this.options.logTtlMs ?? 4 * ackTimeoutMs);
      },
      Math.max(25, ackTimeoutMs / 4),
    );
  }

  async stop(): Promise<void> {
    clearInterval(this.timer);
    this.timer = undefined;
    // What is unacked stays in the direct outbox; the engine sends it through the relay next start.
    this.pending.clear();
    this.options.mesh.destroy();
  }

  /** `options.addressed`: only the targets take it (a broadcast is taken by every member in the room). */
  async enqueue(
    targets: Uint8Array[],
    envelope: Uint8Array,
    options: EnqueueOptions & { addressed?: boolean } = {},
  ): Promise<{ acked: Promise<void> }> {
    const entry = newOutboxEntry(targets, envelope, options, this.now());
    await this.options.outbox.put(entry);
    const id = toHex(entry.msgId);
    const acked = new Promise<void>((resolve) => {
      this.pending.set(id, {
        entry,
        remaining: new Map(targets.map((t) => [toHex(t), t])),
        sentAt: this.now(),
        resolve,
      });
    });
    const before = this.options.mesh.bytesSent;
    if (!this.log.put(id, envelope, options.addressed ? targets : undefined)) {
      await this.giveUp(id, [...targets]);
      return { acked };
    }
    void this.measure(this.options.mesh.bytesSent - before);
    return { acked };
  }

  /**
   * Bookkeeping that fails (the store, say) is not retried here: what it did
   * not finish stays in the direct outbox, which goes to the relay next start.
   */
  private settle(work: Promise<void>): void {
    work.catch(noted("DIRECT_BOOKKEEPING", "recording a direct send or ack"));
  }

  private async measure(bytes: number): Promise<void> {
    const started = this.now();
    await this.options.mesh.drained();
    this.options.uplink?.({ bytes, ms: this.now() - started });
  }

  private async onEnvelope(id: string, bytes: Uint8Array): Promise<void> {
    try {
      await this.options.take(bytes);
      // Acked only once taken (on disk, or refused for good): a crash before it means a resend.
      this.log.ack(id, this.options.device);
    } catch {
      // Not taken (say, the store failed): no ack, so the author falls back to the relay.
    }
  }

  private async onAck(id: string, device: string): Promise<void> {
    const pending = this.pending.get(id);
    if (!pending?.remaining.delete(device) || pending.remaining.size > 0) return;
    this.pending.delete(id);
    await this.options.outbox.delete(pending.entry.msgId);
    this.log.remove(id);
    pending.resolve();
  }

  /** Targets gone from the mesh, or silent past the ack timeout, go to the relay. */
  private async checkPending(): Promise<void> {
    const connected = this.options.mesh.connected();
    const timeout = this.options.ackTimeoutMs ?? 5000;
    const now = this.now();
    for (const [id, pending] of [...this.pending]) {
      const late = now - pending.sentAt >= timeout;
      const lost = [...pending.remaining].filter(([hex]) => late || !connected.has(hex));
      if (lost.length === 0) continue;
      for (const [hex] of lost) pending.remaining.delete(hex);
      await this.options.undelivered(
        pending.entry,
        lost.map(([, key]) => key),
      );
      if (pending.remaining.size === 0) {
        this.pending.delete(id);
        await this.options.outbox.delete(pending.entry.msgId);
        pending.resolve();
      }
    }
  }

  private async giveUp(id: string, targets: Uint8Array[]): Promise<void> {
    const pending = this.pending.get(id);
    if (!pending) return;
    this.pending.delete(id);
    await this.options.undelivered(pending.entry, targets);
    await this.options.outbox.delete(pending.entry.msgId);
    pending.resolve();
  }
}
