/**
 * Mailbox frames: store-and-forward between devices.
 *
 *   device -> relay  SEND         (msgId, flags, ttl, targets[], envelope)
 *   relay  -> device ACK          msgId, sent once the envelope is durably queued for every target
 *   relay  -> device DELIVER      (mailbox seq, msgId, authenticated sender, flags, envelope)
 *   device -> relay  DELIVER_ACK  mailbox seqs the device has stored; the relay deletes them
 *   device -> relay  RESEND       redeliver unacked messages from a mailbox seq on
 *
 * A retransmitted SEND with a msgId the relay already holds is acked again
 * and stored no second time. Ephemeral sends reach online targets only.
 */
import * as encoding from "lib0/encoding";
import { KEY_BYTES } from "./envelope.js";
import { DecodeError } from "./errors.js";
import {
  type AckFrame,
  type DeliverAckFrame,
  type DeliverFrame,
  FLAG_EPHEMERAL,
  MSG_ID_BYTES,
  type ResendFrame,
  type SendFrame,
} from "./frame-types.js";
import type { WireLimits } from "./limits.js";
import { type Reader, writeFixed } from "./reader.js";

const KNOWN_FLAGS = FLAG_EPHEMERAL;

function readFlags(r: Reader): number {
  const flags = r.u8("flags");
  if ((flags & ~KNOWN_FLAGS) !== 0) throw new DecodeError("INVALID_VALUE", "unknown flag bits");
  return flags;
}

export function writeSend(e: encoding.Encoder, f: SendFrame): void {
  writeFixed(e, f.msgId, MSG_ID_BYTES, "msgId");
  encoding.writeUint8(e, f.flags);
  encoding.writeVarUint(e, f.ttlSeconds);
  encoding.writeVarUint(e, f.targets.length);
  for (const target of f.targets) writeFixed(e, target, KEY_BYTES, "target");
  encoding.writeVarUint8Array(e, f.envelope);
}
export function readSend(r: Reader, limits: WireLimits): SendFrame {
  const msgId = r.fixed(MSG_ID_BYTES, "msgId");
  const flags = readFlags(r);
  const ttlSeconds = r.varUint("ttlSeconds", 0xffffffff);
  const count = r.varUint("targets count", limits.maxTargets);
  if (count === 0) throw new DecodeError("INVALID_VALUE", "a send needs at least one target");
  const targets: Uint8Array[] = [];
  for (let i = 0; i < count; i++) targets.push(r.fixed(KEY_BYTES, "target"));
  const envelope = r.varBytes("envelope", limits.maxEnvelopeBytes);
  return { type: "send", msgId, flags, ttlSeconds, targets, envelope };
}

export function writeAck(e: encoding.Encoder, f: AckFrame): void {
  writeFixed(e, f.msgId, MSG_ID_BYTES, "msgId");
}
export function readAck(r: Reader): AckFrame {
  return { type: "ack", msgId: r.fixed(MSG_ID_BYTES, "msgId") };
}

export function writeDeliver(e: encoding.Encoder, f: DeliverFrame): void {
  encoding.writeVarUint(e, f.seq);
  writeFixed(e, f.msgId, MSG_ID_BYTES, "msgId");
  writeFixed(e, f.sender, KEY_BYTES, "sender");
  encoding.writeUint8(e, f.flags);
  encoding.writeVarUint8Array(e, f.envelope);
}
export function readDeliver(r: Reader, limits: WireLimits): DeliverFrame {
  return {
    type: "deliver",
    seq: r.varUint("seq"),
    msgId: r.fixed(MSG_ID_BYTES, "msgId"),
    sender: r.fixed(KEY_BYTES, "sender"),
    flags: readFlags(r),
    envelope: r.varBytes("envelope", limits.maxEnvelopeBytes),
  };
}

export function writeDeliverAck(e: encoding.Encoder, f: DeliverAckFrame): void {
  encoding.writeVarUint(e, f.seqs.length);
  for (const seq of f.seqs) encoding.writeVarUint(e, seq);
}
export function readDeliverAck(r: Reader, limits: WireLimits): DeliverAckFrame {
  const count = r.varUint("acks count", limits.maxAcks);
  if (count === 0) throw new DecodeError("INVALID_VALUE", "an ack needs at least one seq");
  const seqs: number[] = [];
  for (let i = 0; i < count; i++) seqs.push(r.varUint("seq"));
  return { type: "deliverAck", seqs };
}

export function writeResend(e: encoding.Encoder, f: ResendFrame): void {
  encoding.writeVarUint(e, f.fromSeq);
}
export function readResend(r: Reader): ResendFrame {
  return { type: "resend", fromSeq: r.varUint("fromSeq") };
}
