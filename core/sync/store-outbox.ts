/**
 * The outbox kept in the local store, so envelopes handed to the relay
 * survive a crash or restart until it acknowledges them. One record per
 * entry; a damaged record is reported and skipped, the others still go.
 *
 * Record: u8 version, varuint queuedAt, varuint ttlSeconds,
 *         varuint n, n x bytes32 target, varbytes envelope
 */
import * as encoding from "lib0/encoding";
import { fromHex, toHex } from "../crypto/bytes.js";
import { type Store, StoreError } from "../store/store.js";
import { KEY_BYTES } from "../wire/envelope.js";
import { DecodeError } from "../wire/errors.js";
import { DEFAULT_LIMITS } from "../wire/limits.js";
import { decodeStrict, encodeWith, writeFixed } from "../wire/reader.js";
import type { Outbox, OutboxEntry } from "./outbox.js";

const VERSION = 1;

export class StoreOutbox implements Outbox {
  /** Records that could not be read; left on disk for inspection, never sent. */
  readonly corrupt: StoreError[] = [];

  /** @param prefix keeps apart outboxes sharing a store (the relay's, the direct path's). */
  constructor(
    private readonly store: Store,
    private readonly prefix = "outbox/",
  ) {}

  private readonly listeners = new Set<() => void>();

  async put(entry: OutboxEntry): Promise<void> {
    await this.store.put(this.prefix + toHex(entry.msgId), encodeOutboxEntry(entry));
    this.changed();
  }

  async delete(msgId: Uint8Array): Promise<void> {
    await this.store.delete(this.prefix + toHex(msgId));
    this.changed();
  }

  /**
   * Called after each put or delete has reached the store, so a status (what waits for whom)
   * is read when it changes instead of polled. Returns the unsubscribe.
   */
  onChange(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  private changed(): void {
    for (const listener of this.listeners) listener();
  }

  async list(): Promise<OutboxEntry[]> {
    const entries: OutboxEntry[] = [];
    for (const key of await this.store.list(this.prefix)) {
      try {
        const bytes = await this.store.get(key);
        if (bytes) entries.push(decodeOutboxEntry(bytes, key.slice(this.prefix.length)));
      } catch (err) {
        if (err instanceof DecodeError) {
          this.noteCorrupt(new StoreError("CORRUPT_RECORD", `${key}: ${err.message}`, key));
        } else if (err instanceof StoreError && err.code === "CORRUPT_RECORD") {
          this.noteCorrupt(err);
        } else throw err;
      }
    }
    return entries.sort((a, b) => a.queuedAt - b.queuedAt);
  }

  private noteCorrupt(err: StoreError): void {
    if (!this.corrupt.some((e) => e.key === err.key)) this.corrupt.push(err);
  }
}

export function encodeOutboxEntry(entry: OutboxEntry): Uint8Array {
  return encodeWith((e) => {
    encoding.writeUint8(e, VERSION);
    encoding.writeVarUint(e, entry.queuedAt);
    encoding.writeVarUint(e, entry.ttlSeconds);
    encoding.writeVarUint(e, entry.targets.length);
    for (const t of entry.targets) writeFixed(e, t, KEY_BYTES, "target");
    encoding.writeVarUint8Array(e, entry.envelope);
  });
}

export function decodeOutboxEntry(bytes: Uint8Array, msgIdHex: string): OutboxEntry {
  if (!/^[0-9a-f]{32}$/.test(msgIdHex)) {
    throw new DecodeError("INVALID_VALUE", "outbox record name is not a message id");
  }
  return decodeStrict(bytes, (r) => {
    const version = r.u8("version");
    if (version !== VERSION) {
      throw new DecodeError("UNSUPPORTED_VERSION", `outbox record version ${version}`);
    }
    const queuedAt = r.varUint("queuedAt");
    const ttlSeconds = r.varUint("ttlSeconds", 0xffffffff);
    const n = r.varUint("targets", DEFAULT_LIMITS.maxTargets);
    const targets: Uint8Array[] = [];
    for (let i = 0; i < n; i++) targets.push(r.fixed(KEY_BYTES, "target").slice());
    const envelope = r.varBytes("envelope", DEFAULT_LIMITS.maxEnvelopeBytes).slice();
    const msgId = fromHex(msgIdHex);
    return { msgId, targets, envelope, ttlSeconds, queuedAt };
  });
}
