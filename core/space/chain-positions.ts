/**
 * Where this device's two chains in a space go on from, as read from disk:
 * the checkpoint's writers, raised by the device's own envelopes logged
 * since (the latest per chain, hashed), and the addressed chain raised past
 * the seqs reserved for presence (a hole there only guards replay: nobody
 * asks for it). The space's open resumes its writers from this; erasing a
 * space keeps it, so that a join again goes on past seqs members hold as
 * taken (decision 169).
 */
import { envelopeHash, GENESIS_HASH } from "../crypto/envelope.js";
import type { WriterState } from "../crypto/envelope-writer.js";
import { type DecodedEnvelope, type EnvelopeStream, streamOf } from "../wire/envelope.js";

export type ChainPositions = Record<EnvelopeStream, WriterState>;

export function chainPositions(
  checkpointed: ChainPositions | undefined,
  /** The device's own envelopes logged since the checkpoint, in any order. */
  own: Iterable<DecodedEnvelope>,
  reserved: number,
): ChainPositions {
  const positions: ChainPositions = {
    broadcast: { seq: 0, lastHash: GENESIS_HASH },
    addressed: { seq: 0, lastHash: GENESIS_HASH },
  };
  const raise = (stream: EnvelopeStream, state: WriterState) => {
    if (state.seq > positions[stream].seq) positions[stream] = state;
  };
  if (checkpointed) {
    raise("broadcast", checkpointed.broadcast);
    raise("addressed", checkpointed.addressed);
  }
  // Only each chain's latest is hashed: hashing a whole log for nothing slowed a launch.
  const latest: Partial<Record<EnvelopeStream, DecodedEnvelope>> = {};
  for (const decoded of own) {
    const stream = streamOf(decoded.header.kind);
    if (decoded.header.seq > (latest[stream]?.header.seq ?? 0)) latest[stream] = decoded;
  }
  for (const [stream, decoded] of Object.entries(latest) as [EnvelopeStream, DecodedEnvelope][]) {
    raise(stream, { seq: decoded.header.seq, lastHash: envelopeHash(decoded.bytes) });
  }
  if (reserved > positions.addressed.seq) {
    positions.addressed = { ...positions.addressed, seq: reserved };
  }
  return positions;
}
