/**
 * What waits in this device's outboxes, read at start and then when they
 * change (the engine's outboxes say so after each put and delete; read when
 * the page is idle, four times a second at most) rather than polled: the
 * set of queued msgIds for "Local only", and per target device how many
 * wait, for the Connection panel. Readings are coalesced: one in flight, at
 * most one more after it, however many changes came meanwhile.
 */
import { toHex } from "../../../core/crypto/bytes.js";
import { noted } from "../../../core/diagnostics/recent-errors.js";
import type { AppSyncEngine } from "../../../core/sync/links.js";
import type { OutboxEntry } from "../../../core/sync/outbox.js";
import { whenIdle } from "./when-idle.js";

export interface OutboxReading {
  /** Outbox msgIds (hex). */
  readonly queued: ReadonlySet<string>;
  /** Per target device (hex), how many entries wait for it. */
  readonly waitingFor: ReadonlyMap<string, number>;
}

/** The outboxes are read again this long after the last reading at most, when they change (ms). */
const OUTBOX_READ_EVERY_MS = 250;

export const EMPTY_READING: OutboxReading = Object.freeze({
  queued: new Set<string>(),
  waitingFor: new Map<string, number>(),
});

export class OutboxStatus {
  private current: OutboxReading = EMPTY_READING;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;
  private readonly offs: (() => void)[];
  /** Stopped with the session: a reading still waiting for an idle moment is dropped. */
  private stopped = false;

  /**
   * @param onRead gets every listing; returns true when what it derives changed
   *   (the spaces' pending messages), so the UI is told even with the same ids.
   */
  constructor(
    private readonly engine: AppSyncEngine,
    private readonly onRead: (entries: readonly OutboxEntry[]) => boolean,
    private readonly changed: () => void,
  ) {
    // Read when the page is idle, at most every OUTBOX_READ_EVERY_MS: with every member linked
    // directly each keystroke is an envelope put and then acked (decision 109), and two
    // listings per change of both outboxes were most of the page's work while typing.
    const later = whenIdle(() => {
      if (!this.stopped) void this.refresh();
    }, OUTBOX_READ_EVERY_MS);
    this.offs = [engine.outbox.onChange(later), engine.directOutbox.onChange(later)];
    const refresh = () => void this.refresh();
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
    this.stopped = true;
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
