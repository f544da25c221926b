/**
 * Mailbox delivery for one live connection: streams stored messages in seq
 * order with at most `window` unacked in flight, deletes on the device's
 * ack, and redelivers on RESEND. Messages stay stored until acked, so a
 * connection that drops loses nothing: the next one starts from the lowest
 * unacked seq.
 *
 * A connection that keeps up is served from memory: while the store is
 * known to hold nothing past what this connection has been sent or holds
 * in its backlog, each newly committed message is sent as it is offered,
 * or kept (in order, within a byte budget) until an ack or a drain makes
 * room. Reading the store is the fallback whenever that knowledge is lost,
 * and always correct: the backlog is a cache of the store, never the truth.
 */
import type { RelayStore, StoredMessage } from "./store/relay-store.js";

export interface DeliverySink {
  /** Sends one stored message as a DELIVER frame. */
  deliver(message: StoredMessage): void;
  /** Whether the socket can take more now (backpressure), checked before every message. */
  writable(): boolean;
  /** Delivery stopped for want of room; drained() resumes it. */
  blocked(): void;
  failed(error: unknown): void;
  /** How long a store read took, for metrics. */
  readTime?(ms: number): void;
}

/**
 * Bytes that backlogs may hold, shared by every connection of a relay: a
 * backlog is memory beside the flow's socket buffers, so it has a relay-wide
 * bound of its own (a fan-out's targets share one envelope, counted once each).
 */
export class BacklogBudget {
  used = 0;
  constructor(readonly max: number) {}

  take(n: number): boolean {
    if (this.used + n > this.max) return false;
    this.used += n;
    return true;
  }

  give(n: number): void {
    this.used -= n;
  }
}

export class MailboxDelivery {
  private cursor = 0;
  private readonly inflight = new Set<number>();
  private running = false;
  private again = false;
  private stopped = false;
  private blocked = false;
  /**
   * The last read found nothing past the cursor and every message committed
   * since was offered in order: the store holds nothing beyond `cursor`
   * except what `backlog` holds, so acks and drains need no read. A declined
   * offer, a resend or a pump from outside (login, a hint without its
   * envelope, a resync) clears it until a read comes back empty.
   */
  private caughtUp = false;
  /** Committed messages cursor+1, cursor+2, ... waiting for window or socket room. */
  private backlog: StoredMessage[] = [];
  private backlogBytes = 0;
  /**
   * Bumped by every resend: a store read that started before it was asked
   * from a cursor the resend has since moved back, so its result is dropped
   * and the read done again from the new cursor.
   */
  private epoch = 0;

  constructor(
    private readonly store: RelayStore,
    private readonly device: Uint8Array,
    private readonly limits: {
      /** Unacked deliveries in flight. */
      window: number;
      /** Most envelope bytes one store read returns (at least one message). */
      fetchBytes: number;
      /** Bytes this connection may keep in memory while it waits for room; shared by all. */
      backlog?: BacklogBudget;
    },
    private readonly sink: DeliverySink,
  ) {}

  /** The highest seq read or held so far: mail beyond it is still to be fetched. */
  get position(): number {
    return this.cursor + this.backlog.length;
  }

  /** Sends what is waiting, up to the window. Safe to call at any time, any number of times. */
  pump(): void {
    this.caughtUp = false;
    this.dropBacklog();
    this.read();
  }

  /**
   * A message just committed for this device. While delivery is caught up
   * and the message is the very next one, it is sent from memory, or kept
   * in the backlog until there is room; otherwise the store has it and a
   * read finds it.
   */
  offer(message: StoredMessage): void {
    if (this.stopped) return;
    const next =
      this.caughtUp && !this.running && message.seq === this.cursor + this.backlog.length + 1;
    if (!next) return this.pump();
    // Nothing waits before it: what flush() would do with it alone, without passing it
    // through the backlog (an array emptied and grown again, and a budget taken and given
    // back, per delivery).
    if (this.backlog.length === 0) {
      if (expired(message, Date.now())) {
        this.cursor = message.seq;
        return;
      }
      if (this.inflight.size < this.limits.window && this.writable()) {
        this.cursor = message.seq;
        this.inflight.add(message.seq);
        this.sink.deliver(message);
        return;
      }
      // No room now: it waits in the backlog (flush() would send nothing, and ask writable() again).
      if (!this.keep(message)) this.pump();
      return;
    }
    if (!this.keep(message)) return this.pump();
    this.flush();
  }

