/**
 * Mail that is ordered but not yet written: the embedded store's
 * write-behind for mail rows. A send is staged at once (its seqs handed
 * out, its targets' quota reserved), delivered to live devices from there,
 * and a target's row is written only if its device has not acked it by the
 * time the row is due (`holdMs` after staging). At 20 live receivers most
 * rows are acked within that time, so most deliveries cost the database
 * nothing: neither the insert nor the delete at the ack. Rows of devices
 * that are not connected are due at once, so a send to offline devices is
 * acked as soon as it is written, as before.
 *
 * The send is settled (its sender acked) only once its dedupe record is
 * committed and every target holds it durably: a row committed, or the
 * device's ack, which it sends only once it has stored the message. What
 * a crash loses here is unacked, and the sender sends it again.
 *
 * Per device, rows are written in seq order (a due row takes the device's
 * earlier staged rows with it): every written row of a device has a lower
 * seq than every staged one, so a read is the database's rows followed by
 * these.
 */
import type { EnqueueRequest, EnqueueResult, StoredMessage } from "./relay-store.js";

export interface StagedRow {
  readonly send: StagedSend;
  readonly key: string;
  /**
   * `${key}|${source}` (device-keys.ts shareKey()), made once when the row is staged: its
   * source's share of the device's mailbox is looked up and changed under it
   * at the quota check, the staging and the removal of each row.
   */
  readonly shareKey: string;
  readonly device: Uint8Array;
  readonly seq: number;
  /** When it is written unless acked first (epoch ms). */
  readonly dueAt: number;
  /** Acked or written: no longer staged. */
  done: boolean;
}

export interface StagedSend {
  readonly request: EnqueueRequest;
  readonly source: string;
  readonly stagedAt: number;
  readonly result: EnqueueResult & { status: "queued" };
  /**
   * Its rows, one per target with room, in target order; a row leaves the
   * staging by being marked done. An array and a count, not a map by key: a
   * map per send grew and shrank its table once per target.
   */
  readonly rows: StagedRow[];
  /** Rows not done yet. */
  left: number;
  /** The envelope's row id, once a target's row needed it written. */
  envelopeId: number | undefined;
  /** Its dedupe record is committed. */
  recorded: boolean;
  settled: boolean;
  resolve(result: EnqueueResult): void;
  reject(error: unknown): void;
}

/** A send as staged, with no rows yet (addRow() adds them) and its promise's settlers. */
export function stagedSend(
  request: EnqueueRequest,
  source: string,
  stagedAt: number,
  result: EnqueueResult & { status: "queued" },
  resolve: (result: EnqueueResult) => void,
  reject: (error: unknown) => void,
): StagedSend {
  return {
    request,
    source,
    stagedAt,
    result,
    rows: [],
    left: 0,
    envelopeId: undefined,
    recorded: false,
    settled: false,
    resolve,
    reject,
  };
}

/** Adds a target's row to a send not yet handed to StagedMail.add(). */
export function addRow(
  send: StagedSend,
  key: string,
  shareKey: string,
  device: Uint8Array,
  seq: number,
  dueAt: number,
): void {
  send.rows.push({ send, key, shareKey, device, seq, dueAt, done: false });
  send.left++;
}

const NONE_RESERVED = Object.freeze({ count: 0, bytes: 0 });
/** Late devices remembered at most (a key is tens of bytes). */
const MAX_LATE = 10_000;

export class StagedMail {
  /** In staging order, which is the order rows fall due. */
  private sends: StagedSend[] = [];
  private readonly byDevice = new Map<string, StagedRow[]>();
  /**
   * Rows in the order they fall due: one queue per hold (none, or holdMs
   * for live devices), each therefore in dueAt order. Rows acked or written
   * meanwhile are skipped when they reach the head (still staged iff their
   * row is not done), so finding what is due costs what is due, not
   * a pass over every staged row.
   */
  private readonly queues: [StagedRow[], StagedRow[]] = [[], []];
  private readonly reserved = new Map<string, { count: number; bytes: number }>();
  private readonly shares = new Map<string, number>();
  /**
   * Sends not settled yet, by sender and msgId. Kept past the commit of the
   * dedupe record: a retransmit found there would be acked at once, while a
   * live target may hold the first only in memory.
   */
  private readonly unsettled = new Map<string, Promise<EnqueueResult>>();
  private readonly dedupeOf = new Map<StagedSend, string>();
  /**
   * Devices that let a held row fall due without acking it: until they ack
   * again, their rows are due at once. A device that stays connected and
   * never acks would otherwise hold every send to it, and its sender's ACK,
   * for the whole hold.
   */
  private readonly late = new Set<string>();

