/**
 * The seam every path an envelope can take sits behind: the relay (store
 * and forward, fan-out) and the direct WebRTC mesh of a space. The sync
 * engine routes by policy and never cares which one it holds.
 */

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
