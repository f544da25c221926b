/**
 * Turns an invite's expiry into an op. A join's time is chosen by the
 * joiner, so resolution cannot tell a backdated join from an honest one by
 * its time alone; a revoke op can: every join that is not before it is
 * refused by everyone (resolve.ts). So a manager's device, by its own clock,
 * revokes each invite once it has expired.
 *
 * It waits to be online for a little while first: joins made before expiry
 * may sit in its relay mailbox, and what it has taken in when it revokes is
 * what stays in. Managers wait a random extra time so they seldom race (two
 * revokes of one invite are harmless).
 */

/** Whether the device can hear from the relay, and when that changes. */
export interface OnlineSignal {
  isOnline(): boolean;
  /** Returns what stops the listening. */
  onChange(listener: (online: boolean) => void): () => void;
}

export interface InviteExpiryOptions {
  /** Ids of the invites still open (not revoked) and their expiry, as the log stands. */
  openInvites(): { id: string; expiresAt: number }[];
  /** May this device revoke invites now (its user an owner or manager)? */
  mayRevoke(): boolean;
  revoke(inviteId: string): Promise<void>;
  online?: OnlineSignal;
  /** How long to be online before revoking: the mailbox's backlog arrives first (ms). */
  settleMs?: number;
  /** Longest random extra wait, so managers seldom revoke the same invite at once (ms). */
  spreadMs?: number;
  now?: () => number;
}

/** Timers past this are re-armed: setTimeout takes at most 2^31-1 ms. */
const MAX_TIMER_MS = 24 * 3_600_000;
/** After a failed revoke (offline again, space closed), wait this long before the next try. */
const RETRY_MS = 30_000;

export class InviteExpiry {
  private timer: ReturnType<typeof setTimeout> | undefined;
  private onlineSince: number | undefined;
  private running = false;
  private stopped = false;
  private retryAt = 0;
  private readonly now: () => number;
  private readonly offOnline: (() => void) | undefined;

  constructor(private readonly options: InviteExpiryOptions) {
    this.now = options.now ?? Date.now;
    const online = options.online;
    this.onlineSince = !online || online.isOnline() ? this.now() : undefined;
    this.offOnline = online?.onChange((up) => {
      if (up && this.onlineSince === undefined) this.onlineSince = this.now();
      if (!up) this.onlineSince = undefined;
      this.schedule();
    });
  }

  /** Re-arms the timer for the next invite to revoke; call when the log changes. */
  schedule(): void {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (!this.options.mayRevoke() || this.onlineSince === undefined) return;
    const next = Math.min(...this.options.openInvites().map((i) => i.expiresAt));
    if (!Number.isFinite(next)) return;
    const at =
      Math.max(next + 1, this.settledAt(), this.retryAt) +
      Math.random() * (this.options.spreadMs ?? 2000);
    this.timer = setTimeout(() => void this.run(), Math.min(MAX_TIMER_MS, at - this.now()));
    // A pending expiry must not keep a process alive on its own.
    (this.timer as { unref?: () => void }).unref?.();
  }

  /** Revokes every open invite past its expiry (if allowed and online); returns their ids. */
  async revokeExpired(): Promise<string[]> {
    if (!this.options.mayRevoke() || this.onlineSince === undefined) return [];
    const now = this.now();
    const due = this.options.openInvites().filter((i) => i.expiresAt < now);
    for (const { id } of due) await this.options.revoke(id);
    return due.map((i) => i.id);
  }

  stop(): void {
    this.stopped = true;
    this.offOnline?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private settledAt(): number {
    return (this.onlineSince ?? Number.POSITIVE_INFINITY) + (this.options.settleMs ?? 3000);
  }

  private async run(): Promise<void> {
    this.timer = undefined;
    this.running = true;
    try {
      if (this.now() >= this.settledAt()) await this.revokeExpired();
    } catch {
      this.retryAt = this.now() + RETRY_MS;
    } finally {
      this.running = false;
    }
    this.schedule();
  }
}