  constructor(
    /** How long a live device's row waits for its ack. */
    readonly holdMs: number,
  ) {}

  get size(): number {
    return this.sends.length;
  }

  /** A send of the same sender and msgId not settled yet: its outcome. */
  pending(dedupe: string): Promise<EnqueueResult> | undefined {
    return this.unsettled.get(dedupe);
  }

  /** Messages and bytes staged for a device, counted against its quota. */
  reservedFor(key: string): { readonly count: number; readonly bytes: number } {
    return this.reserved.get(key) ?? NONE_RESERVED;
  }

  /** Whether a connected device's rows are worth holding for its ack. */
  waitsFor(key: string): boolean {
    return !this.late.has(key);
  }

  /** Bytes staged for a device from one source, by shareKey(device key, source). */
  shareFor(shareKey: string): number {
    return this.shares.get(shareKey) ?? 0;
  }

  add(send: StagedSend, dedupe: string, settled: Promise<EnqueueResult>): void {
    this.sends.push(send);
    this.unsettled.set(dedupe, settled);
    this.dedupeOf.set(send, dedupe);
    const size = send.request.envelope.length;
    for (const row of send.rows) {
      let list = this.byDevice.get(row.key);
      if (!list) {
        list = [];
        this.byDevice.set(row.key, list);
      }
      list.push(row);
      this.queues[row.dueAt > send.stagedAt ? 1 : 0].push(row);
      // Counted in place: a fan-out changes these once per target per send.
      const r = this.reserved.get(row.key);
      if (r) {
        r.count++;
        r.bytes += size;
      } else this.reserved.set(row.key, { count: 1, bytes: size });
      if (send.source) this.shares.set(row.shareKey, (this.shares.get(row.shareKey) ?? 0) + size);
    }
  }

  recorded(send: StagedSend): void {
    send.recorded = true;
    this.settle(send);
  }

  /** Its dedupe record could not be committed: the sender is told, and its rows are dropped. */
  failed(send: StagedSend, error: unknown): void {
    this.forget(send);
    for (const row of send.rows) this.remove(row);
    this.sends = this.sends.filter((s) => s !== send);
    if (send.settled) return;
    send.settled = true;
    send.reject(error);
  }

  /** Rows of this device the device has now acked: never written. Returns the seqs not staged. */
  acked(key: string, seqs: number[]): number[] {
    this.late.delete(key);
    const list = this.byDevice.get(key);
    if (!list) return seqs;
    const rest: number[] = [];
    for (const seq of seqs) {
      const row = rowOf(list, seq);
      if (!row) {
        rest.push(seq);
        continue;
      }
      this.remove(row);
      this.settle(row.send);
    }
    return rest;
  }

  /** Rows due now (all of them when `all`), by send; per device a prefix of its staged rows. */
  due(now: number, all = false): Map<StagedSend, StagedRow[]> {
    this.sends = this.sends.filter((s) => !s.settled);
    // Per device, the highest staged seq that is due: its earlier rows go with it.
    const upTo = new Map<string, number>();
    for (const [held, queue] of this.queues.entries()) {
      let taken = 0;
      for (const row of queue) {
        if (!all && row.dueAt > now) break;
        taken++;
        if (!staged(row)) continue;
        if (held === 1 && !all) this.noteLate(row.key);
        upTo.set(row.key, Math.max(upTo.get(row.key) ?? 0, row.seq));
      }
      queue.splice(0, taken);
    }
    const out = new Map<StagedSend, StagedRow[]>();
    for (const [key, seq] of upTo) {
      for (const row of this.byDevice.get(key) ?? []) {
        if (row.seq > seq) break;
        const rows = out.get(row.send);
        if (rows) rows.push(row);
        else out.set(row.send, [row]);
      }
    }
    return out;
  }

