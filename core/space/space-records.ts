/**
 * Every record a space keeps in its device's store lives under one prefix:
 * its log, checkpoint, summary, seq reserve, membership log and join record
 * (`s/<space id>/…`). Erasing a space's copy from a device is deleting that
 * prefix. What this user wrote there and had not sent yet stays in the
 * device's outboxes until it has gone out: it is theirs to deliver.
 *
 * One thing of the space outlives the erase: where this device's own chains
 * stopped (seq and last hash, per chain), kept as a checkpoint with an empty
 * doc and an empty ledger. Every member still holds those seqs of this
 * device as taken, so a device that joins the space again must go on past
 * them: starting again at seq 1, its join request was a replay to everyone
 * and was dropped, and it waited for good (decision 169).
 */
import * as Y from "yjs";
import { equalBytes } from "../crypto/bytes.js";
import type { Store } from "../store/store.js";
import { decodeEnvelope } from "../wire/envelope.js";
import { type ChainPositions, chainPositions } from "./chain-positions.js";
import { decodeSeqReserve, seqReserveKey } from "./seq-reserve.js";
import { type Checkpoint, decodeCheckpoint, encodeCheckpoint } from "./space-codecs.js";
import { asCorrupt, readLog } from "./space-log.js";

/** Records deleted per store call (one IndexedDB transaction, or one worker round, each). */
const ERASE_CHUNK = 1000;

export function spacePrefix(spaceId: string): string {
  return `s/${spaceId}/`;
}

export function checkpointKey(spaceId: string): string {
  return `s/${spaceId}/checkpoint`;
}

/**
 * Deletes every record of the space, then keeps where `device`'s chains
 * stopped (the only record left, holding no content); resolves with how many
 * records there were. The space must be closed first: a write landing after
 * its listing would stay.
 */
export async function eraseSpaceRecords(
  store: Store,
  spaceId: string,
  device: Uint8Array,
): Promise<number> {
  const writers = await ownPositions(store, spaceId, device);
  const keys = await store.list(spacePrefix(spaceId));
  for (let i = 0; i < keys.length; i += ERASE_CHUNK) {
    await store.deleteMany(keys.slice(i, i + ERASE_CHUNK));
  }
  if (writers.broadcast.seq > 0 || writers.addressed.seq > 0) {
    await store.put(checkpointKey(spaceId), encodeCheckpoint(resumePoint(writers)));
  }
  return keys.length;
}

/** A checkpoint of nothing but this device's positions: what an erased space resumes from. */
export function resumePoint(writers: ChainPositions): Checkpoint {
  return { doc: Y.encodeStateAsUpdate(new Y.Doc()), writers, ledger: [] };
}

/**
 * Where the device's two chains in the space stand on disk, read as a
 * space's open reads them (chain-positions.ts). A record that cannot be
 * read counts for nothing, as at open.
 */
async function ownPositions(
  store: Store,
  spaceId: string,
  device: Uint8Array,
): Promise<ChainPositions> {
  const [checkpoint, reserved, log] = await Promise.all([
    readOrNothing(store, checkpointKey(spaceId), decodeCheckpoint),
    readOrNothing(store, seqReserveKey(spaceId), decodeSeqReserve),
    readLog(store, spaceId),
  ]);
  const own = log.records
    .flatMap((r) => r.envelopes)
    .map((bytes) => decodeEnvelope(bytes))
    .filter(({ header }) => equalBytes(header.author, device));
  return chainPositions(checkpoint?.writers, own, reserved ?? 0);
}

async function readOrNothing<T>(
  store: Store,
  key: string,
  decode: (bytes: Uint8Array) => T,
): Promise<T | undefined> {
  try {
    const bytes = await store.get(key);
    return bytes && decode(bytes);
  } catch (err) {
    if (asCorrupt(err, key)) return undefined;
    throw err;
  }
}
