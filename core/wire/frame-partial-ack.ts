/**
 * PARTIAL_ACK (protocol 1, revision 2): the answer to a SEND some of whose
 * targets got nothing because their mailboxes are full.
 *
 *   relay -> device PARTIAL_ACK  msgId, count x (target, reason)
 *
 * Every target of the SEND not listed has the envelope durably queued, as
 * an ACK would say; the listed ones do not, and the relay keeps no record
 * for them. When every target is listed nothing was stored at all.
 */
import * as encoding from "lib0/encoding";
import { KEY_BYTES } from "./envelope.js";
import { DecodeError } from "./errors.js";
import { MSG_ID_BYTES, type PartialAckFrame } from "./frame-types.js";
import type { WireLimits } from "./limits.js";
import { type Reader, writeFixed } from "./reader.js";

/** Why a target's mailbox took nothing. Wire values never change meaning. */
export const FullReasonCode = {
  /** The mailbox holds as many messages as the relay allows. */
  messages: 1,
  /** The mailbox holds as many bytes as the relay allows. */
  bytes: 2,
  /** The sender's IP (or access token) has used its share of that mailbox. */
  source_share: 3,
} as const;
export type FullReasonName = keyof typeof FullReasonCode;

const NAMES = new Map<number, FullReasonName>(
  Object.entries(FullReasonCode).map(([name, code]) => [code, name as FullReasonName]),
);

export function writePartialAck(e: encoding.Encoder, f: PartialAckFrame): void {
  writeFixed(e, f.msgId, MSG_ID_BYTES, "msgId");
  encoding.writeVarUint(e, f.full.length);
  for (const { target, reason } of f.full) {
    writeFixed(e, target, KEY_BYTES, "target");
    encoding.writeUint8(e, FullReasonCode[reason]);
  }
}

export function readPartialAck(r: Reader, limits: WireLimits): PartialAckFrame {
  const msgId = r.fixed(MSG_ID_BYTES, "msgId");
  const count = r.varUint("full count", limits.maxTargets);
  if (count === 0)
    throw new DecodeError("INVALID_VALUE", "a partial ack names at least one target");
  const full: PartialAckFrame["full"] = [];
  for (let i = 0; i < count; i++) {
    const target = r.fixed(KEY_BYTES, "target");
    const code = r.u8("reason");
    const reason = NAMES.get(code);
    if (!reason) throw new DecodeError("INVALID_VALUE", `unknown full reason ${code}`);
    full.push({ target, reason });
  }
  return { type: "partialAck", msgId, full };
}
