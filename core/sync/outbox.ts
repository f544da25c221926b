/**
 * The outbox: every envelope a device has handed to a transport stays here
 * until the relay (or every target directly) acknowledged it, so a crash, a
 * dropped link or a relay restart loses nothing. The sync engine backs it
 * with the local Store; MemoryOutbox serves tests and ephemeral use.
 */
import { bytesKey } from "../crypto/bytes.js";
import { randomBytes } from "../crypto/random.js";
import { MSG_ID_BYTES } from "../wire/frame-types.js";
import type { EnqueueOptions } from "./transport.js";

export interface OutboxEntry {
  msgId: Uint8Array;
  targets: Uint8Array[];
  envelope: Uint8Array;
  ttlSeconds: number;
  /** Epoch ms; entries are retransmitted in this order. */
  queuedAt: number;
}

/** An entry for a fresh send: a random msgId unless the caller has an idempotency key. */
export function newOutboxEntry(
  targets: Uint8Array[],
  envelope: Uint8Array,
  options: EnqueueOptions,
  now: number,
): OutboxEntry {
  return {
    msgId: options.msgId ?? randomBytes(MSG_ID_BYTES),
    targets,
    envelope,
    ttlSeconds: options.ttlSeconds ?? 0,
    queuedAt: now,
  };
}

export interface Outbox {
  put(entry: OutboxEntry): Promise<void>;
  delete(msgId: Uint8Array): Promise<void>;
  /** Every entry, oldest first. */
  list(): Promise<OutboxEntry[]>;
}

export class MemoryOutbox implements Outbox {
  private readonly entries = new Map<string, OutboxEntry>();

  async put(entry: OutboxEntry): Promise<void> {
    this.entries.set(bytesKey(entry.msgId), entry);
  }

  async delete(msgId: Uint8Array): Promise<void> {
    this.entries.delete(bytesKey(msgId));
  }

  async list(): Promise<OutboxEntry[]> {
    return [...this.entries.values()].sort((a, b) => a.queuedAt - b.queuedAt);
  }

  get size(): number {
    return this.entries.size;
  }
}
