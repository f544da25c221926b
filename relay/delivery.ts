/**
 * Mailbox delivery for one live connection: streams stored messages in seq
 * order with at most `window` unacked in flight, deletes on the device's
 * ack, and redelivers on RESEND. Messages stay stored until acked, so a
 * connection that drops loses nothing: the next one starts from the lowest
 * unacked seq.
 */
import type { DeliverFrame } from "../core/wire/frame-types.js";
import type { RelayStore, StoredMessage } from "./store/relay-store.js";

export interface DeliverySink {
  deliver(frame: DeliverFrame): void;
  /** Whether the socket can take more now (backpressure), checked before every message. */
  writable(): boolean;
  /** Delivery stopped for want of room; drained() resumes it. */
  blocked(): void;
  failed(error: unknown): void;
  /** How long a store read took, for metrics. */
  readTime?(ms: number): void;
}

export class MailboxDelivery {
  private cursor = 0;
  private readonly inflight = new Set<number>();
  private running = false;
  private again = false;
  private stopped = false;
  private blocked = false;

  constructor(
    private readonly store: RelayStore,
    private readonly device: Uint8Array,
    private readonly limits: {
      /** Unacked deliveries in flight. */
      window: number;
      /** Most envelope bytes one store read returns (at least one message). */
      fetchBytes: number;
    },
    private readonly sink: DeliverySink,
  ) {}

  /** The highest seq read so far: mail beyond it is still to be fetched. */
  get position(): number {
    return this.cursor;
  }

  /** Sends what is waiting, up to the window. Safe to call at any time, any number of times. */
  pump(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = true;
    void this.drain()
      .catch((err) => this.sink.failed(err))
      .finally(() => {
        this.running = false;
        if (this.again) {
          this.again = false;
          this.pump();
        }
      });
  }

  /**
   * A message just committed for this device. When delivery is caught up
   * (it is the very next seq and there is room), send it from memory and
   * skip the read; otherwise the store has it and a pump finds it.
   */
  offer(message: StoredMessage): void {
    const caughtUp =
      !this.stopped &&
      !this.running &&
      !this.blocked &&
      this.cursor === message.seq - 1 &&
      this.inflight.size < this.limits.window &&
      this.sink.writable();
    if (!caughtUp) return this.pump();
    this.cursor = message.seq;
    this.inflight.add(message.seq);
    this.sink.deliver({ type: "deliver", ...message });
  }

  /** Frees window slots at once (the cursor keeps acked seqs from being fetched again), then deletes durably. */
  async ack(seqs: number[]): Promise<number> {
    const known = seqs.filter((seq) => this.inflight.delete(seq));
    this.pump();
    if (known.length > 0) await this.store.ack(this.device, known);
    return known.length;
  }

  /** The socket drained: resume if backpressure paused delivery. */
  drained(): void {
    if (this.blocked) {
      this.blocked = false;
      this.pump();
    }
  }

  resend(fromSeq: number): void {
    this.cursor = Math.min(this.cursor, Math.max(0, fromSeq - 1));
    for (const seq of this.inflight) if (seq >= fromSeq) this.inflight.delete(seq);
    this.pump();
  }

  stop(): void {
    this.stopped = true;
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.inflight.size < this.limits.window) {
      if (!this.writable()) return;
      const started = performance.now();
      const batch = await this.store.fetch(
        this.device,
        this.cursor,
        this.limits.window - this.inflight.size,
        this.limits.fetchBytes,
      );
      this.sink.readTime?.(performance.now() - started);
      if (batch.length === 0 || this.stopped) return;
      // Room is checked per message: a batch of large envelopes must not all land in the buffer.
      for (const m of batch) {
        if (this.stopped || !this.writable()) return;
        this.cursor = m.seq;
        this.inflight.add(m.seq);
        this.sink.deliver({ type: "deliver", ...m });
      }
    }
  }

  private writable(): boolean {
    if (this.sink.writable()) return true;
    this.blocked = true;
    this.sink.blocked();
    return false;
  }
}