  /** These rows were committed: the device holds them on the relay now. */
  written(rows: StagedRow[]): void {
    for (const row of rows) this.remove(row);
    for (const row of rows) this.settle(row.send);
  }

  /** Rows due() handed out whose commit failed: due again, at the next commit. */
  requeue(rows: StagedRow[]): void {
    this.queues[0].unshift(...rows.filter(staged));
  }

  /** When the first staged row falls due, if any. */
  nextDue(): number | undefined {
    let first: number | undefined;
    for (const queue of this.queues) {
      // Rows no longer staged are dropped from the head here too, so the head is a real one.
      let gone = 0;
      while (gone < queue.length && !staged(queue[gone] as StagedRow)) gone++;
      if (gone > 0) queue.splice(0, gone);
      const head = queue[0];
      if (head && (first === undefined || head.dueAt < first)) first = head.dueAt;
    }
    return first;
  }

  /** Staged messages of a device past `afterSeq` (all above any written row), unexpired, in seq order. */
  read(key: string, afterSeq: number, now: number): StoredMessage[] {
    const out: StoredMessage[] = [];
    for (const row of this.byDevice.get(key) ?? []) {
      const { request } = row.send;
      if (row.seq <= afterSeq || request.expiresAt <= now) continue;
      out.push({
        seq: row.seq,
        msgId: request.msgId,
        sender: request.sender,
        flags: request.flags,
        envelope: request.envelope,
      });
    }
    return out;
  }

  /** Every staged send fails (the store is closing or broken). */
  failAll(error: unknown): void {
    for (const send of [...this.sends]) {
      for (const row of send.rows) this.remove(row);
      if (!send.settled) {
        send.settled = true;
        send.reject(error);
      }
    }
    this.sends = [];
    this.unsettled.clear();
    this.dedupeOf.clear();
  }

  private remove(row: StagedRow): void {
    const { send } = row;
    if (row.done) return;
    row.done = true;
    send.left--;
    const list = this.byDevice.get(row.key);
    if (list) {
      // Acks come in seq order, so the row is nearly always the first: shift, not splice.
      const at = list.indexOf(row);
      if (at === 0) list.shift();
      else if (at > 0) list.splice(at, 1);
      if (list.length === 0) this.byDevice.delete(row.key);
    }
    const size = send.request.envelope.length;
    const r = this.reserved.get(row.key);
    if (!r || r.count <= 1) this.reserved.delete(row.key);
    else {
      r.count--;
      r.bytes -= size;
    }
    if (send.source) {
      const left = (this.shares.get(row.shareKey) ?? 0) - size;
      if (left > 0) this.shares.set(row.shareKey, left);
      else this.shares.delete(row.shareKey);
    }
  }

  private settle(send: StagedSend): void {
    if (send.settled || !send.recorded || send.left > 0) return;
    // Left in `sends` until the next due(): filtering here would cost a pass per settle.
    send.settled = true;
    this.forget(send);
    send.resolve(send.result);
  }

  private noteLate(key: string): void {
    // Kept small: forgetting a device costs at most one more hold before it is noted again.
    if (this.late.size >= MAX_LATE) this.late.clear();
    this.late.add(key);
  }

  private forget(send: StagedSend): void {
    const dedupe = this.dedupeOf.get(send);
    if (dedupe === undefined) return;
    this.dedupeOf.delete(send);
    this.unsettled.delete(dedupe);
  }
}

/** A device's staged row of this seq: a loop, not find(), which would make a closure per seq. */
function rowOf(list: readonly StagedRow[], seq: number): StagedRow | undefined {
  for (const row of list) if (row.seq === seq) return row;
  return undefined;
}

/** A row is staged until it is acked or written. */
function staged(row: StagedRow): boolean {
  return !row.done;
}
