/**
 * What waits in this device's outboxes, read at start and then when they
 * change (the engine's outboxes say so after each put and delete) rather
 * than polled: the set of queued msgIds for "Local only", and per target
 * device how many wait, for the Connection panel. Readings are coalesced: one in flight, at most one
 * more after it, however many changes came meanwhile.
 */
import { toHex } from "../../../core/crypto/bytes.js";
import { noted } from "../../../core/diagnostics/recent-errors.js";
import type { AppSyncEngine } from "../../../core/sync/links.js";
import type { OutboxEntry } from "../../../core/sync/outbox.js";

export interface OutboxReading {
  /** Outbox msgIds (hex). */
  readonly queued: ReadonlySet<string>;
  /** Per target device (hex), how many entries wait for it. */
  readonly waitingFor: ReadonlyMap<string, number>;
}

export const EMPTY_READING: OutboxReading = Object.freeze({
  queued: new Set<string>(),
  waitingFor: new Map<string, number>(),
});

export class OutboxStatus {
  private current: OutboxReading = EMPTY_READING;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private readonly offs: (() => void)[];

  /**
   * @param onRead gets every listing; returns true when what it derives changed
   *   (the spaces' pending messages), so the UI is told even with the same ids.
   */
  constructor(
    private readonly engine: AppSyncEngine,
    private readonly onRead: (entries: readonly OutboxEntry[]) => boolean,
    private readonly changed: () => void,
  ) {
    const refresh = () => void this.refresh();
    this.offs = [engine.outbox.onChange(refresh), engine.directOutbox.onChange(refresh)];
    // What an earlier run left queued shows as such now, not at the outbox's next change.
    refresh();
  }

  get reading(): OutboxReading {
    return this.current;
  }

  /** Resolves once a reading started after this call is taken in (failures are logged). */
  refresh(): Promise<void> {
    if (!this.running) {
      this.running = this.read()
        .catch(noted("OUTBOX_READ", "reading the outbox for delivery states"))
        .finally(() => {
          this.running = undefined;
        });
      return this.running;
    }
    this.next ??= this.running.then(() => {
      this.next = undefined;
      return this.refresh();
    });
    return this.next;
  }

  stop(): void {
    for (const off of this.offs) off();
  }

  private async read(): Promise<void> {
    const { outbox, directOutbox } = this.engine;
    const entries = [...(await outbox.list()), ...(await directOutbox.list())];
    const queued = new Set(entries.map((e) => toHex(e.msgId)));
    const waitingFor = new Map<string, number>();
    for (const e of entries) {
      for (const t of e.targets) {
        const device = toHex(t);
        waitingFor.set(device, (waitingFor.get(device) ?? 0) + 1);
      }
    }
    const before = this.current.queued;
    const same = queued.size === before.size && [...queued].every((id) => before.has(id));
    // The same entries keep the same reading: views memoized on it stay as they are.
    if (!same) this.current = Object.freeze({ queued, waitingFor });
    const learned = this.onRead(entries);
    if (!same || learned) this.changed();
  }
}
