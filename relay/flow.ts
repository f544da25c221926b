/**
 * Bytes in flight, counted per connection, per client IP and in total, in
 * both directions: outbound (handed to a socket, not yet written to the
 * kernel) and inbound (received, not yet stored or refused). These counts
 * are what bounds the relay's memory: every check is made per message, so
 * a bound is exceeded by at most one frame.
 */
export interface FlowLimits {
  outboundPerConnection: number;
  outboundPerIp: number;
  outboundTotal: number;
  inboundPerConnection: number;
  inboundPerIp: number;
  inboundTotal: number;
}

class Tally {
  private readonly byKey = new Map<string, number>();
  total = 0;

  of(key: string): number {
    return this.byKey.get(key) ?? 0;
  }

  add(key: string, n: number): void {
    this.byKey.set(key, this.of(key) + n);
    this.total += n;
  }

  remove(key: string, n: number): void {
    const left = this.of(key) - n;
    if (left <= 0) this.byKey.delete(key);
    else this.byKey.set(key, left);
    this.total -= n;
  }
}

export class Flow {
  private readonly out = new Tally();
  private readonly in = new Tally();
  /** Called once when bytes anywhere are released: connections waiting on a shared cap retry. */
  private waiters = new Set<() => void>();

  constructor(readonly limits: FlowLimits) {}

  get outboundBytes(): number {
    return this.out.total;
  }

  get inboundBytes(): number {
    return this.in.total;
  }

  account(ip: string): FlowAccount {
    return new FlowAccount(this, ip);
  }

  /** Runs `wake` once, the next time any bytes are released. */
  waitForRelief(wake: () => void): void {
    this.waiters.add(wake);
  }

  /** @internal */
  change(direction: "out" | "in", ip: string, n: number): void {
    const tally = direction === "out" ? this.out : this.in;
    if (n >= 0) return tally.add(ip, n);
    tally.remove(ip, -n);
    if (this.waiters.size === 0) return;
    const waiters = this.waiters;
    this.waiters = new Set();
    for (const wake of waiters) wake();
  }

  /** @internal */
  outboundRoom(ip: string): boolean {
    return (
      this.out.of(ip) < this.limits.outboundPerIp && this.out.total < this.limits.outboundTotal
    );
  }

  /** @internal */
  inboundRoom(ip: string): boolean {
    return this.in.of(ip) < this.limits.inboundPerIp && this.in.total < this.limits.inboundTotal;
  }
}

/** One connection's share of the flow. Releases after close are ignored. */
export class FlowAccount {
  outbound = 0;
  inbound = 0;
  private closed = false;

  constructor(
    private readonly flow: Flow,
    readonly ip: string,
  ) {}

  /** Counts `n` outgoing bytes; call the result once they are written out. */
  sent(n: number): () => void {
    return this.hold("out", n);
  }

  /**
   * Outgoing bytes counted a piece at a time as one frame is gathered
   * (a DELIVER_BATCH), given back together once it is written: one count
   * per frame instead of a release per message.
   */
  outboundHold(): OutboundHold {
    return new OutboundHold(this);
  }

  /** @internal OutboundHold's counting: false once closed, when nothing is held. */
  holdOut(n: number): boolean {
    if (this.closed) return false;
    this.adjust("out", n);
    return true;
  }

  /** @internal OutboundHold's release: a closed account gave everything back already. */
  releaseOut(n: number): void {
    if (!this.closed && n > 0) this.adjust("out", -n);
  }

  /** Counts `n` received bytes; call the result once they are stored or refused. */
  received(n: number): () => void {
    return this.hold("in", n);
  }

  /** Over this connection's own outbound high-water mark: stop reading its requests. */
  get outboundFull(): boolean {
    return this.outbound >= this.flow.limits.outboundPerConnection;
  }

  /** Room to send a delivery now, for this connection, its IP and the relay. */
  get canDeliver(): boolean {
    return !this.outboundFull && this.flow.outboundRoom(this.ip);
  }

  /** Room to take another frame in, for this connection, its IP and the relay. */
  get canReceive(): boolean {
    return this.inbound < this.flow.limits.inboundPerConnection && this.flow.inboundRoom(this.ip);
  }

  /** Gives back everything this connection still holds. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.outbound > 0) this.flow.change("out", this.ip, -this.outbound);
    if (this.inbound > 0) this.flow.change("in", this.ip, -this.inbound);
    this.outbound = 0;
    this.inbound = 0;
  }

  private hold(direction: "out" | "in", n: number): () => void {
    if (this.closed) return () => undefined; // nothing was held, nothing to release
    this.adjust(direction, n);
    let held = true;
    return () => {
      if (!held || this.closed) return;
      held = false;
      this.adjust(direction, -n);
    };
  }

  private adjust(direction: "out" | "in", n: number): void {
    if (direction === "out") this.outbound += n;
    else this.inbound += n;
    this.flow.change(direction, this.ip, n);
  }
}

/** Bytes of one frame being gathered: `add` counts more now, `release` gives all back once. */
export class OutboundHold {
  private held = 0;
  private released = false;

  constructor(private readonly account: FlowAccount) {}

  add(n: number): void {
    if (!this.released && this.account.holdOut(n)) this.held += n;
  }

  /** A property, so it can be handed on as a callback without a new closure. */
  readonly release = (): void => {
    if (this.released) return;
    this.released = true;
    this.account.releaseOut(this.held);
  };
}
