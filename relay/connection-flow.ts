/**
 * Backpressure for one connection, both ways. Reading pauses while the
 * connection's outgoing buffer is over its high-water mark (a client that
 * does not read its answers is not read either) or while the flow account
 * says too much of what it sent is still unstored; the latter clears when
 * bytes are released anywhere, so the connection waits for relief. Outgoing
 * bytes stuck over the mark past the slow-reader timeout end the connection.
 * Delivery that stopped for room resumes when this socket drains or, if a
 * shared cap stopped it, on relief.
 */
import type { Flow, FlowAccount } from "./flow.js";

/** What flow control does to, and asks of, its connection. */
export interface FlowHost {
  /** Stops or restarts reading the socket. */
  pause(): void;
  resume(): void;
  /** Runs a deferred callback so that what it throws closes this connection only. */
  isolated(run: () => void): void;
  closed(): boolean;
  /** Room again: delivery may go on. */
  drained(): void;
  /** The peer left its outgoing bytes unread too long: end it (bytes buffered). */
  slowReader(buffered: number): void;
}

export class ConnectionFlow {
  private readingPaused = false;
  /** Whether a wake-up is registered with the flow already (one is enough). */
  private awaitingRelief = false;
  private slowReaderTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly account: FlowAccount,
    private readonly flow: Flow,
    private readonly limits: { outboundHighWaterBytes: number; slowReaderTimeoutMs: number },
    private readonly host: FlowHost,
  ) {}

  /** Bytes left for the kernel: reading and delivery may resume. */
  written(release: () => void): void {
    release();
    if (this.host.closed()) return;
    if (this.account.outbound < this.limits.outboundHighWaterBytes / 2) {
      this.update();
      this.host.drained();
    }
  }

  /** Reads only while there is room both ways; arms or clears the slow-reader timer. */
  update(): void {
    if (this.host.closed()) return;
    const stuck = this.account.outboundFull;
    const pause = stuck || !this.account.canReceive;
    if (pause !== this.readingPaused) {
      this.readingPaused = pause;
      if (pause) this.host.pause();
      else this.host.resume();
    }
    if (pause && !stuck) this.flow.waitForRelief(() => this.host.isolated(() => this.update()));
    if (stuck && !this.slowReaderTimer) {
      this.slowReaderTimer = setTimeout(
        () => this.host.isolated(() => this.slowReaderDue()),
        this.limits.slowReaderTimeoutMs,
      );
    } else if (!stuck && this.slowReaderTimer) {
      clearTimeout(this.slowReaderTimer);
      this.slowReaderTimer = undefined;
    }
  }

  /** Delivery waits for room: on this socket (its drain wakes it) or shared (any release does). */
  deliveryBlocked(): void {
    if (this.account.outboundFull || this.awaitingRelief) return;
    this.awaitingRelief = true;
    this.flow.waitForRelief(() =>
      this.host.isolated(() => {
        this.awaitingRelief = false;
        this.update();
        this.host.drained();
      }),
    );
  }

  /** The connection is gone: no timer left, its bytes no longer counted. */
  stop(): void {
    clearTimeout(this.slowReaderTimer);
    this.slowReaderTimer = undefined;
    this.account.close();
  }

  private slowReaderDue(): void {
    this.slowReaderTimer = undefined;
    if (this.host.closed() || !this.account.outboundFull) return;
    this.host.slowReader(this.account.outbound);
  }
}
