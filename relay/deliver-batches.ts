/**
 * Deliveries to one device, gathered per turn into DELIVER_BATCH frames
 * (revision 5) once the device has sent ACCEPT_BATCHES. A group commit, or
 * a read of the mailbox, hands a connection many messages in one turn: one
 * frame for them costs one WebSocket message on both ends, and the device
 * takes them together and acks them in one frame.
 *
 * Bytes are counted as sent when a message is added, not when its frame
 * goes, so the connection's backpressure sees them at once; the frame goes
 * at the end of the turn (a microtask), or sooner when it is full. Order is
 * kept: a message too large to share a frame goes alone, after the frame
 * gathered before it.
 */
import { MAX_BATCH_DELIVERIES } from "../core/wire/frame-types.js";
import { deliverBatchBytes, deliverFrameBytes } from "./deliver-bytes.js";
import type { StoredMessage } from "./store/relay-store.js";

/** A batch stops growing past this many envelope bytes (far below any frame limit). */
export const BATCH_BYTES = 256 * 1024;

/** Bytes counted as sent a message at a time, given back together once the frame is written. */
export interface CountedBytes {
  add(bytes: number): void;
  release(): void;
}

export interface BatchSocket {
  /** Counts bytes as sent now; the release gives them back once written. */
  count(bytes: number): () => void;
  /** A count for one frame being gathered: each message's bytes are added as it joins. */
  countGathered(): CountedBytes;
  /** Sends a frame whose bytes were counted; `release` once it is written (or dropped). */
  sendCounted(bytes: Uint8Array, release: () => void): void;
}

export class DeliverBatches {
  private messages: StoredMessage[] = [];
  /** The gathered frame's bytes, counted as each message joins; one release for them all. */
  private counted: CountedBytes | undefined;
  private bytes = 0;
  private scheduled = false;

  constructor(private readonly socket: BatchSocket) {}

  add(message: StoredMessage): void {
    const size = message.envelope.length;
    if (size > BATCH_BYTES) {
      this.flush();
      const frame = deliverFrameBytes(message);
      this.socket.sendCounted(frame, this.socket.count(frame.length));
      return;
    }
    if (this.bytes + size > BATCH_BYTES || this.messages.length >= MAX_BATCH_DELIVERIES)
      this.flush();
    this.messages.push(message);
    this.counted ??= this.socket.countGathered();
    // The frame's own bytes (seq, msgId, sender, flags, length) are within this margin.
    this.counted.add(size + 64);
    this.bytes += size;
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  /** Sends what is gathered: one message as a DELIVER, more as one DELIVER_BATCH. */
  flush(): void {
    this.scheduled = false;
    const messages = this.messages;
    if (messages.length === 0) return;
    const counted = this.counted;
    this.messages = [];
    this.counted = undefined;
    this.bytes = 0;
    const frame =
      messages.length === 1 && messages[0]
        ? deliverFrameBytes(messages[0])
        : deliverBatchBytes(messages);
    this.socket.sendCounted(frame, counted ? counted.release : () => undefined);
  }
}
