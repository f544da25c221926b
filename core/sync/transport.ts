/**
 * The seams every path an envelope can take sits behind: the relay (store
 * and forward, fan-out) and the direct mesh of a space. The sync engine
 * routes by policy and knows only these interfaces; which implementations
 * it runs is chosen where it is built (links.ts wires the real ones).
 */

import type { Ed25519Backend } from "../crypto/ed25519.js";
import type { SigningKeyPair } from "../crypto/identity.js";
import type { SpaceAccess } from "../space/access.js";
import type { Outbox, OutboxEntry } from "./outbox.js";
import type { RelayError } from "./relay-error.js";
import type { UplinkSample } from "./uplink-meter.js";

export interface EnqueueOptions {
  /** Idempotency key: a transport stores or delivers one msgId once. */
  msgId?: Uint8Array;
  ttlSeconds?: number;
}

export interface Transport {
  /**
   * Queues `envelope` for `targets`; resolves once it is durably queued,
   * handing back the promise that settles when it has been acknowledged
   * (by the relay on the targets' behalf, or by every target directly).
   */
  enqueue(
    targets: Uint8Array[],
    envelope: Uint8Array,
    options?: EnqueueOptions,
  ): Promise<{ acked: Promise<void> }>;
  start(): void;
  stop(): Promise<void>;
  /** Bytes this device has pushed into the link: what the uplink carried. */
  readonly bytesSent: number;
}

/** An envelope that came in on a transport; the transport acks once `take` resolves. */
export type TakeEnvelope = (envelope: Uint8Array) => Promise<void>;

export type RelayStatus =
  | "idle"
  | "connecting"
  | "authenticating"
  | "online"
  | "offline"
  | "stopped";

/** The relay link as the engine drives it. */
export interface RelayPath extends Transport {
  readonly status: RelayStatus;
  /** Best effort to the targets online at the relay now; false when it could not be sent. */
  sendEphemeral(targets: Uint8Array[], envelope: Uint8Array): boolean;
}

/** What the engine gives the relay link it asks for, and hears back from it. */
export interface RelayPathHooks {
  device: SigningKeyPair;
  backend: Ed25519Backend;
  /** Where envelopes wait for the relay; durable across runs. */
  outbox: Outbox;
  take: TakeEnvelope;
  status(status: RelayStatus): void;
  error(error: RelayError): void;
  uplink(sample: UplinkSample): void;
}

export type RelayPathFactory<R extends RelayPath = RelayPath> = (hooks: RelayPathHooks) => R;

/** One space's direct mesh as the engine drives it. */
export interface DirectPath extends Transport {
  /** Devices (hex) reachable directly now. */
  connected(): ReadonlySet<string>;
  /** The largest envelope this path carries; larger ones go through the relay. */
  readonly maxEnvelopeBytes: number;
  /** `addressed`: only the targets take it (a broadcast is taken by every member present). */
  enqueue(
    targets: Uint8Array[],
    envelope: Uint8Array,
    options?: EnqueueOptions & { addressed?: boolean },
  ): Promise<{ acked: Promise<void> }>;
}

export interface DirectPathHooks {
  /** This device (hex). */
  device: string;
  /** Shared by a device's direct paths; the engine hands leftovers to the relay at start. */
  outbox: Outbox;
  take: TakeEnvelope;
  /** Targets that did not ack in time: the engine sends them through the relay. */
  undelivered(entry: OutboxEntry, targets: Uint8Array[]): Promise<void>;
  uplink(sample: UplinkSample): void;
  /** The set of devices reachable directly changed. */
  peersChanged(): void;
}

export type DirectPathFactory<D extends DirectPath = DirectPath> = (
  access: SpaceAccess,
  hooks: DirectPathHooks,
) => D;
