/**
 * Mailbox frames: store-and-forward between devices.
 *
 *   device -> relay  SEND         (msgId, flags, ttl, targets[] | target set id, envelope)
 *   device -> relay  TARGET_SET   (set id, targets[]) for later SENDs on this connection (rev. 4)
 *   relay  -> device ACK          msgId, sent once the envelope is durably queued for every target
 *   relay  -> device DELIVER      (mailbox seq, msgId, authenticated sender, flags, envelope)
 *   relay  -> device DELIVER_BATCH several stored messages in seq order (rev. 5, once accepted)
 *   device -> relay  ACCEPT_BATCHES the device takes DELIVER_BATCH (rev. 5)
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
  type DeliverBatchFrame,
  type DeliverFrame,
  FLAG_EPHEMERAL,
  FLAG_TARGET_SET,
  MAX_BATCH_DELIVERIES,
  MAX_TARGET_SET_ENTRIES,
  MAX_TARGET_SET_ID,
  MSG_ID_BYTES,
  type ResendFrame,
  type SendFrame,
  type TargetSetFrame,
} from "./frame-types.js";
import type { WireLimits } from "./limits.js";
import { type Reader, writeFixed } from "./reader.js";

function readFlags(r: Reader, known: number): number {
  const flags = r.u8("flags");
  if ((flags & ~known) !== 0) throw new DecodeError("INVALID_VALUE", "unknown flag bits");
  return flags;
}

function writeTargets(e: encoding.Encoder, targets: readonly Uint8Array[]): void {
  encoding.writeVarUint(e, targets.length);
  for (const target of targets) writeFixed(e, target, KEY_BYTES, "target");
}
function readTargets(r: Reader, limits: WireLimits, what: string): Uint8Array[] {
  const count = r.varUint("targets count", limits.maxTargets);
  if (count === 0) throw new DecodeError("INVALID_VALUE", `${what} needs at least one target`);
  const targets: Uint8Array[] = [];
  for (let i = 0; i < count; i++) targets.push(r.fixed(KEY_BYTES, "target"));
  return targets;
}

export function writeSend(e: encoding.Encoder, f: SendFrame): void {
  writeFixed(e, f.msgId, MSG_ID_BYTES, "msgId");
  const bySet = f.targetSet !== undefined;
  encoding.writeUint8(e, (f.flags & ~FLAG_TARGET_SET) | (bySet ? FLAG_TARGET_SET : 0));
  encoding.writeVarUint(e, f.ttlSeconds);
  if (f.targetSet !== undefined) encoding.writeVarUint(e, f.targetSet);
  else writeTargets(e, f.targets);
  encoding.writeVarUint8Array(e, f.envelope);
}
export function readSend(r: Reader, limits: WireLimits): SendFrame {
  const msgId = r.fixed(MSG_ID_BYTES, "msgId");
  const wireFlags = readFlags(r, FLAG_EPHEMERAL | FLAG_TARGET_SET);
  const ttlSeconds = r.varUint("ttlSeconds", 0xffffffff);
  const flags = wireFlags & ~FLAG_TARGET_SET;
  if ((wireFlags & FLAG_TARGET_SET) !== 0) {
    const targetSet = r.varUint("target set", MAX_TARGET_SET_ID);
    const envelope = r.varBytes("envelope", limits.maxEnvelopeBytes);
    return { type: "send", msgId, flags, ttlSeconds, targets: [], targetSet, envelope };
  }
  const targets = readTargets(r, limits, "a send");
  const envelope = r.varBytes("envelope", limits.maxEnvelopeBytes);
  return { type: "send", msgId, flags, ttlSeconds, targets, envelope };
}

export function writeTargetSet(e: encoding.Encoder, f: TargetSetFrame): void {
  encoding.writeVarUint(e, f.setId);
  writeTargets(e, f.targets);
}
export function readTargetSet(r: Reader, limits: WireLimits): TargetSetFrame {
  const setId = r.varUint("target set", MAX_TARGET_SET_ID);
  // A set no connection may hold is refused before its keys are read, whatever the send limit.
  const bounded = { ...limits, maxTargets: Math.min(limits.maxTargets, MAX_TARGET_SET_ENTRIES) };
  return { type: "targetSet", setId, targets: readTargets(r, bounded, "a target set") };
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
    flags: readFlags(r, FLAG_EPHEMERAL),
    envelope: r.varBytes("envelope", limits.maxEnvelopeBytes),
  };
}

export function writeDeliverBatch(e: encoding.Encoder, f: DeliverBatchFrame): void {
  encoding.writeVarUint(e, f.deliveries.length);
  for (const d of f.deliveries) writeDeliver(e, { type: "deliver", ...d });
}
export function readDeliverBatch(r: Reader, limits: WireLimits): DeliverBatchFrame {
  const count = r.varUint("deliveries count", MAX_BATCH_DELIVERIES);
  if (count === 0) throw new DecodeError("INVALID_VALUE", "a batch needs at least one delivery");
  const deliveries: DeliverBatchFrame["deliveries"] = [];
  for (let i = 0; i < count; i++) {
    const { type: _, ...d } = readDeliver(r, limits);
    // Only stored mail comes in batches: an ephemeral frame (seq 0) is never acked, so never batched.
    if (d.seq === 0 || d.flags !== 0)
      throw new DecodeError("INVALID_VALUE", "a batched delivery is stored mail: a seq, no flags");
    deliveries.push(d);
  }
  return { type: "deliverBatch", deliveries };
}

/** ACCEPT_BATCHES has no fields: the frame type is the whole message. */
export function writeAcceptBatches(): void {
  return;
}
export function readAcceptBatches(): { type: "acceptBatches" } {
  return { type: "acceptBatches" };
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