  /** Frees window slots at once (the cursor keeps acked seqs from being fetched again), then deletes durably. */
  async ack(seqs: number[]): Promise<number> {
    const known = seqs.filter((seq) => this.inflight.delete(seq));
    this.resume();
    if (known.length > 0) await this.store.ack(this.device, known);
    return known.length;
  }

  /** The socket drained: resume if backpressure paused delivery. */
  drained(): void {
    if (this.blocked) {
      this.blocked = false;
      this.resume();
    }
  }

  resend(fromSeq: number): void {
    this.epoch++;
    this.cursor = Math.min(this.cursor, Math.max(0, fromSeq - 1));
    for (const seq of this.inflight) if (seq >= fromSeq) this.inflight.delete(seq);
    this.pump();
  }

  stop(): void {
    this.stopped = true;
    this.dropBacklog();
  }

  /** Room may have appeared: send from the backlog when caught up, else read. */
  private resume(): void {
    if (this.caughtUp && !this.running) this.flush();
    else this.read();
  }

  private keep(message: StoredMessage): boolean {
    const size = message.envelope.length;
    if (this.backlog.length > 0 && this.backlogBytes + size > this.limits.fetchBytes) return false;
    if (this.limits.backlog && !this.limits.backlog.take(size)) return false;
    this.backlog.push(message);
    this.backlogBytes += size;
    return true;
  }

  /**
   * Sends from the backlog in order while the window and the socket have
   * room. A message whose TTL passed while it waited is skipped, as a store
   * read would skip it: the cursor moves past it and the sweep deletes it.
   */
  private flush(): void {
    let sent = 0;
    let bytes = 0;
    const now = Date.now();
    for (const message of this.backlog) {
      if (expired(message, now)) {
        sent++;
        bytes += message.envelope.length;
        this.cursor = message.seq;
        continue;
      }
      if (this.inflight.size >= this.limits.window || !this.writable()) break;
      sent++;
      bytes += message.envelope.length;
      this.cursor = message.seq;
      this.inflight.add(message.seq);
      this.sink.deliver(message);
    }
    if (sent === 0) return;
    // Emptied in place: a connection that keeps up empties it once per offer.
    if (sent === this.backlog.length) this.backlog.length = 0;
    else this.backlog = this.backlog.slice(sent);
    this.backlogBytes -= bytes;
    this.limits.backlog?.give(bytes);
  }

  private dropBacklog(): void {
    if (this.backlog.length === 0) return;
    this.limits.backlog?.give(this.backlogBytes);
    this.backlog = [];
    this.backlogBytes = 0;
  }

  private read(): void {
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
          this.read();
        }
      });
  }

  private async drain(): Promise<void> {
    while (!this.stopped && this.inflight.size < this.limits.window) {
      if (!this.writable()) return;
      const started = performance.now();
      const epoch = this.epoch;
      const batch = await this.store.fetch(
        this.device,
        this.cursor,
        this.limits.window - this.inflight.size,
        this.limits.fetchBytes,
      );
      this.sink.readTime?.(performance.now() - started);
      if (this.stopped) return;
      // A resend moved the cursor back meanwhile: this batch was read from the old one.
      if (epoch !== this.epoch) continue;
      if (batch.length === 0) {
        // Unless an offer was declined meanwhile (`again`): its message may be past this read.
        if (!this.again) this.caughtUp = true;
        return;
      }
      // Room is checked per message: a batch of large envelopes must not all land in the buffer.
      for (const m of batch) {
        if (this.stopped || !this.writable()) return;
        this.cursor = m.seq;
        this.inflight.add(m.seq);
        this.sink.deliver(m);
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

function expired(message: StoredMessage, now: number): boolean {
  return message.expiresAt !== undefined && message.expiresAt <= now;
}
