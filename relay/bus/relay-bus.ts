/**
 * RelayBus: how relay nodes tell each other who is where. It is lossy by
 * contract: a hint that never arrives costs latency, never data, because the
 * truth is the store and each node re-reads its devices' mailboxes after
 * every (re)subscribe (`resync`) and on a slow safety poll. Nothing on the
 * bus must last.
 *
 * Implementations: LocalBus (one node; today's in-process behaviour) and
 * RedisBus (several nodes on Redis pub/sub). A node never hears its own
 * messages back.
 */

export interface BusMessage {
  msgId: Uint8Array;
  sender: Uint8Array;
  flags: number;
  envelope: Uint8Array;
}

/** What one node tells the node holding a device. */
export type DeviceEvent =
  /** Mail was committed at `seq`; small envelopes ride along so the holder can skip a read. */
  | { kind: "mail"; seq: number; message?: BusMessage }
  /** The device logged in on another node at `at` (epoch ms): an older connection is replaced. */
  | { kind: "connected"; at: number }
  /** An ephemeral frame for the device: never stored, forwarded if it is online. */
  | { kind: "ephemeral"; message: BusMessage };

export interface BusHandlers {
  /** An event for a device this node watches (device is its bytesKey). */
  device(device: string, event: DeviceEvent): void;
  /** A /signal message published on another node to a topic this node watches. */
  topic(topic: string, text: string): void;
  /** (Re)subscribed: hints may have been missed meanwhile, so re-read every local device. */
  resync(): void;
}

/** A budget that must hold across all nodes (at most `limit` per key per window). */
export interface SharedBudget {
  take(key: string): Promise<boolean>;
  /** Forgets local state that has left the window. */
  prune(): void;
}

export interface BusHealth {
  kind: "local" | "redis";
  reachable: boolean;
}

export interface RelayBus {
  readonly kind: "local" | "redis";
  setHandlers(handlers: BusHandlers): void;
  /** Starts hearing a device's events; resolves once subscribed (or at once, if the bus is down). */
  watchDevice(device: string): Promise<void>;
  unwatchDevice(device: string): void;
  /** Fire and forget: to whichever node holds the device, if any. */
  publishDevice(device: string, event: DeviceEvent): void;
  watchTopic(topic: string): void;
  unwatchTopic(topic: string): void;
  publishTopic(topic: string, text: string): void;
  budget(name: string, limit: number, windowMs: number): SharedBudget;
  health(): Promise<BusHealth>;
  close(): Promise<void>;
}
