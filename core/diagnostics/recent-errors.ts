/**
 * Failures of work nobody awaits (a sync request sent in the background, a
 * receipt, a presence beat, a badge update) are never dropped: each is
 * counted under a stable code and the latest are kept, with the reason the
 * work was done, in a small bounded log the Connection panel lists. Work
 * someone awaits reports its failure to them instead (`whenSettled`).
 *
 * Pure and global on purpose: a background failure can happen anywhere in
 * core or the renderer, and threading a logger through every layer for a
 * debug list would widen every constructor. Nothing secret goes in: the
 * code, the reason (a fixed phrase of ours) and the error's message.
 */

/** What failed, as a stable code per kind of background work. */
export type BackgroundCode =
  | "SYNC_REQUEST"
  | "RELAY_LEFTOVERS"
  | "DIRECT_BOOKKEEPING"
  | "MEMBERSHIP_FOLLOW_UP"
  | "JOIN_RECORD"
  | "OPEN_LINK"
  | "LINK_RELAY"
  | "RECEIPT"
  | "PRESENCE"
  | "TYPING_FLUSH"
  | "NOTE_STAMP"
  | "NOTE_MIGRATION"
  | "CLOSE"
  | "OUTBOX_READ"
  | "MARK_READ"
  | "SHELL"
  | "DRAFT_UNREADABLE"
  | "DRAFT_WRITE"
  | "LOCAL_STORAGE"
  | "UNLOCK_CLEANUP"
  | "RECORD_CHECK"
  | "SYNC_ENGINE"
  | "DOC_LOAD"
  | "SPACE_SUMMARY";

export interface RecentError {
  readonly code: BackgroundCode;
  /** Why the work was done, in our words ("asking members for missed changes"). */
  readonly reason: string;
  /** The error's own message. */
  readonly message: string;
  /** When it last happened (epoch ms). */
  readonly at: number;
  /** How many times in a row it happened (the same code, reason and message). */
  readonly times: number;
}

export const RECENT_ERRORS_KEPT = 50;

export class RecentErrors {
  private entries: readonly RecentError[] = Object.freeze([]);
  private readonly totals = new Map<BackgroundCode, number>();
  private readonly listeners = new Set<() => void>();

  constructor(
    private readonly limit = RECENT_ERRORS_KEPT,
    private readonly now: () => number = Date.now,
  ) {}

  /** Counts one failure and keeps it (a repeat of the newest entry only bumps its count). */
  note(code: BackgroundCode, reason: string, err: unknown): void {
    const message = err instanceof Error ? err.message : String(err);
    this.totals.set(code, (this.totals.get(code) ?? 0) + 1);
    const [newest, ...rest] = this.entries;
    const at = this.now();
    const repeat = newest?.code === code && newest.reason === reason && newest.message === message;
    const entry = Object.freeze({
      code,
      reason,
      message,
      at,
      times: repeat && newest ? newest.times + 1 : 1,
    });
    const kept = repeat ? [entry, ...rest] : [entry, ...this.entries];
    this.entries = Object.freeze(kept.slice(0, this.limit));
    for (const listener of this.listeners) listener();
  }

  /** Newest first; a frozen array that changes identity with each note. */
  list(): readonly RecentError[] {
    return this.entries;
  }

  /** Failures per code since start (kept when the list has dropped them). */
  count(code: BackgroundCode): number {
    return this.totals.get(code) ?? 0;
  }

  get total(): number {
    let n = 0;
    for (const v of this.totals.values()) n += v;
    return n;
  }

  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}

/** The process's log (one per renderer, one per Node test process). */
export const recentErrors = new RecentErrors();

/**
 * The handler for a promise nobody awaits:
 * `void work().catch(noted("SYNC_REQUEST", "asking members for missed changes"))`.
 */
export function noted(code: BackgroundCode, reason: string): (err: unknown) => void {
  return (err) => recentErrors.note(code, reason, err);
}

/**
 * Resolves once `p` settles, whichever way, and never rejects: for a promise
 * whose failure reaches whoever awaits `p` itself (a queue's next link waits
 * for the previous one; an ack the caller may or may not await), so that it
 * does not also count as unhandled meanwhile.
 */
export function whenSettled(p: Promise<unknown>): Promise<void> {
  return p.then(
    () => undefined,
    () => undefined,
  );
}
