/**
 * The addressed seqs a space's writer has reserved on disk. Ephemeral
 * envelopes (presence) take seqs of the addressed chain but are never
 * logged, so after a crash the log alone would let the writer reuse their
 * seqs, and every member that took them would refuse the reused ones as
 * replays (sync requests and answers included). Before an ephemeral seq
 * beyond the reservation is used, the reservation moves SEQ_RESERVE_BLOCK
 * ahead in one small write; at open the writer starts past it.
 *
 *   SeqReserve: u8 version, varuint seq (the highest seq reserved)
 */
import * as encoding from "lib0/encoding";
import { DecodeError } from "../wire/errors.js";
import { decodeStrict, encodeWith } from "../wire/reader.js";

const VERSION = 1;

/** Seqs reserved per write: one write per this many ephemeral envelopes. */
export const SEQ_RESERVE_BLOCK = 1024;

export function seqReserveKey(spaceId: string): string {
  return `s/${spaceId}/reserve`;
}

export function encodeSeqReserve(seq: number): Uint8Array {
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError("seq out of range");
  return encodeWith((e) => {
    encoding.writeUint8(e, VERSION);
    encoding.writeVarUint(e, seq);
  });
}

export function decodeSeqReserve(bytes: Uint8Array): number {
  return decodeStrict(bytes, (r) => {
    const version = r.u8("version");
    if (version !== VERSION) {
      throw new DecodeError("UNSUPPORTED_VERSION", `seq reserve version ${version}`);
    }
    return r.varUint("seq");
  });
}
