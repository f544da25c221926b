/**
 * DELIVER frames for fan-out, encoded once per message. A message sent to
 * many mailboxes differs between them only in the mailbox seq, which comes
 * first in the frame; everything after it (msgId, sender, flags, envelope)
 * is encoded once and shared, and each target's frame is its short head
 * plus one copy of that tail. The bytes are exactly encodeFrame's (a
 * property test holds them equal).
 */
import * as encoding from "lib0/encoding";
import { KEY_BYTES } from "../core/wire/envelope.js";
import { FrameType, MSG_ID_BYTES, PROTOCOL_VERSION } from "../core/wire/frame-types.js";
import { encodeWith, writeFixed } from "../core/wire/reader.js";
import type { StoredMessage } from "./store/relay-store.js";

interface Tail {
  msgId: Uint8Array;
  sender: Uint8Array;
  flags: number;
  bytes: Uint8Array;
}

/**
 * Tails by envelope object. The targets of one send share its envelope,
 * msgId and sender objects, so they share one tail; a tail is reused only
 * for the very same objects, never for equal-looking ones.
 */
const tails = new WeakMap<Uint8Array, Tail>();

/** What follows the seq in a DELIVER frame. */
export function deliverTail(m: Omit<StoredMessage, "seq">): Uint8Array {
  const cached = tails.get(m.envelope);
  if (cached && cached.msgId === m.msgId && cached.sender === m.sender && cached.flags === m.flags)
    return cached.bytes;
  const bytes = encodeWith((e) => {
    writeFixed(e, m.msgId, MSG_ID_BYTES, "msgId");
    writeFixed(e, m.sender, KEY_BYTES, "sender");
    encoding.writeUint8(e, m.flags);
    encoding.writeVarUint8Array(e, m.envelope);
  });
  tails.set(m.envelope, { msgId: m.msgId, sender: m.sender, flags: m.flags, bytes });
  return bytes;
}

function varUintLength(value: number): number {
  let length = 1;
  for (let n = value; n > 0x7f; n = Math.floor(n / 128)) length++;
  return length;
}

function writeVarUint(out: Uint8Array, at: number, value: number): number {
  let n = value;
  let i = at;
  while (n > 0x7f) {
    out[i++] = 0x80 | (n % 128);
    n = Math.floor(n / 128);
  }
  out[i++] = n;
  return i;
}

/** A whole DELIVER frame: version, type, varuint seq, then the shared tail. */
export function deliverFrameBytes(m: StoredMessage): Uint8Array {
  const tail = deliverTail(m);
  const out = new Uint8Array(2 + varUintLength(m.seq) + tail.length);
  out[0] = PROTOCOL_VERSION;
  out[1] = FrameType.deliver;
  out.set(tail, writeVarUint(out, 2, m.seq));
  return out;
}

/** A DELIVER_BATCH frame (revision 5): version, type, varuint count, then each seq and its shared tail. */
export function deliverBatchBytes(messages: readonly StoredMessage[]): Uint8Array {
  const tails = messages.map(deliverTail);
  let size = 2 + varUintLength(messages.length);
  messages.forEach((m, i) => {
    size += varUintLength(m.seq) + (tails[i]?.length ?? 0);
  });
  const out = new Uint8Array(size);
  out[0] = PROTOCOL_VERSION;
  out[1] = FrameType.deliverBatch;
  let at = writeVarUint(out, 2, messages.length);
  messages.forEach((m, i) => {
    at = writeVarUint(out, at, m.seq);
    const tail = tails[i] ?? new Uint8Array();
    out.set(tail, at);
    at += tail.length;
  });
  return out;
}
