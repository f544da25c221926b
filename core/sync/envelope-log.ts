/**
 * The envelope log a space's direct mesh keeps in sync: a Y.Doc holding
 * envelope bytes (never plaintext) and the receivers' acks. y-webrtc syncs
 * this doc between the members online together, so a peer that connects
 * late, or whose link dropped a message, gets what is still in the log from
 * the sync step, with no resend logic of our own.
 *
 * Entries are short-lived: the author removes one once every direct target
 * acked it, or once it has sat in the log past its time (the author has by
 * then handed it to the relay). An entry whose author left without tidying
 * up is removed by whoever sees it ten times past that time: rarely, so the
 * members do not all send the same deletions at once. That keeps the doc, and so
 * the full-state message y-webrtc sends on connect, small. Chromium drops
 * data-channel messages over 256 KiB without a word, so envelopes are
 * written in chunks of at most 16 KiB, one transaction (one message) each.
 *
 * Layout: map "e", key `<id>/<i>/<n>` -> chunk i of n of envelope <id>;
 *         map "t", key `<id>` -> the 32-byte keys of its targets, when it is
 *                  addressed to some members only (others skip it);
 *         map "a", key `<id>/<device>` -> 1 when <device> has taken <id>.
 * <id> is 32 hex digits (the msgId), <device> 64 (an Ed25519 key).
 */
import type * as Y from "yjs";
import { concatBytes, toHex } from "../crypto/bytes.js";

export const CHUNK_BYTES = 16 * 1024;
/** Envelopes larger than this never go into the log (1 MiB in 64 chunks). */
export const MAX_CHUNKS = 64;

const ENTRY_KEY = /^([0-9a-f]{32})\/(\d{1,2})\/(\d{1,2})$/;
const ACK_KEY = /^([0-9a-f]{32})\/([0-9a-f]{64})$/;

/** Origin of this device's own writes, so its observers skip them. */
const LOCAL = Symbol("envelope-log-local");

export interface EnvelopeLogEvents {
  /** A complete envelope someone else put in the log. */
  envelope(id: string, bytes: Uint8Array): void;
  /** `device` says it has taken envelope `id`. */
  ack(id: string, device: string): void;
}

interface Partial {
  chunks: (Uint8Array | undefined)[];
  have: number;
}

export class EnvelopeLog {
  private readonly entries: Y.Map<Uint8Array>;
  private readonly addressees: Y.Map<Uint8Array>;
  private readonly acks: Y.Map<number>;
  private readonly partial = new Map<string, Partial>();
  /** Ids already handed on, so a chunk rewritten by a merge does not deliver twice. */
  private readonly handed = new Set<string>();
  /** When each id was first seen here: the clock the sweep runs on. */
  private readonly firstSeen = new Map<string, number>();
  /** Ids this device put in. */
  private readonly own = new Set<string>();

  constructor(
    readonly doc: Y.Doc,
    /** This device (hex), to tell which addressed envelopes are its own to take. */
    private readonly me: string,
    private readonly events: EnvelopeLogEvents,
    private readonly now: () => number = Date.now,
  ) {
    this.entries = doc.getMap("e");
    this.addressees = doc.getMap("t");
    this.acks = doc.getMap("a");
    this.entries.observe((event) => this.onEntries(event));
    this.acks.observe((event) => this.onAcks(event));
  }

  /**
   * Writes an envelope, a chunk per transaction; `to` limits who takes it
   * (everyone in the room receives the bytes). Returns false if it is too
   * large for the log.
   */
  put(id: string, envelope: Uint8Array, to?: Uint8Array[]): boolean {
    const n = Math.max(1, Math.ceil(envelope.length / CHUNK_BYTES));
    if (n > MAX_CHUNKS) return false;
    this.handed.add(id);
    this.own.add(id);
    this.firstSeen.set(id, this.now());
    for (let i = 0; i < n; i++) {
      const chunk = envelope.slice(i * CHUNK_BYTES, (i + 1) * CHUNK_BYTES);
      this.doc.transact(() => {
        if (i === 0 && to) this.addressees.set(id, concatBytes(...to));
        this.entries.set(`${id}/${i}/${n}`, chunk);
      }, LOCAL);
    }
    return true;
  }

