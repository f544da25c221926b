/**
 * The welcome an inviter leaves for an invite link's holder, sealed under
 * the invite's channel key inside an envelope to the invite's mailbox. For
 * an open invite it carries what reading and writing at once takes: the
 * membership ops, the epoch keys and a snapshot of the content. For a
 * confirmed invite, first only the space's name and whom to ask; after a
 * manager confirms, the ops (the joiner's key is sealed in the confirm op).
 *
 *   u8 version, string spaceName, string inviterName,
 *   varuint n, n x varbytes op,
 *   varuint n, n x (varuint epoch, bytes32 key),
 *   varbytes snapshot (a Yjs update; empty when none),
 *   varuint n, n x bytes32 device (whom to send the join request to),
 *   varbytes inviter certificate (version 2; empty when none)
 *   u8 refusal (version 3 only: 1 invite used, 2 invite revoked,
 *               3 invite expired, 4 declined; a welcome without one is version 2)
 *
 * A refusal tells a joiner its join will not be let in, and why; it carries
 * no ops (the log of a space is not a link holder's to read). The joiner
 * believes it from its inviter or the managers its first welcome named.
 *
 * The inviter's certificate lets a confirmed joiner show the safety number
 * with the inviter before it holds any op of the space: the joiner checks
 * it names the link's inviter device and is signed by its user key.
 * Version 1 (no certificate) still decodes.
 */
import * as encoding from "lib0/encoding";
import type { DeviceCertificate } from "../crypto/identity.js";
import { decodeCertificate, encodeCertificate } from "../crypto/identity-codec.js";
import { DecodeError } from "../wire/errors.js";
import { decodeStrict, encodeWith, writeFixed, writeString } from "../wire/reader.js";

const VERSION = 3;
export const REFUSALS = ["INVITE_USED", "INVITE_REVOKED", "INVITE_EXPIRED", "DECLINED"] as const;
export type Refusal = (typeof REFUSALS)[number];
const MAX_CERT_BYTES = 1024;
const MAX_NAME_BYTES = 256;
const MAX_SNAPSHOT_BYTES = 64 * 1024 * 1024;
const MAX_OP_BYTES = 1024 * 1024;

export interface Welcome {
  spaceName: string;
  inviterName: string;
  ops: Uint8Array[];
  keys: { epoch: number; key: Uint8Array }[];
  snapshot: Uint8Array;
  targets: Uint8Array[];
  inviter?: DeviceCertificate;
  /** The joiner's join will not be let in, and why. */
  refusal?: Refusal;
}

export function encodeWelcome(w: Welcome): Uint8Array {
  return encodeWith((e) => {
    // Version 2 unless a refusal needs 3, so an older app still reads every other welcome.
    encoding.writeUint8(e, w.refusal ? VERSION : 2);
    writeString(e, w.spaceName);
    writeString(e, w.inviterName);
    encoding.writeVarUint(e, w.ops.length);
    for (const op of w.ops) encoding.writeVarUint8Array(e, op);
    encoding.writeVarUint(e, w.keys.length);
    for (const { epoch, key } of w.keys) {
      encoding.writeVarUint(e, epoch);
      writeFixed(e, key, 32, "key");
    }
    encoding.writeVarUint8Array(e, w.snapshot);
    encoding.writeVarUint(e, w.targets.length);
    for (const t of w.targets) writeFixed(e, t, 32, "target");
    encoding.writeVarUint8Array(e, w.inviter ? encodeCertificate(w.inviter) : new Uint8Array(0));
    if (w.refusal) encoding.writeUint8(e, REFUSALS.indexOf(w.refusal) + 1);
  });
}

export function decodeWelcome(bytes: Uint8Array): Welcome {
  return decodeStrict(bytes, (r) => {
    const version = r.u8("version");
    if (version < 1 || version > VERSION) {
      throw new DecodeError("UNSUPPORTED_VERSION", `welcome version ${version} is not supported`);
    }
    const spaceName = r.string("spaceName", MAX_NAME_BYTES);
    const inviterName = r.string("inviterName", MAX_NAME_BYTES);
    const ops: Uint8Array[] = [];
    const nOps = r.varUint("op count", r.remaining);
    for (let i = 0; i < nOps; i++) ops.push(r.varBytes("op", MAX_OP_BYTES).slice());
    const keys: Welcome["keys"] = [];
    const nKeys = r.varUint("key count", Math.floor(r.remaining / 33));
    for (let i = 0; i < nKeys; i++) {
      keys.push({ epoch: r.varUint("epoch", 0xffffffff), key: r.fixed(32, "key").slice() });
    }
    const snapshot = r.varBytes("snapshot", MAX_SNAPSHOT_BYTES).slice();
    const targets: Uint8Array[] = [];
    const nTargets = r.varUint("target count", Math.floor(r.remaining / 32));
    for (let i = 0; i < nTargets; i++) targets.push(r.fixed(32, "target").slice());
    const certBytes = version >= 2 ? r.varBytes("inviter", MAX_CERT_BYTES) : new Uint8Array(0);
    const inviter = certBytes.length > 0 ? decodeCertificate(certBytes.slice()) : undefined;
    // Version 3 exists to carry a refusal: one welcome, one encoding.
    const refusalByte = version >= 3 ? r.u8("refusal") : 0;
    const refusal = refusalByte === 0 ? undefined : REFUSALS[refusalByte - 1];
    if (version >= 3 && !refusal) {
      throw new DecodeError("INVALID_VALUE", `refusal ${refusalByte} is not one of 1-4`);
    }
    return {
      spaceName,
      inviterName,
      ops,
      keys,
      snapshot,
      targets,
      ...(inviter && { inviter }),
      ...(refusal && { refusal }),
    };
  });
}
