/**
 * Which devices this node holds, and how mail and frames reach devices held
 * anywhere. A device's own node is told of new mail directly; another node
 * is told through the bus (a hint, with small envelopes inline). Because
 * hints are lossy, the node re-reads its devices' mailboxes after every bus
 * (re)subscribe and on a safety poll; the store is the truth.
 *
 * A device logging in here subscribes to its bus channel before anything is
 * read for it, then announces itself: the node holding an older connection
 * of the same device closes that one with REPLACED.
 */
import type { Logger } from "pino";
import { RelayCloseCode } from "../core/wire/relay-errors.js";
import type { BusMessage, DeviceEvent, RelayBus } from "./bus/relay-bus.js";
import type { RelayMetrics } from "./metrics.js";
import type { RelayStore, StoredMessage } from "./store/relay-store.js";

/** What presence needs of a logged-in connection. */
export interface LocalDevice {
  /** bytesKey of the device key. */
  readonly deviceId: string;
  readonly device: Uint8Array;
  /** Epoch ms of login, to tell which of two connections is the newer. */
  readonly connectedAt: number;
  /** The highest seq delivery has read; a head beyond it means mail to fetch. */
  readonly position: number;
  offer(message: StoredMessage): void;
  pump(): void;
  forwardEphemeral(message: BusMessage): boolean;
  close(code: number, reason: string): void;
}

/** Envelopes up to this size ride along with a hint; larger ones are read from the store. */
export const INLINE_ENVELOPE_BYTES = 4096;

export interface PresenceOptions {
  bus: RelayBus;
  store: RelayStore;
  metrics: RelayMetrics;
  log: Logger;
  /** Safety poll interval; 0 for none (a single node needs none). */
  pollMs: number;
  /** Whether an ephemeral frame arriving for a local device may go to it (its per-target budget). */
  admitEphemeral: (device: string) => boolean;
}

export class Presence {
  private readonly online = new Map<string, LocalDevice>();
  private readonly poll: NodeJS.Timeout | undefined;
  private resyncing = false;
  /** A resync asked for while one ran: its heads may predate what the new one must see. */
  private resyncAgain: "bus" | "poll" | undefined;

  constructor(private readonly options: PresenceOptions) {
    if (options.pollMs > 0) {
      this.poll = setInterval(() => void this.resync("poll"), options.pollMs);
      this.poll.unref();
    }
  }

  /** Whether other nodes may hold devices (a shared bus). */
  get clustered(): boolean {
    return this.options.bus.kind !== "local";
  }

  get size(): number {
    return this.online.size;
  }

  get(device: string): LocalDevice | undefined {
    return this.online.get(device);
  }

  /** A device logged in here: replaces an older connection here or elsewhere; resolves once subscribed. */
  async arrive(conn: LocalDevice): Promise<void> {
    const previous = this.online.get(conn.deviceId);
    this.online.set(conn.deviceId, conn);
    previous?.close(RelayCloseCode.REPLACED, "replaced by a newer connection of this device");
    if (!previous) await this.options.bus.watchDevice(conn.deviceId);
    this.options.bus.publishDevice(conn.deviceId, { kind: "connected", at: conn.connectedAt });
  }

  leave(conn: LocalDevice): void {
    if (this.online.get(conn.deviceId) !== conn) return;
    this.online.delete(conn.deviceId);
    this.options.bus.unwatchDevice(conn.deviceId);
  }

  /** Mail committed for `device` at `seq`: wake its connection here, or hint the node holding it. */
  mailQueued(device: string, message: StoredMessage): void {
    const local = this.online.get(device);
    if (local) return local.offer(message);
    if (!this.clustered) return; // offline: its next login reads the mailbox
    const { seq, ...rest } = message;
    this.options.metrics.deliveryHints.inc({ direction: "out" });
    this.options.bus.publishDevice(device, {
      kind: "mail",
      seq,
      ...(message.envelope.length <= INLINE_ENVELOPE_BYTES ? { message: rest } : {}),
    });
  }

  /** An ephemeral frame for a device on another node (or on none). */
  ephemeralElsewhere(device: string, message: BusMessage): void {
    this.options.bus.publishDevice(device, { kind: "ephemeral", message });
  }

  /** Re-reads every local device's mailbox head and wakes those with mail beyond their position. */
  async resync(reason: "bus" | "poll"): Promise<void> {
    if (this.online.size === 0) return;
    if (this.resyncing) {
      this.resyncAgain = this.resyncAgain === "bus" ? "bus" : reason;
      return;
    }
    this.resyncing = true;
    try {
      this.options.metrics.resyncs.inc({ reason });
      const conns = [...this.online.values()];
      const heads = this.options.store.heads
        ? await this.options.store.heads(conns.map((c) => c.device))
        : undefined;
      conns.forEach((conn, i) => {
        // No head known for a device (no `heads`, or none for it): pumping costs one read.
        const head = heads?.[i];
        if (head === undefined || head > conn.position) conn.pump();
      });
    } catch (err) {
      this.options.log.warn({ err: (err as Error).message, reason }, "resync failed");
    } finally {
      this.resyncing = false;
      const again = this.resyncAgain;
      this.resyncAgain = undefined;
      if (again) void this.resync(again);
    }
  }

  close(): void {
    clearInterval(this.poll);
  }

  /** An event from another node for a device (the bus's device handler). */
  hear(device: string, event: DeviceEvent): void {
    const local = this.online.get(device);
    if (!local) return;
    switch (event.kind) {
      case "mail":
        this.options.metrics.deliveryHints.inc({ direction: "in" });
        if (event.message) local.offer({ seq: event.seq, ...event.message });
        else local.pump();
        return;
      case "connected":
        // Only an announcement newer than this connection replaces it (not a late one from before).
        if (event.at >= local.connectedAt) {
          this.online.delete(device);
          this.options.bus.unwatchDevice(device);
          local.close(RelayCloseCode.REPLACED, "replaced by a newer connection of this device");
        }
        return;
      case "ephemeral":
        if (!this.options.admitEphemeral(device)) {
          this.options.metrics.refusals.inc({ reason: "ephemeral_target_rate" });
          return;
        }
        if (!local.forwardEphemeral(event.message))
          this.options.metrics.refusals.inc({ reason: "ephemeral_target_busy" });
        return;
    }
  }
}