  ack(id: string, device: string): void {
    this.doc.transact(() => this.acks.set(`${id}/${device}`, 1), LOCAL);
  }

  /** Drops an envelope and its acks from the log (for every peer). */
  remove(id: string): void {
    this.doc.transact(() => {
      for (const key of this.entries.keys()) if (key.startsWith(`${id}/`)) this.entries.delete(key);
      for (const key of this.acks.keys()) if (key.startsWith(`${id}/`)) this.acks.delete(key);
      this.addressees.delete(id);
    }, LOCAL);
    this.forget(id);
  }

  /**
   * Removes own entries older than `maxAgeMs` (others' once ten times
   * that old), and own acks of envelopes gone.
   */
  sweep(maxAgeMs: number): void {
    const now = this.now();
    const present = new Set<string>();
    for (const key of this.entries.keys()) present.add(key.slice(0, 32));
    for (const id of present) {
      const seen = this.firstSeen.get(id);
      const age = seen === undefined ? 0 : now - seen;
      if (seen === undefined) this.firstSeen.set(id, now);
      else if (age > (this.own.has(id) ? maxAgeMs : 10 * maxAgeMs)) this.remove(id);
    }
    // Acks that came in after their envelope left: each device clears its own.
    const stale = [...this.acks.keys()].filter(
      (key) => key.endsWith(this.me) && !present.has(key.slice(0, 32)),
    );
    if (stale.length > 0) {
      this.doc.transact(() => {
        for (const key of stale) this.acks.delete(key);
      }, LOCAL);
    }
    for (const id of this.handed) if (!present.has(id)) this.forget(id);
  }

  get size(): number {
    return new Set([...this.entries.keys()].map((key) => key.slice(0, 32))).size;
  }

  private forget(id: string): void {
    this.partial.delete(id);
    this.handed.delete(id);
    this.firstSeen.delete(id);
    this.own.delete(id);
  }

  private onEntries(event: Y.YMapEvent<Uint8Array>): void {
    if (event.transaction.origin === LOCAL) return;
    for (const [key, change] of event.changes.keys) {
      if (change.action === "delete") continue;
      const match = ENTRY_KEY.exec(key);
      const chunk = this.entries.get(key);
      // Anyone in the room can write here: what does not fit the layout is ignored.
      if (!match || !(chunk instanceof Uint8Array) || chunk.length > CHUNK_BYTES) continue;
      const [, id, iText, nText] = match as unknown as [string, string, string, string];
      const i = Number(iText);
      const n = Number(nText);
      if (n < 1 || n > MAX_CHUNKS || i >= n || this.handed.has(id)) continue;
      if (!this.firstSeen.has(id)) this.firstSeen.set(id, this.now());
      let partial = this.partial.get(id);
      if (!partial || partial.chunks.length !== n) {
        partial = { chunks: new Array(n).fill(undefined), have: 0 };
        this.partial.set(id, partial);
      }
      if (partial.chunks[i] === undefined) partial.have++;
      partial.chunks[i] = chunk;
      if (partial.have < n) continue;
      this.partial.delete(id);
      this.handed.add(id);
      if (this.isForMe(id))
        this.events.envelope(id, concatBytes(...(partial.chunks as Uint8Array[])));
    }
  }

  private isForMe(id: string): boolean {
    const to = this.addressees.get(id);
    if (!(to instanceof Uint8Array)) return true;
    for (let i = 0; i + 32 <= to.length; i += 32) {
      if (toHex(to.subarray(i, i + 32)) === this.me) return true;
    }
    return false;
  }

  private onAcks(event: Y.YMapEvent<number>): void {
    if (event.transaction.origin === LOCAL) return;
    for (const [key, change] of event.changes.keys) {
      if (change.action === "delete") continue;
      const match = ACK_KEY.exec(key);
      const id = match?.[1];
      const device = match?.[2];
      if (id !== undefined && device !== undefined) this.events.ack(id, device);
    }
  }
}
